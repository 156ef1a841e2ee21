"""``w2le-live tray``: the live camera with a tray menu to switch emotion, intensity and bypass."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Mapping, Optional

from w2le_live.errors import UserError

HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")


def display_problem(env: Optional[Mapping[str, str]] = None, platform: str = sys.platform) -> Optional[str]:
    """Why Qt would abort for lack of a display (one clause), or None when a display looks usable.

    Qt prints a multi-line message and aborts (exit 134) when it cannot reach a display; this check runs
    first so the user gets one sentence instead.
    """
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None  # Windows and macOS always have a desktop session for a GUI app
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if qpa in HEADLESS_PLATFORMS:
        return None
    wayland = env.get("WAYLAND_DISPLAY")
    if wayland and qpa in ("", "wayland"):
        runtime = env.get("XDG_RUNTIME_DIR", "")
        if Path(wayland).is_absolute() or not runtime or (Path(runtime) / wayland).exists():
            return None
    display = env.get("DISPLAY", "")
    if not display:
        return "no graphical display is available (DISPLAY and WAYLAND_DISPLAY are not set)"
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if host in ("", "unix") and number.isdigit() and not Path(f"/tmp/.X11-unix/X{number}").exists():
        return f"the X display {display} is not running (no /tmp/.X11-unix/X{number})"
    return None


def add_parser(sub, name: str, help_text: str) -> None:
    from w2le_live.cli_args import add_tray_args

    p = sub.add_parser(name, help=help_text, description=help_text)
    add_tray_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        raise UserError(
            f"{problem}; run the tray inside a desktop session, or use: w2le-live run --sink vcam (no window)."
        )
    try:
        from w2le_live.gui.app import launch, with_tray_profile
    except ImportError:
        raise UserError("the tray needs PyQt5; run: pip install 'w2le-live[gui]'.") from None
    from w2le_live.personal.first_run import print_hint

    args = with_tray_profile(args)  # what was taught in the tray is worn on its next start
    print_hint(args, tray=True)  # no profile: one line on teaching your own face
    app, _view = launch(args)
    import signal

    signal.signal(signal.SIGTERM, lambda *a: app.quit())  # stop the Qt loop (and the stream), not raise
    return app.exec_()
