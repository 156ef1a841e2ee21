"""An emotion bank (the person's own frames of one emotion) and retrieval with a switching penalty."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from w2le_live.face.landmarks import face_width, mouth_width
from w2le_live.personal.geometry import eye_apertures, features, lip_vector, mean_along, pair_gaps


@dataclass
class EmotionBank:
    """One enrolled emotion of one person.

    emotion: name (e.g. "happy"). template: (478, 3) float32, the person's normalised face (see geometry).
    crops: (B, S, S, 3) uint8 BGR square cuts of the camera frames (never resampled).
    crop_landmarks: (B, 478, 2) float32 crop pixels.
    norm: (B, 478, 3) float32 normalised landmarks of the crops. tracked: (F, 478, 3) float32 normalised
    landmarks of every tracked enrolment frame (F >= B), for fitting the offset. offset: (478, 3) float32
    in face widths when a neutral reference was enrolled with it, else None (fitted against the live face).
    angles: (B, 2) float32 yaw and pitch of each crop's head (radians, see :func:`head_angles`), or None.
    """

    emotion: str
    template: np.ndarray
    crops: np.ndarray
    crop_landmarks: np.ndarray
    norm: np.ndarray
    tracked: np.ndarray
    offset: Optional[np.ndarray] = None
    info: dict = field(default_factory=dict)
    angles: Optional[np.ndarray] = None  # (B, 2) float32 head yaw, pitch of the crops (radians)

    def __len__(self) -> int:
        return len(self.crops)

    @property
    def crop_size(self) -> int:
        return int(self.crops.shape[1])


@dataclass(frozen=True)
class RetrievalConfig:
    """Bank retrieval, three choices per frame. The mouth: the inner-lip opening decides, the lip contour and eye
    aperture help; it switches freely and never fades (two mouths are never blended). The cheeks: chosen by the face
    away from the mouth, slow to switch, short aligned fades. The eyes (wide-eyed emotions): lids, brows, gaze."""

    gap_weight: float = 2.0  # inner-lip opening per upper/lower pair: what lip sync is judged on
    shape_weight: float = 0.5  # the inner-lip contour's shape and place
    eye_weight: float = 0.3  # eye apertures (all in face widths)
    pose_weight: float = 0.05  # face widths per radian of head yaw/pitch difference (a turned head wants a
    # turned bank frame: its cheeks and nose shading match)
    switch_cost: float = 0.010  # a new mouth frame must fit this much better (face widths; 0.008 switched
    # so often that the sharpened bank mouth flickered: W009 happy 1.22 x the driving clip; 0.012 kept fewer
    # fitting mouths: W009 p(surprised) 0.51 -> 0.475)
    cheek_switch_cost: float = 0.004  # the cheeks' frame (its cost: the face away from the mouth)
    cheek_fade_frames: int = 3  # aligned cross-fade of the cheeks after a switch
    upper_switch_cost: float = 0.003
    # cross-fade of the bank's eye frames after a switch (both warped onto the same target lids, irises under the
    # live one): unfaded, each switch showed as a jump of lashes, crease and lid margin (W009 surprised: the eyes'
    # frame-to-frame change 2.3x the camera's at a switch, 1.6x with 3; held-out M030's 720p angry <- sad: 2.3x ->
    # 1.3x); W009's shift-averaged gaze -0.000 to -0.008 (docs/personal/gaze.md, session 20). Its cost on
    # surprised (W009 0.908 -> 0.900, unseen MEAD M024 0.921 -> 0.908) was two bank irises apart under the fade;
    # with each bank eyeball moved under the live iris (RenderConfig.bank_iris_align, session 21): 0.926 / 0.925
    upper_fade_frames: int = 3
    gaze_weight: float = 0.5  # per unit of gaze: the bank eyes' iris must lie under the live one
    # radians: a live in-plane tilt within this of the enrolment's median one is read as it is (a seated person's
    # few degrees: undoing them too moved W009's static choices, p(surprised) 0.53 -> 0.34 and its blinks' size
    # 0.75 -> 0.68); beyond it, undone before the pose cost reads yaw and pitch (see head_angles)
    roll_free: float = 0.09
    # face widths: a speech-blurred mouth frame pays blur_weight x (blur_knee - max(r, blur_floor)) where r < knee,
    # r its mouth-box texture over both the bank's median and its blur_neighbours nearest mouth shapes' (see
    # blur_cost), so a near-tie goes to the sharp mouth (MEAD M003 disgusted 10, 11: r 0.71, 0.68 lost to 53, 16),
    # while a frame that alone has the shape asked for keeps it (at most 0.02). Against the bank's median alone,
    # closed and rounded mouths (no teeth: ~0.5) paid too: W009 p(surprised) 0.53 -> 0.47. Knee 0.85 x 0.05 made
    # W009 happy flicker 1.24 x the driving clip (bar 1.2; 1.19 without the cost); 0.75 x 0.1: 1.18. 8 neighbours
    # moved 10 W009 surprised mouths and its re-tracked blinks' size 0.708 -> 0.697 (bar 0.7); 4 move none. 0: off.
    blur_weight: float = 0.1
    blur_knee: float = 0.75
    blur_floor: float = 0.55
    blur_neighbours: int = 4
    # a chosen mouth frame soft for its own shape (shape_sharpness < blur_knee) whose texture is below this share of
    # the live mouth's (at the crops' scale, Retriever.see_mouth) is a smear: ``Retriever.smeared``, and the
    # translator draws the live mouth there. Wild d10 (a fast-talking take): frame 24, 0.43 of its own shape's
    # texture and 0.37-0.57 of her live mouth's, was drawn in 31 of 150 frames as a pale, soft row of teeth (mouth
    # sharpness 0.84 of the camera's, 13 % of frames below 0.5). Its sharp twins (40, 41) chosen instead, by a blur
    # cost against the live texture: 0.88 / 2 %, but their opening re-tracked 0.02 face widths wider than hers
    # (lips 0.941 -> 0.896); the live mouth: 0.90 / 2 %, lips 0.931. W009's and MEAD M003's chosen frames never
    # reach it (W009 sad's softest for its shape: 0.62 of the live mouth's). 0: off.
    smear: float = 0.6


UPPER_POINTS = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46, 300, 293, 334, 296, 336, 285, 295, 282, 283, 276,
                159, 145, 386, 374, 33, 133, 263, 362)  # fmt: skip
_UPPER_INDEX = np.array(UPPER_POINTS, np.intp)


def gaze(norm: np.ndarray) -> np.ndarray:
    """Iris centre between the eye corners, per eye (0 = outer corner, 1 = inner). norm: (..., 478, 2+) ->
    (..., 2) float32."""
    x = norm[..., 0]
    return np.stack([(x[..., 468] - x[..., 33]) / (x[..., 133] - x[..., 33]),
                     (x[..., 473] - x[..., 263]) / (x[..., 362] - x[..., 263])], -1).astype(np.float32)  # fmt: skip


def spread(count: int, most: int) -> np.ndarray:
    """Indices (int, ascending, unique) of at most ``most`` of ``count`` frames, evenly spread from first to last:
    a bank's frames sampled for a statistic of the whole take."""
    if count <= 0:
        return np.zeros(0, int)
    return np.unique(np.linspace(0, count - 1, min(most, count)).round().astype(int))


def head_angles(r: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """Yaw and pitch (radians) of a pose rotation r (3, 3) (see geometry.Pose): where the face's own depth axis
    points in the frame, turned by ``roll`` (radians, the in-plane tilt to undo; see :func:`eye_roll`). Returns
    (2,) float32.

    The template's depth axis leans ~0.45 rad from the camera's even for a frontal face (its y axis runs forehead
    to nose tip), so in the frame's own axes a head tilted 15 degrees in the image plane reads as turned 0.12 rad:
    the live reading undoes its tilt beyond the enrolment's (``Retriever.undo_roll``)."""
    z = r[:, 2]
    c, s = np.cos(roll), np.sin(roll)
    zx, zy = c * z[0] + s * z[1], c * z[1] - s * z[0]
    return np.array([np.arcsin(np.clip(zx, -1, 1)), np.arcsin(np.clip(zy, -1, 1))], np.float32)


def eye_roll(lm: np.ndarray) -> np.ndarray:
    """The in-plane tilt (radians, image y down) of the line between the outer eye corners (33 -> 263) of
    landmarks lm (..., 478, 2+) float32 pixels. Returns (...) float32."""
    d = lm[..., 263, :2] - lm[..., 33, :2]
    return np.arctan2(d[..., 1], d[..., 0]).astype(np.float32)


def mouth_texture(crops: np.ndarray, crop_landmarks: np.ndarray) -> np.ndarray:
    """Per bank frame, the mouth sharpness of issue 18's measure (``metrics.mouth_box``, ``metrics.laplacian_
    sharpness``: the variance of the Laplacian of the grey mouth box downscaled by 2). crops: (B, S, S, 3) uint8 BGR;
    crop_landmarks: (B, 478, 2+) float32 crop pixels. Returns (B,) float32, NaN where no box fits."""
    from w2le_live.personal.metrics import laplacian_sharpness, mouth_box

    out = np.full(len(crops), np.nan, np.float32)
    for i, (img, lm) in enumerate(zip(crops, crop_landmarks)):
        box = mouth_box(lm[:, :2], img.shape)
        if box is not None:
            x0, y0, x1, y1 = box
            out[i] = laplacian_sharpness(img[y0:y1, x0:x1])
    return out


def shape_sharpness(texture: np.ndarray, mouth: np.ndarray, neighbours: int) -> np.ndarray:
    """(B,) float32: each mouth frame's texture over the median of its ``neighbours`` nearest frames in mouth shape
    (NaN where unknown): below 1, frames of the same shape are sharper, so a softer one could be avoided.
    texture: (B,) float32 (NaN: unknown, see :func:`mouth_texture`); mouth: (B, D) float32 mouth-shape features
    (Euclidean distance = shape difference)."""
    out = np.full(len(texture), np.nan, np.float32)
    ok = np.flatnonzero(np.isfinite(texture))
    if len(ok) < 3:
        return out
    t, m = texture[ok], mouth[ok]
    k = min(neighbours, len(ok) - 1)
    local = np.empty(len(ok), np.float32)
    for i in range(len(ok)):
        d = ((m - m[i]) ** 2).sum(1)
        d[i] = np.inf  # a frame is not its own reference
        local[i] = np.median(t[np.argpartition(d, k - 1)[:k]])
    out[ok] = t / np.maximum(local, 1e-6)
    return out


def blur_cost(texture: np.ndarray, local: np.ndarray, weight: float, knee: float, floor: float) -> np.ndarray:
    """(B,) float32 cost (face widths) of mouth frames softer than the bank: weight x (knee - max(r, floor)) where
    r < knee, r the larger of the frame's texture over the bank's median and ``local``, its texture over the median
    of its nearest frames in mouth shape (:func:`shape_sharpness`). A closed or rounded mouth shows no teeth and is
    soft for the bank (MEAD M003 ~0.5) but not for its own shape, so it pays nothing and the mouth shape keeps
    deciding; a speech-blurred frame is soft for both. texture: (B,) float32 (NaN: unknown, see
    :func:`mouth_texture`); local: (B,) float32."""
    out = np.zeros(len(texture), np.float32)
    ok = np.flatnonzero(np.isfinite(texture))
    if weight <= 0 or len(ok) < 3:
        return out
    t = texture[ok]
    med = float(np.median(t))
    if med <= 0:
        return out
    r = np.maximum(t / med, local[ok])
    out[ok] = weight * (knee - np.clip(r, floor, knee))
    return out


def live_mouth_texture(frame: np.ndarray, lm: np.ndarray, face_w: float) -> float:
    """The live mouth's sharpness as :func:`mouth_texture` measures a bank frame's, at the crops' scale: the mouth
    box (``metrics.mouth_box``) resampled from the live face width to ``face_w`` (crop pixels). frame: (H, W, 3)
    uint8 BGR; lm: (478, 2+) float32 frame pixels. NaN where no box fits."""
    import cv2

    from w2le_live.personal.metrics import laplacian_sharpness, mouth_box

    box = mouth_box(lm[:, :2], frame.shape)
    fw = face_width(lm)
    if box is None or not fw > 0 or not face_w > 0:
        return float("nan")
    x0, y0, x1, y1 = box
    img = frame[y0:y1, x0:x1]
    k = face_w / fw
    if abs(k - 1.0) > 0.02:  # within 2 %, as it is (the texture's own noise is larger)
        interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
        img = cv2.resize(img, None, fx=k, fy=k, interpolation=interp)
        if min(img.shape[:2]) < 8:
            return float("nan")
    return laplacian_sharpness(img)


class _Hysteresis:
    """Keeps the current choice until another one is better by ``switch_cost``; cross-fades after a switch."""

    def __init__(self, switch_cost: float, fade_frames: int):
        self.switch_cost, self.fade_frames = switch_cost, fade_frames
        self.reset()

    def reset(self) -> None:
        self.cur: Optional[int] = None
        self.prev: Optional[int] = None
        self.fade = 0
        self.switches = 0

    def step(self, c: np.ndarray) -> list[tuple[int, float]]:
        """c: (B,) float costs -> [(index, weight)] summing to 1."""
        best = int(np.argmin(c))
        if self.cur is None:
            self.cur = best
        elif best != self.cur:
            # prefer continuing the bank's own motion (the next frame), then any frame that pays the switch
            nxt = min(self.cur + 1, len(c) - 1)
            if c[best] + self.switch_cost < min(c[self.cur], c[nxt]):
                self.prev, self.cur, self.fade = self.cur, best, self.fade_frames
                self.switches += 1
            elif c[nxt] < c[self.cur]:
                self.cur = nxt
        if self.fade > 0 and self.prev is not None:
            w = self.fade / (self.fade_frames + 1)
            self.fade -= 1
            return [(self.cur, 1.0 - w), (self.prev, w)]
        return [(self.cur, 1.0)]


class Retriever:
    """Chooses bank frames per live frame: ``choose`` for the lower face, ``choose_upper`` for eyes and brows.

    Each returns a list of (bank index, weight) whose weights sum to 1 (one entry, two while cross-fading).
    """

    def __init__(self, bank: EmotionBank, cfg: RetrievalConfig = RetrievalConfig()):
        self.cfg = cfg
        self._lips = lip_vector(bank.norm)  # (B, 40)
        self._gaps = pair_gaps(bank.norm)  # (B, 9)
        self._widths = mouth_width(bank.norm)  # (B,)
        self._eyes = features(bank.norm)[:, 1:]  # (B, 2)
        self._upper = bank.norm[:, list(UPPER_POINTS), :2].reshape(len(bank.norm), -1)  # (B, 56)
        self._gaze = gaze(bank.norm)  # (B, 2)
        t = bank.template
        # away from the speaking mouth
        far = np.linalg.norm(t[:468, :2] - t[[13, 14], :2].mean(0), axis=1) > 0.3
        self._face_pts = np.flatnonzero(far)
        self._face = bank.norm[:, self._face_pts, :2].reshape(len(bank.norm), -1)
        self._angles = bank.angles  # (B, 2) or None
        # the mouth frames' motion blur, measured on the crops (nothing stored in the profile)
        self.texture = mouth_texture(bank.crops, bank.crop_landmarks) if cfg.blur_weight > 0 else None
        self._blur_c: np.ndarray | float = 0.0
        self._local: Optional[np.ndarray] = None  # (B,) float32 shape_sharpness of each mouth frame
        self._crop_fw = float("nan")
        if self.texture is not None:
            # the mouth cost's own terms, so that a frame's neighbours are the frames it competes with
            g, n = self._gaps.shape[1], self._lips.shape[1]
            mouth = np.hstack(
                [cfg.gap_weight * self._gaps / np.sqrt(g), cfg.shape_weight * self._lips / np.sqrt(n)]
            )
            self._local = shape_sharpness(self.texture, mouth, cfg.blur_neighbours)
            self._blur_c = blur_cost(
                self.texture, self._local, cfg.blur_weight, cfg.blur_knee, cfg.blur_floor
            )
            fw = face_width(bank.crop_landmarks)
            self._crop_fw = float(np.median(fw))
        # some mouth frame is soft for its own shape: the live mouth is measured (see_mouth) to judge it a smear
        self._can_smear = (
            cfg.smear > 0 and self._local is not None and bool(np.any(self._local < cfg.blur_knee))
        )
        self.live_texture = float("nan")  # the live mouth's, at the crops' scale (see_mouth, choose)
        self._live_src: Optional[tuple[np.ndarray, np.ndarray]] = None  # this frame's (frame, landmarks)
        # the chosen mouth frame is a smear (RetrievalConfig.smear; needs see_mouth first)
        self.smeared = False
        # the enrolment's median in-plane tilt: a live tilt farther from it than roll_free is undone beyond that
        # before reading yaw and pitch (see head_angles, :meth:`undo_roll`)
        self.roll = float(np.median(eye_roll(bank.crop_landmarks)))
        self.live_angles: Optional[np.ndarray] = None  # (2,) set by the caller per frame
        self.gap = float("inf")
        # a copy of the live_angles the cached pose cost was made for
        self._pose_for: Optional[np.ndarray] = None
        self._pose_c: np.ndarray | float = 0.0
        self._lower_h = _Hysteresis(cfg.switch_cost, 0)
        self._cheek_h = _Hysteresis(cfg.cheek_switch_cost, cfg.cheek_fade_frames)
        self._upper_h = _Hysteresis(cfg.upper_switch_cost, cfg.upper_fade_frames)

    def undo_roll(self, roll: float) -> float:
        """The share (radians) of a live in-plane tilt ``roll`` (radians, :func:`eye_roll`) that
        :func:`head_angles` undoes: its distance from the enrolment's median tilt beyond ``roll_free``."""
        d = roll - self.roll
        return float(np.sign(d)) * max(abs(d) - self.cfg.roll_free, 0.0)

    def see_mouth(self, frame: np.ndarray, lm: np.ndarray) -> None:
        """Hands this frame's live mouth (frame (H, W, 3) uint8 BGR, lm (478, 2+) float32 frame pixels) to
        :meth:`choose`, which measures it for :attr:`smeared` only when the chosen frame is soft for its own shape
        (0.3-0.7 ms saved on every other frame); call once per frame before :meth:`choose`."""
        self.live_texture = float("nan")
        self._live_src = (frame, lm) if self._can_smear else None

    def reset(self) -> None:
        self._lower_h.reset()
        self._cheek_h.reset()
        self._upper_h.reset()

    @property
    def switches(self) -> int:
        return self._lower_h.switches

    def cost(self, target_norm: np.ndarray) -> np.ndarray:
        """target_norm: (478, 3) float32 normalised target geometry -> (B,) float32 RMS distances (face widths),
        plus the head-pose and motion-blur costs."""
        return self._cost(target_norm, pair_gaps(target_norm))

    def _cost(self, target_norm: np.ndarray, gaps: np.ndarray) -> np.ndarray:
        """``cost`` with the target's pair gaps (9,) float32 already taken."""
        d = self._lips - lip_vector(target_norm)[None]
        lip = np.sqrt(mean_along(d * d, 1))
        g = self._gaps - gaps[None]
        gap = np.sqrt(mean_along(g * g, 1))
        e = self._eyes - eye_apertures(target_norm)[None]
        eye = np.sqrt(mean_along(e * e, 1))
        c = self.cfg.gap_weight * gap + self.cfg.shape_weight * lip + self.cfg.eye_weight * eye
        return c + self._pose_cost() + self._blur_c

    def _pose_cost(self) -> np.ndarray | float:
        if self._angles is None or self.live_angles is None or self.cfg.pose_weight <= 0:
            return 0.0
        # once per new pose
        if self._pose_for is None or not np.array_equal(self._pose_for, self.live_angles):
            d = self._angles - self.live_angles[None]
            self._pose_c = self.cfg.pose_weight * np.sqrt((d * d).sum(1))
            self._pose_for = np.array(self.live_angles, copy=True)
        return self._pose_c

    def face_cost(self, target_norm: np.ndarray) -> np.ndarray:
        """(B,) float32 RMS distance of the face mesh away from the mouth (face widths): the cheeks' frame, chosen
        by the expression and not by speech."""
        d = self._face - target_norm[self._face_pts, :2].reshape(1, -1)
        return np.sqrt(mean_along(np.multiply(d, d, out=d), 1)) + self._pose_cost()  # squared in place

    def upper_cost(self, target_norm: np.ndarray) -> np.ndarray:
        """(B,) float32 RMS distance of brows, lids and eye corners (face widths), plus the gaze difference."""
        d = self._upper - target_norm[_UPPER_INDEX, :2].reshape(1, -1)
        g = self._gaze - gaze(target_norm)[None]
        return (
            np.sqrt(mean_along(d * d, 1))
            + self.cfg.gaze_weight * mean_along(np.abs(g), 1)
            + self._pose_cost()
        )

    def choose(self, target_norm: np.ndarray) -> tuple[int, list[tuple[int, float]]]:
        """The mouth's bank frame (one index) and the cheeks' frame(s) [(index, weight)] for the target geometry
        (478, 3) float32; ``gap`` is then the mouth frame's RMS inner-lip gap misfit (face widths)."""
        gaps = pair_gaps(target_norm)
        c = self._cost(target_norm, gaps)
        mouth = self._lower_h.step(c)[0][0]
        g = self._gaps[mouth] - gaps
        self.gap = float(np.sqrt(mean_along(g * g, 0)))
        # a motion-blurred frame of a shape the take also holds sharper, far softer than the live mouth
        self.smeared = False
        if self._live_src is not None and self._local[mouth] < self.cfg.blur_knee:
            if np.isnan(self.live_texture):  # once a frame, and only for a frame soft for its shape
                self.live_texture = live_mouth_texture(*self._live_src, self._crop_fw)
            self.smeared = bool(self.texture[mouth] < self.cfg.smear * self.live_texture)
        return mouth, self._cheek_h.step(self.face_cost(target_norm))

    def squeeze(self, mouth: int, target_norm: np.ndarray) -> float:
        """How far bank frame ``mouth``'s lips are squeezed (or stretched) across the face to fit the target geometry
        (478, 3) float32: |log| of its lip corners' distance over the target's (0: the same width)."""
        return abs(float(np.log(max(float(self._widths[mouth]), 1e-6) / max(mouth_width(target_norm), 1e-6))))

    def choose_upper(self, target_norm: np.ndarray) -> list[tuple[int, float]]:
        """Upper-face bank frame(s) for the target geometry (478, 3) float32: slow to switch, short fades."""
        return self._upper_h.step(self.upper_cost(target_norm))
