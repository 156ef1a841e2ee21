"""Face crops and masks at the generator's 96x96, and face masks in frame coordinates."""

from __future__ import annotations

import numpy as np

from w2le_live.config import FACE_SIZE
from w2le_live.face.landmarks import FACE_OVAL, LIPS_OUTER, face_width


def crop_affine(box: tuple[int, int, int, int], size: int = FACE_SIZE) -> np.ndarray:
    """2x3 affine mapping frame pixels into the size x size crop of ``box`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    s = size / max(1, x1 - x0)
    return np.array([[s, 0.0, -x0 * s], [0.0, s, -y0 * s]], dtype=np.float64)


def crop_face(
    frame: np.ndarray, box: tuple[int, int, int, int], size: int = FACE_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Crop and resize the square box; parts outside the frame repeat the edge pixels.

    frame: (H, W, 3) uint8 BGR. Returns (crop (size, size, 3) uint8 BGR, affine (2, 3) float64 frame->crop).
    """
    import cv2

    m = crop_affine(box, size)
    crop = cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return crop, m


def landmarks_to_crop(landmarks: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """landmarks: (N, 2+) float32 frame pixels -> (N, 2) float32 crop pixels."""
    return (landmarks[:, :2] @ affine[:, :2].T + affine[:, 2]).astype(np.float32)


def half_mask(size: int = FACE_SIZE) -> np.ndarray:
    """Wav2Lip's prior mask: (size, size) float32, 1 on the lower half (hidden from the generator), 0 above."""
    m = np.zeros((size, size), dtype=np.float32)
    m[size // 2 :] = 1.0
    return m


def _fill_hull(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    import cv2

    m = np.zeros(shape, dtype=np.uint8)
    hull = cv2.convexHull(np.round(pts).astype(np.int32))
    cv2.fillConvexPoly(m, hull, 1)
    return m


def full_mask(landmarks_crop: np.ndarray, size: int = FACE_SIZE) -> np.ndarray:
    """The paper's full mask: (size, size) float32, 1 inside the convex hull of the face oval, 0 outside.

    landmarks_crop: (478, 2) float32 landmarks in crop pixels (see :func:`landmarks_to_crop`).
    """
    return _fill_hull((size, size), landmarks_crop[list(FACE_OVAL), :2]).astype(np.float32)


def face_oval_mask(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """(H, W) uint8 mask, 1 inside the convex hull of the face oval. landmarks: (478, 2+) float32 frame pixels."""
    return _fill_hull(tuple(shape[:2]), landmarks[list(FACE_OVAL), :2])


def mouth_mask(shape: tuple[int, int], landmarks: np.ndarray, grow: float = 0.06) -> np.ndarray:
    """(H, W) uint8 mask, 1 inside the outer lips' convex hull grown by ``grow`` face widths (cheek 234 to 454).
    landmarks: (478, 2+) float32 frame pixels."""
    import cv2

    m = _fill_hull(tuple(shape[:2]), landmarks[list(LIPS_OUTER), :2])
    r = int(round(grow * face_width(landmarks)))
    return cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) if r > 0 else m
