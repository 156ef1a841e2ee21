"""Events from the loop's threads (and its source) to listeners such as the tray: one sentence each."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Optional

log = logging.getLogger("w2le_live.pipeline")


@dataclass(frozen=True)
class PipelineEvent:
    kind: str  # "error" | "warning" | "info" (a problem went away) | "note" (something asked for is done) | "state"
    message: str


class EventHub:
    """Called from any thread; ``last_error`` is guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[PipelineEvent], None]] = []
        self._last_error: Optional[str] = None

    def add_listener(self, fn: Callable[[PipelineEvent], None]) -> None:
        with self._lock:
            self._listeners.append(fn)

    @property
    def last_error(self) -> Optional[str]:
        with self._lock:
            return self._last_error

    def emit(self, kind: str, message: str, logged: bool = True) -> None:
        """Tell every listener; ``logged`` False for errors re-raised to the caller (printed there once)."""
        with self._lock:
            if kind == "error":
                self._last_error = message
            listeners = list(self._listeners)
        if logged:
            log.log(logging.WARNING if kind in ("error", "warning") else logging.INFO, message)
        for fn in listeners:
            try:
                fn(PipelineEvent(kind, message))
            except Exception:  # noqa: BLE001 - a broken listener must not stop the video
                log.exception("pipeline listener failed")
