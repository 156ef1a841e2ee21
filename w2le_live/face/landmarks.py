"""Named MediaPipe FaceMesh (468/478-point) landmark indices, and the face width every size is measured in."""

from __future__ import annotations

import numpy as np

# Face boundary, ordered around the face (forehead top -> right -> chin -> left).
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
CHIN = 152
FOREHEAD = 10
MOUTH_LEFT, MOUTH_RIGHT = 61, 291  # lip corners (subject's right, left in the image: 61 is image-left)
UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
UPPER_LIP_OUTER, LOWER_LIP_OUTER = 0, 17
LIPS_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
LIPS_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
LEFT_EYE_UPPER = (246, 161, 160, 159, 158, 157, 173)  # image-left eye
LEFT_EYE_LOWER = (7, 163, 144, 145, 153, 154, 155)
RIGHT_EYE_UPPER = (466, 388, 387, 386, 385, 384, 398)
RIGHT_EYE_LOWER = (249, 390, 373, 374, 380, 381, 382)
LEFT_EYE_CORNERS = (33, 133)
RIGHT_EYE_CORNERS = (263, 362)
LEFT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)  # outer -> inner
RIGHT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
LEFT_BROW_INNER = (107, 66, 55, 65)
RIGHT_BROW_INNER = (336, 296, 285, 295)
LEFT_CHEEK = (205, 50, 187, 123, 147, 207, 216, 206, 36, 101, 118, 117)
RIGHT_CHEEK = (425, 280, 411, 352, 376, 427, 436, 426, 266, 330, 347, 346)
NOSE_TIP = 1
CHEEKS = (234, 454)  # the face width's ends: image-left and image-right cheek
NOSE_RIDGE = (
    6,
    197,
    195,
    5,
    4,
    45,
    275,
)  # between the eyes to the tip: seldom covered, never moved by an emotion


def face_width(lm: np.ndarray) -> float | np.ndarray:
    """Cheek-to-cheek distance (234-454), the unit of every face-relative size, in the landmarks' own units.

    lm: (478, 2+) float landmarks (frame pixels, crop pixels or a normalised template) -> float; or a stack
    (F, 478, 2+) -> (F,) float array of the same dtype.
    """
    d = lm[..., CHEEKS[0], :2] - lm[..., CHEEKS[1], :2]
    return float(np.linalg.norm(d)) if d.ndim == 1 else np.linalg.norm(d, axis=-1)


def mouth_width(lm: np.ndarray) -> float | np.ndarray:
    """The lip corners' distance (61-291) over the face width: a rounded "oo" narrows it, a smile widens it.

    lm: (478, 2+) float landmarks, any units -> float; or a stack (F, 478, 2+) -> (F,) float array of its dtype.
    """
    w = np.linalg.norm(lm[..., 61, :2] - lm[..., 291, :2], axis=-1) / np.maximum(face_width(lm), 1e-6)
    return float(w) if np.ndim(w) == 0 else w


def head_turn(lm: np.ndarray) -> float | np.ndarray:
    """How far the head is turned from the camera: the nose tip's place along the cheek-to-cheek line (234 -> 454),
    from its middle, in half face widths. 0 facing the camera, +-1 with the nose tip over one cheek's edge (the far
    cheek hidden behind it), beyond that towards a profile; positive towards 454 (image right). The image-plane
    tilt does not count (the tip is read along the cheek line, not the image's x).

    lm: (478, 2+) float landmarks, any units -> float; or a stack (F, 478, 2+) -> (F,) float array (NaN where a
    row is NaN).
    """
    a, b, tip = lm[..., CHEEKS[0], :2], lm[..., CHEEKS[1], :2], lm[..., NOSE_TIP, :2]
    ax = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        t = 2.0 * ((tip - (a + b) / 2) * ax).sum(-1) / (ax * ax).sum(-1)
    return float(t) if np.ndim(t) == 0 else t
