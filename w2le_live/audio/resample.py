"""Any sample rate and channel count -> 16 kHz mono float32."""

from __future__ import annotations

from math import gcd

import numpy as np


def to_mono(pcm: np.ndarray) -> np.ndarray:
    """pcm: (N,) or (N, C) (or (C, N) when C < N is small) float/int -> (N,) float32 in [-1, 1]."""
    a = np.asarray(pcm)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    a = a.astype(np.float32, copy=False)
    if a.ndim == 2:
        a = a.mean(axis=1 if a.shape[1] <= a.shape[0] else 0)
    return a.reshape(-1)


def resample(pcm: np.ndarray, sr_in: int, sr_out: int = 16000) -> np.ndarray:
    """Polyphase resampling with the reduced integer ratio.

    pcm: (N,) float32 mono. Returns (round(N * sr_out / sr_in),) float32.
    """
    if sr_in <= 0:
        raise ValueError(f"sample rate must be positive, got {sr_in}")
    if sr_in == sr_out:
        return np.asarray(pcm, dtype=np.float32)
    from scipy.signal import resample_poly

    g = gcd(int(sr_in), int(sr_out))
    return resample_poly(pcm, sr_out // g, sr_in // g).astype(np.float32)


def to_16k_mono(pcm: np.ndarray, sr: int) -> np.ndarray:
    """pcm: (N,) or (N, C) at ``sr`` Hz -> (M,) float32 mono at 16 kHz in [-1, 1]."""
    return resample(to_mono(pcm), sr, 16000)
