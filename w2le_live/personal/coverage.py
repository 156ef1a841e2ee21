"""Enrolment coverage: which mouth shapes and head turns a recording shows (pure functions on tracked landmarks).

The personal translator can only show shapes its bank holds: a live mouth shape missing from the enrolment is
stretched from the nearest one and looks weaker. ``enroll`` and the tray's "Teach my ..." call
:func:`coverage` (or feed a :class:`CoverageTracker` while recording) to prompt sentences for what is missing,
stop early once everything is covered, and report which shapes will look weaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional, Sequence

import numpy as np

from w2le_live.face.landmarks import face_width, head_turn, mouth_width

SHAPES = ("closed", "open", "rounded", "spread", "teeth", "turns")
LABELS = {
    "closed": "mouth closed",
    "open": "mouth wide open",
    "rounded": 'rounded lips ("oo")',
    "spread": 'spread lips ("ee")',
    "teeth": "teeth showing",
    "turns": "small head turns",
}
PROMPTS = {
    "closed": "Close your lips between words: 'Mm, maybe my mom made muffins.'",
    "open": "Open wide: 'Ah, how about a party in the park?'",
    "rounded": "Round your lips: 'Who knew you would choose blue shoes too?'",
    "spread": "Spread your lips: 'Please see the cheese, Lee, it is free.'",
    "teeth": "Show your teeth: 'Eat these cheap green peas at six.'",
    "turns": "Keep talking and turn your head a little left, then right.",
}


@dataclass(frozen=True)
class CoverageConfig:
    """Shape thresholds on landmark geometry (face widths, 234-454) and how much of each is enough."""

    closed_gap: float = 0.015  # inner-lip gap (13-14) below this: mouth closed
    open_gap: float = 0.13  # inner-lip gap above this: mouth wide open
    rounded_width: float = 0.90  # mouth width (61-291) below this x the recording's median, lips apart
    spread_width: float = 1.06  # mouth width above this x the median, not wide open
    teeth_gap: tuple = (0.02, 0.09)  # teeth show at a moderate opening with unrounded lips ...
    # ... and (with frames) the inner-lip area brighter than this x the lips: teeth read 0.6-1.2 x the lips on the
    # MEAD faces (1.15 missed nearly all: M030's grin, W009 talking), a dark open mouth 0.44-0.62
    teeth_luma: float = 0.75
    turn_range: float = 0.2  # yaw (nose between the cheeks, -1..1) spread, 5th to 95th percentile
    min_frames: int = (
        4  # measured frames of a shape that count as covered (a camera watch measures every 2nd)
    )


@dataclass(frozen=True)
class Coverage:
    """Frames showing each shape (for ``turns``: the yaw spread x 100) and whether it is covered."""

    counts: dict
    covered: dict

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(s for s in SHAPES if not self.covered.get(s, False))

    @property
    def complete(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict:
        """JSON-able form for the profile: {"covered": [...], "missing": [...], "counts": {...}}."""
        return {"covered": [s for s in SHAPES if self.covered.get(s)], "missing": list(self.missing),
                "counts": {s: int(self.counts.get(s, 0)) for s in SHAPES}}  # fmt: skip

    def progress(self) -> str:
        """Short, while recording: 'covered 3/6 (mouth closed, ...)'."""
        have = [LABELS[s] for s in SHAPES if self.covered.get(s)]
        return f"covered {len(have)}/{len(SHAPES)}" + (f" ({', '.join(have)})" if have else "")

    def summary(self) -> str:
        """One line: what is covered and what will look weaker."""
        return summary_line(self.as_dict())


def summary_line(stored: Optional[dict]) -> str:
    """One line from a stored coverage (:meth:`Coverage.as_dict`, as in a profile's emotion entry)."""
    if not stored:
        return "coverage: not measured (enrolled before coverage was recorded)"
    have = ", ".join(LABELS.get(s, s) for s in stored.get("covered", [])) or "none"
    if not stored.get("missing"):
        return f"coverage: all shapes ({have})"
    weak = ", ".join(LABELS.get(s, s) for s in stored["missing"])
    return f"coverage: {have}; missing, so these will look weaker: {weak}"


def mouth_features(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inner-lip gap, mouth width, yaw) per frame. landmarks: (F, 478, 2+) float32 frame px (NaN rows: no face).

    Gap and width in face widths (234-454); yaw in -1..1 (the nose tip's place between the cheeks, 0 frontal).
    Returns three (F,) float64.
    """
    lm = np.asarray(landmarks, np.float64)
    fw = np.maximum(face_width(lm), 1e-6)
    gap = np.linalg.norm(lm[:, 13, :2] - lm[:, 14, :2], axis=-1) / fw
    return gap, mouth_width(lm), head_turn(lm)


def inner_mouth_brightness(frame: np.ndarray, lm: np.ndarray) -> float:
    """Mean grey level inside the inner-lip contour / on the lips (teeth are brighter than lips, a dark mouth
    is darker); NaN when the mouth is closed. frame: (H, W, 3) uint8 BGR; lm: (478, 2+) float32 frame px."""
    import cv2

    from w2le_live.face.landmarks import LIPS_INNER, LIPS_OUTER

    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    inner = np.zeros(grey.shape, np.uint8)
    outer = np.zeros(grey.shape, np.uint8)
    cv2.fillPoly(inner, [np.round(lm[list(LIPS_INNER), :2]).astype(np.int32)], 1)
    cv2.fillPoly(outer, [np.round(lm[list(LIPS_OUTER), :2]).astype(np.int32)], 1)
    lips = (outer > 0) & (inner == 0)
    if inner.sum() < 4 or not lips.any():
        return float("nan")
    return float(grey[inner > 0].mean() / max(grey[lips].mean(), 1.0))


def frame_shapes(gap: float, width: float, median_width: float, brightness: float = float("nan"),
                 cfg: CoverageConfig = CoverageConfig()) -> set[str]:  # fmt: skip
    """The mouth shapes (names in SHAPES, without ``turns``) one frame shows. gap, width: face widths;
    median_width: the recording's median mouth width; brightness: :func:`inner_mouth_brightness` or NaN."""
    if not (np.isfinite(gap) and np.isfinite(width)):
        return set()
    rel = width / max(median_width, 1e-6)
    out = set()
    if gap < cfg.closed_gap:
        out.add("closed")
    if gap > cfg.open_gap:
        out.add("open")
    if rel < cfg.rounded_width and gap >= cfg.closed_gap:
        out.add("rounded")
    if rel > cfg.spread_width and gap <= cfg.open_gap:
        out.add("spread")
    if cfg.teeth_gap[0] <= gap <= cfg.teeth_gap[1] and rel >= cfg.rounded_width:
        if not np.isfinite(brightness) or brightness >= cfg.teeth_luma:
            out.add("teeth")
    return out


def _cover(lm: np.ndarray, bright: Sequence[float], cfg: CoverageConfig) -> Coverage:
    counts = dict.fromkeys(SHAPES, 0)
    if len(lm) == 0:
        return Coverage(counts, dict.fromkeys(SHAPES, False))
    gap, width, yaw = mouth_features(lm)
    ok = np.isfinite(gap) & np.isfinite(width)
    med = float(np.median(width[ok])) if ok.any() else 1.0
    for k in np.flatnonzero(ok):
        for s in frame_shapes(float(gap[k]), float(width[k]), med, bright[k], cfg):
            counts[s] += 1
    y = yaw[np.isfinite(yaw)]
    spread = float(np.percentile(y, 95) - np.percentile(y, 5)) if len(y) >= 2 else 0.0
    counts["turns"] = int(round(100 * spread))
    covered = {s: counts[s] >= cfg.min_frames for s in SHAPES if s != "turns"}
    covered["turns"] = spread >= cfg.turn_range
    return Coverage(counts, covered)


def coverage(landmarks: np.ndarray, frames: Optional[Sequence[np.ndarray]] = None,
             cfg: CoverageConfig = CoverageConfig()) -> Coverage:  # fmt: skip
    """Coverage of a recording. landmarks: (F, 478, 2+) float32 frame px (NaN rows: no face); frames
    (optional, (H, W, 3) uint8 BGR each, same count) let ``teeth`` be seen instead of inferred from lip shape."""
    lm = np.asarray(landmarks)
    bright = [
        inner_mouth_brightness(frames[k], lm[k])
        if frames is not None and np.isfinite(lm[k]).all()
        else np.nan
        for k in range(len(lm))
    ]
    return _cover(lm, bright, cfg)


class CoverageTracker:
    """Coverage while recording: feed each frame's landmarks (and the frame), read :attr:`current` and
    :meth:`prompt`. Recomputes every ``every`` frames (cheap: geometry, plus a mask per frame for teeth)."""

    def __init__(self, cfg: CoverageConfig = CoverageConfig(), every: int = 5):
        self.cfg, self.every = cfg, every
        self._lm: list[np.ndarray] = []
        self._bright: list[float] = []
        self.current = Coverage(dict.fromkeys(SHAPES, 0), dict.fromkeys(SHAPES, False))

    def update(self, lm: Optional[np.ndarray], frame: Optional[np.ndarray] = None) -> Coverage:
        """lm: (478, 2+) float32 frame px or None (no face); frame: (H, W, 3) uint8 BGR or None."""
        if lm is None:
            return self.current
        self._lm.append(np.asarray(lm, np.float32)[:, :2])
        self._bright.append(inner_mouth_brightness(frame, lm) if frame is not None else float("nan"))
        if len(self._lm) % self.every == 0:
            self.current = self._compute()
        return self.current

    def _compute(self) -> Coverage:
        return _cover(np.stack(self._lm), self._bright, self.cfg)

    def prompt(self) -> str:
        """What to say or do next: the sentence for the first missing shape, or that everything is covered."""
        missing = self.current.missing
        return PROMPTS[missing[0]] if missing else "All shapes covered - you can stop."


# a face turned further than this (``face.landmarks.head_turn``) is left out of an enrolment take
# (``enroll.EnrollConfig.max_turn``): where the live effect starts to fade (``PersonalTranslator.turn_fade``)
MAX_TURN = 0.75
TURNED_PROMPT = "Turn back to the camera: a face turned this far is left out of the take."


class CoverageWatch:
    """Coverage while recording from a camera: tracks each frame with its own tracker, keeps :attr:`coverage`
    and :attr:`prompt` current, and says when the take may stop early (:attr:`done`). A face turned past
    ``max_turn`` (``EnrollConfig.max_turn``: enrolment leaves such frames out) is not counted, and from
    ``turned_after`` measured frames of it in a row the prompt asks to turn back."""

    def __init__(self, min_seconds: float = 8.0, fps: float = 25.0, cfg: CoverageConfig = CoverageConfig(),
                 stride: int = 2, max_turn: float = MAX_TURN, turned_after: int = 3):  # fmt: skip
        self.min_frames, self.fps, self.stride = int(min_seconds * fps), fps, max(1, stride)
        self.max_turn, self.turned_after = max_turn, turned_after
        self._cov = CoverageTracker(cfg)
        self._tracker = None
        self.frames = 0
        self.faceless = 0  # measured frames in a row without a face (the prompt can say "no face in view")
        self.turned = 0  # measured frames in a row with the face turned past max_turn

    @property
    def coverage(self) -> Coverage:
        return self._cov.current

    @property
    def prompt(self) -> str:
        return TURNED_PROMPT if self.turned >= self.turned_after else self._cov.prompt()

    @property
    def done(self) -> bool:
        return self.frames >= self.min_frames and self.coverage.complete

    def warm(self) -> None:
        """Start the tracker now (about a second), e.g. during the countdown, so no recorded frame waits for it."""
        if self._tracker is None:
            from w2le_live.config import TrackerConfig
            from w2le_live.face.tracker import FaceTracker

            self._tracker = FaceTracker(TrackerConfig(landmark_min_cutoff=1e4, landmark_beta=0.0))

    def add(self, frame: np.ndarray) -> Coverage:
        """frame: (H, W, 3) uint8 BGR, the next camera frame."""
        self.warm()
        self.frames += 1
        if (self.frames - 1) % self.stride:
            return (
                self._cov.current
            )  # every ``stride``-th frame is enough to see the shapes, at half the cost
        face = self._tracker.process(frame, self.frames / self.fps)
        self.faceless = 0 if face is not None else self.faceless + 1
        away = face is not None and abs(head_turn(face.landmarks)) > self.max_turn  # NaN: not away
        self.turned = self.turned + 1 if away else 0
        return self._cov.update(None if face is None or away else face.landmarks, frame)

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None


def watched(frames: Iterable[np.ndarray], say: Callable[[str], None], min_seconds: float = 8.0,
            fps: float = 25.0) -> Iterator[np.ndarray]:  # fmt: skip
    """Pass camera frames ((H, W, 3) uint8 BGR) through while measuring coverage: ``say`` gets each new prompt
    (a sentence for the first missing shape) and the take ends early once every shape is covered (after
    ``min_seconds``); the caller's own limit stays the upper bound."""
    w = CoverageWatch(min_seconds, fps)
    last = None
    try:
        w.warm()  # before the camera's countdown starts
        for frame in frames:
            w.add(frame)
            if w.prompt != last:
                last = w.prompt
                say(f"{w.coverage.progress()}; next: {last}")
            yield frame
            if w.done:
                say("every shape is covered; finishing early.")
                return
    finally:
        w.close()
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # a camera generator stops its camera now, not when collected
