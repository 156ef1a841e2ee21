"""Wav2Lip's mel spectrogram in numpy, without librosa at run time.

Numerically equal to the original ``audio.py`` as it ran with librosa 0.7 (the checkpoints' training
setup): pre-emphasis 0.97, centred STFT with REFLECT padding (librosa >= 0.10 pads with zeros by default),
periodic Hann window, Slaney mel filterbank (80 bands, 55-7600 Hz), dB with a -100 dB floor, minus 20 dB
reference, symmetric normalisation clipped to [-4, 4].
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from w2le_live.config import MelConfig

_DEFAULT = MelConfig()


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@lru_cache(maxsize=8)
def mel_basis(cfg: MelConfig = _DEFAULT) -> np.ndarray:
    """Slaney-normalised triangular filterbank, (n_mels, n_fft // 2 + 1) float64."""
    n_bins = cfg.n_fft // 2 + 1
    fft_freqs = np.linspace(0.0, cfg.sample_rate / 2.0, n_bins)
    mel_pts = _mel_to_hz(np.linspace(_hz_to_mel(cfg.fmin), _hz_to_mel(cfg.fmax), cfg.n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_pts[2:] - mel_pts[:-2]))[:, None]
    return weights


@lru_cache(maxsize=8)
def _hann(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)  # periodic (fftbins=True)


def preemphasis(wav: np.ndarray, k: float) -> np.ndarray:
    """y[n] = x[n] - k x[n-1] (scipy.signal.lfilter([1, -k], [1], x)); wav: (N,) float in [-1, 1]."""
    wav = np.asarray(wav, dtype=np.float64)
    out = wav.copy()
    out[1:] -= k * wav[:-1]
    return out


def _frames_to_mel(padded: np.ndarray, n_frames: int, cfg: MelConfig) -> np.ndarray:
    """Magnitude STFT of already-padded, pre-emphasised audio -> normalised mel, (n_mels, n_frames)."""
    idx = np.arange(cfg.n_fft)[None, :] + cfg.hop_length * np.arange(n_frames)[:, None]
    win = np.zeros(cfg.n_fft)
    off = (cfg.n_fft - cfg.win_length) // 2
    win[off : off + cfg.win_length] = _hann(cfg.win_length)
    spec = np.abs(np.fft.rfft(padded[idx] * win, n=cfg.n_fft, axis=1)).T  # (bins, frames)
    mel = mel_basis(cfg) @ spec
    min_level = np.exp(cfg.min_level_db / 20.0 * np.log(10.0))
    db = 20.0 * np.log10(np.maximum(min_level, mel)) - cfg.ref_level_db
    m = cfg.max_abs_value
    norm = (2.0 * m) * ((db - cfg.min_level_db) / (-cfg.min_level_db)) - m
    return np.clip(norm, -m, m).astype(np.float32)


def melspectrogram(wav: np.ndarray, cfg: MelConfig = _DEFAULT) -> np.ndarray:
    """Whole-clip mel spectrogram exactly as Wav2Lip computes it.

    wav: (N,) float32 mono at cfg.sample_rate (16 kHz), in [-1, 1].
    Returns (80, 1 + N // 200) float32 in [-4, 4] (80 frames per second).
    """
    wav = np.asarray(wav, dtype=np.float64).reshape(-1)
    if wav.size == 0:
        raise ValueError("cannot compute a mel spectrogram of empty audio")
    y = preemphasis(wav, cfg.preemphasis)
    pad = cfg.n_fft // 2
    if y.size <= pad:  # numpy's reflect needs more samples than the pad; librosa would refuse too
        y = np.pad(y, (0, pad + 1 - y.size))
    padded = np.pad(y, pad, mode="reflect")
    n_frames = 1 + len(y) // cfg.hop_length
    return _frames_to_mel(padded, n_frames, cfg)


def mel_frames_from_context(segment: np.ndarray, n_frames: int, cfg: MelConfig = _DEFAULT) -> np.ndarray:
    """Mel frames computed from raw audio that already includes the STFT context.

    segment: (1 + n_fft + hop * (n_frames - 1),) float mono in [-1, 1]: ONE sample before the first
    frame's window (for pre-emphasis) followed by the samples the frames' windows cover.
    Returns (80, n_frames) float32 in [-4, 4]; equal to the matching slice of :func:`melspectrogram`
    of the whole clip wherever the whole clip needed no edge padding there.
    """
    y = preemphasis(segment, cfg.preemphasis)[1:]
    return _frames_to_mel(y, n_frames, cfg)
