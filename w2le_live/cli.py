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
from w2le_live.validation import Parser

# (sub-command, module under w2le_live.commands, one-line help)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("translate", "translate", "translate the facial emotion of a video file into a new video file"),
    ("run", "run", "run the live virtual camera (webcam + mic in, virtual camera out)"),
    ("devices", "devices", "list cameras, microphones, audio outputs and virtual-camera backends"),
    ("tray", "tray", "run the live camera with a system-tray control menu"),
    ("export", "export", "export a checkpoint to ONNX (fp32 or calibrated int8)"),
    ("build-engine", "build_engine", "build a TensorRT engine from a checkpoint (NVIDIA GPUs)"),
    ("bench", "bench", "benchmark generator backends and the live pipeline"),
    ("enroll", "enroll", "teach the personal translator your own expression of an emotion"),
    ("profile", "profile", "list, show or delete personal-emotion profiles"),
    ("doctor", "doctor", "check this machine: what works and what to install for what does not"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    """Parse, then run the command inside :func:`w2le_live.errors.run_cli`: every failure is one sentence."""
    from w2le_live.errors import install_sigterm_handler, run_cli
    from w2le_live.quiet import quiet_native_output

    verbose = any(a in ("-v", "--verbose") for a in (sys.argv[1:] if argv is None else argv))
    restore = quiet_native_output(verbose)  # before any native library is imported
    try:
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a bad argument (already printed as one sentence)
            return exc.code if isinstance(exc.code, int) else 2
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s" if args.verbose else "%(levelname)s: %(message)s",
        )
        if not getattr(args, "func", None):
            parser.print_help()
            return 1
        untrap = install_sigterm_handler()
        try:
            return run_cli(lambda: args.func(args), verbose=args.verbose)
        finally:
            if argv is not None:
                untrap()
    finally:
        if argv is not None:  # called in-process (tests): give fd 2 back; a real CLI process keeps it quiet
            restore()


if __name__ == "__main__":
    sys.exit(main())
