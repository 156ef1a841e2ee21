"""The worker thread: apply queued commands, take the newest camera frame, track + translate it, post the result.

Every field of :class:`Worker` is written by the worker thread only (after ``__init__``): ``controls`` (what the
user asked for), ``shown`` and ``ease`` (what each frame is translated with: ``live/ease.py``), ``translator``,
``source`` (through ``mailbox.switch``), the step and the counters. With ``overlap_tracking`` a
tracker thread tracks frame n+1 while frame n is translated and hands ``(epoch, capture, observation)`` over in
``_tracked`` under ``_track_lock`` (the one field it writes).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Callable, Optional

from w2le_live.frame_step import STEP_STAGES, FrameStep
from w2le_live.live import commands as C
from w2le_live.live.ease import Ease
from w2le_live.live.frames import wait_for_newer
from w2le_live.live.mailbox import Mailbox, Result
from w2le_live.live.stats import WorkerCounters
from w2le_live.translators.base import Controls, Translator

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, translator: Translator, controls: Controls, mailbox: Mailbox, *,
                 stop: threading.Event, emit: Callable[..., None],
                 counters: WorkerCounters, overlap_tracking: bool,
                 on_frame: Optional[Callable] = None, ease_s: float = 0.0):  # fmt: skip
        self.translator, self.controls, self.mailbox, self.c = translator, controls, mailbox, counters
        self.commands = C.CommandQueue()
        self.ease = Ease(ease_s)  # each frame's controls: the user's, eased in and out (live/ease.py)
        self.shown = controls  # the controls the newest frame was translated with (read by the output thread)
        # the translator swapped out while its look still shows: it renders the frames until that has faded out
        self._leaving: Optional[Translator] = None
        # "Calibrate" with an effect that depends on the neutral face showing: the face fades back to the camera's
        # first, then the translator records it (a new recording's look is a new look: ``_calibration`` counts them)
        self._calibration, self._calibrate_pending = 0, False
        self._announce_recorded = False  # a Calibrate asked: say so once the neutral face is recorded
        self.step: Optional[FrameStep] = None  # set by Pipeline.start (tracker + audio feed)
        self._stop, self._emit = stop, emit
        self.overlap_tracking, self._on_frame = overlap_tracking, on_frame
        self._warned_error = False
        self._track_lock = threading.Lock()  # the tracker (MediaPipe graph) is used by one thread at a time
        self._tracked = None  # (capture, Observation) from the tracker thread
        self._tracked_ready = threading.Event()

    def passing(self) -> bool:
        """True while frames go out untouched by choice (bypass, or no effect: intensity 0, the middle of an
        emotion switch; or the translator left the face alone: turned away, the mouth covered): the output then
        neither reuses the last translated face nor counts an untranslated one. Read by the output thread."""
        step = self.step
        return self.shown.untouched or bool(step is not None and getattr(step.translator, "left_alone", ""))

    @property
    def source(self):
        return self.mailbox.snapshot().source

    # ---- commands ---------------------------------------------------------------------------------
    def apply_commands(self) -> None:
        for cmd in self.commands.drain():
            shown = self._apply(cmd)
            if shown is not None:
                self._emit("state", shown)

    def _apply(self, cmd: C.Command) -> Optional[str]:
        """Apply one command; returns the state line to announce (None: nothing changed)."""
        if isinstance(cmd, C.SetTarget):
            if cmd.emotion not in self.translator.emotions:
                self._emit("warning", f"'{cmd.emotion}' is not available now; choose one of: "
                                      f"{', '.join(self.translator.emotions)}.")  # fmt: skip
                return None
            self.controls = replace(self.controls, target=cmd.emotion)
            return f"target -> {cmd.emotion}"
        if isinstance(cmd, C.SetIntensity):
            self.controls = replace(self.controls, intensity=cmd.value)
            return f"intensity -> {cmd.value}"
        if isinstance(cmd, C.SetBypass):
            self.controls = replace(self.controls, bypass=cmd.on)
            return f"bypass -> {cmd.on}"
        if isinstance(cmd, C.SwapTranslator):
            target = C.target_after_swap(cmd.translator, cmd.target, self.controls.target)
            if self._fades_out():
                self._leaving = self.translator  # fades out first (a second swap meanwhile: still this one)
            self.translator, self.controls = cmd.translator, replace(self.controls, target=target)
            return f"translator -> {cmd.translator.describe()}"
        if isinstance(cmd, C.SwitchSource):
            return self._switch_source(cmd.source)
        if isinstance(cmd, C.Calibrate):
            if self._fades_out() and self.translator.uses_calibration(self.shown.target):
                self._calibration += 1  # recorded once the old calibration's look has faded out (run)
                self._calibrate_pending = True
            else:
                self.translator.calibrate()
            self._announce_recorded = True
            return "calibrate -> neutral face"
        raise TypeError(f"unknown command {cmd!r}")

    def _fades_out(self) -> bool:
        """Whether the serving translator's look is on the face and would fade out before a change to it shows
        (easing on, not already fading out for a swap)."""
        return self.ease.seconds > 0 and self.ease.level > 0 and self._leaving is None

    def _switch_source(self, new) -> Optional[str]:
        new.on_event = lambda k, m: self._emit(k, m)
        try:
            new.start()
        except Exception as exc:  # noqa: BLE001 - keep the old camera when the new one fails
            self._emit("error", str(exc))
            return None
        old = self.source
        self.mailbox.switch(new)  # the output resets its own state when it sees the new epoch
        old.stop()
        with self._track_lock:
            self.step.tracker.reset()
            self._tracked = None
        self.translator.reset()
        self.ease.reset()
        self._leaving, self._calibrate_pending = None, False
        return f"source -> {new.describe()}"

    # ---- frames -----------------------------------------------------------------------------------
    def run(self) -> None:
        """Translate the newest frame, over and over. With ``overlap_tracking`` the tracker thread has already
        tracked it; otherwise track it here first."""
        seq_done, epoch = 0, self.mailbox.snapshot().epoch
        while not self._stop.is_set():
            self.apply_commands()
            snap = self.mailbox.snapshot()
            if snap.epoch != epoch:  # a new camera numbers its frames from 1 again
                seq_done, epoch = 0, snap.epoch
            if self.overlap_tracking:
                item = self._take_tracked(seq_done, epoch)
                if item is None:
                    continue
                cap, obs = item
            else:
                cap, obs = wait_for_newer(snap.source.latest, seq_done, self._stop, 0.02), None
                if cap is None:
                    continue
            if seq_done and cap.seq > seq_done + 1:
                self.c.dropped += cap.seq - seq_done - 1
            seq_done = cap.seq
            self.c.frames_in += 1
            step = self._prepared_step()
            if obs is None:
                with self._track_lock:
                    obs = step.observe(cap.frame, cap.t)
            ready = not self.translator.calibrating(self.controls.target)  # else held back until recorded
            look = (id(self.translator), self._calibration)
            shown = self.shown = self.ease.step(self.controls, cap.t, obs.face is not None, look, ready)
            if self._leaving is not None and self.ease.level <= 0:
                self._leaving = None  # its look has faded out: the new translator from this frame
                step = self._prepared_step()
            if self._calibrate_pending and self.ease.level <= 0:
                self._calibrate_pending = False
                self.translator.calibrate()  # the camera's face shows now: recorded from this frame on
            self._record(cap, step.finish(cap.frame, obs, shown))
            if self._announce_recorded and not self._calibrate_pending:
                self._say_recorded()

    def _say_recorded(self) -> None:
        """After a Calibrate: once the serving translator has recorded the neutral face, say so (a "note": the
        tray shows it); a translator that records none says nothing."""
        recording = self.translator.recording_neutral()
        if recording:
            return
        self._announce_recorded = False
        if recording is not None:
            self._emit("note", "Your neutral face is recorded.")

    def _prepared_step(self) -> FrameStep:
        """The frame step with the translator that renders now: the one swapped out while its look fades, else
        the serving one."""
        step = self.step
        step.translator = self._leaving or self.translator
        if step.mel_feed is not None:
            step.mel_feed.alignment = step.translator.alignment
        return step

    def _take_tracked(self, seq_done: int, epoch: int):
        """The newest (capture, Observation) of camera ``epoch`` newer than ``seq_done``, or None after a short
        wait."""
        self._tracked_ready.wait(0.005)
        with self._track_lock:
            item = self._tracked
            if item is None or item[0] != epoch or item[1].seq <= seq_done:
                self._tracked_ready.clear()
                return None
            return item[1:]

    def tracker_loop(self) -> None:
        """overlap_tracking: track every new camera frame as it arrives (latest-wins hand-off to the worker)."""
        seq_done, epoch = 0, self.mailbox.snapshot().epoch
        while not self._stop.is_set():
            snap = self.mailbox.snapshot()
            if snap.epoch != epoch:
                seq_done, epoch = 0, snap.epoch
            cap = wait_for_newer(snap.source.latest, seq_done, self._stop, 0.02)
            if cap is None:
                continue
            seq_done = cap.seq
            with self._track_lock:
                obs = self._prepared_step().observe(cap.frame, cap.t)
                self._tracked = (epoch, cap, obs)  # a frame of a camera switched away is never used
            self._tracked_ready.set()

    def _record(self, cap, res) -> None:
        if res.face is None:
            self.c.no_face += 1
        if res.error is not None:
            self.c.errors += 1
            if not self._warned_error:
                self._warned_error = True
                exc = res.error
                self._emit("warning", f"the translator failed on a frame ({exc.__class__.__name__}: {exc}); "
                                      "passing frames through.")  # fmt: skip
        for s in STEP_STAGES:
            self.c.stage[s].append(res.ms.get(s, 0.0))
        if self._on_frame is not None:
            self._on_frame(cap.frame, res.out, res.face)
        active = res.face is not None and not self.passing() and res.error is None
        self.mailbox.post(Result(res.out, cap.t, cap.seq, res.translated, res.face if active else None,
                                 cap.frame, res.face is not None))  # fmt: skip
