"""The one place that picks defaults: frozen config dataclasses and the audio/video constants.

Wav2Lip's audio front-end (hparams.py of the original) is fixed here; checkpoints carry a copy so a
model trained with other values is refused or honoured, never silently mis-fed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

# Video
FPS = 25  # Wav2Lip and Wav2Lip-Emotion are trained at 25 fps
FACE_SIZE = 96  # generator input/output side, pixels

# Emotions in a fixed, documented order (MEAD's eight): the one list translators, profiles and the CLI use.
EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "disgusted", "fear", "contempt")
# Inference backends the user can name (``auto`` picks by file suffix and what is installed).
BACKENDS = ("auto", "torch", "onnxruntime", "openvino", "tensorrt")

MaskMode = Literal["half", "full"]
Alignment = Literal["wav2lip", "centered", "causal"]


@dataclass(frozen=True)
class MelConfig:
    """Wav2Lip's mel spectrogram parameters (audio.py / hparams.py of the original)."""

    sample_rate: int = 16000
    n_fft: int = 800
    hop_length: int = 200  # 12.5 ms -> 80 mel frames per second
    win_length: int = 800
    n_mels: int = 80
    fmin: float = 55.0
    fmax: float = 7600.0
    preemphasis: float = 0.97
    min_level_db: float = -100.0
    ref_level_db: float = 20.0
    max_abs_value: float = 4.0  # symmetric normalisation into [-4, 4]
    window_frames: int = 16  # mel frames per generator input = 200 ms

    @property
    def mel_fps(self) -> float:
        """Mel frames per second (80 for the defaults)."""
        return self.sample_rate / self.hop_length

    @property
    def window_seconds(self) -> float:
        """Duration covered by one generator mel window (0.2 s for the defaults)."""
        return self.window_frames / self.mel_fps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BlendConfig:
    """How a generated face is put back into the frame."""

    feather: float = 0.12  # feather width as a fraction of the crop side
    color_match: bool = True  # match mean/std of the generated crop to the original inside the mask
    intensity: float = 1.0  # 0 = original face, 1 = fully generated


@dataclass(frozen=True)
class TrackerConfig:
    """MediaPipe FaceMesh tracking and crop-box smoothing."""

    max_faces: int = 4
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    pad_top: float = 0.10  # crop padding as fractions of the landmark box height/width
    pad_bottom: float = 0.10
    pad_side: float = 0.10
    # One-Euro filters (speed measured in face sizes per second, so resolution does not matter)
    box_min_cutoff: float = 1.0  # crop box: Hz at rest (lower = steadier)
    box_beta: float = 4.0  # crop box: cut-off rise per face-size/s of motion (higher = less lag)
    landmark_min_cutoff: float = 6.0  # landmarks keep speech-rate lip motion (~2-8 Hz)
    landmark_beta: float = 8.0
    edge_cut_limit: float = 0.25  # box fraction outside the frame beyond which the face is passed through
    lost_frames_before_reacquire: int = 10
