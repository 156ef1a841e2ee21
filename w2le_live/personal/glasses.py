"""Glasses worn now but not at enrolment (or the other way round): the eyes and brows stay the camera's.

The bank draws the forehead, brows and (for some emotions) the eyes from the enrolment's frames. Dark frames worn
live but not in the take were erased there, leaving smudged dark rings around the eyes (``docs/personal/glasses.md``);
frames in the take but not live would be drawn on a bare face. :func:`rim_score` reads how much of the skin below
and beside the eyes (and across the nose bridge) is covered by thin dark lines; :class:`GlassesCheck` compares the
live face's (followed over frames) with the bank's, and says when they differ. Faces without dark frames read at most
0.05 (every shared clip, all MEAD emotions: frowns and eye bags included); dark frames 0.36-0.62. Thin metal or clear
frames read as none: they are also what the bank's texture hides least.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from w2le_live.face.landmarks import face_width
from w2le_live.personal.bank import spread

_EYES = ((33, 133), (362, 263))  # each eye's corners
_UPPER_LIDS = (159, 386)


@dataclass(frozen=True)
class GlassesConfig:
    # the higher rim score (live or bank) over which, and ``gap`` over the other's, the two differ by glasses
    on: float = 0.15
    gap: float = 0.10
    off: float = 0.10  # ... until it falls under this or under the bank's + gap / 2
    rate: float = 0.2  # per reading: how fast the live score follows
    every: int = 5  # frames between two readings
    face_px: float = 96.0  # read at this face width (pixels)


def rim_score(img: np.ndarray, lm: np.ndarray, face_px: float = 96.0) -> Optional[float]:
    """Share (0..1) of the ring below and beside both eyes (up to the upper lids' height: the brows are dark too)
    covered by thin dark lines (a 7-px black-hat at ``face_px`` pixels per face width, over 0.2 of the ring's median
    grey). None when the eyes are outside the image. img: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 pixels of img."""
    import cv2

    fw = float(face_width(lm))
    if not np.isfinite(fw) or fw < 16:
        return None
    s = face_px / fw
    c = lm[[33, 263], :2].mean(0)
    x0, y0 = int(max(c[0] - 0.6 * fw, 0)), int(max(c[1] - 0.25 * fw, 0))
    x1, y1 = int(min(c[0] + 0.6 * fw, img.shape[1])), int(min(c[1] + 0.3 * fw, img.shape[0]))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    size = (max(int((x1 - x0) * s), 8), max(int((y1 - y0) * s), 8))
    g = cv2.cvtColor(cv2.resize(img[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    hat = cv2.morphologyEx(g, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    ring, eye = np.zeros(g.shape, np.uint8), np.zeros(g.shape, np.uint8)
    org = np.array([x0, y0], np.float32)
    for a, b in _EYES:
        ctr = tuple(int(v) for v in (lm[[a, b], :2].mean(0) - org) * s)
        w = abs(float(lm[b, 0] - lm[a, 0])) * s
        cv2.ellipse(ring, ctr, (int(w), int(0.75 * w)), 0.0, 0.0, 360.0, 1, -1)
        cv2.ellipse(eye, ctr, (int(0.62 * w), int(0.42 * w)), 0.0, 0.0, 360.0, 1, -1)
    ring[: max(int((float(lm[list(_UPPER_LIDS), 1].mean()) - y0) * s), 0)] = 0
    region = (ring > 0) & (eye == 0)
    if not region.any():
        return None
    skin = float(np.median(g[region]))
    return float((hat[region] > 0.2 * max(skin, 1.0)).mean())


def bank_rims(crops: np.ndarray, crop_landmarks: np.ndarray, most: int = 16) -> float:
    """Median :func:`rim_score` over a bank's frames (``most`` of them, evenly spread). crops: (B, S, S, 3) uint8
    BGR; crop_landmarks: (B, 478, 2+) float32 crop pixels."""
    v = [rim_score(crops[i], crop_landmarks[i]) for i in spread(len(crops), most)]
    v = [x for x in v if x is not None]
    return float(np.median(v)) if v else 0.0


class GlassesCheck:
    """Per stream: the live face's rim score, read every ``every`` frames; :meth:`differs` from a bank's."""

    def __init__(self, cfg: GlassesConfig = GlassesConfig()):
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        self.live: Optional[float] = None
        self._n = 0
        self._differs: dict[float, bool] = {}

    def see(self, frame: np.ndarray, lm: np.ndarray) -> None:
        """frame: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 frame pixels."""
        self._n += 1
        if self.live is not None and self._n % self.cfg.every:
            return
        v = rim_score(frame, lm, self.cfg.face_px)
        if v is not None:
            self.live = v if self.live is None else self.live + self.cfg.rate * (v - self.live)

    def differs(self, bank: float) -> bool:
        """Whether the live face and a bank of rim score ``bank`` (:func:`bank_rims`) differ by dark frames."""
        if self.live is None:
            return False
        c = self.cfg
        hi, lo = max(self.live, bank), min(self.live, bank)
        was = self._differs.get(bank, False)
        now = (hi > c.on and hi - lo > c.gap) or (was and hi > c.off and hi - lo > c.gap / 2)
        self._differs[bank] = now
        return now
