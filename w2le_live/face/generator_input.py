"""The generator-input contract, in ONE place: runtime translation, int8 calibration and training all call it.

Wav2Lip's generator sees 6 channels: the pose prior with the region to generate hidden (zeroed), then an
unmasked identity reference. At run time both are the current frame's crop; in training the reference is
another frame of the source clip and the prior comes from the source (half mask) or destination (full mask).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from w2le_live.config import FACE_SIZE
from w2le_live.face.types import FaceObservation

MASK_MODES = ("half", "full")


def prior_mask(mode: str, landmarks_crop: Optional[np.ndarray] = None, size: int = FACE_SIZE) -> np.ndarray:
    """The region the generator must fill: (size, size) float32 in {0, 1}, 1 = hidden.

    mode: ``half`` (Wav2Lip's lower half) or ``full`` (the paper's face-oval hull, needs landmarks).
    landmarks_crop: (478, 2) float32 landmarks in crop pixels (``full`` only).
    """
    from w2le_live.face import masks

    if mode == "half":
        return masks.half_mask(size)
    if mode == "full":
        if landmarks_crop is None:
            raise ValueError("the full prior mask needs the face landmarks in crop coordinates")
        return masks.full_mask(landmarks_crop, size)
    raise ValueError(f"unknown mask mode '{mode}'; choose one of {', '.join(MASK_MODES)}")


def build_generator_input(prior: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Stack the masked prior and the reference as the generator expects.

    prior: (..., 96, 96, 3) uint8 BGR crops giving pose; reference: (..., 96, 96, 3) uint8 BGR identity crops.
    mask: (..., 96, 96) or (96, 96) float32 in [0, 1], 1 where the prior is hidden.
    Returns (..., 6, 96, 96) C-contiguous float32 in [0, 1]: channels 0-2 masked prior, 3-5 reference, BGR.
    """
    scale = np.float32(1.0 / 255.0)
    ref = reference.astype(np.float32) * scale
    pri = prior.astype(np.float32) * scale * (1.0 - mask[..., None])
    stacked = np.concatenate([pri, ref], axis=-1)  # (..., 96, 96, 6)
    return np.ascontiguousarray(np.moveaxis(stacked, -1, -3))  # runtimes read raw, C-ordered buffers


def face_generator_input(
    frame: np.ndarray, face: FaceObservation, mode: str, size: int = FACE_SIZE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop the tracked face and build its generator input, the way the runtime does.

    frame: (H, W, 3) uint8 BGR. Returns (faces (6, 96, 96) float32 in [0, 1], crop (96, 96, 3) uint8 BGR,
    affine (2, 3) float64 frame -> crop).
    """
    from w2le_live.face import masks

    crop, affine = masks.crop_face(frame, face.box, size)
    lm = masks.landmarks_to_crop(face.landmarks, affine) if mode == "full" else None
    return build_generator_input(crop, crop, prior_mask(mode, lm, size)), crop, affine
