"""Typed control messages. Callers (tray, CLI) queue them from any thread; the worker applies them in order
before its next frame, so the translator, controls and source only ever change on the worker thread."""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Optional, Union

from w2le_live.translators.base import Translator


@dataclass(frozen=True)
class SetTarget:
    emotion: str  # checked against the translator serving when it is applied


@dataclass(frozen=True)
class SetIntensity:
    value: float  # already clamped to [0, 1.5]


@dataclass(frozen=True)
class SetBypass:
    on: bool


@dataclass(frozen=True)
class SwapTranslator:
    translator: Translator
    target: Optional[str] = (
        None  # the emotion to produce with it; None or unavailable: keep or pick a default
    )


@dataclass(frozen=True)
class SwitchSource:
    source: object  # a not-yet-started FrameSource


@dataclass(frozen=True)
class Calibrate:
    pass


Command = Union[SetTarget, SetIntensity, SetBypass, SwapTranslator, SwitchSource, Calibrate]


class CommandQueue:
    """Unbounded FIFO of commands: ``put`` from any thread, ``drain`` from the worker."""

    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue()

    def put(self, cmd: Command) -> None:
        self._q.put(cmd)

    def __len__(self) -> int:
        return self._q.qsize()

    def drain(self) -> list[Command]:
        out = []
        while True:
            try:
                out.append(self._q.get_nowait())
            except queue.Empty:
                return out


def target_after_swap(translator: Translator, wanted: Optional[str], current: str) -> str:
    """The target once ``translator`` serves: ``wanted`` when it makes it, else ``current`` when it makes that,
    else its first emotion (a one-emotion checkpoint's destination)."""
    for emotion in (wanted, current):
        if emotion is not None and emotion in translator.emotions:
            return emotion
    return translator.emotions[0] if translator.emotions else current
