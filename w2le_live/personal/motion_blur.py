"""The bank layer blurred like a motion-blurred (or suddenly soft) camera frame (issue 18, ``docs/personal/wild.md``).

During a fast head turn the camera frame is smeared along the motion while the bank's texture, recorded at rest,
is not: a sharp face pasted on a blurred head. :class:`LiveBlur` measures, per frame, how much softer the camera's
lower face is than it usually is (its own recent frames), by direction; :func:`blur_like_live` then blurs the bank
image along that direction by a line kernel whose length brings the bank's sharpness down by the same factor. On an
ordinary frame (as sharp as the camera usually is) nothing changes.

Sharpness along a unit direction u: the energy of the image's [-1, 0, 1] derivative along u over its energy after
a Gaussian blur of ``coarse`` face widths (a motion blur of a few pixels lowers the first, hardly the second; more
folds or teeth raise both), from the 2x2 gradient structure tensors of a box around the mouth (from the nose tip to
the chin, the lip corners +- 0.12 face widths: the mouth sharpness measure's box).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Optional

import numpy as np

from w2le_live.face.landmarks import LIPS_INNER, face_width
from w2le_live.personal.bank import eye_roll
from w2le_live.personal.metrics import mouth_box

N_DIRS = 8  # directions measured, every 180 / N_DIRS degrees (0: the frame's x axis)
_ANGLES = np.arange(N_DIRS) * (np.pi / N_DIRS)


@dataclass(frozen=True)
class BlurConfig:
    """When and how much the bank layer is blurred like the camera frame (relative sharpness: this frame's over
    the camera's usual, 1 = as sharp as usual)."""

    coarse: float = 0.03  # face widths: the reference scale of the sharpness ratio
    inside: float = 0.02  # face widths: the mouth's opening grown by this is left out of it
    history: int = 50  # frames of the camera's own recent sharpness kept
    usual: float = 75.0  # percentile of them taken as its usual sharpness (blurred frames are the minority)
    warmup: int = 25  # frames of history before anything is blurred (the offset calibration's 25 too)
    # a relative sharpness q below ``on`` (along its least sharp direction) blurs the bank towards the live layer's
    # sharpness there, by (live / bank) ** s, s rising from 0 at ``on`` to 1 at ``full`` (a continuous onset: no
    # jump between frames either side of it)
    on: float = 0.65
    full: float = 0.58
    across: float = 0.6  # the direction across it: from this, over the same span (a defocus)
    longest: float = 0.1  # face widths: the longest line kernel
    steps: int = 6  # bisection steps for the kernel's length


def _box(lm: np.ndarray, shape: tuple[int, ...]) -> Optional[tuple[int, int, int, int]]:
    """The issue-18 mouth box (``metrics.mouth_box``) of lm (478, 2+) float32 pixels in an image of ``shape``, its
    far edges rounded up; None under 12 px a side."""
    return mouth_box(lm[:, :2], shape, min_side=12, outward=True)


def _energy(y: np.ndarray, m: np.ndarray, roll: float) -> np.ndarray:
    """(N_DIRS,) float64: the squared [-1, 0, 1] derivative of y (h, w) float32 along each direction (turned by
    ``roll`` radians), summed over weights m (h, w) float32 in [0, 1] (its 1-px border left out)."""
    import cv2

    gx = cv2.Sobel(y, cv2.CV_32F, 1, 0, ksize=1)[1:-1, 1:-1]
    gy = cv2.Sobel(y, cv2.CV_32F, 0, 1, ksize=1)[1:-1, 1:-1]
    mx = gx * m[1:-1, 1:-1]
    a, b = float(cv2.sumElems(mx * gx)[0]), float(cv2.sumElems(mx * gy)[0])
    c = float(cv2.sumElems(gy * gy * m[1:-1, 1:-1])[0])
    ux, uy = np.cos(_ANGLES + roll), np.sin(_ANGLES + roll)
    return ux * ux * a + 2.0 * ux * uy * b + uy * uy * c


def _weights(lm: np.ndarray, box: tuple[int, int, int, int], face_w: float, cfg: BlurConfig) -> np.ndarray:
    """(h, w) float32 over box (x0, y0, x1, y1): 1, but 0 on the mouth's opening (the inner lips' hull, lm
    (478, 2+) float32 pixels, grown by ``inside`` face widths): teeth, tongue and the dark inside come and go
    with speech, which changes the sharpness ratio as a blur would."""
    import cv2

    x0, y0, x1, y1 = box
    m = np.ones((y1 - y0, x1 - x0), np.uint8)
    pts = np.round(lm[list(LIPS_INNER), :2] - np.array([x0, y0], np.float32)).astype(np.int32)
    cv2.fillConvexPoly(m, cv2.convexHull(pts), 0)
    r = int(round(cfg.inside * face_w))
    if r > 0:
        m = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return m.astype(np.float32)


def sharpness(grey: np.ndarray, m: np.ndarray, face_w: float, roll: float, cfg: BlurConfig) -> np.ndarray:
    """(N_DIRS,) float64 > 0: grey (h, w) float32 image's fine-over-coarse derivative energy along each direction
    (the module docstring; turned by the face's ``roll``, radians) over weights m (h, w) float32 in [0, 1], its
    coarse scale ``cfg.coarse`` face widths (face_w pixels)."""
    import cv2

    fine = _energy(grey, m, roll)
    sigma = max(cfg.coarse * face_w, 1.0)
    # the coarse energy at 1 / f of the size (the same sum: f x the step, / f^2 pixels)
    f = max(int(sigma / 2.0), 1)
    if f > 1:
        size = (max(grey.shape[1] // f, 3), max(grey.shape[0] // f, 3))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        m = cv2.resize(m, size, interpolation=cv2.INTER_AREA)
    coarse = _energy(cv2.GaussianBlur(grey, (0, 0), sigma / f), m, roll)
    return (fine + 1e-3) / (coarse + 1e-3)


class LiveBlur:
    """The camera's relative sharpness, frame by frame: this frame's :func:`sharpness` around the mouth over the
    ``usual`` percentile of its last ``history`` frames', per direction. Call once per translated frame."""

    def __init__(self, cfg: BlurConfig = BlurConfig()):
        self.cfg = cfg
        self._seen: deque = deque(maxlen=cfg.history)

    def reset(self) -> None:
        self._seen.clear()

    def __call__(self, frame: np.ndarray, live: np.ndarray) -> Optional[np.ndarray]:
        """frame (H, W, 3) uint8 BGR, live (478, 2+) float32 its landmarks in pixels -> (N_DIRS,) float64 relative
        sharpness (1: as sharp as usual), or None while the history is short or the mouth box is tiny."""
        import cv2

        box = _box(live, frame.shape)
        if box is None:
            return None
        x0, y0, x1, y1 = box
        grey = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
        fw = face_width(live)
        # directions in the face's own frame (its in-plane angle), so a head that tilts does not read as a blur
        s = sharpness(grey, _weights(live, box, fw, self.cfg), fw, float(eye_roll(live)), self.cfg)
        q = None
        n = len(self._seen)
        if n >= self.cfg.warmup:
            # the ``usual`` percentile per direction (numpy's linear one, equal to it; a sort is 5x faster)
            srt = np.sort(np.array(self._seen), axis=0)
            at = (n - 1) * self.cfg.usual / 100.0
            i = int(at)
            j = min(i + 1, n - 1)
            q = s / (srt[i] + (at - i) * (srt[j] - srt[i]))
        self._seen.append(s)
        return q


def line_kernel(length: float, angle: float) -> np.ndarray:
    """A motion-blur kernel: a line of ``length`` pixels (>= 1) at ``angle`` radians (from the x axis, y down),
    bilinearly drawn, summing to 1. Returns (n, n) float32, n odd."""
    n = 2 * int(np.ceil(length / 2.0)) + 1
    k = np.zeros((n, n), np.float32)
    c = (n - 1) / 2.0
    t = np.linspace(-(length - 1) / 2.0, (length - 1) / 2.0, max(int(np.ceil(length * 4)), 1))
    x, y = c + t * np.cos(angle), c + t * np.sin(angle)
    ix, iy = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - ix).astype(np.float32), (y - iy).astype(np.float32)
    for dx, dy, w in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        np.add.at(k, (np.clip(iy + dy, 0, n - 1), np.clip(ix + dx, 0, n - 1)), w)
    return k / k.sum()


def smear(img: np.ndarray, length: float, angle: float, dst: Optional[np.ndarray] = None) -> np.ndarray:
    """img (h, w) or (h, w, 3) float32 blurred along ``angle`` radians by a line of ``length`` pixels: one
    :func:`line_kernel` up to 8 px, beyond that n passes of shorter lines of the same variance (a kernel over 11 px
    wide makes OpenCV filter through a DFT: 30x the time). Into dst (may be img) or a new array."""
    import cv2

    n = max(int(np.ceil(length / 8.0)), 1)
    k = line_kernel(float(np.sqrt((length * length - 1.0) / n + 1.0)), angle)
    out = cv2.filter2D(img, -1, k, dst=dst, borderType=cv2.BORDER_REFLECT)
    for _ in range(n - 1):
        cv2.filter2D(out, -1, k, dst=out, borderType=cv2.BORDER_REFLECT)
    return out


def _length_for(grey: np.ndarray, m: np.ndarray, d: int, drop: float, floor: float, face_w: float,
                roll: float, cfg: BlurConfig) -> float:  # fmt: skip
    """The :func:`smear` length (pixels; 1: none) along direction index d (turned by ``roll``) that lowers grey's
    ((h, w) float32) :func:`sharpness` (weights m) along d to ``drop`` (in (0, 1)) of its own, and its mean over the
    directions to no less than ``floor`` (the live layer's mean over grey's): by bisection, capped at
    ``longest``."""
    s0 = sharpness(grey, m, face_w, roll, cfg)
    lo, hi = 1.0, max(cfg.longest * face_w, 2.0)
    for _ in range(cfg.steps):
        mid = 0.5 * (lo + hi)
        sb = sharpness(smear(grey, mid, float(_ANGLES[d]) + roll), m, face_w, roll, cfg)
        if sb[d] > drop * s0[d] and float(sb.mean()) >= floor * float(s0.mean()):
            lo = mid
        else:
            hi = mid
    return lo


def blur_like_live(bank_img: np.ndarray, live_img: np.ndarray, q: Optional[np.ndarray], target: np.ndarray,
                   origin: tuple[int, int], face_w: float, cfg: BlurConfig = BlurConfig()) -> np.ndarray:  # fmt: skip
    """bank_img (h, w, 3) float32 (the bank layer over the render rect whose top-left frame pixel is ``origin``)
    blurred like the camera frame, in place: along the direction where the camera is least sharp relative to its
    usual (q, (N_DIRS,) float64 from :class:`LiveBlur`; None or all >= ``on``: unchanged), and along the one across
    it when that is below ``across`` (a defocus), a line kernel lowering the bank's own :func:`sharpness` there,
    measured in the mouth box of the target geometry (target (478, 2+) float32 frame pixels, face_w pixels wide),
    towards the live layer's (live_img (h, w, 3) float32, the camera frame warped onto the same geometry), by
    (live / bank) ** s (s: 0 at ``on`` to 1 at ``full``), its mean over the directions never below the live
    layer's: the face is left as sharp as the camera frame, never softer.
    Returns bank_img."""
    import cv2

    if q is None or float(q.min()) >= cfg.on:
        return bank_img
    local = target[:, :2] - np.array(origin, np.float32)
    box = _box(local, bank_img.shape)
    if box is None:
        return bank_img
    x0, y0, x1, y1 = box
    grey = cv2.cvtColor(bank_img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    m = _weights(local, box, face_w, cfg)
    roll = float(eye_roll(local))
    live = sharpness(cv2.cvtColor(live_img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), m, face_w, roll, cfg)
    first = int(np.argmin(q))
    lines = []
    for d, on in ((first, cfg.on), ((first + N_DIRS // 2) % N_DIRS, cfg.across)):
        if q[d] >= on:
            continue
        # the bank's sharpness falls to the live layer's (as sharp as the camera frame), its mean over the
        # directions no lower
        bank = sharpness(grey, m, face_w, roll, cfg)
        drop = float(live[d] / bank[d]) ** min((on - float(q[d])) / (cfg.on - cfg.full), 1.0)
        if drop >= 1.0 or live.mean() >= bank.mean():
            continue
        length = _length_for(grey, m, d, drop, float(live.mean() / bank.mean()), face_w, roll, cfg)
        if length <= 1.0:
            continue
        lines.append((length, float(_ANGLES[d]) + roll))
        grey = smear(grey, *lines[-1])
    for length, angle in lines:
        smear(bank_img, length, angle, dst=bank_img)
    return bank_img
