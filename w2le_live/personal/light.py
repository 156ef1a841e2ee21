"""The room's light against the enrolment's: the bank's frames brought to the camera's exposure and white balance.

The renderer keeps the bank's own light in the middle of the lower face (the emotion's shading: a smile's raised
cheeks), which assumes the camera sees the face as it did at enrolment. A take recorded in daylight and worn in the
evening (W009's clip at 55 % of its brightness) showed the bank's bright cheeks, nose and teeth in a dim face, with
dark blotches where the live eyes and brows met them (``docs/personal/light.md``). :class:`LightMatch` compares the
live face's colour (cheeks and nose ridge, per channel) with the bank's and returns the gain that brings the bank to
the camera's light. A difference the emotion itself makes is left alone: an actor's own clips, recorded in one
session, differ by up to 7.4 % (M030's happy face against his neutral one); from ``free[0]`` (9 %) the gain fades in
and is whole from ``free[1]`` (20 %), so the measured MEAD rows render bit for bit as before.

A lamp to one side lights one cheek more than the other. One gain cannot follow it: the bank's evenly lit lower face
was too bright on the dark side and too dark on the bright one (W009 under a lamp, 0.25x to 1x across her face: the
lower face 1.2-1.4x the camera's on the dark side, 0.8x on the lit one, a step under the eye). :meth:`LightMatch.tilt`
compares the two cheeks' ratio, live against the bank's, and the renderer tilts the bank's light across the face by
it (``render``'s bank_tilt). The ratio moves with the head's turn and the expression too (the same actor's MEAD
clips, one studio light: up to 0.18 in log, M030's disgusted frames against his angry clip), which the pose-matched
bank frame shows by itself: the tilt fades in from ``side_free[0]`` (0.25) and is whole from ``side_free[1]`` (0.45).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from w2le_live.face.landmarks import LEFT_CHEEK, NOSE_RIDGE, RIGHT_CHEEK, face_width
from w2le_live.personal.bank import spread

# both cheeks and the nose ridge (from 168, between the brows)
_PARTS = tuple(np.array(p) for p in (LEFT_CHEEK, RIGHT_CHEEK, (168,) + NOSE_RIDGE))


@dataclass(frozen=True)
class LightConfig:
    rate: float = 0.1  # per frame: how fast the live colour follows the camera (auto-exposure takes ~1 s)
    # |log| of the live colour over the bank's, per channel: below the first no gain (the emotion's own shading),
    # whole from the second, a smoothstep between
    free: tuple[float, float] = (0.09, 0.2)
    # |log| of the live cheeks' ratio (right over left) over the bank's, per channel: below the first no tilt (a
    # turn's or an emotion's own shading), whole from the second
    side_free: tuple[float, float] = (0.25, 0.45)
    face_px: float = 64.0  # read at about this face width (pixels)


def face_colour(img: np.ndarray, lm: np.ndarray, face_px: float = 64.0) -> Optional[np.ndarray]:
    """(3,) float64 mean BGR of the cheeks and the nose ridge (the parts an expression changes least in colour),
    their clipped pixels left out (a channel at 250 or more says nothing of the light's colour), or None when they
    are outside the image or mostly clipped. img: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 pixels of img."""
    return face_light(img, lm, face_px)[0]


def face_light(
    img: np.ndarray, lm: np.ndarray, face_px: float = 64.0
) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """(:func:`face_colour`, (2, 3) float64 mean BGR of the left cheek (``LEFT_CHEEK``) and of the right one, or
    None when either is outside the image or mostly clipped), read at once. img: (H, W, 3) uint8 BGR; lm: (478, 2+)
    float32 pixels of img."""
    import cv2

    pts = [lm[p, :2] for p in _PARTS]
    lo = np.floor(np.min([p.min(0) for p in pts], 0)).astype(int)
    hi = np.ceil(np.max([p.max(0) for p in pts], 0)).astype(int) + 1
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(lo[0], 0), max(lo[1], 0), min(hi[0], w), min(hi[1], h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None, None
    k = max(int(float(face_width(lm)) / face_px), 1)
    box = np.ascontiguousarray(img[y0:y1:k, x0:x1:k])
    org, sc = np.array([x0, y0], np.float32), np.float32(16.0 / k)
    parts = []
    for p in pts:
        m = np.zeros(box.shape[:2], np.uint8)
        cv2.fillPoly(m, [cv2.convexHull(np.round((p - org) * sc).astype(np.int32))], 1, cv2.LINE_8, 4)
        parts.append(m)
    unclipped = cv2.compare(box.max(axis=2), 250, cv2.CMP_LT) // 255  # 1 where no channel is clipped

    def mean(mask: np.ndarray) -> Optional[np.ndarray]:
        inside = cv2.countNonZero(mask)
        mask &= unclipped
        if not inside or cv2.countNonZero(mask) < 0.2 * inside:
            return None
        return np.array(cv2.mean(box, mask)[:3], np.float64)

    whole = mean(parts[0] | parts[1] | parts[2])
    left, right = mean(parts[0]), mean(parts[1])
    return whole, (np.stack([left, right]) if left is not None and right is not None else None)


def bank_colour(crops: np.ndarray, crop_landmarks: np.ndarray, most: int = 32) -> Optional[np.ndarray]:
    """(3,) float64 median of :func:`face_colour` over a bank's frames (``most`` of them, evenly spread: ~0.4 ms
    each). crops: (B, S, S, 3) uint8 BGR; crop_landmarks: (B, 478, 2+) float32 crop pixels."""
    return bank_light(crops, crop_landmarks, most)[0]


def bank_light(
    crops: np.ndarray, crop_landmarks: np.ndarray, most: int = 32
) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """(:func:`bank_colour`, (2, 3) float64 median of the cheeks' colours (:func:`face_light`) or None), read at
    once. crops: (B, S, S, 3) uint8 BGR; crop_landmarks: (B, 478, 2+) float32 crop pixels."""
    read = [face_light(crops[i], crop_landmarks[i]) for i in spread(len(crops), most)]
    c = [x for x, _ in read if x is not None]
    s = [x for _, x in read if x is not None]
    return (np.median(np.stack(c), 0) if c else None), (np.median(np.stack(s), 0) if s else None)


class LightMatch:
    """Per stream: the live face's colour, followed over frames; :meth:`gain` for a bank's colour."""

    def __init__(self, cfg: LightConfig = LightConfig()):
        self.cfg = cfg
        self.reset()

    def reset(self) -> None:
        self._log: Optional[np.ndarray] = None  # (3,) float64 log of the live colour, followed at ``rate``
        self._sides: Optional[np.ndarray] = None  # (3,) float64 log of the live cheeks' ratio (right / left)

    def see(self, frame: np.ndarray, lm: np.ndarray) -> None:
        """Follow the live face's colour. frame: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 frame pixels."""
        c, sides = face_light(frame, lm, self.cfg.face_px)
        if c is None:
            return
        now = np.log(np.maximum(c, 1.0))
        self._log = now if self._log is None else self._log + self.cfg.rate * (now - self._log)
        if sides is not None:
            now = _ratio(sides)
            self._sides = now if self._sides is None else self._sides + self.cfg.rate * (now - self._sides)

    def gain(self, bank: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """(3,) float32 per-channel gain (BGR) bringing a bank of colour ``bank`` ((3,) float64, :func:`bank_colour`)
        to the camera's light, or None where there is none to bring (within ``free[0]`` in every channel)."""
        if bank is None or self._log is None:
            return None
        d = _faded(self._log - np.log(np.maximum(bank, 1.0)), self.cfg.free)
        return None if d is None else np.exp(d).astype(np.float32)

    def tilt(self, bank_sides: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """(3,) float32 per-channel log gain the bank's light is tilted by across the face (``+tilt`` at the right
        cheek, ``-tilt`` at the left: ``render``'s bank_tilt), bringing the bank's cheeks' ratio (bank_sides, (2, 3)
        float64, :func:`bank_light`) to the camera's, or None where there is none to bring (within
        ``side_free[0]`` in every channel)."""
        if bank_sides is None or self._sides is None:
            return None
        d = _faded(self._sides - _ratio(bank_sides), self.cfg.side_free)
        return None if d is None else (0.5 * d).astype(np.float32)


def _faded(d: np.ndarray, free: tuple[float, float]) -> Optional[np.ndarray]:
    """(3,) float64 log difference d, per channel none of it below |d| = free[0], all of it from free[1], a
    smoothstep between; None where no channel passes free[0]."""
    lo, hi = free
    t = np.clip((np.abs(d) - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    if not t.any():
        return None
    return d * t * t * (3.0 - 2.0 * t)


def _ratio(sides: np.ndarray) -> np.ndarray:
    """(3,) float64 log of the right cheek's colour over the left's; sides: (2, 3) float64 BGR (left, right)."""
    s = np.log(np.maximum(sides, 1.0))
    return s[1] - s[0]
