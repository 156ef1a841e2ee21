"""Reuse the latest translated face on a newer camera frame, so a late translator never shows the raw face.

When the worker has not finished a frame in time, the live loop sends the NEWEST camera frame with the last
translated face composited in with the same feathered face mask, shifted by the head's motion between the two
frames (phase correlation of the face region, sub-pixel, ~0.3 ms). Nothing outside the mask changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from w2le_live.config import BlendConfig
from w2le_live.face.types import FaceObservation

PROBE = 64  # side of the grey probe used to measure motion, pixels
MAX_SHIFT = 0.25  # larger measured shifts (in face sizes) are treated as unreliable: no shift


def _probe(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """(PROBE, PROBE) float32 grey of the box region (clipped boxes are fine: cv2.resize of what is inside)."""
    import cv2

    x0, y0, x1, y1 = box
    g = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return cv2.resize(g, (PROBE, PROBE), interpolation=cv2.INTER_AREA).astype(np.float32)


@dataclass
class FacePatch:
    """A translated face cut out of an output frame: its box (clipped to the frame), alpha and pixels."""

    box: tuple[int, int, int, int]
    alpha: np.ndarray  # (h, w) float32 in [0, 1], the feathered face-oval mask
    pixels: np.ndarray  # (h, w, 3) uint8 BGR, translated
    probe: np.ndarray  # (PROBE, PROBE) float32 grey of the SOURCE frame's box (for motion)

    @classmethod
    def cut(
        cls,
        source: np.ndarray,
        translated: np.ndarray,
        face: FaceObservation,
        blend: BlendConfig = BlendConfig(),
    ) -> Optional[FacePatch]:
        """source, translated: (H, W, 3) uint8 BGR, the camera frame and what the translator made of it."""
        from w2le_live.face.blend import face_region_alpha

        region = face_region_alpha(face, source.shape, blend.feather)
        if region is None:
            return None
        box, alpha = region
        x0, y0, x1, y1 = box
        return cls(box, alpha, translated[y0:y1, x0:x1].copy(), _probe(source, box))

    def motion(self, frame: np.ndarray) -> tuple[int, int]:
        """Integer (dx, dy) pixels the face moved from the patch's source frame to ``frame`` (H, W, 3) uint8."""
        import cv2

        (dx, dy), response = cv2.phaseCorrelate(self.probe, _probe(frame, self.box))
        x0, y0, x1, y1 = self.box
        sx, sy = (x1 - x0) / PROBE, (y1 - y0) / PROBE
        dx, dy = dx * sx, dy * sy
        if response < 0.05 or max(abs(dx), abs(dy)) > MAX_SHIFT * max(x1 - x0, y1 - y0):
            return 0, 0
        return int(round(dx)), int(round(dy))

    def paste(self, frame: np.ndarray) -> np.ndarray:
        """A copy of ``frame`` (H, W, 3) uint8 BGR with this face composited in, following the head's motion."""
        import cv2

        dx, dy = self.motion(frame)
        h, w = frame.shape[:2]
        x0, y0, x1, y1 = self.box
        # destination box after the shift, clipped; the matching part of the patch
        X0, Y0, X1, Y1 = max(x0 + dx, 0), max(y0 + dy, 0), min(x1 + dx, w), min(y1 + dy, h)
        out = frame.copy()
        if X1 - X0 < 4 or Y1 - Y0 < 4:
            return out
        px0, py0 = X0 - (x0 + dx), Y0 - (y0 + dy)
        a = np.ascontiguousarray(self.alpha[py0 : py0 + Y1 - Y0, px0 : px0 + X1 - X0])
        p = np.ascontiguousarray(self.pixels[py0 : py0 + Y1 - Y0, px0 : px0 + X1 - X0])
        region = out[Y0:Y1, X0:X1]
        out[Y0:Y1, X0:X1] = cv2.blendLinear(p, np.ascontiguousarray(region), a, 1.0 - a)
        return out
