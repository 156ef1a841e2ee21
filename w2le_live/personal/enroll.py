"""Enrolment: frames of a person showing one emotion -> an :class:`EmotionBank`, or a one-sentence refusal."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

from w2le_live.errors import UserError
from w2le_live.face.landmarks import face_width, head_turn
from w2le_live.personal import geometry as G
from w2le_live.personal.bank import EmotionBank, head_angles
from w2le_live.personal.coverage import MAX_TURN


class EnrollmentError(UserError):
    """The enrolment recording cannot make a usable bank (no face, two faces, too short, ...)."""


@dataclass(frozen=True)
class EnrollConfig:
    """What an enrolment needs and keeps."""

    crop_size: int = 256  # least side of the stored crops (square cuts of the camera frame, never resampled)
    # most side of a stored crop (personal.bank_io.BankLimits.max_crop, memory: 300 crops of 512 px are 236 MB):
    # the cut of a face too large for it (over 0.6 x 512 px wide) is shrunk to it, the only resampling it gets
    max_crop_size: int = 512
    face_scale: float = 0.6  # a larger face gets a larger cut: face width at most this fraction of the side
    center_y: float = 0.15  # normalised y (face widths below the rigid-point centre) at the crop centre
    max_bank: int = 300  # frames kept in the bank (the most diverse mouth shapes)
    min_seconds: float = 2.0  # of video with a face
    # a kept take shorter than this that misses mouth shapes is told to record longer
    short_seconds: float = 6.0
    max_seconds: float = 120.0  # of video used (enroll --seconds at most)
    min_face_px: float = 60.0  # face width (cheek to cheek) in pixels
    # Frames whose head is turned further than this (the nose tip between the cheeks, ``face.landmarks.head_turn``:
    # 0 facing the camera, 1 at the far cheek's edge) are left out of the bank: their far cheek, lip corner and nose
    # side are hidden, so drawn onto a face that faces the camera they show a fold. The live effect starts fading
    # at the same turn (``PersonalTranslator.turn_fade``); MEAD's takes never pass 0.2 (docs/personal/turns.md).
    max_turn: float = MAX_TURN
    # Frames with something in front of the mouth (a mug, a phone) are left out of the bank too: more than this
    # share of their lower face in colours the take shows in under half its frames (occlusion.take_covered; real
    # takes <= 0.023, a mug over the mouth >= 0.29). Their lips would be the mug's, and drawn on the live face.
    max_covered: float = 0.10
    # Exposure: the 90th percentile grey of the face box (its lit side, 0..255), not its mean, which follows skin
    # tone: a well-lit dark-skinned face (MEAD W023) has a mean of ~40 but a lit side of ~67, the light-skinned
    # MEAD faces 103-186, and the same faces in a dim room (x 0.3) 30-55. Below ``min_luma`` the camera sees
    # almost nothing (refused); below ``dim_luma`` the take is kept with a line that it is dim (noisy texture).
    min_luma: float = 20.0
    dim_luma: float = 45.0
    max_multi_face: float = 0.2  # fraction of frames with a second face before refusing
    # Lab a*b* distance between two takes' (or two seconds') face colour beyond which it is another person.
    # Measured on MEAD: one actor across 3 recordings <= 1.5; other actors 2.2-17 (W009, W023, M024 >= 4.0), so a
    # look-alike skin tone (M026 vs M030: 1.6-2.9) passes: a guard against the wrong clip, not face recognition.
    max_skin_shift: float = 3.0
    # face brightness (lit side) ratio between the two takes from which a refusal names the light as a cause
    max_light_ratio: float = 1.25
    # within one take: a face brightness change (central face, per second) from which a refusal names the light
    max_light_drift: float = 1.08
    min_offset_rms: float = 0.003  # face widths (RMS): below it no expression (MEAD's are >= 0.014)
    min_mouth_range: float = 0.03  # inner-lip opening range (5th..95th percentile), face widths
    # A neutral take whose face does not move at all (a frozen frame) is refused when both its inner-lip opening
    # range (5th..95th percentile) and its landmarks' median spread about their median shape (face widths) are
    # below these. MEAD's neutral takes (W009, M030): 0.082-0.095 and 0.0044; one of their frames repeated:
    # 0.0006-0.0007 and 0.0001, with +-2 grey of noise per frame 0.0020-0.0023 and 0.0004.
    still_mouth_range: float = 0.01
    still_spread: float = 0.0015
    fps: float = 25.0


@dataclass
class Tracked:
    """Tracked enrolment frames: landmarks (F, 478, 3) float32 frame px, crops (F, S, S, 3) uint8 BGR (square
    cuts of the frames, pixel for pixel), crop_landmarks (F, 478, 2) float32 crop px, and the refusal counters."""

    landmarks: np.ndarray
    crops: np.ndarray
    crop_landmarks: np.ndarray
    frames: int
    multi_face: int
    luma: float
    face_px: float
    too_small: bool = False  # no face found, but one at a larger scale (or the frames cannot hold one)
    turned: int = 0  # frames with a face turned further than ``EnrollConfig.max_turn``, left out
    covered: int = 0  # frames with something in front of the mouth (``EnrollConfig.max_covered``), left out


def similarity_2d(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 float64 least-squares similarity with dst ~ M @ [src, 1]. src, dst: (K, 2) float."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, sig, vt = np.linalg.svd(b.T @ a)
    d = np.array([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    r = u @ np.diag(d) @ vt
    s = (sig * d).sum() / max((a * a).sum(), 1e-12)
    m = np.zeros((2, 3))
    m[:, :2] = s * r
    m[:, 2] = md - s * r @ ms
    return m


def crop_side(widths: np.ndarray, cfg: EnrollConfig) -> int:
    """Side (pixels, a multiple of 16) of the square cuts for faces of these widths (K,) float (frame px)."""
    need = float(np.max(widths)) / cfg.face_scale if len(widths) else 0.0
    return int(max(cfg.crop_size, -(-int(np.ceil(need)) // 16) * 16))


def crop_origin(landmarks: np.ndarray, template: np.ndarray, side: int, cfg: EnrollConfig) -> tuple[int, int]:
    """Integer frame position (x0, y0) of a face's square cut: the cut is a translation of the frame only, so a
    bank pixel is a camera pixel (the renderer resamples once, from the cut straight to the output).

    landmarks: (478, 2+) float32 frame pixels; template: (478, 3) float32 normalised.
    """
    idx = list(G.RIGID)
    m = similarity_2d(template[idx, :2], landmarks[idx, :2])  # normalised -> frame
    cx, cy = m[:, :2] @ np.array([0.0, cfg.center_y]) + m[:, 2]
    return int(round(cx - side / 2)), int(round(cy - side / 2))


def cut_square(frame: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """frame (H, W, 3) uint8 -> (side, side, 3) uint8 copy of frame[y0:y0+side, x0:x0+side], edges replicated."""
    import cv2

    h, w = frame.shape[:2]
    a, b = max(x0, 0), max(y0, 0)
    c, d = min(x0 + side, w), min(y0 + side, h)
    if c <= a or d <= b:
        return np.zeros((side, side, 3), np.uint8)
    part = frame[b:d, a:c]
    return cv2.copyMakeBorder(part, b - y0, y0 + side - d, a - x0, x0 + side - c, cv2.BORDER_REPLICATE)


def bank_cut(frame: np.ndarray, lm: np.ndarray, template: np.ndarray, side: int,
             cfg: EnrollConfig) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """One bank crop and its landmarks: frame (H, W, 3) uint8 BGR, lm (478, 2+) float32 frame pixels, template
    (478, 3) float32 normalised -> ((S, S, 3) uint8, (478, 2) float32 crop pixels), S = min(side, max_crop_size).

    The cut is a translation of the frame; only a face too large for ``max_crop_size`` is shrunk, once (pixel
    centres stay on their points)."""
    import cv2

    x0, y0 = crop_origin(lm, template, side, cfg)
    crop = cut_square(frame, x0, y0, side)
    local = lm[:, :2] - np.array([x0, y0], np.float32)
    if side > cfg.max_crop_size:
        k = cfg.max_crop_size / side
        crop = cv2.resize(crop, (cfg.max_crop_size, cfg.max_crop_size), interpolation=cv2.INTER_AREA)
        local = (local + 0.5) * np.float32(k) - 0.5
    return crop, local.astype(np.float32)


class _Cutter:
    """Bank crops cut on the fly: the first second's frames wait for a provisional template (the cut's place) and
    the cut's size (from their face widths), every later frame is cut at once."""

    def __init__(self, cfg: EnrollConfig) -> None:
        self.cfg, self.side, self.template = cfg, cfg.crop_size, None
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.crops: list[np.ndarray] = []
        self.landmarks: list[np.ndarray] = []

    def add(self, frame: np.ndarray, lm: np.ndarray, widths: list[float]) -> None:
        """frame (H, W, 3) uint8 BGR, lm (478, 3) float32 pixels; widths: face widths so far (px)."""
        if self.template is not None:
            self._cut(frame, lm)
            return
        self.pending.append((frame, lm))
        if len(self.pending) >= self.cfg.fps:
            self.flush(widths)

    def flush(self, widths: list[float]) -> None:
        """Fix the template and the cut size from the waiting frames, and cut them."""
        if not self.pending:
            return
        self.template = G.build_template(np.stack([p[1] for p in self.pending]), iterations=1)
        self.side = crop_side(np.array(widths), self.cfg)
        for f, lmk in self.pending:
            self._cut(f, lmk)
        self.pending = []

    def _cut(self, frame: np.ndarray, lm: np.ndarray) -> None:
        crop, local = bank_cut(frame, lm, self.template, self.side, self.cfg)
        self.crops.append(crop)
        self.landmarks.append(local)


def _face_luma(frame: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The exposure of the face box (x0, y0, x1, y1) of frame (H, W, 3) uint8 BGR: the 90th percentile of its
    grey levels (0..255), the lit side of the face, which the light sets more than the skin tone does."""
    import cv2

    x0, y0, x1, y1 = box
    h, w = frame.shape[:2]
    roi = frame[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    if not roi.size:
        return 0.0
    hist = cv2.calcHist([cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY)], [0], None, [256], [0, 256]).ravel()
    return float(np.searchsorted(np.cumsum(hist), 0.9 * hist.sum()))


def exposure_line(info: dict, cfg: EnrollConfig = EnrollConfig()) -> Optional[str]:
    """One line when a kept take was dim (its ``info["luma_p90"]``, the face's 90th-percentile grey, under
    ``cfg.dim_luma``), else None. Takes enrolled before that was recorded (their ``"luma"`` is a mean grey, which
    reads a well-lit dark face as dim) get none."""
    luma = info.get("luma_p90")
    if luma is None or luma >= cfg.dim_luma:
        return None
    return ("light: the take was dim, so its skin texture is noisy and the emotion will look softer; a light "
            "facing you and a new take will look better.")  # fmt: skip


def take_lines(info: dict) -> list[str]:
    """What a user is told about a kept take (``enroll``'s summary, ``profile show``, the tray's "Teach my ..."):
    its coverage line, then the exposure line when it was dim. info: a bank's ``info`` (as stored)."""
    from w2le_live.personal.coverage import summary_line

    dim, short, turned = exposure_line(info), short_take_line(info), turned_line(info)
    covered = covered_line(info)
    return [summary_line(info.get("coverage"))] + [line for line in (short, turned, covered, dim) if line]


def turned_line(info: dict) -> Optional[str]:
    """One line when frames of a kept take were left out for a head turned away (``info["turned_s"]``, seconds),
    else None (also for takes enrolled before that was recorded)."""
    turned = info.get("turned_s")
    if not isinstance(turned, (int, float)) or turned <= 0:
        return None
    return (f"turns: {turned:g} s of the take were turned too far from the camera and left out (the renderer "
            "cannot draw a face it saw from the side onto one facing the camera).")  # fmt: skip


def covered_line(info: dict) -> Optional[str]:
    """One line when frames of a kept take were left out for something in front of the mouth
    (``info["covered_s"]``, seconds), else None (also for takes enrolled before that was recorded)."""
    covered = info.get("covered_s")
    if not isinstance(covered, (int, float)) or covered <= 0:
        return None
    return (f"mouth covered: {covered:g} s of the take showed something in front of the mouth (a cup, a phone) "
            "and were left out.")  # fmt: skip


def short_take_line(info: dict, cfg: EnrollConfig = EnrollConfig()) -> Optional[str]:
    """One line when a kept take is short (under ``cfg.short_seconds``) AND misses mouth shapes: the bank is all
    the renderer has, so a longer take is the fix. None otherwise. info: a bank's ``info`` (as stored)."""
    seconds, cov = info.get("seconds"), info.get("coverage") or {}
    if not isinstance(seconds, (int, float)) or seconds >= cfg.short_seconds or not cov.get("missing"):
        return None
    return (f"length: the take is only {seconds:g} s; a longer one (up to 20 s of talking) gives the renderer the "
            "missing shapes.")  # fmt: skip


def track(frames: Iterable[np.ndarray], cfg: EnrollConfig = EnrollConfig(), seconds: Optional[float] = None,
          tracker=None) -> Tracked:  # fmt: skip
    """Track frames (each (H, W, 3) uint8 BGR, at ``cfg.fps``) and cut square face crops on the fly.

    The cut's place and size use a provisional template from the first second (crops carry their own
    landmarks, so its precision does not matter). Stops after ``seconds`` of video when given.
    """
    from w2le_live.config import TrackerConfig
    from w2le_live.face.tracker import FaceTracker

    own = tracker is None
    # bank landmarks must sit exactly on their own pixels: no temporal smoothing (it lags fast lip motion)
    tr = tracker or FaceTracker(TrackerConfig(landmark_min_cutoff=1e4, landmark_beta=0.0))
    cutter = _Cutter(cfg)
    lms, lumas, widths = [], [], []
    n = multi = turned = 0
    missed: list[np.ndarray] = []  # a few frames without a face, to tell "too small" from "no face"
    try:
        for frame in frames:
            if seconds is not None and n >= seconds * cfg.fps:
                break
            face = tr.process(frame, n / cfg.fps)
            n += 1
            if face is None:
                if len(missed) < 3 and n % 10 == 1:
                    missed.append(frame)
                continue
            multi += face.n_faces > 1
            if abs(head_turn(face.landmarks)) > cfg.max_turn:  # NaN (no cheeks apart) is kept
                turned += 1
                continue
            lms.append(face.landmarks)
            widths.append(face_width(face.landmarks))
            lumas.append(_face_luma(frame, face.box))
            cutter.add(frame, face.landmarks, widths)
        cutter.flush(widths)
    finally:
        if own:
            tr.close()
    if not lms:
        s = min(cutter.side, cfg.max_crop_size)
        return Tracked(np.zeros((0, 478, 3), np.float32), np.zeros((0, s, s, 3), np.uint8),
                       np.zeros((0, 478, 2), np.float32), n, multi, 0.0, 0.0,
                       not turned and _found_larger(missed, cfg), turned)  # fmt: skip
    from w2le_live.personal.occlusion import take_covered

    crops, local = np.stack(cutter.crops), np.stack(cutter.landmarks)
    clear = ~take_covered(crops, local, cfg.max_covered)
    if np.count_nonzero(clear) < 0.5 * len(clear):  # the take's colours changed throughout: no model to trust
        clear[:] = True
    lms, lumas, widths = np.stack(lms)[clear], np.array(lumas)[clear], np.array(widths)[clear]
    return Tracked(lms, crops[clear], local[clear], n, multi, float(np.median(lumas)), float(np.median(widths)),
                   False, turned, int(np.count_nonzero(~clear)))  # fmt: skip


def _found_larger(frames: list[np.ndarray], cfg: EnrollConfig) -> bool:
    """True when frames ((H, W, 3) uint8 BGR) in which the tracker found no face are too small to hold one of
    ``cfg.min_face_px``, or MediaPipe's full-range detector (made for faces far from the camera) finds a small
    face (under a quarter of the frame width) in them: the face was too small for the landmark tracker."""
    import cv2
    import mediapipe as mp

    if not frames:
        return False
    if min(frames[0].shape[:2]) < 2 * cfg.min_face_px:
        return True
    with mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5) as det:
        for f in frames:
            found = det.process(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)).detections or []
            if any(d.location_data.relative_bounding_box.width < 0.25 for d in found):
                return True
    return False


def check(tr: Tracked, what: str, cfg: EnrollConfig = EnrollConfig()) -> None:
    """Raise :class:`EnrollmentError` (one sentence naming the fix) when ``tr`` cannot make a good bank."""
    f = len(tr.landmarks)
    if f == 0 and tr.too_small:
        raise EnrollmentError(f"the face in {what} is too small to be found; move closer to the camera.")
    if f == 0 and tr.turned:
        raise EnrollmentError(
            f"the face in {what} is turned away from the camera in every frame; face the camera (small turns are "
            "fine) and record again."
        )
    if f == 0:
        raise EnrollmentError(f"no face was found in {what}; face the camera in good light and record again.")
    if tr.multi_face > cfg.max_multi_face * max(tr.frames, 1):
        raise EnrollmentError(f"{what} shows more than one face; record with only you in the picture.")
    if f < cfg.min_seconds * cfg.fps and (tr.turned or tr.covered):
        left = [f"{tr.turned / cfg.fps:.1f} s turned away"] if tr.turned else []
        left += [f"{tr.covered / cfg.fps:.1f} s with the mouth covered"] if tr.covered else []
        view = "a face turned to the camera" if tr.turned else "the mouth in view"
        fix = ["face the camera"] if tr.turned else []
        fix += ["keep your mouth uncovered"] if tr.covered else []
        raise EnrollmentError(
            f"{what} has only {f / cfg.fps:.1f} s with {view} ({' and '.join(left)} were left out); "
            f"{' and '.join(fix)} and record at least {cfg.min_seconds:.0f} s."
        )
    if f < cfg.min_seconds * cfg.fps:
        raise EnrollmentError(
            f"{what} has only {f / cfg.fps:.1f} s with a face; record at least {cfg.min_seconds:.0f} s."
        )
    if tr.face_px < cfg.min_face_px:
        raise EnrollmentError(
            f"the face in {what} is too small ({tr.face_px:.0f} px wide); move closer to the camera."
        )
    if tr.luma < cfg.min_luma:
        raise EnrollmentError(
            f"the face in {what} is too dark to learn from; turn on a light facing you and record again."
        )


def _face_centre(crops: np.ndarray) -> np.ndarray:
    """The central face region (cheeks, nose) of the median crop, (h, w, 3) uint8 BGR, which speech and expression
    leave alone. crops: (F, S, S, 3) uint8 BGR pose-normalised crops."""
    s = crops.shape[1]
    mid = np.median(crops[:, int(0.3 * s) : int(0.7 * s), int(0.25 * s) : int(0.75 * s)], axis=0)
    return mid.astype(np.uint8)


def skin_colour(crops: np.ndarray) -> np.ndarray:
    """(2,) float64 Lab a*, b* of :func:`_face_centre`: the person's skin colour. crops: (F, S, S, 3) uint8 BGR
    pose-normalised crops."""
    import cv2

    lab = cv2.cvtColor(_face_centre(crops), cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float64)
    return lab[:, 1:].mean(0)


def check_one_person(tr: Tracked, what: str, cfg: EnrollConfig = EnrollConfig()) -> None:
    """Refuse a take in which the face changes person (one after the other): each second's skin colour must
    agree with the first second's."""
    n = int(cfg.fps)
    if len(tr.crops) < 2 * n:
        return
    first = skin_colour(tr.crops[:n])
    for i in range(n, len(tr.crops) - n + 1, n):
        if np.linalg.norm(skin_colour(tr.crops[i : i + n]) - first) > cfg.max_skin_shift:
            # a light switched on or a camera's exposure moving shifts skin colour as much as a new face does
            # (the same face at 0.85 x the light reads 4 apart; MEAD takes hold their light within 1.5 %)
            a, b = face_grey(tr.crops[:n]), face_grey(tr.crops[i : i + n])
            ratio = max(a, b) / max(min(a, b), 1.0)
            if ratio >= cfg.max_light_drift:
                raise EnrollmentError(
                    f"the face in {what} changes at {i / cfg.fps:.0f} s, as if another person took over or the "
                    f"light changed (it gets {ratio:.2f} x {'brighter' if b > a else 'darker'}); record only "
                    "yourself, in steady light (and camera exposure)."
                )
            raise EnrollmentError(
                f"the face in {what} changes at {i / cfg.fps:.0f} s, as if another person took over; record "
                "only yourself."
            )


def face_grey(crops: np.ndarray) -> float:
    """Mean grey level (0..255) of :func:`_face_centre`, the region :func:`skin_colour` reads. crops: (F, S, S, 3)
    uint8 BGR."""
    import cv2

    return float(cv2.cvtColor(_face_centre(crops), cv2.COLOR_BGR2GRAY).mean())


def check_same_person(tr: Tracked, neutral: Tracked, what: str, cfg: EnrollConfig = EnrollConfig()) -> None:
    """Refuse a neutral reference of another person than the emotion recording (skin colour of the two takes)."""
    a, b = (skin_colour(t.crops[:: max(1, len(t.crops) // 100)]) for t in (tr, neutral))
    if np.linalg.norm(a - b) <= cfg.max_skin_shift:
        return
    # skin colour moves with the light (the same face at 0.7 x the light reads 7 apart), so when the two takes
    # are lit differently the light may be the cause: the sentence says so, the check itself stays
    ratio = max(tr.luma, neutral.luma) / max(min(tr.luma, neutral.luma), 1.0)
    if ratio >= cfg.max_light_ratio:
        brighter = "the neutral recording" if neutral.luma > tr.luma else what
        raise EnrollmentError(
            f"the neutral recording shows another face than {what}, or the two were lit differently ({brighter} "
            f"is {ratio:.1f} x as brightly lit); pass a neutral recording of the same person, in the same light."
        )
    raise EnrollmentError(
        f"the neutral recording shows another face than {what}; pass a neutral recording of the same person."
    )


def check_moves(tr: Tracked, what: str, cfg: EnrollConfig = EnrollConfig()) -> None:
    """Refuse a take whose face does not move at all (a frozen frame): a neutral reference must be the person
    talking. Measured on its landmarks over frames (lip opening range and the landmarks' spread)."""
    norm = G.normalise(tr.landmarks, G.build_template(tr.landmarks))
    lo, hi = np.percentile(G.features(norm)[:, 0], [5, 95])
    spread = float(np.median(np.linalg.norm(norm - np.median(norm, axis=0), axis=-1)))
    if hi - lo < cfg.still_mouth_range and spread < cfg.still_spread:
        raise EnrollmentError(
            f"the face in {what} does not move at all (a frozen picture); record yourself talking with a neutral "
            "face and pass that."
        )


def check_offset(
    emotion: str, tr: Tracked, neutral: Tracked, what: str, cfg: EnrollConfig = EnrollConfig()
) -> None:
    """Refuse a neutral reference that is the emotion recording itself (a zero expression offset)."""
    if emotion == "neutral":
        return
    template = G.build_template(tr.landmarks, iterations=1)
    off = G.expression_offset(G.normalise(tr.landmarks, template), G.normalise(neutral.landmarks, template))
    if float(np.sqrt((off * off).sum(1).mean())) < cfg.min_offset_rms:
        raise EnrollmentError(
            f"the neutral recording shows the same expression as {what} (a zero offset, e.g. the same clip); pass "
            "a recording of you talking with a neutral face."
        )


def _diverse(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices (sorted) of k rows of keys (F, D) float32 chosen by farthest-point sampling."""
    if len(keys) <= k:
        return np.arange(len(keys))
    chosen = [0]
    d = np.linalg.norm(keys - keys[0], axis=1)
    for _ in range(k - 1):
        i = int(np.argmax(d))
        chosen.append(i)
        d = np.minimum(d, np.linalg.norm(keys - keys[i], axis=1))
    return np.sort(np.array(chosen))


def build_bank(emotion: str, tr: Tracked, what: str, neutral: Optional[Tracked] = None,
               cfg: EnrollConfig = EnrollConfig()) -> EmotionBank:  # fmt: skip
    """Checks, then the bank: template, normalised landmarks, diverse crops and (with a neutral) the offset."""
    t0 = time.perf_counter()
    check(tr, what, cfg)
    template = G.build_template(tr.landmarks)
    norm = G.normalise(tr.landmarks, template)
    opening = G.features(norm)[:, 0]
    lo, hi = np.percentile(opening, [5, 95])
    if hi - lo < cfg.min_mouth_range:
        raise EnrollmentError(
            f"{what} shows too little mouth movement; read the sentence aloud while showing the emotion."
        )
    keys = np.concatenate([G.lip_vector(norm), G.features(norm)[:, 1:]], axis=1)
    keep = _diverse(keys, cfg.max_bank)
    offset = None
    if neutral is not None:
        check(neutral, "the neutral recording", cfg)
        offset = G.expression_offset(norm, G.normalise(neutral.landmarks, template))
    info = {"frames": int(tr.frames), "tracked": len(norm), "kept": len(keep),
            "seconds": round(tr.frames / cfg.fps, 2), "has_neutral": neutral is not None,
            "face_px": round(tr.face_px, 1), "luma_p90": round(tr.luma, 1),
            "mouth_range": round(float(hi - lo), 4), "turned_s": round(tr.turned / cfg.fps, 2),
            "covered_s": round(tr.covered / cfg.fps, 2),
            "build_s": 0.0}  # fmt: skip
    angles = np.stack([head_angles(G.pose_of(tr.landmarks[i], template).R) for i in keep])
    bank = EmotionBank(emotion, template, tr.crops[keep], tr.crop_landmarks[keep], norm[keep], norm, offset, info,
                       angles)  # fmt: skip
    from w2le_live.personal.coverage import coverage

    info["coverage"] = coverage(tr.landmarks).as_dict()  # kept in the profile, shown by enroll / profile show
    info["build_s"] = round(time.perf_counter() - t0, 3)
    return bank


def enroll_frames(emotion: str, frames: Iterable[np.ndarray], what: str,
                  neutral_frames: Optional[Iterable[np.ndarray]] = None, seconds: Optional[float] = None,
                  cfg: EnrollConfig = EnrollConfig()) -> EmotionBank:  # fmt: skip
    """The whole enrolment processing for frame iterables ((H, W, 3) uint8 BGR at 25 fps)."""
    tr = track(frames, cfg, seconds)
    check(tr, what, cfg)
    check_one_person(tr, what, cfg)
    neu = track(neutral_frames, cfg, seconds) if neutral_frames is not None else None
    if neu is not None:
        check(neu, "the neutral recording", cfg)
        check_one_person(neu, "the neutral recording", cfg)
        check_moves(neu, "the neutral recording", cfg)
        check_same_person(tr, neu, what, cfg)
        check_offset(emotion, tr, neu, what, cfg)
    return build_bank(emotion, tr, what, neu, cfg)


def enroll_file(emotion: str, source: str, neutral: Optional[str] = None, seconds: Optional[float] = 20.0,
                cfg: EnrollConfig = EnrollConfig()) -> EmotionBank:  # fmt: skip
    """Enrol from video files (any container PyAV reads, resampled to 25 fps)."""
    from w2le_live.io.video import iter_frames

    frames = (f for _, _, f in iter_frames(source, cfg.fps))
    nframes = (f for _, _, f in iter_frames(neutral, cfg.fps)) if neutral else None
    return enroll_frames(emotion, frames, str(source), nframes, seconds, cfg)
