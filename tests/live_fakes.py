"""Test doubles for the live loop that make time a test input: a clip that moves one frame when the test says,
a camera whose frames are handed out by the test, and a wait that polls a condition (never a fixed sleep)."""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

import numpy as np

from w2le_live.io.sources import FrameSource
from w2le_live.live.clock import ManualClock

PERIOD = 1 / 25


def wait_until(cond: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``cond`` until true; the generous real-time timeout only catches a hung loop."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


class SteppedClip(FrameSource):
    """Frames (H, W, 3) uint8 BGR published one per :meth:`push`, stamped with the manual clock after advancing
    it one period; audio (16 kHz float32) up to the end of each frame goes into ``ring`` first, as FileSource
    does. No thread: the test is the camera."""

    def __init__(self, frames: list[np.ndarray], clock: ManualClock, audio=None, ring=None):
        super().__init__()
        self.frames, self.clock, self.audio, self.ring = frames, clock, audio, ring
        self.n, self.t0 = 0, None
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def push(self, advance: float = PERIOD) -> None:
        self.clock.advance(advance)
        t = self.clock.now()
        if self.t0 is None:
            self.t0 = t
        if self.audio is not None:
            a, b = round(self.n * PERIOD * 16000), round((self.n + 1) * PERIOD * 16000)
            self.ring.push(self.audio[a:b], self.t0 + a / 16000)
        self._publish(self.frames[self.n], t)
        self.n += 1
        if self.n == len(self.frames):
            self.finished = True


def play(pipe, src: SteppedClip, count: Optional[int] = None) -> None:
    """Push ``count`` (all remaining) frames, each only once the output has sent the previous one."""
    for _ in range(len(src.frames) - src.n if count is None else count):
        out = pipe.stats().frames_out
        src.push()
        wait_until(lambda n=out: pipe.stats().frames_out > n, what=f"frame {src.n} to go out")


class Gate:
    """Drives :class:`GatedCapture`: ``feed()`` lets one frame be read; ``plugged`` cleared = unplugged."""

    def __init__(self, frames: list[np.ndarray]):
        self.frames, self.n = frames, 0
        self.plugged, self.halt = threading.Event(), threading.Event()
        self.plugged.set()
        self.tokens = threading.Semaphore(0)

    def feed(self) -> None:
        self.tokens.release()


class GatedCapture:
    """A cv2.VideoCapture-like camera for CameraSource: read() returns the next frame once the test fed one,
    fails while unplugged, and returns when halted (so the capture thread can stop)."""

    def __init__(self, gate: Gate):
        self.gate = gate

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.gate.plugged.is_set()

    def read(self):
        g = self.gate
        while g.plugged.is_set() and not g.halt.is_set():
            if g.tokens.acquire(timeout=0.01):
                frame = g.frames[g.n % len(g.frames)]
                g.n += 1
                return True, frame
        return False, None

    def release(self):
        pass
