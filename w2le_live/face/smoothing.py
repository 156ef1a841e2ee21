"""Causal smoothing: the One-Euro filter (Casiez, Roussel, Vogel, CHI 2012).

An adaptive low-pass filter: at rest its cut-off is ``min_cutoff`` Hz (jitter removed); as the signal speeds
up the cut-off rises by ``beta`` x speed (lag removed). It uses only past samples, so it works live —
unlike Wav2Lip's mean over the next 5 detections.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Vectorised One-Euro filter over an array of any shape, with explicit timestamps (seconds)."""

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: Optional[np.ndarray] = None
        self._dx: Optional[np.ndarray] = None
        self._t: Optional[float] = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """Filter one sample. x: array of float (any shape), t: seconds; scale: units per 'pixel' of beta
        (pass the face size so behaviour does not depend on resolution). Returns the filtered array (float64)."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t or x.shape != self._x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx) / max(scale, 1e-6)
        a = _alpha(cutoff, dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x.copy()
