"""Per-frame rendering: warp the chosen bank frame(s) onto the target geometry, match the light, feather in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from w2le_live.face.landmarks import FACE_OVAL, LIPS_OUTER
from w2le_live.personal import warp as W
from w2le_live.personal.bank import EmotionBank
from w2le_live.personal.geometry import Pose
from w2le_live.personal.mesh import triangles

# Emotions whose eyes and brows come from the bank too (the eyeballs stay live).
UPPER_FACE = frozenset({"surprised", "angry", "sad", "fear", "disgusted", "neutral"})


@dataclass(frozen=True)
class RenderConfig:
    """Mask, feather and light matching, in face widths (cheek-to-cheek distance)."""

    step: int = 2  # warp map evaluated every `step` pixels, then upsampled
    feather: float = 0.07  # ramp of the mask border
    light_band: float = 0.22  # near the border the low-frequency light is the live one, inside only the mean
    light_sigma: float = 0.06  # blur of the light correction
    eye_cut: float = 0.10  # lower-face mask starts this far below the lower eyelids
    eye_feather_px: float = 2.0


def _hull_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    import cv2

    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(np.round(pts * 16).astype(np.int32)), 1, cv2.LINE_8, 4)
    return m


def _smooth_ramp(dist: np.ndarray, width: float) -> np.ndarray:
    a = np.clip(dist / max(width, 1e-3), 0.0, 1.0)
    return a * a * (3.0 - 2.0 * a)


def face_mask(grid: W.Grid, target: np.ndarray, pose: Pose, upper: bool, cfg: RenderConfig
              ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Binary region (h, w) uint8 to replace and its distance to the border (h, w) float32 pixels.

    target: (478, 2+) float32 frame pixels. Lower face: the face oval below a line ``eye_cut`` under the
    lower eyelids (in the face's own axes); upper: the whole oval.
    """
    import cv2

    local = target[:, :2] - np.array([grid.x0, grid.y0], np.float32)
    m = _hull_mask((grid.h, grid.w), local[list(FACE_OVAL)])
    if not upper:
        q = pose.to_norm(target)
        y_cut = float(q[[145, 374], 1].mean()) + cfg.eye_cut
        m2 = pose.s * pose.R[:2, :2]
        inv = np.linalg.inv(m2)
        ys, xs = np.mgrid[0 : grid.h, 0 : grid.w].astype(np.float32)
        ny = inv[1, 0] * (xs + grid.x0 - pose.t[0]) + inv[1, 1] * (ys + grid.y0 - pose.t[1])
        m[ny < y_cut] = 0
    dist = cv2.distanceTransform(m, cv2.DIST_L2, 3)
    return m, dist


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    f = 4
    small = cv2.resize(x, (max(1, x.shape[1] // f), max(1, x.shape[0] // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(sigma / f, 0.5))
    return cv2.resize(small, (x.shape[1], x.shape[0]), interpolation=cv2.INTER_LINEAR)


def render(frame: np.ndarray, live: np.ndarray, target: np.ndarray, pose: Pose, bank: EmotionBank,
           choice: Sequence[tuple[int, float]], upper: bool, intensity: float,
           cfg: RenderConfig = RenderConfig()) -> np.ndarray:  # fmt: skip
    """The translated frame.

    frame: (H, W, 3) uint8 BGR. live: (478, 3) float32 live landmarks, frame pixels. target: (478, 3)
    float32 target geometry, frame pixels. choice: [(bank index, weight)], weights summing to 1.
    intensity: 0..1 scales the texture (the caller scaled the offset). Returns a new (H, W, 3) uint8 frame.
    """
    import cv2

    h, w = frame.shape[:2]
    oval = np.concatenate([target[list(FACE_OVAL), :2], live[list(FACE_OVAL), :2]])
    x0, y0 = np.floor(oval.min(0)).astype(int) - 2
    x1, y1 = np.ceil(oval.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return frame
    grid = W.make_grid((x0, y0, x1, y1), cfg.step)
    gx1, gy1 = min(grid.x0 + grid.w, w), min(grid.y0 + grid.h, h)
    rw, rh = gx1 - grid.x0, gy1 - grid.y0
    face_w = float(np.linalg.norm(target[234, :2] - target[454, :2]))
    idx = W.triangle_index(target, grid)

    warped = None
    for j, wt in choice:
        maps = W.upsample(W.coarse_map(idx, W.affines(target, bank.crop_landmarks[j]), grid), grid)
        img = W.remap(bank.crops[j], maps).astype(np.float32)
        warped = img * wt if warped is None else warped + img * wt
    warped = warped[:rh, :rw]
    orig = frame[grid.y0 : gy1, grid.x0 : gx1]
    origf = orig.astype(np.float32)

    mask, dist = face_mask(grid, target, pose, upper, cfg)
    mask, dist = mask[:rh, :rw], dist[:rh, :rw]
    alpha = _smooth_ramp(dist, cfg.feather * face_w) * float(min(max(intensity, 0.0), 1.0))

    # light: weights exclude the mouth (teeth differ by design) and the eyes
    local = target[:, :2] - np.array([grid.x0, grid.y0], np.float32)
    wgt = mask.astype(np.float32)
    wgt[_hull_mask((rh, rw), local[list(LIPS_OUTER)]) > 0] = 0.0
    diff = (origf - warped) * wgt[..., None]
    sig = cfg.light_sigma * face_w
    low = _blur(diff, sig) / np.maximum(_blur(wgt, sig), 1e-3)[..., None]
    n = max(float(wgt.sum()), 1.0)
    mean = diff.reshape(-1, 3).sum(0) / n
    inner = _smooth_ramp(dist, cfg.light_band * face_w)[..., None]
    warped += low * (1.0 - inner) + mean * inner

    if upper:  # the eyeballs stay the live ones, moved with the lids
        tris, _, is_eye = triangles()
        eye = is_eye[np.maximum(idx, 0)] & (idx >= 0)
        if eye.any():
            maps = W.upsample(W.coarse_map(idx, W.affines(target, live), grid), grid)
            live_w = W.remap(frame, maps)[:rh, :rw].astype(np.float32)
            ea = cv2.resize(eye.astype(np.float32), (grid.w, grid.h), interpolation=cv2.INTER_LINEAR)[:rh, :rw]
            ea = cv2.GaussianBlur(ea, (0, 0), cfg.eye_feather_px)[..., None]
            warped = warped * (1.0 - ea) + live_w * ea

    a = alpha[..., None]
    res = np.clip(origf + a * (warped - origf), 0, 255).astype(np.uint8)
    np.copyto(res, orig, where=(alpha <= 0)[..., None])
    out = frame.copy()
    out[grid.y0 : gy1, grid.x0 : gx1] = res
    return out
