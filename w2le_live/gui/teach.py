"""The tray's "Teach my <emotion>...": record the live camera for a personal-emotion profile, then wear it.

Flow: bypass on (the user sees their own face), a countdown, then up to ``seconds`` of recording while the preview
shows, below the face, the sentence for the first mouth shape still missing and the coverage so far (which shapes are
covered, which are missing); the take ends early once every shape is covered, and ``cancel()`` ends it with nothing
saved (the profile keeps what it had); then enrolment runs in a background thread, the bank is saved to the profile
and the personal translator is swapped in for that emotion. Every failure (no face, two faces, too dark...) ends as
one sentence for a notification; the stream keeps running throughout.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

import numpy as np

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Oh wow, you really brought pizza, cheese and cool juice for everyone!",
    "Judy's big yellow boat sails past the huge old windmill at noon.",
)
DEFAULT_PROFILE = "me"
STALL_S = 3.0  # no new camera frame for this long (camera gone, file ended): the take ends with what it has
NO_FACE_MEASURES = 3  # measured frames in a row with no face (every 4th frame: ~0.5 s) before saying so


class Teacher:
    """One enrolment from the running session's camera. ``prompt()`` is what the preview overlays now.

    ``on_done(message, translator)`` is called from the worker thread when enrolment finished (with the
    profile's translator to swap in, serving this emotion) or failed (``translator`` None).
    """

    def __init__(
        self,
        session,
        emotion: str,
        *,
        profile: Optional[str] = None,
        seconds: float = 20.0,
        countdown: int = 3,
        on_done: Callable[..., None] = lambda message, translator=None: None,
    ):
        self.session, self.emotion = session, emotion
        self.profile = profile or session.options.profile or DEFAULT_PROFILE
        self.seconds, self.countdown, self.on_done = seconds, countdown, on_done
        self.frames: list[np.ndarray] = []
        self._phase, self._t0 = "idle", 0.0
        self._thread: Optional[threading.Thread] = None
        self.watch = None  # coverage of the take being recorded (w2le_live.personal.coverage.CoverageWatch)
        self.replacing = holds(self.profile, emotion)  # the profile has this emotion: the take replaces it
        self.early = False  # the take ended early: every shape was covered
        # seconds into the take when the camera stopped sending frames
        self.stalled_at: Optional[float] = None
        self._last_frame_t = 0.0
        self._stop = threading.Event()

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def active(self) -> bool:
        """Counting down, recording or learning (what "Cancel teaching" can stop)."""
        return self._phase != "idle"

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        """Stop the take now; nothing is saved and the profile keeps what it had (any thread)."""
        self._stop.set()

    def start(self) -> None:
        self._phase, self._t0 = "countdown", time.monotonic()
        self._thread = threading.Thread(target=self._run, name="w2le-teach", daemon=True)
        self._thread.start()

    def prompt(self) -> Optional[str]:
        """The overlay text for the preview now (None when idle); lines separated by newlines."""
        now = time.monotonic()
        if self._phase == "countdown":
            left = max(1, int(np.ceil(self._t0 + self.countdown - now)))
            note = (
                f"\n(this take replaces your saved {self.emotion} once it is learned)"
                if self.replacing
                else ""
            )
            return f"Show your {self.emotion} face and read aloud - starting in {left}{note}"
        if self._phase == "recording":
            left = max(0, int(self._t0 + self.seconds - now))
            line = SENTENCES[int((now - self._t0) // 6) % len(SENTENCES)]
            shapes = "Cover: mouth closed, wide open, rounded, spread, teeth, small head turns."
            if self.watch is not None and self.watch.frames > 0:  # coverage: the sentence for what is missing
                line, shapes = self.watch.prompt, coverage_lines(self.watch.coverage)
                if now - self._last_frame_t > STALL_S / 3:
                    line = "No new camera frames: is the camera (or the video file) still running?"
                elif self.watch.faceless >= NO_FACE_MEASURES:
                    line = "No face in view: face the camera, close enough, in good light."
            return f"{self.emotion.upper()} - {left} s left - read aloud:\n{line}\n{shapes}"
        if self._phase == "processing":
            why = "every shape covered, finished early - " if self.early else ""
            return f"{why}learning your {self.emotion} face..."
        return None

    def _record(self) -> list[np.ndarray]:
        from dataclasses import replace

        from w2le_live.personal.coverage import CoverageConfig, CoverageWatch

        # it measures every 4th frame (the take keeps its frame rate), so a shape needs half the measured frames
        # `enroll`'s watch (every 2nd) needs: the same stretch of the take covers a shape in both
        cfg = CoverageConfig()
        watch = CoverageWatch(stride=4, cfg=replace(cfg, min_frames=max(1, cfg.min_frames // 2)))
        frames: list[np.ndarray] = []
        ended = threading.Event()  # cancelled, or the camera stopped sending frames
        try:
            watch.warm()  # its tracker starts during the countdown
            if self._stop.wait(max(0.0, self._t0 + self.countdown - time.monotonic())):
                return frames  # cancelled during the countdown
            self.watch = watch
            self._phase, self._t0 = "recording", time.monotonic()
            self._last_frame_t = self._t0
            threading.Thread(
                target=self._watch_camera, args=(ended,), name="w2le-teach-watch", daemon=True
            ).start()
            for frame in self.session.record(self.seconds, ended):
                self._last_frame_t = time.monotonic()
                frames.append(frame)
                watch.add(frame)
                if watch.done:  # every mouth shape and turn covered: finish early
                    self.early = True
                    break
        finally:
            ended.set()  # the camera watch stops too
            watch.close()
        return frames

    def _watch_camera(self, ended: threading.Event) -> None:
        """Set ``ended`` on cancel or once the camera sends nothing for STALL_S (or its video file finished)."""
        source = self.session.pipeline.source
        while not ended.wait(0.1):
            if self._stop.is_set():
                break
            quiet = time.monotonic() - self._last_frame_t
            if quiet > STALL_S or (getattr(source, "finished", False) and quiet > 0.5):
                self.stalled_at = self._last_frame_t - self._t0
                break
        ended.set()

    def _run(self) -> None:
        from w2le_live.errors import UserError

        pipe = self.session.pipeline
        was_bypass = pipe.controls.bypass
        pipe.set_bypass(True)  # the user sees their own face while recording
        translator = None
        try:
            self.frames = self._record()
            self._phase = "processing"
            message, translator = self._learn()
        except UserError as exc:
            message = str(exc)
            if self.stalled_at is not None and not self.cancelled:
                message += f" (The camera stopped sending frames {self.stalled_at:.0f} s into the take.)"
        except Exception as exc:  # noqa: BLE001 - a notification, never a crash of the tray
            message = f"enrolment failed ({type(exc).__name__}: {exc}); try again in good light."
        finally:
            self._phase = "idle"
            pipe.set_bypass(was_bypass)
        self.on_done(message, translator)  # after the phase is idle: the tray's "Cancel teaching" turns off

    def _learn(self):
        """Enrol the recorded frames, save them and build the translator: (message, translator or None)."""
        from w2le_live.personal.enroll import enroll_frames, take_lines
        from w2le_live.personal.profiles import save_bank

        kept = f"; profile '{self.profile}' keeps its {self.emotion}" if self.replacing else ""
        if self.cancelled:
            return f"teaching {self.emotion} was cancelled and nothing was saved{kept}.", None
        bank = enroll_frames(self.emotion, self.frames, "the camera recording", None, self.seconds)
        if self.cancelled:  # cancelled while learning: still nothing saved
            return f"teaching {self.emotion} was cancelled and nothing was saved{kept}.", None
        folder = save_bank(self.profile, bank)
        translator = self.session.use_profile(self.profile, self.emotion)
        cov, *dim = take_lines(bank.info)
        how = "replaced" if self.replacing else "learned"
        if self.stalled_at is not None:
            dim.append(
                f"The camera stopped sending frames {self.stalled_at:.0f} s into the take, so it is short."
            )
        return (
            f"{how} your {self.emotion} face (profile '{self.profile}', saved in {folder}); {cov}."
            + "".join(f" {d}" for d in dim)
        ), translator


def holds(profile: str, emotion: str) -> bool:
    """Whether profile ``profile`` exists and holds ``emotion`` (an unreadable profile holds nothing)."""
    from w2le_live.personal.profiles import readable_emotions

    return emotion in (readable_emotions(profile) or ())


def coverage_lines(cov) -> str:
    """The coverage of the take so far as one line: what is covered, what is still missing. cov: a Coverage."""
    from w2le_live.personal.coverage import LABELS, SHAPES

    have = [LABELS[s] for s in SHAPES if cov.covered.get(s)]
    missing = [LABELS[s] for s in cov.missing]
    line = f"covered {len(have)}/{len(SHAPES)}: {', '.join(have) or 'nothing yet'}"
    return line + (f" | still missing: {', '.join(missing)}" if missing else " | all covered")


def draw_prompt(frame: np.ndarray, text: str, min_width: int = 640) -> np.ndarray:
    """``frame`` (H, W, 3) uint8 BGR, enlarged to at least ``min_width`` wide, with ``text`` (lines split at
    newlines, wrapped to fit; of three or more lines the second, the sentence to read, in bold yellow) on a dark band
    BELOW it: the face, mouth included, stays in view while reading.
    Returns a new (H' + band, W', 3) uint8 image."""
    import cv2

    h, w = frame.shape[:2]
    if w < min_width:
        frame = cv2.resize(frame, (min_width, round(h * min_width / w)), interpolation=cv2.INTER_LINEAR)
        h, w = frame.shape[:2]
    scale = max(0.5, w / 1100)
    lines = []  # (paragraph index, text)
    paras = text.split("\n")
    n_para = len(paras)
    for k, para in enumerate(paras):
        cur = ""
        for word in para.split():
            trial = f"{cur} {word}".strip()
            if cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)[0][0] > w - 20 and cur:
                lines.append((k, cur))
                cur = word
            else:
                cur = trial
        lines.append((k, cur))
    line_h = int(30 * scale / 0.6)
    band = np.full((line_h * len(lines) + 12, w, 3), 32, np.uint8)
    for i, (para, ln) in enumerate(lines):
        bold = para == 1 and n_para > 2  # the sentence to read, between the header and the coverage
        colour = (120, 230, 255) if bold else (255, 255, 255)
        cv2.putText(band, ln, (10, line_h * (i + 1) - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 2 if bold else 1,
                    cv2.LINE_AA)  # fmt: skip
    return np.concatenate([frame, band], axis=0)
