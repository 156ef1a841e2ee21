"""The Wav2Lip-Emotion translator: crop + mask -> generator backend -> feathered paste-back."""

from __future__ import annotations

import logging
from typing import Optional

import numpy as np

from w2le_live.config import FACE_SIZE, BlendConfig
from w2le_live.face.types import FaceObservation
from w2le_live.translators.base import Controls, Translator

log = logging.getLogger(__name__)
LIPSYNC = "lipsync"  # what a checkpoint without a destination emotion (original Wav2Lip) produces


class NeuralTranslator(Translator):
    """A trained Wav2Lip-Emotion generator (one source -> destination emotion pair per checkpoint)."""

    name = "neural"
    needs_audio = True

    def __init__(
        self,
        model_path: str,
        *,
        backend: str = "auto",
        mask: Optional[str] = None,
        blend: BlendConfig = BlendConfig(),
    ):
        from w2le_live.backends.select import open_backend
        from w2le_live.models.checkpoint import read_meta

        self.model_path = str(model_path)
        self.meta = read_meta(self.model_path)
        self.mask_mode = mask or self.meta.mask_mode
        self.backend = open_backend(self.model_path, backend=backend)
        self.blend = blend
        target = self.meta.target_emotion or LIPSYNC
        self.emotions = (target,)
        self.alignment = self.meta.alignment

    def serving_label(self, target: str) -> str:
        src = self.meta.source_emotion or "any"
        what = "lip-sync" if self.emotions[0] == LIPSYNC else f"{src}->{self.emotions[0]}"
        return f"neural {what} {self.backend.name} {self.backend.precision}"

    def describe(self) -> str:
        if self.emotions[0] == LIPSYNC:
            what = "lip-sync re-render, no emotion change (an original Wav2Lip checkpoint)"
        else:
            what = f"{self.meta.source_emotion or 'any'}->{self.emotions[0]}"
        return f"neural {what} ({self.mask_mode} mask) on {self.backend.describe()}"

    def _render(
        self, frame: np.ndarray, face: FaceObservation, mel: Optional[np.ndarray], controls: Controls
    ) -> np.ndarray:
        """Re-render the face with the generator.

        frame: (H, W, 3) uint8 BGR. mel: (80, 16) float32 in [-4, 4], or None (silence is used).
        """
        from w2le_live.face import blend, masks
        from w2le_live.face.generator_input import face_generator_input

        faces = face_generator_input(frame, face, self.mask_mode, FACE_SIZE)[0][None]
        if mel is None:
            mel = np.full((80, 16), -4.0, dtype=np.float32)  # the normalised mel of silence
        out = self.backend.run(faces, np.ascontiguousarray(mel[None, None], dtype=np.float32))[0]
        generated = np.clip(out.transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        paste_mask = masks.face_oval_mask(frame.shape[:2], face.landmarks)
        k = min(controls.intensity, 1.0)
        # below full intensity (a slider, the live fade) the generated mouth is whole or absent, never a second mouth
        whole = masks.mouth_mask(frame.shape[:2], face.landmarks) if k < 1.0 else None
        return blend.paste_back(
            frame,
            generated,
            face.box,
            paste_mask,
            intensity=k,
            color_match=self.blend.color_match,
            feather_frac=self.blend.feather,
            whole=whole,
        )
