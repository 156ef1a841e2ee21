"""Data passed from the face tracker to translators, blending and the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FaceObservation:
    """One tracked face in one frame.

    landmarks: (478, 3) float32; x, y in pixels of the full frame (may lie slightly outside it),
        z in MediaPipe's relative depth scaled by the frame width. Temporally smoothed (causal).
    box: square crop box (x0, y0, x1, y1) in integer pixels, chin to brows plus padding like
        Wav2Lip's padded detector box, causally smoothed; may extend beyond the frame (crop pads).
    face_id: stable id of the locked face across frames (same person -> same id).
    n_faces: how many faces MediaPipe saw in this frame (the others are ignored).
    """

    landmarks: np.ndarray
    box: tuple[int, int, int, int]
    face_id: int = 0
    n_faces: int = 1

    @property
    def size(self) -> int:
        """Side of the square crop box in pixels."""
        return self.box[2] - self.box[0]
