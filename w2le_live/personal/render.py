"""Per-frame rendering: the live face warped onto the target geometry, the bank's cheeks and folds on top.

Two layers, both resampled once from their source pixels through the same piecewise-affine mesh map:
``live`` (the camera frame warped from the live landmarks to the target geometry: lips, mouth interior, eyeballs,
lids and blinks stay the person's own) and ``bank`` (the retrieved enrolment cut warped to the same geometry).
The bank layer covers the lower face (and, for emotions that need it, forehead and brows) but never the mouth or
the eyes; it is added as a two-band blend: its detail (folds, creases) in full, its light only far from the
region's edges, so texture and light meet without a line. The displacement itself tapers to zero at the face
border (maps are blended, never two displaced images).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

import numpy as np

from w2le_live.face.blend import WHOLE_FROM
from w2le_live.face.landmarks import FACE_OVAL, LEFT_CHEEK, LIPS_INNER, LIPS_OUTER, RIGHT_CHEEK, face_width
from w2le_live.personal import warp as W
from w2le_live.personal.bank import EmotionBank
from w2le_live.personal.geometry import Pose, lid_apertures
from w2le_live.personal.mesh import LEFT_EYE, LEFT_EYE_ENDS, RIGHT_EYE, RIGHT_EYE_ENDS

# Emotions whose forehead and brows take the bank's texture as well.
UPPER_FACE = frozenset({"surprised", "angry", "sad", "fear", "disgusted", "neutral", "happy"})
# Emotions that open the eyes wider than the live ones: the lids and whites come from a bank frame whose gaze
# matches, and the live iris is pasted in at its live place (the live face has no white above the iris to stretch).
WIDE_EYES = frozenset({"surprised", "fear"})
# Emotions whose bank mouth keeps the live opening between the inner lips (teeth, tongue, the dark inside): the
# re-tracked lip opening then follows the person (W009 surprised 0.925 -> 0.963, angry 0.940 -> 0.972); driven by
# a sad face, a happy or neutral bank mouth around the whole live inside reads less open (0.942 -> 0.90), so those
# keep it only where the live mouth shows teeth the bank frame's lacks (RenderConfig.teeth_from ..., _inside_share).
LIVE_INSIDE = frozenset({"surprised", "angry"})
BROWS = (70, 63, 105, 66, 107, 300, 293, 334, 296, 336)
IRIS_RINGS = {468: (469, 470, 471, 472), 473: (474, 475, 476, 477)}  # each iris centre: its four ring points
LOWER_NOSE = (4, 48, 64, 98, 97, 2, 326, 327, 294, 278)  # the nose tip, the alae and the nostrils


@dataclass(frozen=True)
class RenderConfig:
    """Regions and blending, in face widths (cheek-to-cheek distance)."""

    step: int = 3  # mesh map evaluated every `step` pixels, then upsampled (exact inside each triangle)
    feather: float = 0.07  # at the face border the displacement and the bank texture ramp to zero over this
    mouth_margin: float = 0.015  # live lips and mouth: the outer-lip hull grown by this
    mouth_feather: float = 0.03
    # below full intensity (the user's slider, or the live loop easing the effect in and out: live/ease.py) the
    # bank's mouth and eyes are drawn whole from this intensity and not at all below it: two mouths or two irises
    # at once are a ghost (W009 happy at 0.2-0.5 showed a second row of teeth); the rest of the bank fades with it
    parts_from: float = WHOLE_FROM  # 0.5, as the neural translator's generated mouth (face.blend.paste_back)
    eye_margin: float = 0.03  # live eyes: the eye opening grown by this (lids, lashes)
    eye_feather: float = 0.03
    eye_cut: float = 0.06  # lower-face emotions: bank texture starts this far below the lower eyelids
    cut_feather: float = 0.08
    forehead: float = 0.22  # bank texture reaches this far above the brows
    forehead_feather: float = 0.08
    light_sigma: float = 0.05  # the bank's detail is what lies below this scale; above it, the light
    light_band: float = 0.15  # bank light only farther than this inside its region; live light at edges
    stretch_ok: float = 0.25  # |log| of a triangle's stretch (bank -> target) up to which the bank is used
    stretch_max: float = 0.6  # and beyond which it is not (the live skin, warped, shows there instead)
    # the bank is magnified 1.05-1.27x on the benchmarks: bilinear saves 1-4 % (moving head) and costs W009 mouth
    # sharpness 0.12-0.17 and seam up to +0.11 (docs/personal/speed_options.md)
    cubic_bank: bool = True  # bicubic resampling of the bank frames too (the live face always is)
    iris_grow: float = 1.15  # wide eyes: the live iris disk pasted, in iris radii
    # wide eyes over narrower live ones (surprised or fear from a squint): the live iris pasted only where the live
    # lids show it, the bank's aligned iris beneath elsewhere (as the open-eye path does). The whole disk brought the
    # live upper lid's skin into the top of the wide iris, a brown band (W009 fear <- angry; gaze.md, session 23)
    iris_live_lids: bool = True
    # the bank's lids over wider live eyes (an emotion not in WIDE_EYES): within ``surround_reach`` face widths of
    # the target eye openings (fading out over ``surround_feather``) the bank adds only its texture finer than
    # ``surround_sigma`` (brow and lash hairs, pores); its shading above that scale (lid creases, sockets, the
    # shadow under the brows) yields to the live face's, warped (:func:`_eye_surround`)
    surround_sigma: float = 0.01
    surround_reach: float = 0.3
    surround_feather: float = 0.05
    # wide eyes: a bank eye squeezed below ``blink_from`` of its own opening (lid gap / eye width) by the target's
    # fades out by ``blink_to`` (a blink: the live lid, warped, closes instead of an open eye squeezed to a slit)
    blink_from: float = 0.85
    blink_to: float = 0.55
    eyeball: bool = True  # the eyeball moved as one to its target place, the lids over it (see _eyeballs)
    eyeball_edge: float = 0.01  # its fade inside the eye openings
    # where the target opens an eye's lids past the live ones (lid gap ratio from ``eyeball_open_from``, fully from
    # ``eyeball_open_from + eyeball_open_ramp``) the live layer's eyeball moves as one only sideways (_eyeballs), up
    # and down it follows the mesh: the lids' dark inner margin (lashes, their shadow on the eyeball) lies inside
    # the landmark contour, and the eyeball moved as one kept it at the live place, so a re-tracker read the live
    # aperture (W009 neutral<-sad: the target opened the lids 1.15x, re-tracked 1.04x; now 1.07x). Not where the
    # lids close (angry: re-tracked 0.82x -> 0.79x of the live opening with it, but facex p(angry) 0.43 -> 0.40)
    eyeball_open_from: float = 1.0
    eyeball_open_ramp: float = 0.1
    # the bank's lids over wider live eyes (happy from fear): the live eyeball around the iris (_live_eyeballs)
    narrow_eyeball: bool = True
    eyeball_reach: float = 1.25  # iris radii from the target iris centre (0: the whole opening)
    reach_feather: float = 0.3  # iris radii
    corner_live: float = 0.03  # and the live eye corners within this (face widths) of the target ones
    corner_feather: float = 0.03
    # wherever the bank's eye is drawn: the bank frame's eyeball moved as one so its own iris lies under the target
    # one (its gaze rarely matches the live one: its iris edge showed beside the live iris, _bank_eyeballs). Once
    # only under the bank's lids for a calmer emotion; for surprised and fear too since session 21: W009 surprised
    # re-tracked gaze over four sub-pixel shifts 0.900 -> 0.925 (and the bank eye's cross-fade no longer costs it),
    # fear 0.940 -> 0.949
    bank_iris_align: bool = True
    resample_sharpen: float = 0.6  # upper face: fine texture given back where the live remap shifted
    resample_sigma: float = 1.0  # px: the scale of that texture
    fine_sigma: float = 0.008  # upper face: the finest texture (pores, freckles) stays the live face's
    brow_gap: float = (
        0.05  # the live pores from this far above the brows (the brows and frown stay the bank's)
    )
    live_fine: float = 1.0  # how much of it (0: the bank's own fine texture, softer after its resampling)
    # and only where the live layer samples the camera frame ``hair_gap`` above the live brow under it (fully from
    # ``hair_gap + hair_feather``): a target that widens the band above the brows pulls the live brow's upper
    # hair up past ``brow_gap`` (_live_forehead)
    hair_gap: float = 0.04
    hair_feather: float = 0.02
    bank_sharpen: float = 0.4  # the bank frames' fine texture given back (unsharp mask gain, same face size)
    sharpen_mag: float = 4.0  # the gain grows with the bank frame's magnification m: x (1 + this (m^2 - 1))
    bank_sharpen_sigma: float = 1.0  # px: its scale
    sharpen_from: float = 0.0  # face widths below the lower eyelids (negative: above) the sharpening starts
    sharpen_feather: float = 0.2  # and reaches its full gain over this
    mouth_sharpen: float = 0.0  # its share inside the lips (a switching bank mouth, sharpened, flickers)
    # the bank's finest texture (below ``match_sigma``) raised, locally, to the live layer's energy of it (measured
    # over ``match_window``), by a gain of at most ``match_max`` (_match_fine): bank and live skin meet without a
    # texture step
    match_max: float = 2.0
    match_sigma: float = 0.008
    match_window: float = 0.03
    match_floor: float = 0.5  # grey levels added to both energies (flat skin and noise are not amplified)
    # it starts this far below the lower eyelids (not the lids, brows or glabella, which the judge reads: matched
    # from 0.12 above the lids, W009 p(surprised) fell 0.03) and reaches full strength over ``match_feather``
    match_from: float = 0.05
    match_feather: float = 0.04
    bridge_from: float = -0.12  # and from this far, only within ``bridge_half`` of the nose bridge's middle
    bridge_half: float = 0.06
    bridge_wide: float = 0.5  # its share when the eyes are the bank's (wide eyes)
    # the gain measured and applied this many times: the finest band of the bank plus g times that band is not
    # (1 + g) times it (the band's lower edge is a soft Gaussian one), so one pass left the bank softer than the
    # live skin where the gain was large (W009 sad nose bridge, neutral-from-sad cheeks). One pass: 0.92-0.95x the
    # time (moving head), W009 neutral<-sad seam 0.825 -> 0.958 (docs/personal/speed_options.md)
    match_passes: int = 2
    # the later passes not over the lower nose (the hull of LOWER_NOSE grown by ``nose_margin``, fading in over
    # ``nose_feather``): the nostril edges are where the bank's frames differ most, raised more they flicker
    nose_margin: float = 0.01
    nose_feather: float = 0.03
    fine_steep: float = 3.0  # the finest texture switches this much faster than the bank weight
    # the opening between the inner lips (teeth, tongue, the dark inside) stays the live one under a bank mouth
    # (emotions in LIVE_INSIDE), this share of it, grown by ``inside_margin``, fading out over ``inside_feather``:
    # the live lips' inner edges come with the live inside (cut at the opening itself, a bank lip edge met the live
    # teeth, a seam a fresh tracker read as another lip line: W009 neutral<-sad on the moving head, frame 34, 0.064
    # for the driving clip's 0.097). W009 lip corr, static / moving: surprised 0.959 -> 0.965 / 0.952 -> 0.955,
    # angry 0.967 -> 0.976 / 0.955 -> 0.960, neutral<-sad 0.956 -> 0.957 / 0.941 -> 0.950 (docs/personal/lips.md)
    live_inside: float = 1.0
    inside_margin: float = 0.01
    inside_feather: float = 0.015
    # other emotions keep it where the live mouth shows teeth (from ``teeth_from`` of the opening, fully from
    # ``teeth_from + teeth_ramp``) that the bank frame's lacks (1 - its teeth / the live teeth: from ``lack_from``,
    # fully from ``lack_from + lack_ramp``); teeth: brighter than ``teeth_v`` and less saturated than ``teeth_s`` of
    # the lips' median. A bank mouth whose teeth match keeps the emotion's own inside (W009 sad: 5 of 24 frames
    # showing teeth had a dark bank opening instead, now none; happy driven by angry: 6 of 66, now none).
    teeth_from: float = 0.1
    teeth_ramp: float = 0.1
    lack_from: float = 0.3
    lack_ramp: float = 0.3
    teeth_v: float = 0.8
    teeth_s: float = 0.7
    # and where the bank frame's inside contradicts the live one (_inside_share): its opening squeezed or stretched
    # past ``squash`` times the live one (its opening and the target's, each plus ``squash_eps`` face widths; fully
    # over ``squash_ramp`` of the log ratio): teeth warped shut read as an open mouth (W009 happy driven by surprised,
    # frame 63: opening 0.006, output 0.056 -> 0.020); or a dark live opening (a share from ``dark_from``, fully from
    # ``dark_from + dark_ramp``, darker than ``inside_dark`` of the lips' median) under bank teeth the live mouth
    # lacks (teeth share over the live one's by ``excess_from``, fully by ``excess_from + excess_ramp``): an "O"
    squash: float = 2.0
    squash_eps: float = 0.01
    squash_ramp: float = 0.3
    inside_dark: float = 0.5
    dark_from: float = 0.5
    dark_ramp: float = 0.2
    excess_from: float = 0.15
    excess_ramp: float = 0.15
    # a decision, not a blend, where the bank frame's inside is the softer one: where those rules ask for part of the
    # live inside (0 < share < 1) and the bank frame's opening holds less than ``soft_inside`` of the live opening's
    # detail (:func:`_inside_detail`), all of it (``inside_parts``' soft; the translator decides when, see
    # ``PersonalTranslator.soft_frames``). A part gave a cross-fade of the live teeth with the bank frame's fewer,
    # softer ones in the same opening, read as a smear: MEAD M003 disgusted driven by his happy clip (a smile showing
    # both rows of teeth; the disgusted frames show the upper row) blended 0.14-0.69 of the live inside in 21 of 63
    # frames (bank/live detail 0.37-0.9), mouth sharpness 0.80 x the driving clip, 6 % of frames below 0.5; decided
    # on each frame alone 0.88, 0 %. Every part made all of it (whatever the detail) cost W009 neutral from sad, whose
    # bank openings hold 0.77-1.7 x the live detail, lip corr 0.953 -> 0.948; 0.75 left it 0.02 from that
    # (docs/personal/stranger.md). 0: off.
    soft_inside: float = 0.65


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Have glibc keep freed large blocks for reuse (process-wide; Linux glibc only, else nothing changes).

    A frame allocates tens of full-rect float arrays of 1+ MB; glibc serves blocks that large by ``mmap`` and
    unmaps each on free, so every frame page-faults them in anew (~3000 faults, a third of the render time on a
    290-px face). With the mmap threshold at 16 MB and the trim threshold at 64 MB they are heap blocks, reused.
    Called once by ``PersonalTranslator``; returns whether both were set."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 16 << 20)) and bool(mallopt(m_trim_threshold, 64 << 20))


def _hull_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    """(h, w) uint8 {0, 1}: the convex hull of pts (K, 2) float32 local pixels."""
    import cv2

    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(np.round(pts * 16).astype(np.int32)), 1, cv2.LINE_8, 4)
    return m


def _clamp(a: np.ndarray, hi: float) -> np.ndarray:
    """a (float32, no NaN) clipped to [0, hi] in place, returned: ``cv2.threshold`` (truncate at hi, then zero at
    or below 0: the values of numpy's minimum and maximum, twice as fast) on a C-contiguous array of 2+
    dimensions, numpy otherwise (numpy's clip is slower still)."""
    import cv2

    if a.ndim >= 2 and a.size and a.flags.c_contiguous and a.dtype == np.float32:
        cv2.threshold(a, hi, hi, cv2.THRESH_TRUNC, dst=a)
        cv2.threshold(a, 0.0, 0.0, cv2.THRESH_TOZERO, dst=a)
    else:
        np.minimum(a, np.float32(hi), out=a)
        np.maximum(a, np.float32(0.0), out=a)
    return a


def _row_span(a: np.ndarray, above: float) -> tuple[int, int]:
    """The rows [r0, r1) of a (h, w) float32 array (h, w > 1) holding a value above ``above``; (0, 0) when none:
    ``np.flatnonzero((a > above).any(1))``'s first and last + 1, in one compare and one bounding box (half the time).
    """
    import cv2

    _, y, _, h = cv2.boundingRect(cv2.compare(a, float(above), cv2.CMP_GT))
    return y, y + h


def _smooth_ramp(dist: np.ndarray, width: float) -> np.ndarray:
    """Smoothstep of dist / width: (h, w) float32 in [0, 1]."""
    a = _clamp(dist * np.float32(1.0 / max(width, 1e-3)), 1.0)
    b = a * np.float32(-2.0)  # 3 - 2 a
    b += np.float32(3.0)
    a *= a
    a *= b
    return a


def _times(x: np.ndarray, w: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """x (h, w, 3) float32 times w (h, w) float32, per pixel: the values of ``x * w[..., None]`` (twice as fast
    as numpy's broadcast over 3 channels), into ``out`` ((h, w, 3) float32, may be x) when given."""
    import cv2

    return cv2.multiply(x, cv2.merge((w, w, w)), dst=out)


def _ramp_box(hull: np.ndarray, margin: float, width: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """:func:`_outside_ramp` over the box (r0, r1, c0, c1) around the hull where it is below 1 (it is exactly 1
    outside): ((r1 - r0, c1 - c0) float32, box). hull: (h, w) uint8 {0, 1}; an empty hull gives an empty box."""
    import cv2

    x, y, bw, bh = cv2.boundingRect(hull)
    if bw == 0 or bh == 0:
        return np.ones((0, 0), np.float32), (0, 0, 0, 0)
    # the chamfer distance is at least 0.955 px a pixel step: beyond this pad it exceeds margin + width
    pad = int(np.ceil((margin + width) / 0.95)) + 2
    h, w = hull.shape
    r0, r1, c0, c1 = max(y - pad, 0), min(y + bh + pad, h), max(x - pad, 0), min(x + bw + pad, w)
    d = cv2.distanceTransform(1 - hull[r0:r1, c0:c1], cv2.DIST_L2, 3)
    d -= np.float32(margin)
    return _smooth_ramp(d, width), (r0, r1, c0, c1)


def _outside_ramp(hull: np.ndarray, margin: float, width: float) -> np.ndarray:
    """(h, w) float32: 0 on a hull (uint8 {0, 1}) and within ``margin`` px of it, rising to 1 over ``width`` px."""
    ramp, (r0, r1, c0, c1) = _ramp_box(hull, margin, width)
    out = np.ones(hull.shape, np.float32)
    out[r0:r1, c0:c1] = ramp
    return out


def _norm_y(pose: Pose, x0: int, y0: int, w: int, h: int, step: int = 1) -> np.ndarray:
    """(ceil(h / step), ceil(w / step)) float32: the face's own normalised y (face widths, down) of every
    ``step``-th pixel of a frame rect (in-plane)."""
    m2 = pose.s * pose.R[:2, :2]
    inv = np.array([[m2[1, 1], -m2[0, 1]], [-m2[1, 0], m2[0, 0]]]) / (
        m2[0, 0] * m2[1, 1] - m2[0, 1] * m2[1, 0]
    )
    xs = np.arange(x0, x0 + w, step, dtype=np.float32)[None, :] - np.float32(pose.t[0])
    ys = np.arange(y0, y0 + h, step, dtype=np.float32)[:, None] - np.float32(pose.t[1])
    return np.float32(inv[1, 0]) * xs + np.float32(inv[1, 1]) * ys


def _low(x: np.ndarray, wgt: np.ndarray, sigma: float) -> np.ndarray:
    """Weighted Gaussian low-pass of x (h, w, 3) float32 with weights wgt (h, w) float32, at a quarter size."""
    import cv2

    f = 4
    h, w = wgt.shape
    sw, sh = max(1, w // f), max(1, h // f)
    xs = cv2.resize(_times(x, wgt), (sw, sh), interpolation=cv2.INTER_AREA)
    ws = cv2.resize(wgt, (sw, sh), interpolation=cv2.INTER_AREA)
    s = max(sigma / f, 0.5)
    den = np.maximum(cv2.GaussianBlur(ws, (0, 0), s), 1e-3)
    # the division per channel as cv2's (IEEE a / b, as numpy's; its broadcast over 3 channels is 3x slower)
    lo = cv2.divide(cv2.GaussianBlur(xs, (0, 0), s), cv2.merge((den, den, den)))
    return cv2.resize(lo, (w, h), interpolation=cv2.INTER_LINEAR)


def bank_weight(rect: tuple[int, int, int, int], target: np.ndarray, pose: Pose, upper: bool, face_w: float,
                cfg: RenderConfig, mouth: float = 0.0) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Where the bank's texture goes, and the face-border taper, over a frame rect (x0, y0, x1, y1).

    target: (478, 2+) float32 frame pixels. Returns (bank weight, taper, outside the mouth, below the eyes, outside
    the eyes, the forehead above the brows), each (h, w) float32 in [0, 1]: the taper
    is 0 outside the target face oval and rises over ``feather``; the bank weight is the taper without the mouth
    (outer lips grown by ``mouth_margin``; ``mouth`` in [0, 1] lets the bank's in: its mouth fits the live one)
    and the eyes, and for lower-face emotions without the upper face.
    """
    import cv2

    x0, y0, x1, y1 = rect
    f = 2  # the masks are smooth ramps: built at half resolution, upsampled
    full = (y1 - y0, x1 - x0)
    shape = (-(-full[0] // f), -(-full[1] // f))
    local = (target[:, :2] - np.array([x0, y0], np.float32) + 0.5) / f - 0.5
    face_w = face_w / f
    oval = _hull_mask(shape, local[list(FACE_OVAL)])
    taper = _smooth_ramp(cv2.distanceTransform(oval, cv2.DIST_L2, 3), cfg.feather * face_w)
    keep = _outside_ramp(_hull_mask(shape, local[list(LIPS_OUTER)]), cfg.mouth_margin * face_w,
                         cfg.mouth_feather * face_w)  # fmt: skip
    mouth = min(max(mouth, 0.0), 1.0)
    wb = taper * keep if mouth == 0 else taper * (keep + np.float32(mouth) * (1.0 - keep))
    eyes = _hull_mask(shape, local[list(LEFT_EYE)]) | _hull_mask(shape, local[list(RIGHT_EYE)])
    outside_eyes = _outside_ramp(eyes, cfg.eye_margin * face_w, cfg.eye_feather * face_w)
    wb *= outside_eyes
    q = pose.to_norm(target)
    y_cut = float(q[[145, 374], 1].mean()) + cfg.eye_cut
    ny = _norm_y(pose, x0, y0, full[1], full[0], f)
    lower = _smooth_ramp(ny - np.float32(y_cut), cfg.cut_feather)
    if not upper:
        wb *= lower
    # the hairline: the bank's forehead only up to ``forehead`` above the brows (its hair edge never shows)
    y_top = float(q[list(BROWS), 1].min()) - cfg.forehead
    wb *= _smooth_ramp(ny - np.float32(y_top), cfg.forehead_feather)

    def up(m: np.ndarray) -> np.ndarray:
        return cv2.resize(m, (shape[1] * f, shape[0] * f), interpolation=cv2.INTER_LINEAR)[
            : full[0], : full[1]
        ]

    # above the brows by ``brow_gap``: the forehead, where the live pores stay (brows and frown: the bank's)
    forehead = _smooth_ramp(np.float32(y_top + cfg.forehead - cfg.brow_gap) - ny, cfg.forehead_feather)
    return up(wb), up(taper), up(keep), up(lower), up(outside_eyes), up(forehead)


def _wide_eyes(out: np.ndarray, frame: np.ndarray, rect: tuple[int, int, int, int], live: np.ndarray,
               target: np.ndarray, bank: EmotionBank, choice: Sequence[tuple[int, float]], mesh_map, face_w: float,
               cfg: RenderConfig, share: Optional[np.ndarray] = None,
               gain: Optional[np.ndarray] = None) -> np.ndarray:  # fmt: skip
    """The bank's eyes (lids, whites; its eyeball moved under the target iris, :func:`_bank_eyeballs`) over
    ``out`` (h, w, 3) float32, then the live irises moved (not stretched) to their target place inside the target
    eye openings, where the live lids show them (``RenderConfig.iris_live_lids``; the bank's aligned iris
    elsewhere) (and, for an emotion not in WIDE_EYES, asked of wider live
    eyes, the live eyeball around them and the live eye corners: :func:`_live_eyeballs`, :func:`_corner_keep`).
    share: (left, right) float32 in [0, 1] for an emotion not in WIDE_EYES that opens narrower live eyes (the
    bank's open eyes instead of the live ones stretched, ``PersonalTranslator.open_eyes``): how much of each eye is
    the bank's; the live iris is pasted only where the live lids show it (the bank's own iris, under it, elsewhere)
    and the eye corners are the bank's too (live corners cost W009 neutral from angry, a 1.28x opening, re-tracked
    gaze 0.91 -> 0.85). gain: (3,) float32 on the bank's pixels (``render``'s bank_gain) or None. Returns ``out``,
    changed in place (only the eye band)."""
    import cv2

    x0, y0, x1, y1 = rect
    pad = (cfg.eye_margin + cfg.eye_feather) * face_w + 2
    ey = target[list(LEFT_EYE) + list(RIGHT_EYE), 1]
    r0, r1 = max(int(ey.min() - pad) - y0, 0), min(int(np.ceil(ey.max() + pad)) - y0, y1 - y0)
    if r1 - r0 < 2:
        return out
    band = out[r0:r1]
    shape = (r1 - r0, x1 - x0)
    local = target[:, :2] - np.array([x0, y0 + r0], np.float32)
    eyes = _hull_mask(shape, local[list(LEFT_EYE)]) | _hull_mask(shape, local[list(RIGHT_EYE)])
    we = 1.0 - _outside_ramp(eyes, cfg.eye_margin * face_w, cfg.eye_feather * face_w)
    narrow = bank.emotion not in WIDE_EYES and share is None  # the bank's lids over wider live eyes
    if cfg.narrow_eyeball and narrow and cfg.corner_live > 0:
        we *= _corner_keep(local, shape, face_w, cfg)
    # a blink: where the target squeezes the chosen bank eyes to a slit, the live lid (warped) shows instead
    open_t = _eye_open(target)
    open_b = sum(wt * _bank_eye_open(bank, j) for j, wt in choice)
    squeeze = open_t / np.maximum(open_b, np.float32(1e-6))
    fade = _smooth_ramp(squeeze - np.float32(cfg.blink_to), cfg.blink_from - cfg.blink_to)  # (left, right)
    if share is not None:
        fade = fade * np.clip(np.asarray(share, np.float32), 0.0, 1.0)
    split = int(round(float(local[[133, 362], 0].mean())))  # the column between the eyes
    if fade.min() < 1.0:
        we[:, : max(split, 0)] *= np.float32(fade[0])
        we[:, max(split, 0) :] *= np.float32(fade[1])
    cols = np.flatnonzero((we > 0).any(0))  # the bank eyes only over the columns where they show
    d = np.zeros_like(band)  # no weight outside those columns
    if len(cols):
        c0, c1 = int(cols[0]), int(cols[-1]) + 1
        bank_img = None
        for j, wt in choice:
            m = mesh_map.xy(bank.crop_landmarks[j], r0, r1, c0, c1)
            if cfg.bank_iris_align:
                _bank_eyeballs(m, bank.crop_landmarks[j], local - np.array([c0, 0], np.float32), face_w, cfg)
            img = W.remap_float(bank.crops[j], m)
            img = img if wt == 1.0 else img * wt
            bank_img = img if bank_img is None else bank_img + img
        if gain is not None:
            bank_img *= gain
        d[:, c0:c1] = bank_img - band[:, c0:c1]
    # the bank eyes' detail on the live light
    d -= _low(d, (we > 1e-3).astype(np.float32), cfg.light_sigma * face_w)
    if len(cols):  # we is 0 outside those columns
        band[:, c0:c1] += _times(d[:, c0:c1], we[:, c0:c1])
    # the live irises, translated to the target iris centres, seen only through the target eye openings
    for centre, contour, f in ((468, LEFT_EYE, fade[0]), (473, RIGHT_EYE, fade[1])):
        if f <= 0:
            continue  # a blink: the live lid over it
        r = _iris_radius(live, centre) * cfg.iris_grow
        cx, cy = local[centre]
        a0, a1 = max(int(cx - r - 2), 0), min(int(np.ceil(cx + r + 3)), shape[1])
        b0, b1 = max(int(cy - r - 2), 0), min(int(np.ceil(cy + r + 3)), shape[0])
        if a1 - a0 < 2 or b1 - b0 < 2:
            continue
        ix = np.arange(a0, a1, dtype=np.float32)[None, :]
        iy = np.arange(b0, b1, dtype=np.float32)[:, None]
        disk = _smooth_ramp(np.float32(r) - np.sqrt((ix - cx) ** 2 + (iy - cy) ** 2), 1.5)
        opening = np.zeros((b1 - b0, a1 - a0), np.uint8)
        pts = local[list(contour)] - np.array([a0, b0], np.float32)
        cv2.fillConvexPoly(opening, cv2.convexHull(np.round(pts * 16).astype(np.int32)), 1, cv2.LINE_8, 4)
        a = disk * cv2.GaussianBlur(opening.astype(np.float32), (0, 0), 0.7) * np.float32(f)
        if share is not None or cfg.iris_live_lids:  # only where the live lids show the iris (the bank's beneath)
            org = np.array([x0 + a0, y0 + r0 + b0], np.float32) + (live[centre, :2] - target[centre, :2])
            a *= _inside_all((live[list(contour), :2] - org,), a.shape, cfg.eyeball_edge * face_w)
        if a.max() <= 0:
            continue
        dx = np.float32(live[centre, 0] - target[centre, 0] + x0)
        dy = np.float32(live[centre, 1] - target[centre, 1] + y0 + r0)
        mx = np.broadcast_to(ix + dx, a.shape).copy()
        my = np.broadcast_to(iy + dy, a.shape).copy()
        iris = W.remap(frame, (mx, my)).astype(np.float32)
        sub = band[b0:b1, a0:a1]
        sub += (iris - sub) * a[..., None]
    if cfg.narrow_eyeball and narrow:
        _live_eyeballs(band, frame, live, target, np.array([x0, y0 + r0], np.float32), face_w, cfg)
    return out


def _eye_surround(d: np.ndarray, wb: np.ndarray, target: np.ndarray, rect: tuple[int, ...], face_w: float,
                  cfg: RenderConfig) -> None:  # fmt: skip
    """d (h, w, 3) float32, what the bank adds over the render rect (x0, y0, ...), less its shading above
    ``surround_sigma`` within ``surround_reach`` face widths (face_w px) of the target eye openings (target:
    (478, 2+) float32 frame pixels), fading out over ``surround_feather``; changed in place. The low-pass is
    weighted by where the bank shows (wb (h, w) float32 in [0, 1]).

    For the bank's lids over wider live eyes (W009 happy from fear). The bank frames' sockets, creases and the
    shade under their brows belong to their own, narrower eyes, chosen anew every few frames, around a live eyeball
    and corners: a fresh tracker read each eye's corners partly off that shading, pulled along with the iris (the
    right inner corner 362: +6.6 px per unit of gaze, 0.70 px spread about its drawn place; the re-tracked gaze
    damped to 0.78 of the driving clip's). With the live face's shading there (it is warped onto the same target
    geometry, so the lids and brows still sit where the emotion puts them), W009 happy from fear: gaze 0.867 ->
    0.888, over six sub-pixel shifts of the output 0.858 -> 0.876; facex p(happy) rises (0.55 -> 0.63). Only this
    case: happy from angry (live eyes) lost 0.01 with it (``docs/personal/gaze.md``). At W009's face size (142 px)
    ``surround_sigma`` is the quarter-size low-pass's floor, 2 px."""
    import cv2

    x0, y0 = rect[0], rect[1]
    local = target[:, :2] - np.array([x0, y0], np.float32)
    eyes = _hull_mask(wb.shape, local[list(LEFT_EYE)]) | _hull_mask(wb.shape, local[list(RIGHT_EYE)])
    far, (r0, r1, c0, c1) = _ramp_box(eyes, cfg.surround_reach * face_w, cfg.surround_feather * face_w)
    if r1 - r0 < 2 or c1 - c0 < 2:
        return
    near = np.subtract(np.float32(1.0), far, out=far)
    sub = d[r0:r1, c0:c1]
    region = cv2.threshold(wb[r0:r1, c0:c1], 1e-3, 1.0, cv2.THRESH_BINARY)[1]
    sub -= _times(_low(sub, region, cfg.surround_sigma * face_w), near)


def _eye_open(lm: np.ndarray) -> np.ndarray:
    """Each eye's lid gap (``geometry.lid_apertures``) over its width (left, right). lm: (478, 2+) float32
    pixels. Returns (2,) float32 >= 0."""
    p = lm[:, :2].astype(np.float32, copy=False)
    width = np.linalg.norm(
        p[[LEFT_EYE_ENDS[0], RIGHT_EYE_ENDS[0]]] - p[[LEFT_EYE_ENDS[1], RIGHT_EYE_ENDS[1]]], axis=1
    )
    return lid_apertures(p) / np.maximum(width, np.float32(1e-6))


def _bank_eye_open(bank: EmotionBank, j: int) -> np.ndarray:
    """:func:`_eye_open` of the bank's frame j ((2,) float32, read-only), once per bank and frame (kept on the bank
    object, as :func:`_bank_teeth`)."""
    cache = vars(bank).setdefault("_eye_open_cache", {})
    if j not in cache:
        cache[j] = _eye_open(bank.crop_landmarks[j])
        cache[j].flags.writeable = False
    return cache[j]


def _bank_eyeballs(
    m: np.ndarray, src: np.ndarray, local: np.ndarray, face_w: float, cfg: RenderConfig
) -> None:
    """m (h, w, 2) float32: a bank frame's map (its crop pixels) over a band whose pixel (0, 0) is local's origin;
    changed in place so that inside each target eye opening the bank's eyeball moves as one, its iris centre
    (src: (478, 2+) float32 crop pixels) onto the target's (local: (478, 2+) float32 band pixels), where the
    live iris is pasted over it. The bank frame is chosen for its lids and brows; left where the mesh put it, its
    iris lay up to 1.4 px (W009 happy from fear) beside the live one, and its edge showed past the live eyeball
    as a second ring. Surprised and fear pick their frames by gaze too, but among few: the irises of two frames
    still lay apart while the frames cross-faded, read by a fresh tracker as a gaze between them. Only where the
    moved sample stays inside the bank's own opening too (no bank lid pulled in), fading over ``eyeball_edge`` face
    widths."""

    h, w = m.shape[:2]
    edge = cfg.eyeball_edge * face_w
    for centre, contour in ((468, LEFT_EYE), (473, RIGHT_EYE)):
        box = _eye_box(local[list(contour), :2], (h, w))
        if box is None:
            continue
        a0, b0, a1, b1 = box
        cx, cy = local[centre, :2]
        if not (0 <= cx < w - 1 and 0 <= cy < h - 1):
            continue
        i, j = int(cy), int(cx)
        fy, fx = np.float32(cy - i), np.float32(cx - j)
        q = m[i : i + 2, j : j + 2]
        at = (q[0, 0] * (1 - fx) + q[0, 1] * fx) * (1 - fy) + (q[1, 0] * (1 - fx) + q[1, 1] * fx) * fy
        d = (src[centre, :2] - at).astype(np.float32)
        # only where the shifted sample stays inside the bank's opening too (the mesh maps it onto the target's:
        # the target opening moved back by the shift, in band pixels)
        back = d * np.float32(face_width(local) / max(face_width(src), 1e-6))
        pts = local[list(contour), :2] - np.array([a0, b0], np.float32)
        wgt = _inside_all((pts, pts - back), (b1 - b0, a1 - a0), edge)
        m[b0:b1, a0:a1] += wgt[..., None] * d[None, None, :]


def _corner_keep(local: np.ndarray, shape: tuple[int, int], face_w: float, cfg: RenderConfig) -> np.ndarray:
    """(h, w) float32 in [0, 1]: 0 within ``corner_live`` face widths of the target eye corners (local: (478, 2+)
    float32 pixels of the band), rising to 1 over ``corner_feather``: where the bank's eyes give way to the live
    ones, warped. A bank frame's corners sit wherever its own tracking put them, and the eye frames switch every few
    frames (35 times in W009's 128 fear frames): re-tracked, the output's inner corners jumped with them (0.5-0.7 px
    std about the driving clip's, which itself varies 0.25 px about the live tracker's)."""
    ix = np.arange(shape[1], dtype=np.float32)[None, :]
    iy = np.arange(shape[0], dtype=np.float32)[:, None]
    keep = np.ones(shape, np.float32)
    r, f = np.float32(cfg.corner_live * face_w), cfg.corner_feather * face_w
    for j in (33, 133, 362, 263):
        keep *= _smooth_ramp(np.sqrt((ix - local[j, 0]) ** 2 + (iy - local[j, 1]) ** 2) - r, f)
    return keep


def _live_eyeballs(band: np.ndarray, frame: np.ndarray, live: np.ndarray, target: np.ndarray, org: np.ndarray,
                   face_w: float, cfg: RenderConfig) -> None:  # fmt: skip
    """The live eyeballs (iris and whites, frame (H, W, 3) uint8) moved as one to the target iris places, over
    the bank's eyes in band ((h, w, 3) float32 whose pixel (0, 0) is frame pixel org, (2,) float32), inside both
    the target eye opening and the live one moved (:func:`_eyeball_weight`); changed in place. live,
    target: (478, 2+) float32 frame pixels.

    For an emotion asked of wider live eyes (happy from fear or surprise: the bank's lids, see
    ``PersonalTranslator.narrow_eyes``) the live opening holds the whole target one. Only within ``eyeball_reach``
    iris radii of the iris (the pasted disk's 1.15 left the bank frame's own iris edge beside it as a second ring
    in some frames); beyond it the bank's narrowed whites stay: the whole live eyeball, wide-eyed whites and all,
    cost W009 p(happy) from surprise 0.54 -> 0.41 (bar 0.40), this 0.46. With the live corners (:func:`_corner_keep`)
    the re-tracked blinks follow at 0.67 -> 0.77 from fear, 0.58 -> 0.62 from surprise, the gaze 0.84 -> 0.86 and
    0.89 -> 0.90 (means over four sub-pixel shifts of the output; single runs vary by +-0.02)."""
    h, w = band.shape[:2]
    edge = cfg.eyeball_edge * face_w
    for centre, contour in ((468, LEFT_EYE), (473, RIGHT_EYE)):
        box = _eye_box(target[list(contour), :2] - org, (h, w))
        if box is None:
            continue
        a0, b0, a1, b1 = box
        corner = org + np.array([a0, b0], np.float32)
        wgt, d = _eyeball_weight(live, target, centre, contour, corner, (b1 - b0, a1 - a0), edge)
        if cfg.eyeball_reach > 0:  # only around the iris: the bank's darker, narrowed whites beyond
            r = _iris_radius(live, centre)
            cx, cy = target[centre, :2] - corner
            dist = np.sqrt((np.arange(a1 - a0, dtype=np.float32)[None, :] - np.float32(cx)) ** 2
                           + (np.arange(b1 - b0, dtype=np.float32)[:, None] - np.float32(cy)) ** 2)  # fmt: skip
            wgt *= _smooth_ramp(np.float32(cfg.eyeball_reach * r) - dist, max(cfg.reach_feather * r, 1.0))
        mx = np.broadcast_to(np.arange(a1 - a0, dtype=np.float32)[None, :] + (corner[0] + d[0]), wgt.shape)
        my = np.broadcast_to(np.arange(b1 - b0, dtype=np.float32)[:, None] + (corner[1] + d[1]), wgt.shape)
        ball = W.remap(frame, (np.ascontiguousarray(mx), np.ascontiguousarray(my))).astype(np.float32)
        sub = band[b0:b1, a0:a1]
        sub += (ball - sub) * wgt[..., None]


def _iris_radius(lm: np.ndarray, centre: int) -> float:
    """The iris radius around ``centre`` (468 or 473): its ring points' mean distance, lm (478, 2+) float32 px."""
    ring = list(IRIS_RINGS[centre])
    return float(np.linalg.norm(lm[ring, :2] - lm[centre, :2], axis=1).mean())


def _eye_box(pt: np.ndarray, shape: tuple[int, int]) -> Optional[tuple[int, int, int, int]]:
    """(a0, b0, a1, b1): the columns and rows of an array of ``shape`` (rows, cols) around an eye contour pt (N, 2)
    float32 in its pixels, a pixel beyond each side; None when under 3 x 3 of it is inside."""
    lo = np.floor(pt.min(0)).astype(int) - 1
    hi = np.ceil(pt.max(0)).astype(int) + 2
    a0, b0, a1, b1 = max(lo[0], 0), max(lo[1], 0), min(hi[0], shape[1]), min(hi[1], shape[0])
    return None if a1 - a0 < 3 or b1 - b0 < 3 else (a0, b0, a1, b1)


def _eyeball_weight(live: np.ndarray, target: np.ndarray, centre: int, contour: Sequence[int],
                    org: np.ndarray, shape: tuple[int, int], edge: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Where an eye's live eyeball, translated by d (target -> live, (2,) float32 px), can show: inside both the
    target opening and the live one moved by -d, fading over ``edge`` px inside them. live, target: (478, 2+)
    float32 frame pixels; org: (2,) float32 frame position of the box's corner; shape: its (rows, cols).
    Returns ((rows, cols) float32 in [0, 1], d)."""
    d = (live[centre, :2] - target[centre, :2]).astype(np.float32)
    polys = (target[list(contour), :2] - org, (live[list(contour), :2] - d) - org)
    return _inside_all(polys, shape, edge), d


def _inside_all(polys: Sequence[np.ndarray], shape: tuple[int, int], edge: float) -> np.ndarray:
    """(rows, cols) float32 in [0, 1]: inside every polygon of ``polys`` (each (N, 2) float32 in the box's own
    pixels, drawn at 1/16 px), fading in over ``edge`` px from each one's border: an eye opening both the eyeball's
    source and its destination agree on."""
    import cv2

    wgt = None
    for poly in polys:
        m = np.zeros(shape, np.uint8)
        cv2.fillPoly(m, [np.round(poly * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
        ramp = _smooth_ramp(cv2.distanceTransform(m, cv2.DIST_L2, 3) - np.float32(0.5), edge)
        wgt = ramp if wgt is None else wgt * ramp
    return wgt


def _eyeballs(mx: np.ndarray, my: np.ndarray, live: np.ndarray, target: np.ndarray, rect: tuple[int, ...],
              face_w: float, cfg: RenderConfig) -> None:  # fmt: skip
    """The live layer's map (mx, my: (h, w) float32 frame coordinates over rect (x0, y0, x1, y1), changed in place)
    made a translation inside each eye opening: the eyeball (iris and whites) moves as one from the live eye to the
    target one, the lids (the mesh) slide over it. live, target: (478, 2+) float32 frame pixels.

    The mesh has no iris vertices: its eye-opening strip drew the iris where the lids' moves put it, not at its
    target place (the live gaze between the target corners, :func:`geometry._eyes_live`), and squashed it under
    lowered lids. Measured by a fresh re-track, W009 sad: the right iris 0.058 of the eye's width (1.7 px) off the
    live gaze on average, a squint (0.8 px with this); its correlation with the live gaze is unchanged: the
    re-tracked gaze's frame-to-frame error comes from the tracker reading the iris against reshaped lids and brows
    (held exactly live inside the eye and changed only around it, or the reverse, each costs the same), not from
    where the iris is drawn. Applied where both the target opening and the live one (so no live lid is pulled
    in) hold the pixel, fading over ``eyeball_edge`` face widths inside them; where the target opens the lids
    (``eyeball_open_from``), only its sideways move (the lids' inner margin moves with the mesh: it is where a
    re-tracker reads the lids)."""
    x0, y0 = rect[0], rect[1]
    h, w = mx.shape
    edge = cfg.eyeball_edge * face_w
    opens = lid_apertures(target[:, :2]) / np.maximum(lid_apertures(live[:, :2]), np.float32(1e-6))
    mesh_y = _smooth_ramp(opens - np.float32(cfg.eyeball_open_from), cfg.eyeball_open_ramp)  # (left, right)
    for centre, contour, m in ((468, LEFT_EYE, mesh_y[0]), (473, RIGHT_EYE, mesh_y[1])):
        box = _eye_box(target[list(contour), :2] - np.array([x0, y0], np.float32), (h, w))
        if box is None:
            continue
        a0, b0, a1, b1 = box
        org = np.array([x0 + a0, y0 + b0], np.float32)
        wgt, d = _eyeball_weight(live, target, centre, contour, org, (b1 - b0, a1 - a0), edge)
        wy = wgt if m <= 0 else wgt * np.float32(1.0 - m)
        ix = np.arange(x0 + a0, x0 + a1, dtype=np.float32)[None, :] + d[0]
        iy = np.arange(y0 + b0, y0 + b1, dtype=np.float32)[:, None] + d[1]
        sx, sy = mx[b0:b1, a0:a1], my[b0:b1, a0:a1]
        sx += wgt * (ix - sx)
        sy += wy * (iy - sy)


def stretch_weight(target: np.ndarray, source: np.ndarray, cfg: RenderConfig,
                   aff: Optional[np.ndarray] = None) -> np.ndarray:  # fmt: skip
    """(T,) float32 in [0, 1] per mesh triangle: 1 where the source triangle maps onto the target one with little
    stretch, 0 where it would be stretched or squeezed by more than ``stretch_max`` (|log| of the singular values
    over the faces' size ratio: a bank face merely larger or smaller than the live one is not stretched; counted
    in absolute terms, a live face 1.125 x the enrolment one, W009 angry, lost the bank's snarl and brows on the
    cheeks and facex read p(angry) 0.03 against 0.38 for the same render scaled afterwards).
    target, source: (478, 2+) float32 pixels; aff: their :func:`W.affines` when already computed."""
    a = (W.affines(target, source) if aff is None else aff)[:, :, :2].astype(np.float64)  # target -> source
    a = a * (face_width(target) / max(face_width(source), 1e-6))  # the overall scale taken out
    # singular values of each 2x2 in closed form: s1^2 + s2^2 and s1 * s2 (the squares summed in the order
    # ``.sum((1, 2))`` takes them, element by element: numpy's reduction over the two small axes is 3x slower)
    sq = a * a
    ss = sq[:, 0, 0] + sq[:, 0, 1]
    ss += sq[:, 1, 0]
    ss += sq[:, 1, 1]
    det = np.abs(a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0])
    root = np.sqrt(np.maximum(ss * ss - 4.0 * det * det, 0.0))
    s1, s2 = np.sqrt(0.5 * (ss + root)), np.sqrt(np.maximum(0.5 * (ss - root), 0.0))
    m = np.maximum(np.abs(np.log(np.maximum(s1, 1e-6))), np.abs(np.log(np.maximum(s2, 1e-6)))).astype(
        np.float32
    )
    return 1.0 - _smooth_ramp(m - np.float32(cfg.stretch_ok), cfg.stretch_max - cfg.stretch_ok)


@dataclass(frozen=True)
class _Masks:
    """The per-frame weights of :func:`bank_weight`, each (h, w) float32 in [0, 1] over the render rect."""

    bank: np.ndarray
    taper: np.ndarray
    keep: np.ndarray
    lower: np.ndarray
    outside_eyes: np.ndarray
    forehead: np.ndarray


class _MeshMaps:
    """The piecewise-affine maps from the target geometry to any source landmarks, over one render rect.

    target: (478, 2+) float32 frame pixels; rect (x0, y0, x1, y1) int frame pixels."""

    def __init__(self, target: np.ndarray, rect: tuple[int, int, int, int], step: int):
        self.target = target
        self.face_w = face_width(target)
        self.grid = W.make_grid(rect, step)
        self.size = (rect[3] - rect[1], rect[2] - rect[0])
        self.idx = W.triangle_index(target, self.grid)
        self.tri = np.maximum(self.idx, 0)  # every grid point's triangle, holes clipped to triangle 0
        self._frame = W.target_frame(target)
        self._aff: dict = {}  # source memory -> (source, its affines): see :meth:`affines`
        self._axes: dict = {}  # step -> :meth:`face_axes`

    def affines(self, source: np.ndarray) -> np.ndarray:
        """:func:`W.affines` target -> source (478, 2+) float32 pixels, (T, 2, 3) float32, once per source memory
        (the bank frame of the cheeks is asked for by the map and by :func:`stretch_weight`, each time as a new view
        of the bank's array). The cache holds each source, so its memory is never another array's meanwhile."""
        key = (source.__array_interface__["data"][0], source.shape, source.strides)
        if key not in self._aff:
            self._aff[key] = (source, W.affines(self.target, source, self._frame))
        return self._aff[key][1]

    def prefetch(self, sources: Sequence[np.ndarray]) -> None:
        """:meth:`affines` of every source ((478, 2+) float32 pixels each) not yet cached, in one
        :func:`W.affines_many` call (the same numbers as one at a time, with a fourth of the numpy calls)."""
        todo: dict = {}
        for source in sources:
            key = (source.__array_interface__["data"][0], source.shape, source.strides)
            if key not in self._aff:
                todo.setdefault(key, source)
        if len(todo) > 1:
            many = W.affines_many(self.target, np.stack([src[:, :2] for src in todo.values()]), self._frame)
            for (key, source), aff in zip(todo.items(), many):
                self._aff[key] = (source, aff)

    def face_axes(self, f: int) -> tuple[np.ndarray, np.ndarray]:
        """At every ``f``-th pixel of the rect, (ceil(h / f), ceil(w / f)) float32 each: face widths down from the
        target's lower eyelids along the face's vertical axis, and |across it| from the eyes' middle (for
        :func:`_face_ramp`, computed once per frame and step)."""
        if f not in self._axes:
            t, g = self.target, self.grid
            fw = max(self.face_w, 1.0)
            ax = (t[263, :2] - t[33, :2]) / max(float(np.linalg.norm(t[263, :2] - t[33, :2])), 1e-6)
            down = np.array([-ax[1], ax[0]], np.float32) * np.float32(f / fw)
            e = (t[[145, 374], :2].mean(0) - np.array([g.x0, g.y0], np.float32) + 0.5) / f - 0.5
            h, w = self.size
            xs = np.arange(-(-w // f), dtype=np.float32)[None, :] - np.float32(e[0])
            ys = np.arange(-(-h // f), dtype=np.float32)[:, None] - np.float32(e[1])
            self._axes[f] = (down[0] * xs + down[1] * ys, np.abs(down[1] * xs - down[0] * ys))
        return self._axes[f]

    def xy(self, source: np.ndarray, r0: int = 0, r1: int = -1, c0: int = 0, c1: int = -1) -> np.ndarray:
        """source: (478, 2+) float32 pixels of the image to sample -> the map of rect rows [r0, r1) and columns
        [c0, c1) (-1: to the end), (r1 - r0, c1 - c0, 2) float32 (x, y), for :func:`W.remap`: that box of the whole
        map, evaluated over the coarse cells around it only (equal to the whole map's to ~1e-5 px: the
        upsampling's weights are rounded at the box's own offsets)."""
        h, w = self.size
        k = self.grid.step
        gh, gw = self.grid.shape
        r1, c1 = h if r1 < 0 else r1, w if c1 < 0 else c1
        # one coarse row / column beyond the box each side: the linear upsampling never clamps inside it
        g0, g1 = max(r0 // k - 1, 0), min(-(-r1 // k) + 1, gh)
        q0, q1 = max(c0 // k - 1, 0), min(-(-c1 // k) + 1, gw)
        coarse = W.coarse_map(self.tri, self.affines(source), self.grid, (g0, g1), (q0, q1))
        return W.upsample_xy(coarse, k)[r0 - g0 * k : r1 - g0 * k, c0 - q0 * k : c1 - q0 * k]

    def __call__(self, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """source: (478, 2+) float32 pixels of the image to sample -> (map_x, map_y), each (h, w) float32."""
        m = self.xy(source)
        return m[..., 0], m[..., 1]


def _render_rect(
    frame_shape: tuple[int, ...], target: np.ndarray, live: np.ndarray
) -> Optional[tuple[int, ...]]:
    """The frame rect (x0, y0, x1, y1) holding both face ovals (target, live: (478, 2+) float32 pixels), or None
    when it is too small to render."""
    h, w = frame_shape[:2]
    pts = np.concatenate([target[list(FACE_OVAL), :2], live[list(FACE_OVAL), :2]])
    x0, y0 = np.floor(pts.min(0)).astype(int) - 2
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    # sides a multiple of 4 where the frame allows: the quarter-size low-passes (_low, _fine_energy) then take
    # OpenCV's whole-scale area resize, ~4x its generic one
    x0, x1 = _grow4(x0, x1, w)
    y0, y1 = _grow4(y0, y1, h)
    return int(x0), int(y0), int(x1), int(y1)


def _grow4(a: int, b: int, n: int) -> tuple[int, int]:
    """[a, b) within [0, n) grown to a length that is a multiple of 4, to the right (down) first, then the other way;
    as it is where [0, n) is too short."""
    grow = -(b - a) % 4
    right = min(grow, n - b)
    left = min(grow - right, a)
    return a - left, b + right


def _live_layer(frame: np.ndarray, maps: _MeshMaps, live: np.ndarray, rect: tuple[int, ...], masks: _Masks,
                cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """The camera frame (H, W, 3) uint8 warped from the live landmarks (478, 2+) float32 onto the target, the
    displacement (not the image) tapering to zero at the face border: one resampling, no ghost (``live`` with its
    eyes where the frame shows them: see :func:`render`). Returns the rect as (h, w, 3) float32 in [0, 255]."""
    import cv2

    x0, y0, x1, y1 = rect
    ix = np.arange(x0, x1, dtype=np.float32)[None, :]
    iy = np.arange(y0, y1, dtype=np.float32)[:, None]
    m = maps.xy(live)
    taper = masks.taper
    mx = np.subtract(m[..., 0], ix)
    mx *= taper
    mx += ix
    my = np.subtract(m[..., 1], iy)
    my *= taper
    my += iy
    if cfg.eyeball:
        _eyeballs(mx, my, live, maps.target, rect, maps.face_w, cfg)
    out = W.remap_float(frame, (mx, my), window=True)
    # the upper face: live texture (the bank adds its folds)
    # the rows down to the last one holding lower < 0.999 (one compare and a bounding box: a row-wise min's time)
    _, top, _, n = cv2.boundingRect(cv2.compare(masks.lower, 0.999, cv2.CMP_LT))
    if cfg.resample_sharpen > 0 and n > 0:
        # a sub-pixel shift softens texture by f (1 - f) of its fraction f, an unshifted pixel (where the taper
        # ends, below the hairline) not at all: a texture step across the forehead; the shifted pixels get back
        # their fine texture
        u = top + n
        fx, fy = np.floor(mx[:u]), np.floor(my[:u])  # the fractions, in place: fx (1 - fx) + fy (1 - fy)
        np.subtract(mx[:u], fx, out=fx)
        np.subtract(my[:u], fy, out=fy)
        amt = np.subtract(np.float32(1.0), fx)
        amt *= fx
        fx = np.subtract(np.float32(1.0), fy, out=fx)
        fx *= fy
        amt += fx
        amt *= np.float32(2.0 * cfg.resample_sharpen)
        amt *= masks.outside_eyes[:u]  # the eyes as they were
        band = out[:u]
        fine = cv2.subtract(band, cv2.GaussianBlur(band, (0, 0), cfg.resample_sigma))
        cv2.add(band, _times(fine, amt, out=fine), dst=band)
    return out


def _live_inside(wb: np.ndarray, target: np.ndarray, rect: tuple[int, ...], face_w: float, share: float,
                 cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """wb (h, w) float32 bank weight over the render rect, less ``share`` in [0, 1] on the opening between the
    target's inner lips (target: (478, 2+) float32 frame pixels) grown by ``inside_margin`` and fading out over
    ``inside_feather`` (face widths; face_w pixels): the live teeth and mouth interior there. Changed in place.
    The bank's light stays as it was around it (the hole is cut after the bank's light is placed)."""
    import cv2

    x0, y0 = rect[0], rect[1]
    m = np.zeros(wb.shape, np.uint8)
    pts = (target[list(LIPS_INNER), :2] - np.array([x0, y0], np.float32)) * 16
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1, cv2.LINE_8, 4)
    ramp, (r0, r1, c0, c1) = _ramp_box(m, cfg.inside_margin * face_w, cfg.inside_feather * face_w)
    if r1 > r0 and c1 > c0:
        ramp -= np.float32(1.0)  # 0 beyond the fade, -1 on the opening
        ramp *= np.float32(share)
        ramp += np.float32(1.0)
        wb[r0:r1, c0:c1] *= ramp
    return wb


def _mouth_regions(img: np.ndarray, lm: np.ndarray, pad: int):
    """The mouth of landmarks lm (478, 2+) float32 pixels in img (H, W, 3) uint8 BGR, cut ``pad`` px beyond the
    outer lips: (sub-image, opening mask, lips mask), the masks (h, w) bool (between the inner lips; between the
    outer and inner lips), or None where the cut is under pad + 1 px or the mouth is closed."""
    import cv2

    outer = lm[list(LIPS_OUTER), :2]
    x0, y0 = np.maximum(np.floor(outer.min(0)).astype(int) - pad, 0)
    x1, y1 = np.ceil(outer.max(0)).astype(int) + pad + 1
    sub = img[y0:y1, x0:x1]
    if sub.shape[0] < pad + 1 or sub.shape[1] < pad + 1:
        return None
    off = np.array([x0, y0], np.float32)
    inner = np.zeros(sub.shape[:2], np.uint8)
    cv2.fillPoly(inner, [np.round((lm[list(LIPS_INNER), :2] - off) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    lips = np.zeros_like(inner)
    cv2.fillPoly(lips, [np.round((outer - off) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    opening, lips = inner > 0, (lips > 0) & (inner == 0)
    if not opening.any() or not lips.any():
        return None
    return sub, opening, lips


def _teeth(img: np.ndarray, lm: np.ndarray, cfg: RenderConfig) -> float:
    """The share in [0, 1] of the opening between the inner lips (lm: (478, 2+) float32 pixels of img, (H, W, 3)
    uint8 BGR) that shows teeth: brighter than ``teeth_v`` and less saturated than ``teeth_s`` of the lips' median
    (so under any light); 0 where the mouth is closed."""
    return _mouth_look(img, lm, cfg)[0]


def _mouth_look(img: np.ndarray, lm: np.ndarray, cfg: RenderConfig) -> tuple[float, float]:
    """What the opening between the inner lips (lm: (478, 2+) float32 pixels of img, (H, W, 3) uint8 BGR) shows,
    as shares in [0, 1] of it: teeth (see :func:`_teeth`) and the dark inside (darker than ``inside_dark`` of the
    lips' median brightness); (0, 0) where the mouth is closed."""
    import cv2

    regions = _mouth_regions(img, lm, 1)
    if regions is None:
        return 0.0, 0.0
    sub, opening, lips = regions
    hsv = cv2.cvtColor(sub, cv2.COLOR_BGR2HSV)
    v, s = hsv[..., 2][opening], hsv[..., 1][opening]
    lv, ls = np.median(hsv[..., 2][lips]), np.median(hsv[..., 1][lips])
    white = (v > cfg.teeth_v * lv) & (s < cfg.teeth_s * ls)
    return float(white.mean()), float((v < cfg.inside_dark * lv).mean())


def _bank_teeth(bank: EmotionBank, j: int, cfg: RenderConfig) -> float:
    """:func:`_teeth` of the bank's frame j, computed once per bank, frame and config (a bank's crops and their
    landmarks never change after enrolment): kept on the bank object itself, so it goes with the bank."""
    cache = vars(bank).setdefault("_teeth_cache", {})
    key = (j, cfg.teeth_v, cfg.teeth_s)
    if key not in cache:
        cache[key] = _teeth(bank.crops[j], bank.crop_landmarks[j], cfg)
    return cache[key]


def _inside_detail(img: np.ndarray, lm: np.ndarray) -> float:
    """How much fine detail (teeth edges, tongue, the lips' inner rims) the opening between the inner lips holds: the
    sum of the grey image's |Laplacian| over it, over the face width (cheek to cheek) and the lips' median grey (so
    under any light and, for edges as sharp as the pixels, at any face size). img: (H, W, 3) uint8 BGR; lm:
    (478, 2+) float32 pixels of img. Returns a float >= 0 (0 where the mouth is closed)."""
    import cv2

    regions = _mouth_regions(img, lm, 2)
    if regions is None:
        return 0.0
    sub, opening, lips = regions
    grey = cv2.cvtColor(sub, cv2.COLOR_BGR2GRAY)
    lap = np.abs(cv2.Laplacian(grey.astype(np.float32), cv2.CV_32F))
    ref = max(float(np.median(grey[lips])), 1.0) * max(face_width(lm), 1.0)
    return float(lap[opening].sum()) / ref


def _bank_inside_detail(bank: EmotionBank, j: int) -> float:
    """:func:`_inside_detail` of the bank's frame j, once per bank and frame (kept on the bank, as
    :func:`_bank_teeth`)."""
    cache = vars(bank).setdefault("_inside_detail_cache", {})
    if j not in cache:
        cache[j] = _inside_detail(bank.crops[j], bank.crop_landmarks[j])
    return cache[j]


def _opening(lm: np.ndarray) -> float:
    """The mean gap of the inner lips' upper/lower pairs over the face width (cheek to cheek), for lm (478, 2+)
    float32 pixels: the opening the mouth's mesh is warped between."""
    from w2le_live.personal.geometry import inner_lip_gap

    return float(inner_lip_gap(lm) / max(face_width(lm), 1e-6))


def _inside_share(frame: np.ndarray, live: np.ndarray, bank: EmotionBank, choice: Sequence[tuple[int, float]],
                  mouth_choice: Optional[int], mouth: float, cfg: RenderConfig,
                  target: Optional[np.ndarray] = None) -> float:  # fmt: skip
    """How much of the opening between the inner lips stays the live one under the bank mouth, in [0, 1]
    (:func:`inside_parts`, its soft-bank decision taken on this frame alone: all of it where it holds)."""
    share, soft, _ = inside_parts(frame, live, bank, choice, mouth_choice, mouth, cfg, target)
    return min(mouth * cfg.live_inside, 1.0) if soft else share


def inside_parts(frame: np.ndarray, live: np.ndarray, bank: EmotionBank, choice: Sequence[tuple[int, float]],
                 mouth_choice: Optional[int], mouth: float, cfg: RenderConfig,
                 target: Optional[np.ndarray] = None) -> tuple[float, bool, float]:  # fmt: skip
    """(share, soft, teeth): how much of the opening between the inner lips stays the live one under the bank mouth
    (``mouth_choice``, else the cheeks' first frame; see :func:`render`), in [0, 1], times ``mouth``: all of it for
    emotions in LIVE_INSIDE; for the others, as far as the live mouth (frame (H, W, 3) uint8, live (478, 2+) float32
    frame pixels) shows teeth (:func:`_teeth`) the bank frame's lacks (a bank mouth whose teeth match keeps its own),
    or the bank frame's inside contradicts the live one: its opening squeezed or stretched far onto the target's
    (target: (478, 2+) float32 frame pixels, default live), or bank teeth over a dark live opening. soft: that share
    is a part (0 < share < mouth) and the bank frame's opening is the softer one (``RenderConfig.soft_inside``):
    the caller keeps all of the live inside instead (at once, or as the translator decides). teeth: the share of the
    live opening that shows teeth (:func:`_teeth`; 0 where the bank's inside is not weighed)."""
    share = mouth * cfg.live_inside
    if share <= 0 or bank.emotion in LIVE_INSIDE:
        return min(share, 1.0), False, 0.0
    mj = choice[0][0] if mouth_choice is None else mouth_choice
    live_teeth, live_dark = _mouth_look(frame, live, cfg)
    bank_teeth = _bank_teeth(bank, mj, cfg)
    lack = 1.0 - bank_teeth / max(live_teeth, 1e-3)
    w = _smooth_ramp(np.float32([live_teeth - cfg.teeth_from]), cfg.teeth_ramp)[0]
    w *= _smooth_ramp(np.float32([lack - cfg.lack_from]), cfg.lack_ramp)[0]
    # teeth squeezed shut (or a closed mouth stretched open) and an "O" shown as teeth: the live inside there
    eps = np.float32(cfg.squash_eps)
    to = np.float32(_opening(live if target is None else target))
    ratio = (to + eps) / (np.float32(_opening(bank.crop_landmarks[mj])) + eps)
    w = max(w, _smooth_ramp(np.float32([abs(np.log(ratio)) - np.log(cfg.squash)]), cfg.squash_ramp)[0])
    o = _smooth_ramp(np.float32([live_dark - cfg.dark_from]), cfg.dark_ramp)[0]
    o *= _smooth_ramp(np.float32([bank_teeth - live_teeth - cfg.excess_from]), cfg.excess_ramp)[0]
    v = float(max(w, o))
    soft = 0 < v < 1 and cfg.soft_inside > 0
    if soft:  # the bank frame's opening the softer one: a part of the live teeth over it reads as a smear
        soft = _bank_inside_detail(bank, mj) < cfg.soft_inside * _inside_detail(frame, live)
    return min(share, 1.0) * v, bool(soft), float(live_teeth)


def _mouth_box(maps: _MeshMaps, cfg: RenderConfig) -> tuple[int, int, int, int]:
    """A box (r0, r1, c0, c1) of the render rect holding every pixel where :func:`bank_weight`'s ``keep`` is below
    1 (the outer lips' box grown by its ramp's reach at half resolution, doubled, and a margin): a search box.
    Once per maps and margins (asked for by the bank image and by the bank weight)."""
    memo = vars(maps).setdefault("_mouth_boxes", {})
    key = (cfg.mouth_margin, cfg.mouth_feather)
    if key not in memo:
        memo[key] = _mouth_box_of(maps, cfg)
    return memo[key]


def _mouth_box_of(maps: _MeshMaps, cfg: RenderConfig) -> tuple[int, int, int, int]:
    """:func:`_mouth_box`, computed."""
    t = maps.target
    # half-resolution pixels, as bank_weight builds it
    reach = (cfg.mouth_margin + cfg.mouth_feather) * maps.face_w / 2
    pad = 2 * (int(np.ceil(reach / 0.95)) + 4) + 8
    lips = t[list(LIPS_OUTER), :2] - np.array([maps.grid.x0, maps.grid.y0], np.float32)
    (c0, r0), (c1, r1) = np.floor(lips.min(0)).astype(int) - pad, np.ceil(lips.max(0)).astype(int) + pad + 1
    h, w = maps.size
    return max(int(r0), 0), min(int(r1), h), max(int(c0), 0), min(int(c1), w)


def _bank_image(bank: EmotionBank, maps: _MeshMaps, choice: Sequence[tuple[int, float]], mouth: float,
                mouth_choice: Optional[int], keep: np.ndarray, cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """The cheeks' bank frame(s) warped onto the target and cross-faded, the lips and mouth from one frame only
    (``mouth_choice``) inside the mouth region (1 - keep, (h, w) float32), sharpened (:func:`_sharpen_bank`).
    Returns (h, w, 3) float32."""
    import cv2

    bank_img = None
    for j, wt in choice:
        img = W.remap_float(bank.crops[j], maps.xy(bank.crop_landmarks[j]), cfg.cubic_bank)
        img = img if wt == 1.0 else img * wt
        bank_img = img if bank_img is None else bank_img + img
    mj = choice[0][0] if mouth_choice is None else mouth_choice
    if mouth > 0 and (len(choice) > 1 or mj != choice[0][0]):  # the mouth from one frame only
        b0, b1, a0, a1 = _mouth_box(maps, cfg)
        # the mouth frame only over the box where it shows (keep < 1): one compare and its bounding box
        x, y, bw, bh = cv2.boundingRect(cv2.compare(keep[b0:b1, a0:a1], 1.0, cv2.CMP_LT))
        if bw > 0:  # (the lips inside the rect)
            r0, r1, c0, c1 = b0 + y, b0 + y + bh, a0 + x, a0 + x + bw
            xy = maps.xy(bank.crop_landmarks[mj], r0, r1)[:, c0:c1]
            img = W.remap_float(bank.crops[mj], xy, cfg.cubic_bank)
            sub = bank_img[r0:r1, c0:c1]
            sub += _times(img - sub, 1.0 - keep[r0:r1, c0:c1])
    return _sharpen_bank(bank_img, maps, bank.crop_landmarks[choice[0][0]], keep, cfg)


def _sharpen_bank(bank_img: np.ndarray, maps: _MeshMaps, source: np.ndarray, keep: np.ndarray,
                  cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """bank_img (h, w, 3) float32 with its lower face's fine texture given back, in place: the bank frames are
    softer than the live face (resampled at sub-pixel offsets, and magnified where the enrolment face was smaller,
    farther from the camera, than the live one). source: (478, 2) float32 crop landmarks of the cheeks' frame.
    Inside the mouth (1 - keep, (h, w) float32) only ``mouth_sharpen`` of it: the bank's lips and teeth change
    every few frames, and sharpened they flicker. The upper face keeps the live pores (see :func:`_bank_detail`)."""
    import cv2

    mag = float(np.float32(maps.face_w) / np.float32(max(face_width(source), 1.0)))
    gain = cfg.bank_sharpen * max(1.0 + cfg.sharpen_mag * (mag * mag - 1.0), 0.0)
    if gain <= 0:
        return bank_img
    lower = _face_ramp(maps, cfg.sharpen_from, cfg.sharpen_feather)
    r0, r1 = _row_span(lower, 0.0)
    if r1 > r0:
        b = bank_img[r0:]
        k = 2 * int(np.ceil(2 * cfg.bank_sharpen_sigma)) + 1  # +-2 sigma: the unsharp mask's kernel
        y = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)  # the texture is in the brightness: one channel
        d = y - cv2.GaussianBlur(y, (k, k), cfg.bank_sharpen_sigma)
        d *= lower[r0:]
        d *= np.float32(gain)
        if cfg.mouth_sharpen <= 0:
            d *= keep[r0:]
        elif cfg.mouth_sharpen < 1:
            d *= keep[r0:] * np.float32(1.0 - cfg.mouth_sharpen) + np.float32(cfg.mouth_sharpen)
        cv2.add(b, cv2.merge([d, d, d]), dst=b)
    return bank_img


def _face_ramp(maps: _MeshMaps, below: float, width: float, column: Optional[tuple[float, float]] = None,
               ) -> np.ndarray:  # fmt: skip
    """(h, w) float32 in [0, 1] over the render rect: 0 down to ``below`` face widths under the target's lower
    eyelids, rising to 1 over ``width``, along the face's own vertical axis (not the frame's rows); with
    ``column`` (half, feather), times 1 within ``half`` face widths of the middle between the eyes, falling to 0
    over ``feather``. A smooth ramp: evaluated at a quarter of the size, upsampled."""
    import cv2

    f = 4
    along, across = maps.face_axes(f)
    h, w = maps.size
    sh, sw = along.shape
    r = _smooth_ramp(along - np.float32(below), width)
    if column is not None:
        r *= _smooth_ramp(np.float32(column[0] + column[1]) - across, column[1])
    return cv2.resize(r, (sw * f, sh * f), interpolation=cv2.INTER_LINEAR)[:h, :w]


def _bank_where(maps: _MeshMaps, source: np.ndarray, masks: _Masks, mouth: float,
                cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """(h, w) float32 in [0, 1]: the bank weight less where the cheeks' frame (landmarks source (478, 2+)
    float32) would be stretched far (a smile frame onto a pursed mouth: the live skin shows there)."""
    import cv2

    g = maps.grid
    h, w = maps.size
    sw = stretch_weight(maps.target, source, cfg, maps.affines(source))[maps.tri]
    sw = cv2.GaussianBlur(sw, (0, 0), 1.5)
    sw = cv2.resize(sw, (g.w, g.h), interpolation=cv2.INTER_LINEAR)[:h, :w]
    if mouth > 0:
        # the mouth frame fits (it was chosen for it): only inside the box where keep is below 1 (the share is 0
        # elsewhere; three full-rect passes saved)
        b0, b1, a0, a1 = _mouth_box(maps, cfg)
        fit = np.subtract(np.float32(1.0), masks.keep[b0:b1, a0:a1])
        sub = sw[b0:b1, a0:a1]
        fit *= np.subtract(np.float32(1.0), sub)
        sub += fit
    return masks.bank * sw


def _fine_band(img: np.ndarray, face_w: float, cfg: RenderConfig) -> np.ndarray:
    """The finest texture of img (h, w, 3) float32 or uint8, or its grey (h, w): that grey image less its blur at
    ``match_sigma`` face widths (face_w px; at least 0.6 px). Returns (h, w) float32."""
    import cv2

    sigma = max(cfg.match_sigma * face_w, 0.6)
    if img.ndim == 2:  # already grey
        y = img.astype(np.float32, copy=False)
        return np.subtract(y, cv2.GaussianBlur(y, (0, 0), sigma))  # a new array, y kept
    y = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32, copy=False)  # a float32 img: no copy
    y -= cv2.GaussianBlur(y, (0, 0), sigma)
    return y


def _fine_energy(img: np.ndarray, face_w: float, cfg: RenderConfig) -> tuple[np.ndarray, np.ndarray]:
    """(fine texture, its local energy) of img (h, w, 3) or (h, w) float32 or uint8: :func:`_fine_band`, and its
    absolute value blurred over ``match_window`` plus ``match_floor`` (a smooth map: blurred at a quarter of the
    size, upsampled); each (h, w) float32."""
    import cv2

    y = _fine_band(img, face_w, cfg)
    h, w = y.shape
    f = 4
    small = cv2.resize(np.abs(y), (max(w // f, 1), max(h // f, 1)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(cfg.match_window * face_w / f, 0.5))
    e = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    e += np.float32(cfg.match_floor)
    return y, e


def _match_fine(d: np.ndarray, bank_img: np.ndarray, out: np.ndarray, wb: np.ndarray, masks: _Masks,
                face_w: float, cfg: RenderConfig, where: Optional[np.ndarray] = None,
                refine: Optional[np.ndarray] = None) -> np.ndarray:  # fmt: skip
    """d (h, w, 3) float32 plus the bank's finest texture (bank_img, (h, w, 3) float32) times the gain in
    [0, match_max - 1] that brings its local energy up to the live layer's (out, same shape), where the bank
    shows (wb (h, w) float32 > 0), outside the mouth (its bank mouth switches: sharpened, it flickers) and times
    ``where`` ((h, w) float32 in [0, 1]) when given. The bank frames are softer than the live face where they
    were resampled at sub-pixel offsets or magnified (an enrolment face smaller than the live one); a constant
    sharpening (:func:`_sharpen_bank`) leaves them softer in some places and sharper in others. In
    ``match_passes`` passes, each measuring the band it raised (a Gaussian band plus g times itself is not
    1 + g times it); the passes after the first times ``refine`` ((h, w) float32 in [0, 1]) instead of ``where``
    when given. Changed in place."""
    import cv2

    r0, r1 = _row_span(wb, 1e-3)
    if r1 <= r0:
        return d
    el = _fine_energy(out[r0:r1], face_w, cfg)[1]
    y = cv2.cvtColor(bank_img[r0:r1], cv2.COLOR_BGR2GRAY)  # the bank's grey, its band raised pass by pass
    added = total = None
    for k in range(max(cfg.match_passes, 1)):
        fb, g = _fine_energy(y, face_w, cfg)
        np.divide(el, g, out=g)
        g -= np.float32(1.0)
        if total is not None:  # every pass's gain together at most match_max: (1 + g1) (1 + g2) <= match_max
            np.minimum(g, np.float32(cfg.match_max) / total - np.float32(1.0), out=g)
        _clamp(g, cfg.match_max - 1.0)
        g *= masks.keep[r0:r1]
        w = where if k == 0 or refine is None else refine
        if w is not None:
            g *= w[r0:r1]
        fb *= g
        if k + 1 < cfg.match_passes:  # the next pass measures the raised band (the last pass's total: unread)
            total = g + np.float32(1.0) if total is None else total * (g + np.float32(1.0))
            y += fb
        added = fb if added is None else cv2.add(added, fb, dst=added)
    cv2.add(d[r0:r1], cv2.merge([added, added, added]), dst=d[r0:r1])
    return d


def _no_nose(match: np.ndarray, target: np.ndarray, rect: tuple[int, ...], face_w: float,
             cfg: RenderConfig) -> np.ndarray:  # fmt: skip
    """match (h, w) float32 over the render rect times 0 on the target's lower nose (the hull of LOWER_NOSE,
    target: (478, 2+) float32 frame pixels) grown by ``nose_margin``, rising to 1 over ``nose_feather`` face widths
    (face_w px): the second and later passes of :func:`_match_fine`. Changed in place, returned."""
    x0, y0 = rect[0], rect[1]
    hull = _hull_mask(match.shape, target[list(LOWER_NOSE), :2] - np.array([x0, y0], np.float32))
    ramp, (r0, r1, c0, c1) = _ramp_box(hull, cfg.nose_margin * face_w, cfg.nose_feather * face_w)
    if r1 > r0 and c1 > c0:
        match[r0:r1, c0:c1] *= ramp
    return match


def _fine_switch(d: np.ndarray, wb: np.ndarray, masks: _Masks, face_w: float, k: float, cfg: RenderConfig,
                 where: Optional[np.ndarray] = None) -> tuple[int, np.ndarray]:  # fmt: skip
    """What a steeper weight for the finest texture adds to ``out + k wb d``: the fine texture (below
    ``match_sigma``, grey) of d ((h, w, 3) float32, the bank's detail) times k (the intensity) times the bank
    weight wb ((h, w) float32 in [0, 1]) made ``fine_steep`` times steeper about 0.5, less wb. Returns (r0, that
    over rows [r0, r0 + n) as (n, w) float32). A mix (1 - w) a + w b of two unrelated textures of equal energy
    keeps sqrt((1 - w)^2 + w^2) of it (0.71 at w = 0.5): feathered over a wide band, bank and live skin meet in a
    band of softer skin. So light and folds keep the wide feather and the finest texture switches over a narrow
    one (a two-band blend); not around the mouth (the bank's mouth switches: flicker) nor at the face border
    (the displacement tapers there)."""
    import cv2

    # the rows holding 0.02 < wb < 0.98: two compares and one bounding box (numpy's three passes and a row-wise
    # any: twice the time; the same float32 comparisons)
    _, r0, _, n = cv2.boundingRect(
        cv2.bitwise_and(cv2.compare(wb, 0.02, cv2.CMP_GT), cv2.compare(wb, 0.98, cv2.CMP_LT))
    )
    if n == 0:
        return 0, np.zeros((0, wb.shape[1]), np.float32)
    r1 = r0 + n
    w = wb[r0:r1]
    wf = _smooth_ramp(w - np.float32(0.5 - 0.5 / cfg.fine_steep), 1.0 / cfg.fine_steep)
    wf -= w
    wf *= masks.keep[r0:r1]
    edge = masks.taper[r0:r1] - np.float32(0.95)
    edge *= np.float32(20.0)
    _clamp(edge, 1.0)
    wf *= edge
    if k != 1.0:
        wf *= np.float32(k)
    if where is not None:
        wf *= where[r0:r1]
    f = _fine_band(d[r0:r1], face_w, cfg)
    f *= wf
    return r0, f


def _live_forehead(masks: _Masks, maps: _MeshMaps, live: np.ndarray, pose: Pose, rect: tuple[int, ...],
                   cfg: RenderConfig) -> None:  # fmt: skip
    """The live pores only from the live forehead: ``masks.forehead`` lowered, in place, where the live layer samples
    the camera frame less than ``hair_gap`` (fully from ``hair_gap + hair_feather``) face widths above the live
    brow under it (the brows' upper edge, interpolated across). live: (478, 2+) float32 frame pixels.

    A target that widens the band above the brows stretches the live brow's upper hair up past ``brow_gap`` above
    the target brows, where the live fine texture is kept, and it showed there over the bank's brow as a thin
    light arc (docs/personal/wild.md, "brow ghost"; d10x: raised live brows against a calmer bank, the tracker's
    first forehead row crowded onto the raised brow, 0.001-0.02 face widths above it, its smoothed brows 0.01-0.02
    below the camera's). A band the target only moves or narrows leaves the mask as it was. ``hair_gap`` 0.05 /
    0.04 / 0.03 (feather 0.02): d10x's trace gone / barely there / faint (tests/test_personal_brows.py's ratio on
    f14: 1.04 / 1.10 / 1.21, main 1.46), W009 happy from sad seam 0.65 / 0.57 / 0.52 (main 0.52: the bank's
    softer fine texture over more of the forehead above her raised sad brows)."""
    u = _row_span(masks.forehead, 0.0)[1]
    if u == 0:
        return
    import cv2

    x0, y0, x1, y1 = rect
    # a smooth ramp: at the mesh's coarse grid points, upsampled as the maps are (pixel centres aligned)
    k = maps.grid.step
    g1 = min(-(-u // k), maps.grid.shape[0])
    m = W.coarse_map(maps.tri, maps.affines(live), maps.grid, (0, g1))
    gx, gy = maps.grid.coords()
    gy = gy[:g1]
    t = masks.taper[np.clip(np.round(gy[:, 0]).astype(np.intp) - y0, 0, u - 1)][
        :, np.clip(np.round(gx[0]).astype(np.intp) - x0, 0, x1 - x0 - 1)
    ]
    # the frame pixel the live layer samples (its displacement tapered), from the pose's origin
    sx = (m[..., 0] - gx) * t + (gx - np.float32(pose.t[0]))
    sy = (m[..., 1] - gy) * t + (gy - np.float32(pose.t[1]))
    # in-plane face axes (as _norm_y): the sampled pixels and the live brows' upper edge, in face widths
    m2 = pose.s * pose.R[:2, :2]
    inv = (np.array([[m2[1, 1], -m2[0, 1]], [-m2[1, 0], m2[0, 0]]]) / np.linalg.det(m2)).astype(np.float32)
    brow = (live[list(BROWS), :2] - np.asarray(pose.t[:2], np.float32)) @ inv.T
    order = np.argsort(brow[:, 0])
    nx = inv[0, 0] * sx + inv[0, 1] * sy
    ny = inv[1, 0] * sx + inv[1, 1] * sy
    line = np.interp(nx.ravel(), brow[order, 0], brow[order, 1]).astype(np.float32).reshape(nx.shape)
    line -= ny
    line -= np.float32(cfg.hair_gap)  # how far above the live brow under it, less the gap
    ramp = cv2.resize(_smooth_ramp(line, cfg.hair_feather), (line.shape[1] * k, line.shape[0] * k),
                      interpolation=cv2.INTER_LINEAR)[:u, : x1 - x0]  # fmt: skip
    np.minimum(masks.forehead[:u], ramp, out=masks.forehead[:u])


def _bank_detail(bank_img: np.ndarray, out: np.ndarray, wb: np.ndarray, masks: _Masks, face_w: float,
                 cfg: RenderConfig, match: Optional[np.ndarray] = None,
                 refine: Optional[np.ndarray] = None) -> np.ndarray:  # fmt: skip
    """What the bank adds to the live layer: bank_img - out (both (h, w, 3) float32) with its finest texture
    matched to the live one's energy (:func:`_match_fine`, weighted by ``match``, (h, w) float32 in [0, 1]), less
    its light near the region's edges (wb (h, w) float32 in [0, 1]) and on the upper face, less its finest texture
    on the forehead. Returns (h, w, 3) float32 (not yet weighted)."""
    import cv2

    d = bank_img - out
    if cfg.match_max > 1:
        _match_fine(d, bank_img, out, wb, masks, face_w, cfg, match, refine)
    region = cv2.threshold(wb, 1e-3, 1.0, cv2.THRESH_BINARY)[1]  # (wb > 1e-3) as float32 0 / 1, in one pass
    low = _low(d, region, cfg.light_sigma * face_w)
    core = cv2.compare(wb, 0.5, cv2.CMP_GT)  # uint8 255 where wb > 0.5 (one pass; any nonzero is "inside")
    inner = _smooth_ramp(cv2.distanceTransform(core, cv2.DIST_L2, 3), cfg.light_band * face_w)
    inner *= masks.lower  # the upper face keeps the live light (the bank forehead's shading varies)
    _times(low, np.subtract(np.float32(1.0), inner, out=inner), out=low)
    d -= low
    u = _row_span(masks.forehead, 0.0)[1]
    if cfg.live_fine > 0 and u > 0:
        # the forehead in three bands: live light, the bank's folds and creases, live pores
        fine = d[:u] - cv2.GaussianBlur(d[:u], (0, 0), cfg.fine_sigma * face_w)
        share = masks.forehead[:u] if cfg.live_fine == 1.0 else np.float32(cfg.live_fine) * masks.forehead[:u]
        _times(fine, share, out=fine)
        d[:u] -= fine
    return d


def _tilt(img: np.ndarray, rect: tuple[int, int, int, int], target: np.ndarray, tilt: np.ndarray) -> None:
    """img (h, w, 3) float32 over rect (x0, y0, x1, y1) times exp(u tilt), in place: u the place along the line
    between the cheeks' centres in target ((478, 2+) float32 frame pixels), -1 at the left cheek's, +1 at the
    right's, held beyond them. tilt: (3,) float32 per-channel log gain."""
    import cv2

    x0, y0, x1, y1 = rect
    left = target[list(LEFT_CHEEK), :2].mean(0) - np.array([x0, y0], np.float32)
    right = target[list(RIGHT_CHEEK), :2].mean(0) - np.array([x0, y0], np.float32)
    v, mid = right - left, 0.5 * (left + right)
    k = 2.0 / max(float(v @ v), 1e-6)
    u = (np.arange(y1 - y0, dtype=np.float32) - mid[1])[:, None] * np.float32(v[1] * k)
    u = u + (np.arange(x1 - x0, dtype=np.float32) - mid[0])[None, :] * np.float32(v[0] * k)
    np.clip(u, -1.0, 1.0, out=u)
    gain = cv2.exp(cv2.merge([u * np.float32(t) for t in np.asarray(tilt, np.float32)]))
    cv2.multiply(img, gain, dst=img)


def render(frame: np.ndarray, live: np.ndarray, target: np.ndarray, pose: Pose, bank: EmotionBank,
           choice: Sequence[tuple[int, float]], upper: bool, intensity: float,
           cfg: RenderConfig = RenderConfig(), eye_choice: Optional[Sequence[tuple[int, float]]] = None,
           mouth: float = 0.0, mouth_choice: Optional[int] = None,
           live_eyes: Optional[np.ndarray] = None, eye_open: Optional[np.ndarray] = None,
           inside: Optional[float] = None, blur: Optional[np.ndarray] = None,
           bank_gain: Optional[np.ndarray] = None, bank_tilt: Optional[np.ndarray] = None) -> np.ndarray:  # fmt: skip
    """The translated frame.

    frame: (H, W, 3) uint8 BGR. live: (478, 2+) float32 live landmarks, frame pixels. target: (478, 2+) float32
    target geometry, frame pixels. choice: the cheeks' [(bank index, weight)], weights summing to 1 (two entries
    only while they cross-fade between two bank frames; both are warped onto the same geometry first).
    mouth_choice: the bank frame of the lips and mouth (default: the cheeks' first).
    upper: the bank's forehead and brows too. eye_choice: wide eyes, from these bank frame(s), with the live iris
    pasted in (None: the eyes are the live ones, warped). mouth: 0..1, how much of the lips and mouth interior
    come from the bank frame (its mouth fits the live one; else the live mouth, warped). intensity: 0..1 scales
    the bank texture (the caller scaled the offset); the bank's mouth and eyes are whole from ``cfg.parts_from``
    and absent below it. live_eyes: (478, 2+) float32 frame pixels, where the frame
    shows the eyes (default live; ``geometry.lead_eyes``): the lids, eyeballs and irises are sampled there. The
    tracker's smoothed landmarks trail the camera's pixels while the bank's brows and creases sit at the target,
    so live eyes sampled at the smoothed place sat beside the bank's by the head's lag, which a re-tracker reads as
    gaze (W009 neutral from sad: re-tracked gaze 0.90, 0.95 sampled where the camera shows them). eye_open:
    (left, right) float32 in [0, 1] or None: with eye_choice, for an emotion that opens the live eyes (not in
    WIDE_EYES), how much of each eye is the bank's open eye (see :func:`_wide_eyes`); the live eye, stretched,
    shows under the rest. inside: how much of the opening between the inner lips is the live one under the bank
    mouth, in [0, 1] (None: :func:`_inside_share` of this frame; the translator passes its own, see
    :func:`inside_parts`). blur: the camera's relative sharpness by direction ((8,) float64,
    ``motion_blur.LiveBlur``) or None: the bank layer is blurred like a motion-blurred frame
    (``motion_blur.blur_like_live``). bank_gain: (3,) float32 per-channel (BGR) gain on every bank pixel drawn, the
    camera's light against the enrolment's (``light.LightMatch``), or None. bank_tilt: (3,) float32 per-channel log
    gain across the face on the bank's pixels (``light.LightMatch.tilt``: a lamp to one side), +tilt from the right
    cheek's centre outwards, -tilt from the left's, linear between (:func:`_tilt`), or None.
    Returns a new (H, W, 3) uint8 frame; pixels outside the target face oval are the input's.
    """
    import cv2

    rect = _render_rect(frame.shape, target, live)
    if rect is None:
        return frame
    face_w = face_width(target)
    masks = _Masks(*bank_weight(rect, target, pose, upper, face_w, cfg, mouth))
    if not cv2.countNonZero(masks.taper):  # taper.any(), in a third of the time
        return frame
    maps = _MeshMaps(target, rect, cfg.step)
    eyes = live if live_eyes is None else live_eyes  # the live landmarks, the eyes where the frame shows them
    if intensity > 0:  # the affines of every source the frame may warp, at once
        picks = [j for j, _ in choice] + [j for j, _ in eye_choice or ()]
        picks += [mouth_choice] if mouth_choice is not None else []
        maps.prefetch([eyes] + [bank.crop_landmarks[j] for j in picks])
    out = _live_layer(frame, maps, eyes, rect, masks, cfg)
    k = float(min(max(intensity, 0.0), 1.0))
    kp = 1.0 if k >= cfg.parts_from else 0.0  # the bank's mouth and eyes: whole or not at all
    if k > 0 and cv2.minMaxLoc(masks.bank)[1] > 1e-3:  # masks.bank.max()
        bank_img = _bank_image(bank, maps, choice, mouth, mouth_choice, masks.keep, cfg)
        if bank_gain is not None:  # the room's light, not the enrolment's
            bank_img *= bank_gain
        if bank_tilt is not None:  # and the side it comes from
            _tilt(bank_img, rect, target, bank_tilt)
        if blur is not None:  # a motion-blurred camera frame: the bank layer blurred like it
            from w2le_live.personal.motion_blur import blur_like_live

            blur_like_live(bank_img, out, blur, target, (rect[0], rect[1]), face_w)
        wb = _bank_where(maps, bank.crop_landmarks[choice[0][0]], masks, mouth, cfg)
        match = _face_ramp(maps, cfg.match_from, cfg.match_feather)
        # the later passes: not on the bridge between the bank's wide eyes (W009 p(surprised) fell 0.009)
        wide = bool(eye_choice) and eye_open is None  # not the bank's open eyes over narrower live ones
        refine = match.copy() if wide and cfg.match_passes > 1 else None
        if cfg.bridge_from < cfg.match_from:
            # the nose bridge (between the bank's wide eyes its smooth, stretched skin is part of the expression:
            # matched in full there too, W009 p(surprised) fell 0.02; so only ``bridge_wide`` of it)
            bridge = _face_ramp(
                maps, cfg.bridge_from, cfg.match_feather, (cfg.bridge_half, cfg.match_feather)
            )
            if wide:
                bridge *= np.float32(cfg.bridge_wide)
            np.maximum(match, bridge, out=match)
        if cfg.match_passes > 1:
            refine = _no_nose(match.copy() if refine is None else refine, target, rect, face_w, cfg)
        if cfg.live_fine > 0:
            _live_forehead(masks, maps, live, pose, rect, cfg)  # brow hair never lends its pores
        d = _bank_detail(bank_img, out, wb, masks, face_w, cfg, match, refine)
        if wide and bank.emotion not in WIDE_EYES and cfg.surround_reach > 0:
            _eye_surround(d, wb, target, rect, face_w, cfg)  # the live shading around the bank's lids
        sw = _fine_switch(d, wb, masks, face_w, k, cfg, match) if cfg.fine_steep > 1 else (0, None)
        if k < 1.0:  # (a new array of _bank_where's, read by nothing else from here on)
            wb *= masks.keep * np.float32(k - kp) + np.float32(kp)  # k, and kp over the mouth (1 - keep)
        if inside is None:
            inside = _inside_share(frame, live, bank, choice, mouth_choice, mouth, cfg, target)
        if inside > 0:
            _live_inside(wb, target, rect, face_w, min(inside, 1.0), cfg)
        cv2.add(out, _times(d, wb, out=d), dst=out)
        if sw[1] is not None and len(sw[1]):
            band = out[sw[0] : sw[0] + len(sw[1])]
            cv2.add(band, cv2.merge([sw[1]] * 3), dst=band)
    if kp > 0 and eye_choice:  # whole (below parts_from: none)
        out = _wide_eyes(
            out, frame, rect, eyes, target, bank, eye_choice, maps, face_w, cfg, eye_open, bank_gain
        )
    out += 0.5
    _clamp(out, 255.0)
    x0, y0, x1, y1 = rect
    res = frame.copy()
    np.copyto(res[y0:y1, x0:x1], out, casting="unsafe")
    return res
