"""Waiting for a newer camera frame, and recording every new frame for a while: the ONE loop the worker, the
tracker thread, the tray's "Teach my ..." and ``w2le-live enroll`` share."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterator, Optional

import numpy as np

POLL_S = 0.002  # how often a loop looks for a newer camera frame


def wait_for_newer(latest: Callable[[], object], seq: int, stop: threading.Event, timeout: float):
    """The newest capture whose number differs from ``seq``, from ``latest()`` (a FrameSource.latest), waiting at
    most ``timeout`` seconds; None when none came or ``stop`` was set."""
    end = time.monotonic() + timeout
    while not stop.is_set():
        cap = latest()
        if cap is not None and cap.seq != seq:
            return cap
        if time.monotonic() >= end:
            return None
        stop.wait(POLL_S)
    return None


def record_frames(source, seconds: float, stop: Optional[threading.Event] = None) -> Iterator[np.ndarray]:
    """Every new frame ((H, W, 3) uint8 BGR) a started FrameSource captures during the next ``seconds``
    (latest-wins: frames captured faster than they are taken are skipped)."""
    stop = stop or threading.Event()
    seq, end = 0, time.monotonic() + seconds
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return
        cap = wait_for_newer(source.latest, seq, stop, left)
        if cap is not None:
            seq = cap.seq
            yield cap.frame
