"""Command-line options shared by several entry points (``run``, ``tray`` and the ``w2le-live-tray`` script).

Lives outside ``commands/`` so the GUI can parse the same options without importing a command module.
"""

from __future__ import annotations

import argparse

from w2le_live import validation
from w2le_live.config import BACKENDS


def _profile(text: str) -> str:
    """--profile: an empty name (an unset shell variable) would quietly mean no profile, so it is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "it is empty; pass a profile's name (w2le-live profile list shows them), or leave --profile out"
        )
    return text


def add_translator_args(p: argparse.ArgumentParser) -> None:
    """--model/--backend/--translator/--profile/--target/--intensity (translate, run, tray)."""
    from w2le_live.translators import TRANSLATOR_KINDS

    p.add_argument(
        "--model", default=None, help="generator checkpoint; omit for the landmark translator (no weights)"
    )
    p.add_argument("--backend", default="auto", choices=BACKENDS)
    p.add_argument(
        "--translator",
        default="auto",
        choices=TRANSLATOR_KINDS,
        help="auto (default): your personal profile when it holds the target emotion, else --model, else landmark",
    )
    p.add_argument(
        "--profile", type=_profile, default=None, help="personal-emotion profile (see: w2le-live enroll)"
    )
    p.add_argument(
        "--target",
        default=None,
        help="target emotion (default: happy, or the emotion the --model checkpoint makes)",
    )
    p.add_argument(
        "--intensity", type=validation.intensity, default=1.0, help="0 = untouched .. 1 = full (up to 1.5)"
    )


def add_live_args(p: argparse.ArgumentParser) -> None:
    """Options of a live session (:class:`w2le_live.session.LiveOptions`), shared by ``run`` and ``tray``."""
    p.add_argument(
        "--source", default="0", help="camera index or name, or a video file played in real time (default 0)"
    )
    p.add_argument("--sink", default="vcam", help="vcam[:DEVICE] (default), file:PATH.mp4, preview, or null")
    add_translator_args(p)
    p.add_argument(
        "--mic", default="default", help="microphone index/name for the neural model's audio, or 'none'"
    )
    p.add_argument("--width", type=validation.frame_size, default=640)
    p.add_argument("--height", type=validation.frame_size, default=480)
    p.add_argument("--fps", type=validation.fps, default=25.0)
    p.add_argument("--loop", action="store_true", help="loop a file source")
    p.add_argument(
        "--ease",
        type=validation.ease_seconds,
        default=0.4,
        help="seconds the change takes to fade in or out when you switch emotion, bypass or the face leaves "
        "(default 0.4; 0 = instant)",
    )
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


def add_tray_args(p: argparse.ArgumentParser) -> None:
    """``tray`` / ``w2le-live-tray``: the live options plus --window."""
    add_live_args(p)
    p.add_argument("--window", action="store_true", help="use the control window even where a tray exists")
