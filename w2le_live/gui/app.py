"""``w2le-live tray`` / ``w2le-live-tray``: the live camera with a system-tray menu (or a control window)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

log = logging.getLogger(__name__)


def launch(args: argparse.Namespace, app=None):
    """Build the live session and the tray (or the fallback window); returns (app, view). The caller runs
    app.exec_(); quitting stops the session (video, microphone, virtual microphone) once."""
    from w2le_live.qt_deps import raise_if_qt_cannot_start
    from w2le_live.qt_env import prepare_qt

    prepare_qt()  # before any QApplication: OpenCV's GUI build would hand Qt its own xcb plugin
    from PyQt5.QtWidgets import QApplication, QSystemTrayIcon

    if app is None and QApplication.instance() is None:
        raise_if_qt_cannot_start()  # a sentence naming the missing packages instead of Qt's abort

    from w2le_live.gui.events import ActionFailed
    from w2le_live.gui.guard import install_slot_guard
    from w2le_live.session import LiveOptions, LiveSession

    args = with_tray_profile(args)
    app = app or QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    session = LiveSession(LiveOptions.from_namespace(args))
    if QSystemTrayIcon.isSystemTrayAvailable() and not getattr(args, "window", False):
        from w2le_live.gui.tray import TrayView

        view = TrayView(session, app)
    else:
        from w2le_live.gui.tray import ControlWindow

        log.warning("no system tray is available on this desktop; showing a small control window instead.")
        view = ControlWindow(session, app)
    c = view.controller
    undo_guard = install_slot_guard(lambda text: c.post(ActionFailed(text)))  # no slot exception aborts Qt
    c.toggle_running()  # start streaming (and the microphone)
    if c.settings.show_preview:
        c.show_preview(True)
    app.aboutToQuit.connect(session.stop)
    app.aboutToQuit.connect(undo_guard)
    from w2le_live.gui.tray import ControlWindow
    from w2le_live.personal.first_run import tray_offer

    # first start without a profile: offer teaching, once, naming where the view shows "Teach my emotion"
    offer = tray_offer(session.options.profile, window=isinstance(view, ControlWindow))
    if offer:
        c.notify("Teach W2LE Live your face", offer)
    return app, view


def with_tray_profile(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with ``--profile`` set to the tray's own profile (the one "Teach my ..." writes, "me") when none is
    given, it holds an emotion and the options would use it (no --model, translator auto or personal): what was
    taught in the tray is worn on its next start."""
    from w2le_live.gui.teach import DEFAULT_PROFILE
    from w2le_live.personal.profiles import readable_emotions

    if getattr(args, "profile", None) or getattr(args, "model", None):
        return args
    if (getattr(args, "translator", None) or "auto") not in ("auto", "personal") or not readable_emotions(
        DEFAULT_PROFILE
    ):
        return args
    return argparse.Namespace(**{**vars(args), "profile": DEFAULT_PROFILE})


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``w2le-live-tray`` GUI script: the same as ``w2le-live tray`` (one CLI boundary: quiet
    native logs, the display check before Qt starts, one-sentence errors)."""
    from w2le_live.cli import main as cli_main

    return cli_main(["tray", *(sys.argv[1:] if argv is None else argv)])
