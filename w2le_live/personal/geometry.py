"""Pose normalisation (3D similarity on rigid points), expression features and the expression-offset regression.

Normalised coordinates are the person's template frame: centred on the rigid points, face width (234-454) = 1,
x to image-right, y down, z away from the camera, as MediaPipe's. Row-vector convention: a pose (s, R, t) maps
normalised q to frame p = s * q @ R.T + t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from w2le_live.face.landmarks import face_width
from w2le_live.personal.mesh import (
    INNER_LIP_PAIRS,
    LEFT_EYE,
    LEFT_EYE_ENDS,
    LEFT_LID_PAIRS,
    RIGHT_EYE,
    RIGHT_EYE_ENDS,
    RIGHT_LID_PAIRS,
)

# Points that do not move with expression or speech: forehead, nose bridge, temples, inner eye corners, face sides.
RIGID = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 127, 356, 162, 389, 21, 251, 133, 362, 234, 454)
LIP_FEATURE = tuple(i for pair in INNER_LIP_PAIRS for i in pair) + (78, 308)
_RIGID = np.array(RIGID, np.intp)
_LIP_FEATURE = np.array(LIP_FEATURE, np.intp)
N_FEATURES = 3  # mouth opening, left and right eye aperture


@dataclass(frozen=True)
class Pose:
    """A similarity: scale s (float), rotation R (3, 3) float64, translation t (3,) float64 (frame pixels)."""

    s: float
    R: np.ndarray
    t: np.ndarray

    def to_frame(self, q: np.ndarray) -> np.ndarray:
        """q: (N, 3) float normalised -> (N, 3) float32 frame pixels."""
        return (self.s * q @ self.R.T + self.t).astype(np.float32)

    def to_norm(self, p: np.ndarray) -> np.ndarray:
        """p: (N, 3) float frame pixels -> (N, 3) float32 normalised."""
        return ((p - self.t) @ self.R / self.s).astype(np.float32)


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> Pose:
    """Least-squares s, R, t with dst ~ s * src @ R.T + t (Umeyama). src, dst: (K, 3) float, K >= 3."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    ms, md = mean_along(src, 0), mean_along(dst, 0)
    a, b = src - ms, dst - md
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.ones(3)
    if np.linalg.det(u @ vt) < 0:
        d[2] = -1.0
    r = u @ np.diag(d) @ vt
    s = float((sig * d).sum() / max((a * a).sum(), 1e-12))
    return Pose(s, r, md - s * ms @ r.T)


def pose_of(landmarks: np.ndarray, template: np.ndarray) -> Pose:
    """The pose mapping the template's rigid points onto a face. landmarks: (478, 3) float32 frame pixels;
    template: (478, 3) float32 normalised."""
    return fit_similarity(template[_RIGID], landmarks[_RIGID])


def build_template(frames: np.ndarray, iterations: int = 3) -> np.ndarray:
    """The person's normalised template from tracked frames by generalised Procrustes on the rigid points.

    frames: (F, 478, 3) float32 frame pixels. Returns (478, 3) float32, rigid points centred, face width 1.
    """
    ref = frames[0].astype(np.float64)
    idx = list(RIGID)
    for _ in range(iterations):
        norm = np.stack([fit_similarity(ref[idx], f[idx]).to_norm(f) for f in frames]).astype(np.float64)
        ref = norm.mean(0)
        ref -= ref[idx].mean(0)
        ref /= max(face_width(ref), 1e-6)
    return canonical(ref).astype(np.float32)


def canonical(ref: np.ndarray) -> np.ndarray:
    """Rotate a face (478, 3) float so x runs cheek to cheek (234 -> 454) and y from forehead (10) towards the
    nose tip (1) orthogonal to it: templates of one person from different clips then agree."""
    x = ref[454] - ref[234]
    x = x / np.linalg.norm(x)
    y = ref[1] - ref[10]
    y = y - (y @ x) * x
    y = y / np.linalg.norm(y)
    z = np.cross(x, y)
    return ref @ np.stack([x, y, z], axis=1)


def normalise(frames: np.ndarray, template: np.ndarray) -> np.ndarray:
    """frames: (F, 478, 3) float32 frame pixels -> (F, 478, 3) float32 normalised to ``template``."""
    return np.stack([pose_of(f, template).to_norm(f) for f in frames])


@cache
def _pair_index(pairs: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs' first and second points as (P,) intp arrays, made once per tuple of pairs (read-only)."""
    a, b = np.array([p[0] for p in pairs], np.intp), np.array([p[1] for p in pairs], np.intp)
    a.flags.writeable = b.flags.writeable = False
    return a, b


def _pair_gap(norm: np.ndarray, pairs) -> np.ndarray:
    ia, ib = _pair_index(pairs)
    d = norm[..., ia, :2] - norm[..., ib, :2]
    # as np.linalg.norm(d, axis=-1).mean(-1), bit for bit (few pairs: a plain sequential sum either way)
    return np.add.reduce(np.sqrt(np.add.reduce(d * d, axis=-1)), axis=-1) / np.float32(len(ia))


def features(norm: np.ndarray) -> np.ndarray:
    """Speech and blink features. norm: (..., 478, 3) float32 normalised.

    Returns (..., 3) float32: inner-lip opening, left and right eye aperture (face widths).
    """
    return np.stack(
        [_pair_gap(norm, INNER_LIP_PAIRS[2:7]), _pair_gap(norm, LEFT_LID_PAIRS[2:5]),
         _pair_gap(norm, RIGHT_LID_PAIRS[2:5])], axis=-1,
    ).astype(np.float32)  # fmt: skip


def mouth_opening(norm: np.ndarray) -> np.float32:
    """The inner-lip opening alone, as ``features(norm)[0]``. norm: (478, 3) float32 normalised."""
    return np.float32(_pair_gap(norm, INNER_LIP_PAIRS[2:7]))


def inner_lip_gap(lm: np.ndarray) -> np.float32:
    """The mean gap of every upper/lower inner-lip pair (INNER_LIP_PAIRS) of lm (478, 2+) float32, in lm's units
    (``mouth_opening`` takes the middle pairs of normalised landmarks)."""
    return np.float32(_pair_gap(lm, INNER_LIP_PAIRS))


def eye_apertures(norm: np.ndarray) -> np.ndarray:
    """The eye apertures alone, as ``features(norm)[1:]``. norm: (478, 3) float32 normalised -> (2,) float32."""
    return np.array([_pair_gap(norm, LEFT_LID_PAIRS[2:5]), _pair_gap(norm, RIGHT_LID_PAIRS[2:5])], np.float32)


def mean_along(x: np.ndarray, axis: int) -> np.ndarray:
    """``x.mean(axis)`` bit for bit (the same sum, divided by the same count), without its per-call overhead.
    x: float array."""
    total = np.add.reduce(x, axis=axis)
    return total / total.dtype.type(x.shape[axis])  # a float32 sum of a whole 1-D array stays float32


def expression_offset(emotion: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The emotion's landmark offset with mouth opening and eye apertures regressed out.

    emotion, reference: (F1, 478, 3) and (F2, 478, 3) float32 normalised frames of the emotion and of the
    reference (neutral) face. Each coordinate is regressed on [1, opening, eye L, eye R, is_emotion]; the
    is_emotion coefficient is returned as (478, 3) float32 in face widths. The mouth opening is centred over
    both sets (its mean difference is speech, removed), the eye apertures within each set (blinks are
    removed, but an emotion's own narrowing or widening of the eyes stays in the offset with the brows).
    """
    x = np.concatenate([emotion, reference]).reshape(len(emotion) + len(reference), -1).astype(np.float64)
    fe, fr = features(emotion).astype(np.float64), features(reference).astype(np.float64)
    fe[:, 1:] -= fe[:, 1:].mean(0)
    fr[:, 1:] -= fr[:, 1:].mean(0)
    f = np.concatenate([fe, fr])
    f[:, 0] -= f[:, 0].mean()
    is_em = np.r_[np.ones(len(emotion)), np.zeros(len(reference))]
    d = np.column_stack([np.ones(len(x)), f, is_em])
    coef, *_ = np.linalg.lstsq(d, x, rcond=None)
    return coef[-1].reshape(-1, 3).astype(np.float32)


def opening_slope(norm: np.ndarray) -> tuple[np.ndarray, float]:
    """How the face moves with the mouth opening: the least-squares slope of each coordinate on the inner-lip
    opening over frames, and the mean opening. norm: (F, 478, 3) float32 normalised frames, F >= 2.

    Returns ((478, 3) float32 face widths per face width of opening, float face widths): two recordings' mean
    faces compared at the same opening differ by expression, not by speech.
    """
    f = features(norm)[:, 0].astype(np.float64)
    x = norm.reshape(len(norm), -1).astype(np.float64)
    fc = f - f.mean()
    slope = (fc @ (x - x.mean(0))) / max(float(fc @ fc), 1e-12)
    return slope.reshape(-1, 3).astype(np.float32), float(f.mean())


def undo_live_expression(offset: np.ndarray, emotion_mean: np.ndarray, live_mean: np.ndarray, slope: np.ndarray,
                         opening_gap: float, rate: float, dead: float = 0.0) -> np.ndarray:  # fmt: skip
    """The offset with ``rate`` of the live face's own expression undone (the part of the offset policy that lets
    an angry or surprised mouth asked for happy smile like a neutral one).

    offset: (478, 3) float32 regressed offset (emotion minus neutral). emotion_mean, live_mean: (478, 3) float32
    normalised means of the emotion's recording and of the live face's recent frames. slope: (478, 3) float32
    from :func:`opening_slope` of the emotion's frames; opening_gap: the emotion's mean mouth opening minus the
    live recent one (face widths), so both means are compared at the same opening. The emotion mean minus the live
    mean replaces ``rate`` (0..1) of the offset, point by point, where the two differ by more than ``dead`` face
    widths (soft threshold: a neutral live face keeps the plain offset). Returns (478, 3) float32.
    """
    d = emotion_mean - live_mean - slope * np.float32(opening_gap) - offset
    size = np.linalg.norm(d, axis=1, keepdims=True)
    d *= np.maximum(1.0 - np.float32(dead) / np.maximum(size, 1e-9), 0.0)
    return (offset + np.float32(rate) * d).astype(np.float32)


def lip_vector(norm: np.ndarray) -> np.ndarray:
    """Retrieval key: inner-lip shape relative to the template origin. norm: (..., 478, 3) -> (..., 40) float32."""
    return norm[..., _LIP_FEATURE, :2].reshape(*norm.shape[:-2], -1).astype(np.float32)


def pair_gaps(norm: np.ndarray) -> np.ndarray:
    """Signed vertical inner-lip gaps per upper/lower pair. norm: (..., 478, 3) -> (..., 9) float32."""
    ia, ib = _pair_index(INNER_LIP_PAIRS)
    return (norm[..., ib, 1] - norm[..., ia, 1]).astype(np.float32)


def lid_apertures(norm: np.ndarray) -> np.ndarray:
    """Mean upper-lower lid gap of the left and right eye. norm: (..., 478, 3) -> (..., 2) float32 face widths."""
    return np.stack([_pair_gap(norm, LEFT_LID_PAIRS), _pair_gap(norm, RIGHT_LID_PAIRS)], -1).astype(
        np.float32
    )


def lid_motion_ratio(ratio: np.ndarray, live: np.ndarray, share: float = 1.0) -> np.ndarray:
    """The lids' ratio for this frame, so the lids move by the person's own amount about the emotion's opening.

    ratio: (2,) float32, the emotion's mean eye aperture over the live face's recent mean (left, right); live: (2,)
    float32, this frame's live aperture over that same mean. A plain ratio multiplies every lid motion by it (a
    2x-opened squint blinks and narrows twice as far as the person). Here the target aperture is
    ``live * (1 + (ratio - 1) * h)``: from the mean up, ``h = 1 / live`` (the emotion's difference added: motion kept
    at the person's size), below it ``h = 2 - live`` (a blink still closes the eye, reached smoothly: the same
    value and slope at the mean). ``share`` in [0, 1] blends from the plain ratio (0) to this (1).
    Returns (2,) float32.
    """
    x = np.maximum(np.asarray(live, np.float32), 0.0)
    h = np.where(x > 1.0, 1.0 / np.maximum(x, 1e-6), 2.0 - x)
    h = (1.0 - share) + share * h
    return (1.0 + (np.asarray(ratio, np.float32) - 1.0) * h).astype(np.float32)


def upper_weight(template: np.ndarray, width: float = 0.12) -> np.ndarray:
    """(478,) float32 in [0, 1]: 1 for points at and above the lower eyelids (brows, lids, forehead), falling to 0
    over ``width`` face widths below them. template: (478, 3) float32 normalised."""
    y = template[:, 1] - template[[145, 374], 1].mean()
    a = np.clip(1.0 - y / width, 0.0, 1.0)
    return (a * a * (3.0 - 2.0 * a)).astype(np.float32)


# per eye: corners, iris (centre and ring)
_EYES = ((LEFT_EYE_ENDS, range(468, 473)), (RIGHT_EYE_ENDS, range(473, 478)))


def _eyes_live(live: np.ndarray, move: np.ndarray) -> None:
    """Each iris keeps the live horizontal gaze between the corners (not the emotion's mean gaze). live: (478, 3)
    float32 normalised; move: (478, 3) float32 face widths, changed in place.

    Holding whole eyes live (corners, lids and the skin around them) was measured and left out: a re-tracker then
    reads the gaze as the driving clip's (neutral from sad: W009 0.88 -> 0.92, M030 0.89 -> 0.93), but the
    emotion's own lids go with it (facex p(surprised) W009 0.47 -> 0.05; held for ``neutral`` only, M030
    p(neutral) 0.82 -> 0.36: the sad eyes stay), and changing the emotion is the product's purpose.
    """
    for ends, iris in _EYES:
        # x between the corners' moves at the live gaze, so the iris keeps its place between the target corners;
        # its height stays the emotion's (a surprised eye shows white above the iris: 0.46 -> 0.55 facex)
        c0, c1 = ends
        span = float(live[c1, 0] - live[c0, 0])
        g = float(live[iris[0], 0] - live[c0, 0]) / span if abs(span) > 1e-6 else 0.5
        move[list(iris), 0] = (1.0 - g) * move[c0, 0] + g * move[c1, 0]


# each eye's points moved by :func:`lead_eyes`: its contour and its iris
_EYE_POINTS = (
    (LEFT_EYE_ENDS, np.array(LEFT_EYE + tuple(range(468, 473)), np.intp)),
    (RIGHT_EYE_ENDS, np.array(RIGHT_EYE + tuple(range(473, 478)), np.intp)),
)


def lead_eyes(lm: np.ndarray, prev: np.ndarray, lead: float) -> np.ndarray:
    """Where the camera shows the eyes: each eye's contour and iris points moved by ``lead`` times its corners' mean
    motion since the previous frame. lm, prev: (478, 2+) float32 frame pixels, the tracker's smoothed landmarks of
    this frame and the last. Returns a new (478, 2+) float32 array.

    The tracker's One-Euro filter trails the pixels by (1 - a) / a of its own frame-to-frame motion (a its smoothing
    factor, about 0.62 at 25 fps): measured against a fresh unsmoothed re-track of W009's clips, 0.55-0.62 frames
    (residual 0.03-0.08 px of a 0.22-0.49 px lag). The corners' motion is the head's, not a blink's or the gaze's:
    the iris keeps its own motion about the eye, so the eyeball sampled here carries the live gaze. A step is
    capped at 0.05 face widths (a face lost for a while and found again is not a motion).
    """
    out = lm.copy()
    # a face lost and found again is not a motion
    cap = 0.05 * face_width(lm)
    for (c0, c1), pts in _EYE_POINTS:
        sx = 0.5 * lead * float(lm[c0, 0] - prev[c0, 0] + lm[c1, 0] - prev[c1, 0])
        sy = 0.5 * lead * float(lm[c0, 1] - prev[c0, 1] + lm[c1, 1] - prev[c1, 1])
        n = math.hypot(sx, sy)
        if n > cap:
            sx, sy = sx * cap / n, sy * cap / n
        out[pts, 0] += sx
        out[pts, 1] += sy
    return out


def apply_offset(live: np.ndarray, offset: np.ndarray, k: float, upper_shift: np.ndarray | None = None,
                 upper_w: np.ndarray | None = None, lid_ratio: np.ndarray | None = None,
                 lid_max: float | np.ndarray = 2.0, lid_live: np.ndarray | None = None,
                 lid_motion: float = 0.0) -> np.ndarray:  # fmt: skip
    """The target geometry: the live face moved by the emotion (the one place the offset policy lives; the
    translator only keeps the running references it is computed against).

    live: (478, 3) float32 normalised live landmarks. offset: (478, 3) float32 face widths, the regressed
    expression offset. k: intensity (scales every move). upper_shift: (478, 3) float32, where the upper face
    should go instead (the emotion's mean upper face minus the live face's recent mean: an angry live face asked
    for happy loses its frown), used with weights upper_w (478,) float32 in [0, 1]. lid_ratio: (2,) float32,
    the emotion's eye aperture over the live face's recent mean (left, right). lid_live: (2,) float32, this
    frame's live aperture over that same mean; with ``lid_motion`` > 0 the ratio becomes this frame's own
    (:func:`lid_motion_ratio`: the lids move by the person's amount about the emotion's opening). The ratio is
    then clipped to [0.5, ``lid_max``] (a float or (2,) float32 per eye: 2 where the live eye is stretched to the
    target lids, more where the bank's eye is drawn). Inner-lip pairs move together (the live mouth opening
    stays); lid pairs move together and open by ``ratio ** k`` times the live aperture (blinks stay live, lids
    never cross); each iris keeps its live place between the corners (:func:`_eyes_live`).
    Returns (478, 3) float32.
    """
    move = offset.astype(np.float32).copy()
    if upper_shift is not None and upper_w is not None:
        move += upper_w[:, None] * (upper_shift - move)
    # every pair below has its own two points (no point in two pairs), so a pair at a time or all at once agree
    a, b = _pair_index(INNER_LIP_PAIRS)
    move[a] = move[b] = 0.5 * (move[a] + move[b])
    _eyes_live(live, move)
    out = live + np.float32(k) * move
    if lid_ratio is not None and lid_live is not None and lid_motion > 0:
        lid_ratio = lid_motion_ratio(lid_ratio, lid_live, lid_motion)
    ratio = np.ones(2, np.float32) if lid_ratio is None else np.clip(lid_ratio, 0.5, lid_max) ** np.float32(k)
    a, b = _pair_index(LEFT_LID_PAIRS + RIGHT_LID_PAIRS)
    per_pair = np.repeat(ratio, (len(LEFT_LID_PAIRS), len(RIGHT_LID_PAIRS)))[:, None]
    mid = 0.5 * (live[a] + live[b]) + np.float32(k) * 0.5 * (move[a] + move[b])
    half = 0.5 * (live[b] - live[a]) * per_pair
    out[a], out[b] = mid - half, mid + half
    return out.astype(np.float32)
