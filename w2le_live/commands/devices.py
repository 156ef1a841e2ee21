"""``w2le-live devices``: cameras, microphones, audio outputs and virtual-camera backends."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from w2le_live.io.sinks import virtual_camera_hint
    from w2le_live.io.sources import list_cameras

    cams = list_cameras()
    print("cameras:", ", ".join(cams) if cams else "none found")
    try:
        import sounddevice as sd

        devs = sd.query_devices()
        ins = [f"{i}: {d['name']}" for i, d in enumerate(devs) if d["max_input_channels"] > 0]
        outs = [f"{i}: {d['name']}" for i, d in enumerate(devs) if d["max_output_channels"] > 0]
        print("microphones:", "; ".join(ins) if ins else "none found")
        print("audio outputs:", "; ".join(outs) if outs else "none found")
    except (ImportError, OSError) as exc:
        print(
            f"microphones/audio outputs: unavailable ({exc.__class__.__name__}: install PortAudio, e.g. libportaudio2)"
        )
    try:
        import pyvirtualcam

        backends = sorted(getattr(pyvirtualcam.camera, "BACKENDS", {}).keys())
        print("virtual camera backends:", ", ".join(backends) if backends else "none")
    except ImportError:
        print("virtual camera: pyvirtualcam not installed (pip install 'w2le-live[live]')", file=sys.stdout)
    print(f"virtual camera setup: {virtual_camera_hint()}")
    return 0
