"""Per-frame rendering: warp the chosen bank frame(s) onto the target geometry, match the light, feather in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from w2le_live.face.landmarks import FACE_OVAL, LIPS_OUTER
from w2le_live.personal import warp as W
from w2le_live.personal.bank import EmotionBank
from w2le_live.personal.geometry import Pose
from w2le_live.personal.mesh import triangles

# Emotions whose eyes and brows come from the bank too (the eyeballs stay live).
UPPER_FACE = frozenset({"surprised", "angry", "sad", "fear", "disgusted", "neutral"})
# Emotions whose eyelid offset is applied (widened, narrowed, drooping) and whose eyes come from the bank as well.
BANK_EYES = UPPER_FACE


@dataclass(frozen=True)
class RenderConfig:
    """Mask, feather and light matching, in face widths (cheek-to-cheek distance)."""

    step: int = 3  # warp map evaluated every `step` pixels, then upsampled (2 and 3 measure the same lip sync)
    feather: float = 0.07  # ramp of the mask border
    light_band: float = 0.22  # near the border the low-frequency light is the live one, inside only the mean
    light_sigma: float = 0.06  # blur of the light correction
    eye_cut: float = 0.10  # lower-face mask starts this far below the lower eyelids
    eye_feather_px: float = 2.0
    split_start: float = 0.04  # upper/lower bank frames: the lower one takes over from here below the eyelids
    split_width: float = 0.12  # over this much (face widths)


def _hull_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    import cv2

    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(np.round(pts * 16).astype(np.int32)), 1, cv2.LINE_8, 4)
    return m


def _smooth_ramp(dist: np.ndarray, width: float) -> np.ndarray:
    """Smoothstep of dist / width: (h, w) float32 in [0, 1]."""
    a = dist * np.float32(1.0 / max(width, 1e-3))
    np.clip(a, 0.0, 1.0, out=a)
    b = np.float32(3.0) - 2.0 * a
    a *= a
    a *= b
    return a


def face_mask(rect: tuple[int, int, int, int], target: np.ndarray, pose: Pose, upper: bool,
              cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """Binary region (h, w) uint8 of the frame rect (x0, y0, x1, y1) to replace.

    target: (478, 2+) float32 frame pixels. Lower face: the face oval below a line ``eye_cut`` under the
    lower eyelids (in the face's own axes); upper: the whole oval.
    """
    x0, y0, x1, y1 = rect
    local = target[:, :2] - np.array([x0, y0], np.float32)
    m = _hull_mask((y1 - y0, x1 - x0), local[list(FACE_OVAL)])
    if not upper:
        q = pose.to_norm(target)
        y_cut = float(q[[145, 374], 1].mean()) + cfg.eye_cut
        m[_norm_y(pose, x0, y0, x1 - x0, y1 - y0) < y_cut] = 0
    return m


def _norm_y(pose: Pose, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """(h, w) float32: the face's own normalised y (face widths, down) of each pixel of a frame rect (in-plane)."""
    m2 = pose.s * pose.R[:2, :2]
    inv = np.array([[m2[1, 1], -m2[0, 1]], [-m2[1, 0], m2[0, 0]]]) / (m2[0, 0] * m2[1, 1] - m2[0, 1] * m2[1, 0])
    xs = np.arange(x0, x0 + w, dtype=np.float32)[None, :] - np.float32(pose.t[0])
    ys = np.arange(y0, y0 + h, dtype=np.float32)[:, None] - np.float32(pose.t[1])
    return np.float32(inv[1, 0]) * xs + np.float32(inv[1, 1]) * ys


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    f = 4
    small = cv2.resize(x, (max(1, x.shape[1] // f), max(1, x.shape[0] // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(sigma / f, 0.5))
    return cv2.resize(small, (x.shape[1], x.shape[0]), interpolation=cv2.INTER_LINEAR)


def render(frame: np.ndarray, live: np.ndarray, target: np.ndarray, pose: Pose, bank: EmotionBank,
           choice: Sequence[tuple[int, float]], upper: bool, intensity: float,
           cfg: RenderConfig = RenderConfig(), live_eyes: bool = True,
           upper_choice: Optional[Sequence[tuple[int, float]]] = None) -> np.ndarray:  # fmt: skip
    """The translated frame.

    frame: (H, W, 3) uint8 BGR. live: (478, 3) float32 live landmarks, frame pixels. target: (478, 3)
    float32 target geometry, frame pixels. choice: [(bank index, weight)], weights summing to 1.
    upper: replace eyes and brows too, from ``upper_choice`` (default: ``choice``) blended into the lower face's
    frames across the cheeks; live_eyes: then keep the live eyeballs (moved with the lids).
    intensity: 0..1 scales the texture (the caller scaled the offset). Returns a new (H, W, 3) uint8 frame.
    """
    import cv2

    h, w = frame.shape[:2]
    oval = target[list(FACE_OVAL), :2]
    x0, y0 = np.floor(oval.min(0)).astype(int) - 1
    x1, y1 = np.ceil(oval.max(0)).astype(int) + 1 + cfg.step
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return frame
    mask = face_mask((x0, y0, x1, y1), target, pose, upper, cfg)
    ys, xs = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    if len(ys) < 8 or len(xs) < 8:
        return frame
    grid = W.make_grid((x0 + xs[0], y0 + ys[0], x0 + xs[-1] + 1, y0 + ys[-1] + 1), cfg.step)
    gx1, gy1 = min(grid.x0 + grid.w, w), min(grid.y0 + grid.h, h)
    rw, rh = gx1 - grid.x0, gy1 - grid.y0
    mask = mask[grid.y0 - y0 : gy1 - y0, grid.x0 - x0 : gx1 - x0]
    face_w = float(np.linalg.norm(target[234, :2] - target[454, :2]))
    idx = W.triangle_index(target, grid)

    k = grid.step

    def warp_bank(ch: Sequence[tuple[int, float]], r0: int = 0, r1: int = rh) -> np.ndarray:
        """The bank frame(s) warped onto rows [r0, r1) of the region (other rows left black)."""
        g0, g1 = r0 // k, -(-r1 // k)
        sub = W.Grid(grid.x0, grid.y0 + g0 * k, grid.w, (g1 - g0) * k, k)
        a0, a1 = g0 * k, min(g1 * k, rh)
        acc = None
        for j, wt in ch:
            mx, my = W.upsample(W.coarse_map(idx[g0:g1], W.affines(target, bank.crop_landmarks[j]), sub), sub)
            img = W.remap(bank.crops[j], (mx[: a1 - a0, :rw], my[: a1 - a0, :rw]))
            acc = img if acc is None else cv2.addWeighted(acc, 1.0 - wt, img, wt, 0.0)
        if a0 == 0 and a1 == rh:
            return acc
        full = np.zeros((rh, rw, 3), np.uint8)
        full[a0:a1] = acc
        return full

    if upper and upper_choice is not None and list(upper_choice) != list(choice):
        ny = _norm_y(pose, grid.x0, grid.y0, rw, rh)
        q = pose.to_norm(target)
        y0n = float(q[[145, 374], 1].mean())
        lower_w = _smooth_ramp(ny - np.float32(y0n + cfg.split_start), cfg.split_width)
        lo_rows = np.flatnonzero((lower_w > 0).any(1))
        up_rows = np.flatnonzero((lower_w < 1).any(1))
        if len(lo_rows) == 0 or len(up_rows) == 0:
            warped = warp_bank(upper_choice if len(lo_rows) == 0 else choice)
        else:
            warped = cv2.blendLinear(warp_bank(choice, int(lo_rows[0]), int(lo_rows[-1]) + 1),
                                     warp_bank(upper_choice, int(up_rows[0]), int(up_rows[-1]) + 1),
                                     lower_w, 1.0 - lower_w)  # fmt: skip
    else:
        warped = warp_bank(choice)
    orig = frame[grid.y0 : gy1, grid.x0 : gx1]
    dist = cv2.distanceTransform(mask, cv2.DIST_L2, 3)

    if upper and live_eyes:  # the eyeballs stay the live ones, moved with the lids
        _, _, is_eye = triangles()
        eye = is_eye[np.maximum(idx, 0)] & (idx >= 0)
        if eye.any():
            maps = W.upsample(W.coarse_map(idx, W.affines(target, live), grid), grid)
            live_w = W.remap(frame, (maps[0][:rh, :rw], maps[1][:rh, :rw]))
            ea = cv2.resize(eye.astype(np.float32), (grid.w, grid.h), interpolation=cv2.INTER_LINEAR)[:rh, :rw]
            ea = cv2.GaussianBlur(ea, (0, 0), cfg.eye_feather_px)
            warped = cv2.blendLinear(live_w, warped, ea, 1.0 - ea)
    else:
        ea = None

    # light: the live frame's low frequencies near the border, its mean inside; not from the mouth or eyeballs
    local = target[:, :2] - np.array([grid.x0, grid.y0], np.float32)
    wgt = mask.astype(np.float32)
    wgt[_hull_mask((rh, rw), local[list(LIPS_OUTER)]) > 0] = 0.0
    if ea is not None:
        wgt *= 1.0 - np.minimum(ea * 4.0, 1.0)
    f = 4
    sw, sh = max(1, rw // f), max(1, rh // f)
    down = cv2.INTER_AREA
    o_s = cv2.resize(orig, (sw, sh), interpolation=down).astype(np.float32)
    w_s = cv2.resize(warped, (sw, sh), interpolation=down).astype(np.float32)
    g_s = cv2.resize(wgt, (sw, sh), interpolation=down)
    d_s = (o_s - w_s) * g_s[..., None]
    mean = d_s.reshape(-1, 3).sum(0) / max(float(g_s.sum()), 1e-3)
    sig = max(cfg.light_sigma * face_w / f, 0.5)
    low = cv2.GaussianBlur(d_s, (0, 0), sig) / np.maximum(cv2.GaussianBlur(g_s, (0, 0), sig), 1e-3)[..., None]
    inner = _smooth_ramp(cv2.resize(dist, (sw, sh), interpolation=down), cfg.light_band * face_w)
    corr_s = (low - mean) * (1.0 - inner)[..., None] + mean
    corr = cv2.resize(corr_s, (rw, rh), interpolation=cv2.INTER_LINEAR)
    wc = warped.astype(np.float32)
    wc += corr
    np.clip(wc, 0, 255, out=wc)
    wc = wc.astype(np.uint8)

    alpha = _smooth_ramp(dist, cfg.feather * face_w)
    alpha *= float(min(max(intensity, 0.0), 1.0))
    res = cv2.blendLinear(wc, orig, alpha, 1.0 - alpha)
    out = frame.copy()
    out[grid.y0 : gy1, grid.x0 : gx1] = res
    return out
