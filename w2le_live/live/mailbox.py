"""The worker -> output hand-off: the newest result, the source it came from and a camera epoch, read together."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

import numpy as np

from w2le_live.face.types import FaceObservation


@dataclass
class Result:
    """What the worker made of one camera frame. Written once by the worker; ``patch`` only by the output."""

    frame: np.ndarray  # (H, W, 3) uint8 BGR, what goes out
    t_capture: float  # clock time the camera frame was captured
    seq: int  # the camera frame's number at its source
    translated: bool
    face: Optional[FaceObservation] = None  # set when a translator was on: the face late ticks may reuse
    source: Optional[np.ndarray] = None  # (H, W, 3) uint8 BGR, the camera frame it came from
    had_face: bool = False
    patch: object = None  # FacePatch cut lazily by the output thread (False: could not be cut)


@dataclass(frozen=True)
class Snapshot:
    """What the output thread reads per tick, consistent: results and captures of the same camera."""

    epoch: int  # bumped on every camera switch
    source: object  # the FrameSource serving this epoch
    result: Optional[Result]


class Mailbox:
    """Latest-wins slot. ``post``/``switch`` are called by the worker only; ``snapshot``/``wait`` by the output."""

    def __init__(self, source) -> None:
        self._lock = threading.Lock()
        self._snap = Snapshot(0, source, None)
        self.fresh = threading.Event()  # set by post, cleared by the output when it takes a tick

    def post(self, result: Result) -> None:
        with self._lock:
            self._snap = Snapshot(self._snap.epoch, self._snap.source, result)
        self.fresh.set()

    def switch(self, source) -> None:
        """A new camera: forget the old one's result; the output resets its own state on the new epoch."""
        with self._lock:
            self._snap = Snapshot(self._snap.epoch + 1, source, None)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snap
