"""``w2le-live run``: the live virtual camera (webcam + mic in, virtual camera out)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from w2le_live import validation
from w2le_live.errors import UserError


def add_common_args(p: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``tray``."""
    p.add_argument(
        "--source", default="0", help="camera index or name, or a video file played in real time (default 0)"
    )
    p.add_argument("--sink", default="vcam", help="vcam[:DEVICE] (default), file:PATH.mp4, or null")
    p.add_argument(
        "--model", default=None, help="generator checkpoint; omit for the landmark translator (no weights)"
    )
    p.add_argument(
        "--backend", default="auto", choices=("auto", "torch", "onnxruntime", "openvino", "tensorrt")
    )
    p.add_argument("--target", default="happy", help="target emotion (default happy)")
    p.add_argument(
        "--intensity", type=validation.intensity, default=1.0, help="0 = untouched .. 1 = full (up to 1.5)"
    )
    p.add_argument(
        "--mic", default="default", help="microphone index/name for the neural model's audio, or 'none'"
    )
    p.add_argument("--width", type=validation.frame_size, default=640)
    p.add_argument("--height", type=validation.frame_size, default=480)
    p.add_argument("--fps", type=validation.fps, default=25.0)
    p.add_argument("--loop", action="store_true", help="loop a file source")
    p.add_argument(
        "--virtual-mic",
        default=None,
        help="re-play the mic, delayed by the video latency, to this output device (e.g. a null sink / VB-Cable)",
    )
    p.add_argument(
        "--av-offset-ms",
        type=validation.non_negative_float,
        default=None,
        help="fixed delay for --virtual-mic instead of the measured one",
    )


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    add_common_args(p)
    p.add_argument(
        "--duration", type=validation.positive_float, default=None, help="stop after this many seconds"
    )
    p.add_argument(
        "--stats-json", type=validation.output_file, default=None, help="write the final stats here as JSON"
    )
    p.add_argument("--quiet", action="store_true", help="no status line")
    p.set_defaults(func=run)


def build_pipeline(args: argparse.Namespace):
    """Source, sink, translator and audio from CLI options -> a ready (not started) Pipeline."""
    from w2le_live.audio.ring import AudioRing
    from w2le_live.io.sinks import open_sink
    from w2le_live.io.sources import CameraSource, FileSource
    from w2le_live.pipeline import Pipeline, PipelineConfig
    from w2le_live.translators import make_translator
    from w2le_live.translators.base import Controls

    translator = make_translator(args.model, backend=args.backend)
    if args.target not in translator.emotions:
        raise UserError(
            f"the {translator.name} translator cannot produce '{args.target}'; choose --target from: {', '.join(translator.emotions)}."
        )
    ring = AudioRing(capacity_s=30.0)
    src = str(args.source)
    mic = None
    if Path(src).is_file():
        source = FileSource(src, audio_ring=ring, loop=args.loop, fps=args.fps, size=None)
    elif src.isdigit() or src.startswith("/dev/video"):
        source = CameraSource(int(src) if src.isdigit() else src, args.width, args.height, args.fps)
        if args.mic != "none" and (translator.needs_audio or args.virtual_mic):
            from w2le_live.audio.sources import MicSource

            mic = MicSource(None if args.mic == "default" else args.mic, ring)
    else:
        raise UserError(
            f"--source {src} is neither a camera index, a /dev/video device nor an existing file."
        )
    sink = open_sink(args.sink, audio_ring=ring, inputs=(src,))
    cfg = PipelineConfig(fps=args.fps, alignment=getattr(translator, "alignment", "wav2lip"))
    pipe = Pipeline(
        source, sink, translator, config=cfg, audio_ring=ring, controls=Controls(args.target, args.intensity)
    )
    return pipe, mic


def run(args: argparse.Namespace) -> int:
    import logging

    if args.stats_json:
        validation.check_output_path(args.stats_json, inputs=[args.source], option="--stats-json")
    pipe, mic = build_pipeline(args)
    stop = threading.Event()

    def _term(signum, frame):  # SIGTERM like Ctrl-C: stop cleanly, finalise files
        stop.set()

    signal.signal(signal.SIGTERM, _term)
    if mic is not None:
        mic.start()
    elif pipe._translator.needs_audio and not Path(str(args.source)).is_file():
        logging.getLogger(__name__).warning(
            "running without a microphone: the neural model gets silence and loses lip guidance."
        )
    vmic = None
    if args.virtual_mic:
        from w2le_live.io.virtual_mic import VirtualMic

        fixed = None if args.av_offset_ms is None else args.av_offset_ms / 1000.0
        vmic = VirtualMic(
            pipe.audio_ring,
            args.virtual_mic,
            delay_s=fixed,
            delay_source=lambda: pipe.stats().latency_ms_p50 / 1000.0,
        )
        vmic.start()
    pipe.start()
    from w2le_live.io.sinks import PreviewSink

    if isinstance(pipe.sink, PreviewSink):
        return _run_preview(pipe, mic, vmic, args)
    try:
        waited = 0.0
        while not stop.is_set():
            stop.wait(1.0)
            waited += 1.0
            pipe.raise_if_failed()
            if not args.quiet:
                print("\r" + pipe.stats().status_line(), end="", file=sys.stderr, flush=True)
            if args.duration is not None and waited >= args.duration:
                break
            if getattr(pipe.source, "finished", False):
                break
    except KeyboardInterrupt:
        pass
    finally:
        pipe.stop()
        for dev in (mic, vmic):
            if dev is not None:
                dev.stop()
        if not args.quiet:
            print(file=sys.stderr)
    pipe.raise_if_failed()
    stats = pipe.stats()
    print(stats.status_line(), file=sys.stderr)
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(asdict(stats), indent=2))
    return 0


def _run_preview(pipe, mic, vmic, args: argparse.Namespace) -> int:
    """``--sink preview``: a Qt window on the main thread shows the output; closing it stops the stream."""
    try:
        from PyQt5.QtCore import QTimer
        from PyQt5.QtWidgets import QApplication
    except ImportError:
        pipe.stop()
        raise UserError(
            "the preview window needs PyQt5; run: pip install 'w2le-live[gui]', or use --sink file:out.mp4."
        ) from None
    from w2le_live.gui.preview import make_preview

    app = QApplication.instance() or QApplication(sys.argv[:1])
    win = make_preview(pipe)
    win.resize(640, 480)
    win.show()
    status = QTimer()
    status.timeout.connect(
        lambda: win.setWindowTitle("W2LE Live preview - " + pipe.stats().status_line()[:80])
    )
    status.start(1000)
    if args.duration is not None:
        QTimer.singleShot(int(args.duration * 1000), app.quit)
    signal.signal(signal.SIGTERM, lambda *a: app.quit())
    try:
        app.exec_()
    finally:
        pipe.stop()
        for dev in (mic, vmic):
            if dev is not None:
                dev.stop()
    print(pipe.stats().status_line(), file=sys.stderr)
    return 0
