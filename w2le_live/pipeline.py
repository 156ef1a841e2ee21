"""The streaming loop: capture -> track -> audio window -> translate -> output, with a control API and stats.

Threads: the source's capture thread (newest frame only), one worker (tracking + translation: on 2 cores one
worker is best; optionally a tracker thread that overlaps tracking of frame n+1 with translation of frame n), and
an output thread paced at the target fps. Frames are latest-wins: a slow worker makes the output send the newest
camera frame (with the last translated face composited in), repeat the last one or show the lost-camera card,
never stall or queue. Control calls queue typed commands (``live/commands.py``) that the worker applies, in
order, before its next frame.

The parts, each with its thread ownership stated: ``live/worker.py`` (worker + tracker thread),
``live/mailbox.py`` (the worker -> output hand-off), ``live/schedule.py`` (the output decision, pure),
``live/output.py`` (output thread), ``live/stats.py`` (counters, snapshot), ``live/clock.py`` (injectable time).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from w2le_live.frame_step import FrameStep, RingMel
from w2le_live.live import commands as C
from w2le_live.live.clock import Clock
from w2le_live.live.events import EventHub, PipelineEvent
from w2le_live.live.mailbox import Mailbox
from w2le_live.live.output import OutputLoop
from w2le_live.live.schedule import REUSE_MAX_AGE_S
from w2le_live.live.stats import STAGES, OutputCounters, PipelineStats, WorkerCounters, build_stats
from w2le_live.live.worker import Worker
from w2le_live.translators.base import Controls, Translator

__all__ = ["Pipeline", "PipelineConfig", "PipelineEvent", "PipelineStats", "REUSE_MAX_AGE_S", "STAGES"]


@dataclass(frozen=True)
class PipelineConfig:
    fps: float = 25.0  # output rate
    alignment: str = "wav2lip"  # audio window alignment of the model
    audio_wait_ms: float = 0.0  # how long the worker may wait for the audio a window needs (neural models)
    lost_card_after_s: float = 1.0  # show the "camera lost" card when no frame came for this long
    stats_window: int = 250  # frames the percentiles are taken over
    overlap_tracking: bool = False  # track frame n+1 in its own thread while frame n is translated
    # seconds over which the effect fades in or out when the emotion, bypass or the face changes (live/ease.py);
    # 0: instant
    ease_s: float = 0.4


class Pipeline:
    """The live loop. The public methods are the control API the CLI and tray use; they may be called from
    any thread. Fields: set in ``__init__``; ``_requested`` under ``_lock`` by callers; ``_threads``,
    ``_output`` and ``_running`` by the thread calling start/stop; the rest belong to the parts."""

    def __init__(self, source, sink, translator: Translator, *, config: PipelineConfig = PipelineConfig(),
                 audio_ring=None, tracker=None, controls: Controls = Controls(),
                 on_frame: Optional[Callable[[np.ndarray, np.ndarray, object], None]] = None,
                 clock: Optional[Clock] = None):  # fmt: skip
        self.sink, self.config, self.audio_ring = sink, config, audio_ring
        self.clock = clock or Clock()
        self._events = EventHub()
        self._stop = threading.Event()
        self._mailbox = Mailbox(source)
        self._tracker = tracker
        self._lock = threading.Lock()
        self._requested = translator  # the newest translator asked for (queued or serving)
        self._out_c = OutputCounters(config.stats_window)
        self._worker = Worker(translator, controls, self._mailbox,
                              stop=self._stop, emit=self._emit, counters=WorkerCounters(config.stats_window),
                              overlap_tracking=config.overlap_tracking, on_frame=on_frame,
                              ease_s=config.ease_s)  # fmt: skip
        self._output: Optional[OutputLoop] = None
        self._threads: list[threading.Thread] = []
        self._running = False
        source.on_event = self._emit

    # ---- control API --------------------------------------------------------------------------------
    @property
    def source(self):
        """The frame source serving now (swap it with :meth:`set_source`)."""
        return self._mailbox.snapshot().source

    @property
    def emotions(self) -> tuple[str, ...]:
        """What :meth:`set_target` accepts: the emotions of the newest translator asked for."""
        with self._lock:
            return self._requested.emotions

    @property
    def translator(self) -> Translator:
        """The translator serving the current frames (swap it with :meth:`set_translator`)."""
        return self._worker.translator

    @property
    def controls(self) -> Controls:
        return self._worker.controls

    def set_target(self, emotion: str) -> None:
        """Raises ValueError for an emotion the translator cannot make (checked again when applied)."""
        if emotion not in self.emotions:
            raise ValueError(f"'{emotion}' is not available; choose one of: {', '.join(self.emotions)}.")
        self._worker.commands.put(C.SetTarget(emotion))

    def set_intensity(self, value: float) -> None:
        self._worker.commands.put(C.SetIntensity(float(min(max(value, 0.0), 1.5))))

    def set_bypass(self, on: bool) -> None:
        self._worker.commands.put(C.SetBypass(bool(on)))

    def set_translator(self, translator: Translator, target: Optional[str] = None) -> None:
        """Swap translators (loaded already, so the video never stalls). ``target``: the emotion to produce with
        it, used when it makes it (checked when the swap is applied), else the current or its first one."""
        with self._lock:
            self._requested = translator
        self._worker.commands.put(C.SwapTranslator(translator, target))

    def set_source(self, source) -> None:
        """Switch cameras/files without restarting: the new source starts before the old one is released."""
        self._worker.commands.put(C.SwitchSource(source))

    def calibrate_neutral(self) -> None:
        self._worker.commands.put(C.Calibrate())

    def pending_commands(self) -> int:
        """Control commands queued and not yet applied by the worker (benchmarks check none pile up)."""
        return len(self._worker.commands)

    def add_listener(self, fn: Callable[[PipelineEvent], None]) -> None:
        self._events.add_listener(fn)

    def latest_frame(self) -> Optional[np.ndarray]:
        return self._output.last_out if self._output is not None else None

    def _emit(self, kind: str, message: str, logged: bool = True) -> None:
        self._events.emit(kind, message, logged)

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        if self._tracker is None:
            from w2le_live.face.tracker import FaceTracker

            self._tracker = FaceTracker()
        feed = None
        if self.audio_ring is not None:
            feed = RingMel(self.audio_ring, self.config.alignment, self.config.audio_wait_ms / 1000.0)
        self._worker.step = FrameStep(self._tracker, self._worker.translator, feed, catch_errors=True)
        source = self.source
        source.start()
        self._mailbox.switch(source)  # a restart forgets results from before the stop
        self._stop.clear()
        self._output = OutputLoop(self._mailbox, self.sink, self.config.fps, self.config.lost_card_after_s,
                                  clock=self.clock, bypass=self._worker.passing, emit=self._emit,
                                  stop=self._stop, counters=self._out_c)  # fmt: skip
        self._running = True
        loops = [(self._worker.run, "w2le-worker"), (self._output.run, "w2le-output")]
        if self.config.overlap_tracking:
            loops.append((self._worker.tracker_loop, "w2le-tracker"))
        for target, name in loops:
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop threads, release the camera, close the sink (finalising files). Idempotent."""
        if not self._running:
            return
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        self.source.stop()
        try:
            if self._output.sink_open:
                self._output.sink_open = False  # the output thread has ended
                self.sink.close()
        finally:
            self._running = False
            if self._tracker is not None:
                self._tracker.close()
                self._tracker = None

    def run_for(self, seconds: Optional[float] = None) -> PipelineStats:
        """Start, run until ``seconds`` pass (or a file source ends, or Ctrl-C), stop; returns the final stats."""
        self.start()
        t_end = None if seconds is None else self.clock.now() + seconds
        try:
            while not self._stop.is_set():
                if t_end is not None and self.clock.now() >= t_end:
                    break
                if self.source.finished and self._result_consumed():
                    break
                self._stop.wait(0.02)
        finally:
            self.stop()
        return self.stats()

    def _result_consumed(self) -> bool:
        cap = self.source.latest()
        return cap is None or (self._output is not None and self._output.seq_out >= cap.seq)

    def raise_if_failed(self) -> None:
        """Re-raise a sink that could not open (e.g. no virtual camera) in the caller's thread."""
        if self._output is not None and self._output.open_error is not None:
            raise self._output.open_error

    # ---- stats ------------------------------------------------------------------------------------
    def stats(self) -> PipelineStats:
        from w2le_live.audio.windows import alignment_lookahead_s

        tr, ctl = self._worker.translator, self._worker.controls
        lookahead = alignment_lookahead_s(self.config.alignment) * 1000 if tr.needs_audio else 0.0
        return build_stats(
            self._worker.c, self._out_c, running=self._running, fps_in=self.source.fps,
            av_extra_ms=self.config.audio_wait_ms if lookahead else 0.0, target=ctl.target,
            intensity=ctl.intensity, bypass=ctl.bypass, translator=tr.describe(),
            serving=tr.serving_label(ctl.target), last_error=self._events.last_error,
        )  # fmt: skip
