"""The translator that needs no trained weights: a landmark-driven expression warp on the MediaPipe mesh."""

from __future__ import annotations

from typing import Optional

import numpy as np

from w2le_live.config import BlendConfig
from w2le_live.face import landmarks as L
from w2le_live.face.types import FaceObservation
from w2le_live.translators import expressions as E
from w2le_live.translators.base import Controls, Translator


def face_frame(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The face's own axes from landmarks (N, 2+) float32 pixels.

    Returns (origin (2,), x_axis (2,) unit towards image-right eye, up (2,) unit towards the forehead,
    face width in px).
    """
    left = lm[list(L.LEFT_EYE_CORNERS), :2].mean(axis=0)
    right = lm[list(L.RIGHT_EYE_CORNERS), :2].mean(axis=0)
    ex = right - left
    ex = ex / max(np.linalg.norm(ex), 1e-6)
    up = np.array([ex[1], -ex[0]])  # image y grows downwards: rotate +90 deg
    width = L.face_width(lm)
    origin = (left + right) / 2
    return origin, ex, up, max(width, 1.0)


def to_face_coords(lm: np.ndarray) -> np.ndarray:
    """(N, 2+) pixels -> (N, 2) in face widths, rotation- and translation-free (for neutral calibration)."""
    o, ex, up, w = face_frame(lm)
    d = lm[:, :2] - o
    return np.stack([d @ ex, d @ up], axis=1) / w


class LandmarkTranslator(Translator):
    """Moves lip corners, cheeks, lids and brows along per-emotion fields; the inner lips stay the person's.

    ``calibrate()`` (or the first ``calib_frames`` frames with a face) records the person's neutral face; the
    ``neutral`` target pulls the current expression towards it by ``intensity``.
    """

    name = "landmark"
    emotions = ("happy", "sad", "surprised", "angry", "neutral")
    needs_audio = False

    def __init__(self, calib_frames: int = 25, blend: BlendConfig = BlendConfig()):
        self.calib_frames, self.blend = calib_frames, blend
        self.reset()

    def reset(self) -> None:
        self._calib: list[np.ndarray] = []
        self._neutral: Optional[np.ndarray] = None

    def calibrate(self) -> None:
        """Record the neutral face again from the next ``calib_frames`` frames."""
        self.reset()

    @property
    def calibrated(self) -> bool:
        return self._neutral is not None

    def uses_calibration(self, target: str) -> bool:
        return target == "neutral"

    def calibrating(self, target: str) -> bool:
        return self.uses_calibration(target) and not self.calibrated

    def recording_neutral(self) -> Optional[bool]:
        return not self.calibrated

    def _observe(self, lm: np.ndarray) -> None:
        if self._neutral is None:
            self._calib.append(to_face_coords(lm))
            if len(self._calib) >= self.calib_frames:
                self._neutral = np.mean(self._calib, axis=0)

    def control_points(
        self, lm: np.ndarray, target: str, intensity: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Control points for a target. lm: (478, 2+) float32 pixels.

        Returns (points (K, 2) px, displacements (K, 2) px, sigmas (K,) px), all float32.
        """
        o, ex, up, w = face_frame(lm)
        pts, disp, sig = [], [], []
        if target == "neutral":
            if self._neutral is None:
                return (np.zeros((0, 2), np.float32),) * 2 + (np.zeros(0, np.float32),)
            cur = to_face_coords(lm)
            for idx, s in zip(E.NEUTRAL_POINTS, E.NEUTRAL_SIGMAS):
                i = list(idx)
                delta = (self._neutral[i] - cur[i]).mean(axis=0) * w * intensity
                pts.append(lm[i, :2].mean(axis=0))
                disp.append(delta[0] * ex + delta[1] * up)
                sig.append(s * w)
        else:
            for mv in E.FIELDS[target]:
                p = lm[list(mv.landmarks), :2].mean(axis=0)
                side = np.sign((p - o) @ ex) or 1.0  # out = away from the vertical midline
                d = (mv.out * side * ex + mv.up * up) * w * intensity
                pts.append(p)
                disp.append(d)
                sig.append(mv.sigma * w)
        return np.asarray(pts, np.float32), np.asarray(disp, np.float32), np.asarray(sig, np.float32)

    def _render(
        self, frame: np.ndarray, face: FaceObservation, mel: Optional[np.ndarray], controls: Controls
    ) -> np.ndarray:
        """frame: (H, W, 3) uint8 BGR; mel is ignored (lip opening is the person's own)."""
        pts, disp, sig = self.control_points(
            face.landmarks, controls.target, float(min(controls.intensity, 1.5))
        )
        if len(pts) == 0:
            return frame
        from w2le_live.face.blend import face_region_alpha
        from w2le_live.translators.warp import warp_region

        region = face_region_alpha(face, frame.shape, self.blend.feather)  # the same feather as every paste
        if region is None:
            return frame
        box, alpha = region
        return warp_region(frame, pts, disp, sig, box, alpha)
