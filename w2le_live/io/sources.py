"""Frame sources for the live loop: a webcam on a capture thread, or a file played in real time.

Every source keeps only its newest frame (latest-wins), stamped with ``time.monotonic()`` at capture, and
reports problems as one-sentence events instead of raising inside its thread.
"""

from __future__ import annotations

import glob
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from w2le_live.errors import DeviceError

log = logging.getLogger(__name__)
EventFn = Callable[[str, str], None]  # (kind, one-sentence message)


@dataclass(frozen=True)
class Captured:
    """One captured frame. frame: (H, W, 3) uint8 BGR; t: monotonic capture time (s); seq: 1, 2, 3, ..."""

    frame: np.ndarray
    t: float
    seq: int


class FrameSource:
    """Base: a thread fills ``_latest``; ``latest()`` returns the newest ``Captured`` (or None yet)."""

    fps: float = 25.0
    finished: bool = False  # a file that played to its end

    def __init__(self) -> None:
        self._latest: Optional[Captured] = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._seq = 0
        self.on_event: EventFn = lambda kind, msg: log.warning(msg)
        self.frames_captured = 0

    def _publish(self, frame: np.ndarray, t: float) -> None:
        with self._lock:
            self._seq += 1
            self._latest = Captured(frame, t, self._seq)
        self.frames_captured += 1

    def latest(self) -> Optional[Captured]:
        with self._lock:
            return self._latest

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        self._release()

    def _run(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _release(self) -> None:
        """Free the device or file; default: nothing."""
        return None

    def describe(self) -> str:
        return type(self).__name__


def list_cameras(max_index: int = 10) -> list[str]:
    """Cameras this machine exposes (Linux: /dev/video* nodes; elsewhere: indices that open)."""
    if sys.platform.startswith("linux"):
        return sorted(glob.glob("/dev/video*"), key=lambda p: int("0" + "".join(c for c in p if c.isdigit())))
    import cv2

    found = []
    for i in range(max_index):
        cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append(str(i))
        cap.release()
    return found


class CameraSource(FrameSource):
    """A webcam through OpenCV on a capture thread that keeps only the newest frame.

    A camera that stops delivering (unplugged, taken by another app) is reported once, retried with backoff,
    and picked up again when it returns. ``opener`` (tests, exotic devices) returns a cv2.VideoCapture-like object.
    """

    def __init__(
        self,
        device: int | str = 0,
        width: int = 640,
        height: int = 480,
        fps: float = 25.0,
        opener: Optional[Callable[[], object]] = None,
        retry_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self._clock = clock  # capture stamps: the live loop's clock (tests inject a manual one)
        self.device, self.width, self.height, self.fps = device, width, height, fps
        self._opener = opener or self._open_cv
        self.retry_s = retry_s
        self._cap = None
        self.lost = False
        self.reconnects = 0

    def _open_cv(self):
        import cv2

        cap = cv2.VideoCapture(self.device)
        if cap.isOpened():
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return cap

    def start(self) -> None:
        cap = self._opener()
        if not getattr(cap, "isOpened", lambda: False)():
            cams = list_cameras()
            have = ", ".join(cams) if cams else "none"
            raise DeviceError(
                f"camera {self.device!r} could not be opened; cameras found: {have} "
                "(pick one with --source, or use --source CLIP.mp4)."
            )
        self._cap = cap
        super().start()

    def _run(self) -> None:
        backoff = self.retry_s
        while not self._stop.is_set():
            ok, frame = (False, None)
            if self._cap is not None:
                try:
                    ok, frame = self._cap.read()
                except Exception:  # noqa: BLE001 - a driver error is a lost camera, not a crash
                    ok = False
            if ok and frame is not None:
                if self.lost:
                    self.lost = False
                    self.reconnects += 1
                    self.on_event("info", f"camera {self.device!r} is back.")
                backoff = self.retry_s
                self._publish(frame, self._clock())
                continue
            if not self.lost:
                self.lost = True
                self.on_event(
                    "error", f"camera {self.device!r} stopped delivering frames; retrying until it returns."
                )
            if self._cap is not None:
                try:
                    self._cap.release()
                except Exception:  # noqa: BLE001
                    pass
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 1.0)  # a returning camera is picked up within a second
            try:
                self._cap = self._opener()
                if not self._cap.isOpened():
                    self._cap = None
            except Exception:  # noqa: BLE001
                self._cap = None

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def describe(self) -> str:
        return f"camera {self.device!r}"


class FileSource(FrameSource):
    """A video file played in real time as if it were a camera (25 fps), its audio pushed to ``audio_ring``.

    With ``loop=True`` it starts over at the end; otherwise ``finished`` becomes True after the last frame.
    """

    def __init__(self, path: str | Path, audio_ring=None, loop: bool = False, fps: float = 25.0, size=None):
        super().__init__()
        from w2le_live.io import video

        self.path = Path(path)
        self.info = video.probe(self.path)  # raises a one-sentence InputFileError for bad files
        self.fps, self.loop, self.size = fps, loop, size
        self.audio_ring = audio_ring
        self._audio = (
            video.read_audio(self.path) if (audio_ring is not None and self.info.has_audio) else None
        )
        self.t_start: Optional[float] = None

    def start(self) -> None:
        self.finished = False  # started again (the tray's Start after the file ended): it plays once more
        super().start()

    def _run(self) -> None:
        import cv2

        from w2le_live.io import video

        period = 1.0 / self.fps
        audio_pos = 0
        t0 = time.monotonic()
        self.t_start = t0
        n = 0
        while not self._stop.is_set():
            for _, _, frame in video.iter_frames(self.path, fps=self.fps):
                due = t0 + n * period
                now = time.monotonic()
                if due > now:
                    self._stop.wait(due - now)
                if self._stop.is_set():
                    return
                if self._audio is not None:  # audio up to the end of this frame, stamped on the same clock
                    end = int(round((n + 1) * period * 16000))
                    if end > audio_pos:
                        idx = np.arange(audio_pos, end) % len(self._audio)  # loops with the video
                        self.audio_ring.push(self._audio[idx], t0 + audio_pos / 16000)
                        audio_pos = end
                if self.size is not None and (frame.shape[1], frame.shape[0]) != tuple(self.size):
                    frame = cv2.resize(frame, tuple(self.size), interpolation=cv2.INTER_AREA)
                self._publish(frame, due)
                n += 1
            if not self.loop:
                break
        self.finished = True

    def describe(self) -> str:
        return f"file {self.path.name}"
