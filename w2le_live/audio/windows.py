"""The 80x16 mel window that goes with a video frame, offline and streaming, under a named alignment.

Alignments (start of the 200 ms window relative to the frame time t):
- ``wav2lip``: [t, t + 200 ms] — what the original checkpoints were trained on (future audio);
- ``centered``: [t - 100 ms, t + 100 ms];
- ``causal``: [t - 200 ms, t] — no future audio, lowest latency.
"""

from __future__ import annotations

import numpy as np

from w2le_live.config import FPS, MelConfig

_DEFAULT = MelConfig()
ALIGNMENTS = ("wav2lip", "centered", "causal")


def _offset_frames(alignment: str, cfg: MelConfig) -> int:
    if alignment not in ALIGNMENTS:
        raise ValueError(f"unknown audio alignment '{alignment}'; choose one of {', '.join(ALIGNMENTS)}")
    return {"wav2lip": 0, "centered": -cfg.window_frames // 2, "causal": -cfg.window_frames}[alignment]


def window_start(frame_index: int, fps: float, alignment: str = "wav2lip", cfg: MelConfig = _DEFAULT) -> int:
    """First mel frame of the window for video frame ``frame_index`` (Wav2Lip: int(80 * i / fps))."""
    return int(cfg.mel_fps * (frame_index / fps)) + _offset_frames(alignment, cfg)


def alignment_lookahead_s(alignment: str, cfg: MelConfig = _DEFAULT) -> float:
    """Future audio a window needs beyond the frame time, including the STFT's half-window context."""
    end_frames = _offset_frames(alignment, cfg) + cfg.window_frames - 1  # last mel frame centre
    return max(0.0, end_frames / cfg.mel_fps) + (cfg.n_fft // 2) / cfg.sample_rate


def mel_window_for_frame(
    mel: np.ndarray, frame_index: int, fps: float = FPS, alignment: str = "wav2lip", cfg: MelConfig = _DEFAULT
) -> np.ndarray:
    """The (80, 16) float32 window of a whole-clip mel for one video frame, under ``alignment``.

    mel: (80, T) float32 in [-4, 4] from :func:`w2le_live.audio.mel.melspectrogram`. As Wav2Lip's inference
    does, a window running past the end is clamped to the last 16 mel frames; one starting before 0
    (centered/causal) is clamped to the first 16; a mel shorter than a window is padded with silence (-4).
    Returns a C-contiguous (80, 16) float32 array.
    """
    w = cfg.window_frames
    if mel.shape[1] < w:
        mel = np.pad(mel, ((0, 0), (0, w - mel.shape[1])), constant_values=-cfg.max_abs_value)
    s = min(max(window_start(frame_index, fps, alignment, cfg), 0), mel.shape[1] - w)
    # a contiguous copy: runtimes read raw buffers (ONNX Runtime calibrated garbage from a strided view)
    return np.ascontiguousarray(mel[:, s : s + w], dtype=np.float32)


def frame_mel_windows(
    mel: np.ndarray, n_frames: int, fps: float = FPS, alignment: str = "wav2lip", cfg: MelConfig = _DEFAULT
) -> np.ndarray:
    """Per-frame windows of a whole-clip mel: (n_frames, 80, 16) float32, see :func:`mel_window_for_frame`.

    mel: (80, T) float32 in [-4, 4].
    """
    out = np.empty((n_frames, mel.shape[0], cfg.window_frames), dtype=np.float32)
    for i in range(n_frames):
        out[i] = mel_window_for_frame(mel, i, fps, alignment, cfg)
    return out


def stream_window_samples(start_frame: int, cfg: MelConfig = _DEFAULT) -> tuple[int, int]:
    """Sample range [a, b) (16 kHz indices) whose audio determines mel frames start..start+15.

    Includes the STFT centre context (n_fft/2 each side) and one extra leading sample for pre-emphasis.
    """
    a = start_frame * cfg.hop_length - cfg.n_fft // 2 - 1
    b = (start_frame + cfg.window_frames - 1) * cfg.hop_length + cfg.n_fft // 2
    return a, b


def mel_window_from_samples(segment: np.ndarray, cfg: MelConfig = _DEFAULT) -> np.ndarray:
    """segment: (b - a,) float32 mono 16 kHz from :func:`stream_window_samples` -> (80, 16) float32 in [-4, 4]."""
    from w2le_live.audio.mel import mel_frames_from_context

    return mel_frames_from_context(segment, cfg.window_frames, cfg)


def mel_window_at(ring, t: float, alignment: str = "wav2lip", cfg: MelConfig = _DEFAULT) -> np.ndarray:
    """Streaming: the (80, 16) float32 window for a frame captured at monotonic time ``t``.

    ``ring`` is an :class:`w2le_live.audio.ring.AudioRing`; audio not (yet) in it reads as silence. With all
    the needed samples present, this equals the slice of the whole-stream mel spectrogram.
    """
    start = int(round(ring.index_of(t))) // cfg.hop_length + _offset_frames(alignment, cfg)
    a, b = stream_window_samples(start, cfg)
    return mel_window_from_samples(ring.read_index(a, b), cfg)
