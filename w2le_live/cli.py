"""``w2le-live`` entry point: a thin dispatcher over ``w2le_live.commands.<name>`` modules.

Each command module defines ``add_parser(subparsers)`` (registering its sub-parser with
``set_defaults(func=run)``) and ``run(args) -> int``. Modules are imported lazily so that
``w2le-live --help`` stays fast and a missing optional extra breaks only its own command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Optional, Sequence

from w2le_live import __version__
from w2le_live.errors import UserError

# (sub-command, module under w2le_live.commands, one-line help)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("translate", "translate", "translate the facial emotion of a video file into a new video file"),
    ("run", "run", "run the live virtual camera (webcam + mic in, virtual camera out)"),
    ("devices", "devices", "list cameras, microphones, audio outputs and virtual-camera backends"),
    ("tray", "tray", "run the live camera with a system-tray control menu"),
    ("export", "export", "export a checkpoint to ONNX (fp32 or calibrated int8)"),
    ("build-engine", "build_engine", "build a TensorRT engine from a checkpoint (NVIDIA GPUs)"),
    ("bench", "bench", "benchmark generator backends and the live pipeline"),
    ("eval", "evaluate", "evaluate a model: lip sync, FID and emotion change"),
    ("doctor", "doctor", "check this machine: what works and what to install for what does not"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="w2le-live",
        description="Change the facial emotion of the person on a webcam, live, keeping identity and lip sync.",
    )
    parser.add_argument("--version", action="version", version=f"w2le-live {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging and full tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        try:
            mod = importlib.import_module(f"w2le_live.commands.{module}")
        except ModuleNotFoundError as exc:
            if not exc.name or not exc.name.startswith("w2le_live.commands"):
                raise
            continue  # command not shipped in this build
        mod.add_parser(sub, name, help_text)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if args.verbose else "%(levelname)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        if args.verbose:
            logging.exception("user error")
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
