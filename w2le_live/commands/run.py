"""``w2le-live run``: the live virtual camera (webcam + mic in, virtual camera out)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Optional

from w2le_live import validation
from w2le_live.errors import UserError


def add_parser(sub, name: str, help_text: str) -> None:
    from w2le_live.cli_args import add_live_args

    p = sub.add_parser(name, help=help_text, description=help_text)
    add_live_args(p)
    p.add_argument(
        "--duration",
        type=validation.positive_float,
        default=None,
        help="stop after this many seconds of output (to the frame)",
    )
    p.add_argument(
        "--stats-json", type=validation.output_file, default=None, help="write the final stats here as JSON"
    )
    p.add_argument("--quiet", action="store_true", help="no status line")
    p.set_defaults(func=run)


def declared_paths(args: argparse.Namespace) -> dict:
    """What ``run`` writes and reads, for :func:`w2le_live.validation.check_outputs`."""
    sink = args.sink[5:] if args.sink.startswith("file:") and len(args.sink) > 5 else None
    return {
        "files": [("--sink file:", sink), ("--stats-json", args.stats_json)],
        "reads": [
            ("--source", args.source if Path(args.source).is_file() else None),
            ("--model", args.model),
        ],
    }


def build_session(args: argparse.Namespace):
    """A ready (not started) :class:`~w2le_live.session.LiveSession` from the CLI options."""
    from w2le_live.session import LiveOptions, LiveSession

    return LiveSession(LiveOptions.from_namespace(args))


class _Duration:
    """``--duration`` as the length of the output: done once ``round(duration * fps)`` frames went out (a file
    sink drops any frame past that, so a recording is exact), or when the pipeline lags 1 s behind the expected
    end, or 10 s past it when no frame ever came out."""

    def __init__(self, pipe, duration: Optional[float], fps: float):
        self.pipe, self.duration = pipe, duration
        self.frames = None if duration is None else max(1, round(duration * fps))
        if self.frames is not None:
            pipe.sink.limit = self.frames
        self.t_start = time.monotonic()
        self.t_first: Optional[float] = None

    def due(self) -> bool:
        if self.frames is None:
            return False
        sent = self.pipe.sink.frames
        now = time.monotonic()
        if sent and self.t_first is None:
            self.t_first = now
        if sent >= self.frames:
            return True
        late = now - (self.t_first if self.t_first is not None else self.t_start) - self.duration
        return late > (1.0 if self.t_first is not None else 10.0)


def _check_preview_display() -> None:
    """``--sink preview`` without a usable display: one sentence before any work, never Qt's abort (exit 134)."""
    from w2le_live.commands.tray import display_problem

    problem = display_problem()
    if problem:
        raise UserError(
            f"{problem}; --sink preview needs a desktop session, so run it there or use --sink file:out.mp4."
        )
    try:
        import PyQt5.QtWidgets  # noqa: F401
    except ImportError:
        raise UserError(
            "the preview window needs PyQt5; run: pip install 'w2le-live[gui]', or use --sink file:out.mp4."
        ) from None
    from w2le_live.qt_deps import raise_if_qt_cannot_start
    from w2le_live.qt_env import prepare_qt

    prepare_qt()
    raise_if_qt_cannot_start()  # missing xcb libraries: a sentence naming the packages


def _write_json(path: str, data: dict) -> None:
    """Atomic (temp file + rename): a failure never leaves half a file, and a hard link is never written through."""
    from w2le_live.files import write_bytes_atomic

    write_bytes_atomic(path, json.dumps(data, indent=2).encode())


def run(args: argparse.Namespace) -> int:
    validation.check_outputs(**declared_paths(args))  # before any work
    if args.sink == "preview":
        _check_preview_display()
    session = build_session(args)
    pipe = session.pipeline
    stop = threading.Event()

    def _term(signum, frame):  # SIGTERM like Ctrl-C: stop cleanly, finalise files
        stop.set()

    signal.signal(signal.SIGTERM, _term)
    duration = _Duration(pipe, args.duration, args.fps)  # before start: the file sink's frame limit is set
    session.start()
    from w2le_live.io.sinks import PreviewSink
    from w2le_live.personal.first_run import print_hint

    # no profile: one line on teaching your own face, once the stream runs (never before an error)
    print_hint(args)

    if isinstance(pipe.sink, PreviewSink):
        return _run_preview(session, duration)
    try:
        next_status = time.monotonic() + 1.0
        while not stop.is_set():
            stop.wait(0.01 if args.duration is not None else 0.2)
            pipe.raise_if_failed()
            if not args.quiet and time.monotonic() >= next_status:
                next_status += 1.0
                print("\r" + pipe.stats().status_line(), end="", file=sys.stderr, flush=True)
            if duration.due() or pipe.source.finished:
                break
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
        if not args.quiet:
            print(file=sys.stderr)
    pipe.raise_if_failed()
    stats = pipe.stats()
    print(stats.status_line(), file=sys.stderr)
    if args.stats_json:
        _write_json(args.stats_json, asdict(stats))
    return 0


def _run_preview(session, duration: _Duration) -> int:
    """``--sink preview``: a Qt window on the main thread shows the output; closing it stops the stream."""
    from PyQt5.QtCore import QTimer
    from PyQt5.QtWidgets import QApplication

    from w2le_live.gui.preview import make_preview

    pipe = session.pipeline
    app = QApplication.instance() or QApplication(sys.argv[:1])
    win = make_preview(pipe)
    win.resize(640, 480)
    win.show()
    status = QTimer()
    status.timeout.connect(
        lambda: win.setWindowTitle("W2LE Live preview - " + pipe.stats().status_line()[:80])
    )
    status.start(1000)
    ends = QTimer()
    ends.timeout.connect(lambda: app.quit() if duration.due() else None)
    if duration.frames is not None:
        ends.start(10)
    signal.signal(signal.SIGTERM, lambda *a: app.quit())
    try:
        app.exec_()
    finally:
        session.stop()
    print(pipe.stats().status_line(), file=sys.stderr)
    return 0
