"""A smooth warp of the face region from sparse control-point displacements.

The dense displacement field is a sum of Gaussian bumps (one per control point), evaluated on a coarse grid,
upsampled, tapered to zero at the face border by the feathered face mask, and applied with ``cv2.remap``
over the face box only. Pixels outside the mask are copied, bit-identical.
"""

from __future__ import annotations

import numpy as np

GRID_STEP = 4  # evaluate the field every 4 px, then upsample (smooth fields lose nothing)


def displacement_field(
    points: np.ndarray, disp: np.ndarray, sigmas: np.ndarray, x0: int, y0: int, w: int, h: int
) -> np.ndarray:
    """Dense field over the region [x0, x0 + w) x [y0, y0 + h).

    points: (K, 2) float32 frame pixels; disp: (K, 2) float32 pixels; sigmas: (K,) float32 pixels.
    Returns (h, w, 2) float32 displacement in pixels.
    """
    import cv2

    gw, gh = max(2, w // GRID_STEP + 1), max(2, h // GRID_STEP + 1)
    gx = x0 + np.linspace(0, w - 1, gw, dtype=np.float32)
    gy = y0 + np.linspace(0, h - 1, gh, dtype=np.float32)
    dx2 = (gx[None, :] - points[:, 0:1]) ** 2  # (K, gw)
    dy2 = (gy[None, :] - points[:, 1:2]) ** 2  # (K, gh)
    inv = (-0.5 / np.maximum(sigmas, 1e-3) ** 2)[:, None]
    wx, wy = np.exp(dx2 * inv), np.exp(dy2 * inv)  # separable Gaussian
    fx = np.einsum("ky,kx,k->yx", wy, wx, disp[:, 0])
    fy = np.einsum("ky,kx,k->yx", wy, wx, disp[:, 1])
    field = np.stack([fx, fy], axis=-1).astype(np.float32)
    return cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)


def warp_region(
    frame: np.ndarray,
    points: np.ndarray,
    disp: np.ndarray,
    sigmas: np.ndarray,
    box: tuple[int, int, int, int],
    alpha: np.ndarray,
) -> np.ndarray:
    """Warp a copy of ``frame`` inside ``box``.

    frame: (H, W, 3) uint8 BGR. points/disp/sigmas: see :func:`displacement_field`. box: (x0, y0, x1, y1)
    region to warp (clipped to the frame). alpha: (y1 - y0, x1 - x0) float32 in [0, 1] for the clipped box,
    the feathered face mask: the field is scaled by it and the result composited with it.
    Returns (H, W, 3) uint8 BGR; pixels where alpha is 0 are identical to ``frame``.
    """
    import cv2

    out = frame.copy()
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w < 4 or h < 4:
        return out
    field = displacement_field(points, disp, sigmas, x0, y0, w, h) * alpha[..., None]
    xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    warped = cv2.remap(
        frame, xs - field[..., 0], ys - field[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    orig = frame[y0:y1, x0:x1]
    np.copyto(warped, orig, where=(alpha <= 0)[..., None])  # bit-exact outside the mask
    out[y0:y1, x0:x1] = warped
    return out
