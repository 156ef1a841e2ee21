"""What reaches the tray's Qt thread from other threads, as types (never matched by message text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from w2le_live.translators.base import Translator


@dataclass(frozen=True)
class _Said:
    message: str  # one sentence


class Problem(_Said):
    """Something failed; shown as a warning notification and a red icon."""


class ActionFailed(_Said):
    """A menu action raised (caught by the slot guard); shown as a notification, the state is unchanged."""


class Note(_Said):
    """Information (e.g. teaching was cancelled); an information notification, the state is unchanged."""


class Recovered(_Said):
    """The pipeline reported that a problem went away (e.g. the camera is back)."""


@dataclass(frozen=True)
class TranslatorReady:
    """A translator built off the Qt thread, to swap in. ``target``: the emotion to produce with it."""

    translator: Translator
    model: Optional[str]  # the checkpoint it came from (None: the default kind)
    target: Optional[str] = None
    announce: str = ""  # the notification to show once it serves ("" : "Model loaded" + its description)


def from_pipeline(kind: str, message: str):
    """The tray event for a pipeline event (None: nothing to show)."""
    if kind == "error":
        return Problem(message)
    if kind == "info":
        return Recovered(message)
    if kind == "note":
        return Note(message)
    return None
