"""The ONE handler for exceptions raised inside Qt slots: PyQt5 aborts the whole application (qFatal) when such an
exception reaches its default hook; here it becomes a notification and the tray keeps running."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Callable

log = logging.getLogger(__name__)


def install_slot_guard(notify: Callable[[str], None]) -> Callable[[], None]:
    """Route uncaught exceptions (Qt slots included) to ``notify(one sentence)``; returns the undo.

    UserErrors keep their one sentence; anything else is logged with its traceback and reported as
    "<action> failed (Type: message)". Ctrl-C still goes to the previous hook.
    """
    previous = sys.excepthook

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        from w2le_live.errors import UserError

        if isinstance(exc, UserError):
            text = str(exc)
        else:
            log.error("a tray action failed:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
            text = f"that action failed ({exc_type.__name__}: {exc}); the camera keeps running."
        try:
            notify(text)
        except Exception:  # noqa: BLE001 - the hook itself must never raise (that would abort Qt too)
            log.exception("could not show a notification")

    sys.excepthook = hook

    def undo() -> None:
        if sys.excepthook is hook:
            sys.excepthook = previous

    return undo
