"""Something in front of the mouth (a mug, a phone, a microphone): the effect steps aside.

The tracker keeps a face it can no longer see whole: with a mug raised to the mouth it still reports lips, somewhere
on the mug, and the personal translator warped the mug with the face and drew the bank's lips and teeth on it. The
guard learns, from the first frames of a stream, which colours the person's own lower face shows (skin and lips
apart, each relative to the nose ridge's colour, so the room's light and white balance cancel), and reads each frame's
share of lower-face pixels of a colour it never showed: from ``OcclusionConfig.fade[0]`` the effect fades, at
``fade[1]`` it is gone and the camera's frame shows. Across every shared real clip (MEAD, GRID, web and LRS3 talking
heads, ~4,600 frames) that share stays at or below 0.014; a red, white, black or blue mug over the mouth reads
0.26-0.52, one over the chin only ~0.10 (``docs/personal/occlusion.md``). Skin-coloured things (a hand, a beige
mug) are not told apart from skin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2le_live.face.landmarks import FACE_OVAL, LIPS_INNER, LIPS_OUTER, NOSE_RIDGE, face_width
from w2le_live.live.ease import smoothstep

_NOSE, _OVAL = np.array(NOSE_RIDGE), np.array(FACE_OVAL)
_OUTER, _INNER = np.array(LIPS_OUTER), np.array(LIPS_INNER)


@dataclass(frozen=True)
class OcclusionConfig:
    ref_frames: int = 25  # frames with a face the first colour model is learnt from
    # share of lower-face pixels of an unknown colour: the effect fades from the first, gone at the second
    fade: tuple[float, float] = (0.04, 0.10)
    down: float = 0.5  # per frame: how fast the effect leaves once something covers the mouth
    up: float = 0.125  # per frame: how fast it returns (0.3 s at 25 fps)
    adapt: float = 0.02  # the colour model follows slow changes (light, a flush) on frames read as clear ...
    adapt_every: int = 10  # ... once every this many frames
    # the lower face is read at about this face width (pixels): cost independent of size
    face_px: float = 64.0
    # a colour bin's share (after a 1-bin blur) from which the colour counts as the person's
    seen: float = 2e-5


SHAPE = (16, 32, 32)  # luma, Cr, Cb bins of the colour model (8-bit YCrCb >> 4, >> 3, >> 3)


class MouthGuard:
    """Per stream: learns the lower face's colours, then says how much of the effect a frame keeps (:meth:`share`)."""

    def __init__(self, cfg: OcclusionConfig = OcclusionConfig()):
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        """Forget the person's colours (a new stream, or the tray's Calibrate): learnt again from the next frames."""
        n = int(np.prod(SHAPE))
        self._hist = [np.zeros(n, np.float64), np.zeros(n, np.float64)]  # skin, lips: counts, then shares
        self._model: list = [None, None]  # per part: (n,) bool, the colours the person shows
        self._n = 0
        self._level = 1.0
        self.foreign = 0.0  # the last frame's share of unknown colours (0..1)

    @property
    def ready(self) -> bool:
        return self._model[0] is not None

    def share(self, frame: np.ndarray, lm: np.ndarray) -> float:
        """How much of the effect this frame keeps, 0..1 (1 while the colours are still being learnt).
        frame: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 frame pixels."""
        bins = lower_face_bins(frame, lm, self.cfg.face_px)
        if bins is None:
            return self._level
        self._n += 1
        n = len(self._hist[0])
        if not self.ready:
            for h, b in zip(self._hist, bins):
                h += np.bincount(b, minlength=n)
            if self._n >= self.cfg.ref_frames:
                self._learn()
            return self._level
        self.foreign = foreign_share(self._model, bins)
        lo, hi = self.cfg.fade
        want = 1.0 - smoothstep((self.foreign - lo) / max(hi - lo, 1e-6))
        step = self.cfg.down if want < self._level else self.cfg.up
        self._level = float(min(max(want, self._level - step), self._level + step))
        if self.foreign < lo and self.cfg.adapt > 0 and self._n % self.cfg.adapt_every == 0:
            for h, b in zip(self._hist, bins):  # follow slow changes, from frames read as clear only
                if len(b):
                    h *= 1.0 - self.cfg.adapt
                    h += (self.cfg.adapt / len(b)) * np.bincount(b, minlength=n)
            self._learn()
        return self._level

    def _learn(self) -> None:
        """The colour models from the histograms (each made a share, sum 1, and kept so while adapting)."""
        from scipy.ndimage import gaussian_filter

        if any(float(h.sum()) <= 0 for h in self._hist):
            return  # a part never seen (no lips in the frames): keep learning
        for h in self._hist:
            h /= float(h.sum())
        self._model = [(gaussian_filter(h.reshape(SHAPE), 1.0) > self.cfg.seen).ravel() for h in self._hist]


def lower_face_bins(frame: np.ndarray, lm: np.ndarray, face_px: float = 64.0):
    """(skin, lips): (N,) int32 colour-bin indices (into SHAPE, flattened) of the pixels around the mouth, their
    8-bit YCrCb colour shifted by the nose ridge's median (so the room's light and white balance cancel), read at about
    ``face_px`` pixels per face width; the mouth's inside (teeth, the dark opening) left out. None when the face is
    too small or outside the frame. frame: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 frame pixels."""
    import cv2

    fw = float(face_width(lm))
    if not np.isfinite(fw) or fw < 8:
        return None
    outer = lm[_OUTER, :2]
    mc = outer.mean(0)
    h, w = frame.shape[:2]
    x0, y0 = int(max(mc[0] - 0.45 * fw, 0)), int(max(mc[1] - 0.35 * fw, 0))
    x1, y1 = int(min(mc[0] + 0.45 * fw, w)), int(min(mc[1] + 0.45 * fw, h))
    nose = lm[_NOSE, :2]
    nx0, ny0 = (int(max(v, 0)) for v in np.floor(nose.min(0)))
    nx1, ny1 = int(min(np.ceil(nose[:, 0].max()) + 1, w)), int(min(np.ceil(nose[:, 1].max()) + 1, h))
    if x1 - x0 < 8 or y1 - y0 < 8 or nx1 <= nx0 or ny1 <= ny0:
        return None
    k = max(int(fw / face_px), 1)  # every k-th pixel: colour statistics need no finer sampling
    box = frame[y0:y1, x0:x1]
    if k > 1:
        box = cv2.resize(box, ((x1 - x0) // k, (y1 - y0) // k), interpolation=cv2.INTER_NEAREST)
    ycc = cv2.cvtColor(box, cv2.COLOR_BGR2YCrCb)
    nose_px = cv2.cvtColor(np.ascontiguousarray(frame[ny0:ny1:k, nx0:nx1:k]), cv2.COLOR_BGR2YCrCb).reshape(
        -1, 3
    )
    ref = np.sort(nose_px, axis=0)[len(nose_px) // 2]  # its median colour (a glasses' pad or a shine is not)
    org, sc = np.array([x0, y0], np.float32), np.float32(16.0 / k)  # 4 fractional bits

    def pts(p: np.ndarray) -> np.ndarray:
        return np.round((p - org) * sc).astype(np.int32)

    face = np.zeros(ycc.shape[:2], np.uint8)  # 1: inside the face's outline
    cv2.fillPoly(face, [cv2.convexHull(pts(lm[_OVAL, :2]))], 1, cv2.LINE_8, 4)
    # 1: skin near the mouth, 2: lips, 0: elsewhere and the mouth's inside
    part = np.zeros(ycc.shape[:2], np.uint8)
    centre = tuple(int(v) for v in pts(mc[None])[0])
    cv2.ellipse(
        part, centre, (int(0.32 * fw * sc), int(0.24 * fw * sc)), 0.0, 0.0, 360.0, 1, -1, cv2.LINE_8, 4
    )
    cv2.fillPoly(part, [pts(mc + (outer - mc) * 1.12)], 2, cv2.LINE_8, 4)
    cv2.fillPoly(part, [pts(mc + (lm[_INNER, :2] - mc) * 1.1)], 0, cv2.LINE_8, 4)
    part *= face
    keep = part > 0
    which = part[keep]
    q = ycc[keep].astype(np.int32) + (128 - ref.astype(np.int32))
    np.clip(q, 0, 255, out=q)
    idx = ((q[:, 0] >> 4) << 10) | ((q[:, 1] >> 3) << 5) | (q[:, 2] >> 3)
    return idx[which == 1], idx[which == 2]


def take_covered(
    crops: np.ndarray, crop_landmarks: np.ndarray, most: float = 0.10, need: float = 0.5
) -> np.ndarray:
    """(F,) bool: the frames of an enrolment take with something in front of the mouth. A whole take is at hand, so
    the person's colours are those (skin and lips apart, as :class:`MouthGuard` reads them) that show in at least
    ``need`` of its frames, a 1-bin neighbourhood counted (a mug raised for a few seconds shows its colours in few
    frames); a frame is covered when more than ``most`` of its lower-face pixels are of other colours. On every
    shared real clip (MEAD, GRID, web; a whole take each) no frame passes 0.023; a red, white, black or blue mug
    over the mouth in 40 of ~100 frames reads 0.29-0.57 (``docs/personal/occlusion.md``). An object in more than
    ``need`` of the take is learnt as the person's. crops: (F, S, S, 3) uint8 BGR; crop_landmarks: (F, 478, 2+)
    float32 crop pixels."""
    from scipy.ndimage import maximum_filter

    n = int(np.prod(SHAPE))
    bins = [lower_face_bins(c, lm) for c, lm in zip(crops, crop_landmarks)]
    seen = [np.zeros(n, np.int32), np.zeros(n, np.int32)]  # per part: the frames each colour shows in
    for b in bins:
        if b is not None:
            for counts, idx in zip(seen, b):
                counts[np.unique(idx)] += 1
    frames = sum(b is not None for b in bins)
    known = [maximum_filter(c.reshape(SHAPE), size=3).ravel() >= need * frames for c in seen]
    return np.array([b is not None and foreign_share(known, b) > most for b in bins], bool)


def foreign_share(model: list, bins: tuple) -> float:
    """The share (0..1) of a frame's lower-face pixels of colours outside the person's: model, per part (skin,
    lips), (n,) bool over the colour bins; bins: :func:`lower_face_bins`'s (skin, lips) indices. 0 with no pixel."""
    bad = sum(int(np.count_nonzero(~m[b])) for m, b in zip(model, bins))
    return bad / max(sum(len(b) for b in bins), 1)
