"""``w2le-live tray`` / ``w2le-live-tray``: the live camera with a system-tray menu (or a control window)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

log = logging.getLogger(__name__)


def launch(args: argparse.Namespace, app=None):
    """Build the pipeline and the tray (or the fallback window); returns (app, view). The caller runs app.exec_()."""
    from w2le_live.qt_deps import raise_if_qt_cannot_start
    from w2le_live.qt_env import prepare_qt

    prepare_qt()  # before any QApplication: OpenCV's GUI build would hand Qt its own xcb plugin
    from PyQt5.QtWidgets import QApplication, QSystemTrayIcon

    if app is None and QApplication.instance() is None:
        raise_if_qt_cannot_start()  # a sentence naming the missing packages instead of Qt's abort

    from w2le_live.commands.run import build_pipeline
    from w2le_live.io.sources import CameraSource
    from w2le_live.translators import make_translator

    app = app or QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    pipe, mic = build_pipeline(args)
    kw = dict(
        model_loader=lambda path: make_translator(path, backend=args.backend),
        camera_opener=lambda dev: CameraSource(
            int(dev) if str(dev).isdigit() else dev, args.width, args.height, args.fps
        ),
    )
    if QSystemTrayIcon.isSystemTrayAvailable() and not getattr(args, "window", False):
        from w2le_live.gui.tray import TrayView

        view = TrayView(pipe, app, **kw)
    else:
        from w2le_live.gui.tray import ControlWindow

        log.warning("no system tray is available on this desktop; showing a small control window instead.")
        view = ControlWindow(pipe, app, **kw)
    if mic is not None:
        mic.start()
        app.aboutToQuit.connect(mic.stop)
    view.toggle_running()  # start streaming
    if view.settings.show_preview:
        view.show_preview(True)
    app.aboutToQuit.connect(pipe.stop)
    return app, view


def add_tray_args(p: argparse.ArgumentParser) -> None:
    from w2le_live.commands.run import add_common_args

    add_common_args(p)
    p.add_argument("--window", action="store_true", help="use the control window even where a tray exists")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``w2le-live-tray`` GUI script."""
    from w2le_live.errors import UserError

    p = argparse.ArgumentParser(prog="w2le-live-tray", description="W2LE Live in the system tray")
    add_tray_args(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        app, _view = launch(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return app.exec_()
