"""The loop's time source: ``now()`` and waits, injectable so tests can drive time instead of racing it."""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall time: ``time.monotonic()`` seconds and ``threading.Event`` waits."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait until ``event`` is set or ``timeout`` seconds pass; True when the event is set."""
        return event.wait(max(timeout, 0.0))


class ManualClock(Clock):
    """Time that moves only when :meth:`advance` is called (tests): waits end when their event is set or the
    manual time reaches their deadline, never because the machine is slow. :meth:`settle` waits (in real time)
    until the waiting threads have looked at the current time."""

    def __init__(self, start: float = 1000.0):
        self._t = start
        self._cond = threading.Condition()
        self._gen = 0  # bumped by every advance
        self._seen: dict[int, int] = {}  # waiting thread -> the generation it last checked its deadline at

    def now(self) -> float:
        with self._cond:
            return self._t

    def advance(self, seconds: float) -> None:
        with self._cond:
            self._t += seconds
            self._gen += 1
            self._cond.notify_all()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        me = threading.get_ident()
        with self._cond:
            deadline = self._t + max(timeout, 0.0)
            try:
                while not event.is_set() and self._t < deadline:
                    self._seen[me] = self._gen
                    self._cond.wait(0.005)  # also polls the event (set without notifying this condition)
            finally:
                self._seen.pop(me, None)
            return event.is_set()

    def settled(self) -> int:
        """How many threads are waiting on this clock having seen the latest advance."""
        with self._cond:
            return sum(g == self._gen for g in self._seen.values())

    def settle(self, waiters: int = 1, timeout: float = 30.0) -> None:
        """Return once ``waiters`` threads are waiting on this clock having seen the latest advance."""
        end = time.monotonic() + timeout
        while self.settled() < waiters:
            if time.monotonic() > end:
                raise TimeoutError(f"{waiters} thread(s) did not settle on the manual clock")
            time.sleep(0.002)  # outside the lock: the waiting threads need it to look at the time
