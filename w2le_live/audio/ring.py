"""A thread-safe ring of 16 kHz mono PCM with a sample clock anchored to ``time.monotonic()``."""

from __future__ import annotations

import threading

import numpy as np


class AudioRing:
    """Keeps the last ``capacity_s`` seconds of audio, addressable by absolute sample index or time.

    Policy: the first ``push`` anchors sample 0 to its timestamp. Later blocks are appended contiguously
    (device clocks are trusted over jittery callback stamps); when a block's timestamp is more than
    ``gap_tolerance_s`` later than the running clock (an overflow or a device restart), the gap is filled
    with silence; a block stamped earlier than the clock is appended as is (never reordered).
    """

    def __init__(self, capacity_s: float = 10.0, sample_rate: int = 16000, gap_tolerance_s: float = 0.1):
        self.sample_rate = sample_rate
        self.capacity = int(capacity_s * sample_rate)
        self.gap_tolerance = int(gap_tolerance_s * sample_rate)
        self._buf = np.zeros(self.capacity, dtype=np.float32)
        self._end = 0  # absolute index one past the newest sample
        self._t0: float | None = None
        self._lock = threading.Lock()

    @property
    def t0(self) -> float | None:
        """Monotonic time of absolute sample 0 (None before the first push)."""
        return self._t0

    def push(self, pcm: np.ndarray, t_first: float) -> None:
        """Append a block. pcm: (N,) float32 16 kHz mono in [-1, 1]; t_first: monotonic time of its first sample."""
        pcm = np.asarray(pcm, dtype=np.float32).reshape(-1)
        with self._lock:
            if self._t0 is None:
                self._t0 = t_first
            expected = int(round((t_first - self._t0) * self.sample_rate))
            if expected - self._end > self.gap_tolerance:
                self._write(np.zeros(expected - self._end, dtype=np.float32))
            self._write(pcm)

    def _write(self, pcm: np.ndarray) -> None:
        if pcm.size >= self.capacity:
            pcm = pcm[-self.capacity :]
            self._end += 0  # fall through: the whole buffer is rewritten below
        n = pcm.size
        start = self._end % self.capacity
        first = min(n, self.capacity - start)
        self._buf[start : start + first] = pcm[:first]
        self._buf[: n - first] = pcm[first:]
        self._end += n

    @property
    def end_index(self) -> int:
        """Absolute index one past the newest sample."""
        return self._end

    def index_of(self, t: float) -> float:
        """Absolute (fractional) sample index of monotonic time ``t``."""
        if self._t0 is None:
            return 0.0
        return (t - self._t0) * self.sample_rate

    def latest_time(self) -> float | None:
        """Monotonic time just after the newest sample."""
        return None if self._t0 is None else self._t0 + self._end / self.sample_rate

    def read_index(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) as (b - a,) float32; silence where not yet or no longer held."""
        out = np.zeros(max(0, b - a), dtype=np.float32)
        with self._lock:
            lo, hi = max(a, self._end - self.capacity, 0), min(b, self._end)
            if hi > lo:
                idx = np.arange(lo, hi) % self.capacity
                out[lo - a : hi - a] = self._buf[idx]
        return out

    def read(self, t0: float, t1: float) -> np.ndarray:
        """Samples between monotonic times t0 and t1 as float32 (silence where missing)."""
        return self.read_index(int(round(self.index_of(t0))), int(round(self.index_of(t1))))
