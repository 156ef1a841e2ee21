"""The tray's "Teach my <emotion>...": record the live camera for a personal-emotion profile, then wear it.

Flow: bypass on (the user sees their own face), a countdown, then ``seconds`` of recording while the preview shows
a phonetically varied sentence to read with the emotion and what to cover (mouth closed to wide open, small head
turns); then enrolment runs in a background thread, the bank is saved to the profile and the personal translator is
swapped in for that emotion. Every failure (no face, two faces, too dark...) ends as one sentence for a
notification; the stream keeps running throughout.
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

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="w2le-teach", daemon=True)
        self._thread.start()

    def prompt(self) -> Optional[str]:
        """The overlay text for the preview now (None when idle)."""
        now = time.monotonic()
        if self._phase == "countdown":
            left = max(1, int(np.ceil(self._t0 + self.countdown - now)))
            return f"Show your {self.emotion} face and read aloud - starting in {left}"
        if self._phase == "recording":
            left = max(0, int(self._t0 + self.seconds - now))
            line = SENTENCES[int((now - self._t0) // 6) % len(SENTENCES)]
            if self.watch is not None and self.watch.frames > 0:  # coverage: the sentence for what is missing
                line = self.watch.prompt
            return f"{self.emotion.upper()} - read aloud ({left} s): {line} | open wide, close, turn a little"
        if self._phase == "processing":
            return f"learning your {self.emotion} face..."
        return None

    def _record(self) -> list[np.ndarray]:
        from w2le_live.personal.coverage import CoverageWatch

        self._phase, self._t0 = "countdown", time.monotonic()
        watch = CoverageWatch(stride=4)  # measures every 4th frame: the take keeps its frame rate
        watch.warm()  # its tracker starts during the countdown
        time.sleep(max(0.0, self._t0 + self.countdown - time.monotonic()))
        self.watch = watch
        self._phase, self._t0 = "recording", time.monotonic()
        frames: list[np.ndarray] = []
        try:
            for frame in self.session.record(self.seconds):
                frames.append(frame)
                watch.add(frame)
                if watch.done:  # every mouth shape and turn covered: finish early
                    break
        finally:
            watch.close()
        return frames

    def _run(self) -> None:
        from w2le_live.errors import UserError
        from w2le_live.personal.enroll import enroll_frames
        from w2le_live.personal.profiles import save_bank

        pipe = self.session.pipeline
        was_bypass = pipe.controls.bypass
        pipe.set_bypass(True)  # the user sees their own face while recording
        try:
            self.frames = self._record()
            self._phase = "processing"
            bank = enroll_frames(self.emotion, self.frames, "the camera recording", None, self.seconds)
            folder = save_bank(self.profile, bank)
            translator = self.session.use_profile(self.profile, self.emotion)
            from w2le_live.personal.enroll import take_lines

            cov, *dim = take_lines(bank.info)
            self.on_done(
                f"learned your {self.emotion} face (profile '{self.profile}', saved in {folder}); {cov}."
                + "".join(f" {d}" for d in dim),
                translator,
            )
        except UserError as exc:
            self.on_done(str(exc))
        except Exception as exc:  # noqa: BLE001 - a notification, never a crash of the tray
            self.on_done(f"enrolment failed ({type(exc).__name__}: {exc}); try again in good light.")
        finally:
            self._phase = "idle"
            pipe.set_bypass(was_bypass)


def draw_prompt(frame: np.ndarray, text: str) -> np.ndarray:
    """A copy of ``frame`` (H, W, 3) uint8 BGR with ``text`` on a dark band at the bottom, wrapped to fit."""
    import cv2

    out = frame.copy()
    h, w = out.shape[:2]
    scale = max(0.4, w / 1400)
    words, lines, cur = text.split(), [], ""
    for word in words:
        trial = f"{cur} {word}".strip()
        if cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > w - 20 and cur:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    lines.append(cur)
    line_h = int(30 * scale / 0.6)
    top = h - line_h * len(lines) - 10
    out[max(top, 0) :] = (out[max(top, 0) :] * 0.35).astype(np.uint8)
    for i, ln in enumerate(lines):
        y = top + line_h * (i + 1) - 6
        cv2.putText(out, ln, (10, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out
