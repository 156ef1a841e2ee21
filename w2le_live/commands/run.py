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


def add_parser(sub, name: str, help_text: str) -> None:
    from w2le_live.cli_args import add_live_args

    p = sub.add_parser(name, help=help_text, description=help_text)
    add_live_args(p)
    p.add_argument("--duration", type=validation.positive_float, default=None, help="stop after this many seconds")
    p.add_argument("--stats-json", type=validation.output_file, default=None, help="write the final stats here as JSON")
    p.add_argument("--quiet", action="store_true", help="no status line")
    p.set_defaults(func=run)


def build_session(args: argparse.Namespace):
    """A ready (not started) :class:`~w2le_live.session.LiveSession` from the CLI options."""
    from w2le_live.session import LiveOptions, LiveSession

    return LiveSession(LiveOptions.from_namespace(args))


def run(args: argparse.Namespace) -> int:
    if args.stats_json:
        validation.check_output_path(args.stats_json, inputs=[args.source], option="--stats-json")
    session = build_session(args)
    from w2le_live.personal.first_run import print_hint

    print_hint(args)  # no profile: one line on teaching your own face
    pipe = session.pipeline
    stop = threading.Event()

    def _term(signum, frame):  # SIGTERM like Ctrl-C: stop cleanly, finalise files
        stop.set()

    signal.signal(signal.SIGTERM, _term)
    session.start()
    from w2le_live.io.sinks import PreviewSink

    if isinstance(pipe.sink, PreviewSink):
        return _run_preview(session, args)
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
        session.stop()
        if not args.quiet:
            print(file=sys.stderr)
    pipe.raise_if_failed()
    stats = pipe.stats()
    print(stats.status_line(), file=sys.stderr)
    if args.stats_json:
        Path(args.stats_json).write_text(json.dumps(asdict(stats), indent=2))
    return 0


def _run_preview(session, args: argparse.Namespace) -> int:
    """``--sink preview``: a Qt window on the main thread shows the output; closing it stops the stream."""
    try:
        from PyQt5.QtCore import QTimer
        from PyQt5.QtWidgets import QApplication
    except ImportError:
        session.stop()
        raise UserError(
            "the preview window needs PyQt5; run: pip install 'w2le-live[gui]', or use --sink file:out.mp4."
        ) from None
    from w2le_live.gui.preview import make_preview
    from w2le_live.qt_env import prepare_qt

    pipe = session.pipeline
    prepare_qt()
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
        session.stop()
    print(pipe.stats().status_line(), file=sys.stderr)
    return 0
