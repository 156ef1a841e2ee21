"""``w2le-live tray``: the live camera with a tray menu to switch emotion, intensity and bypass."""

from __future__ import annotations

import argparse


def add_parser(sub, name: str, help_text: str) -> None:
    from w2le_live.cli_args import add_tray_args

    p = sub.add_parser(name, help=help_text, description=help_text)
    add_tray_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from w2le_live.gui.app import launch
    except ImportError:
        from w2le_live.errors import UserError

        raise UserError("the tray needs PyQt5; run: pip install 'w2le-live[gui]'.") from None
    app, _view = launch(args)
    return app.exec_()
