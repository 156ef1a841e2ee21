"""The streaming loop: capture -> track -> audio window -> translate -> output, with a control API and stats.

Threads: the source's capture thread (newest frame only), one worker (tracking + translation: on 2 cores one
worker is best), and an output thread paced at the target fps. Frames are latest-wins — a slow worker makes the
output pass the newest camera frame through (or repeat the last one), never stall or queue. Control messages go
through an unbounded queue and are applied, in order, before the next frame.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

import numpy as np

from w2le_live.errors import UserError
from w2le_live.frame_step import STEP_STAGES, FrameStep, RingMel
from w2le_live.translators.base import Controls, Translator

log = logging.getLogger(__name__)
STAGES = (*STEP_STAGES, "output")
REUSE_MAX_AGE_S = 2.0  # a translated face older than this is not reused: the worker has stalled


@dataclass(frozen=True)
class PipelineConfig:
    fps: float = 25.0  # output rate
    alignment: str = "wav2lip"  # audio window alignment of the model
    audio_wait_ms: float = 0.0  # how long the worker may wait for the audio a window needs (neural models)
    lost_card_after_s: float = 1.0  # show the "camera lost" card when no frame came for this long
    stats_window: int = 250  # frames the percentiles are taken over
    overlap_tracking: bool = False  # track frame n+1 in its own thread while frame n is translated


@dataclass(frozen=True)
class PipelineStats:
    running: bool
    fps_out: float
    fps_in: float
    latency_ms_p50: float
    latency_ms_p95: float
    stage_ms: dict[str, tuple[float, float]]  # (p50, p95)
    frames_in: int
    frames_out: int
    dropped: int
    no_face: int
    passthrough: int
    repeated: int
    errors: int
    av_offset_ms: float
    target: str
    intensity: float
    bypass: bool
    translator: str
    last_error: Optional[str] = None
    latency_ms_p99: float = 0.0
    stage_ms_p99: dict[str, float] = field(default_factory=dict)
    serving: str = ""  # short label of the translator serving the current target
    face_reused: int = 0  # late ticks filled with the newest camera frame + the last translated face
    untranslated: int = 0  # frames with a face shown WITHOUT translation after the first translated one

    def status_line(self) -> str:
        """One line for the terminal: fps, latency, A/V offset against ITU-R BT.1359, counters."""
        off = self.av_offset_ms
        verdict = "ok" if off <= 45 else ("noticeable" if off <= 90 else "too late: use the delayed mic")
        mode = "bypass" if self.bypass else f"{self.serving or self.target} x{self.intensity:.2f}"
        return (
            f"{mode} | out {self.fps_out:4.1f} fps | latency p50 {self.latency_ms_p50:5.1f} p95 "
            f"{self.latency_ms_p95:5.1f} ms | video lags audio {off:4.0f} ms ({verdict}) | dropped {self.dropped} "
            f"| no face {self.no_face} | face reused {self.face_reused} | untranslated {self.untranslated} "
            f"| errors {self.errors}"
        )


@dataclass(frozen=True)
class PipelineEvent:
    kind: str  # "error" | "warning" | "info" | "state"
    message: str


@dataclass
class _Result:
    frame: np.ndarray  # (H, W, 3) uint8 BGR, what the worker made of the camera frame
    t_capture: float
    seq: int
    translated: bool
    face: Optional[object] = None  # the FaceObservation when a translator was on (reusable for late frames)
    source: Optional[np.ndarray] = None  # the camera frame it came from
    had_face: bool = False
    patch: object = None  # FacePatch cut lazily by the output thread (False: could not be cut)


@dataclass
class _Counters:
    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0
    no_face: int = 0
    passthrough: int = 0
    repeated: int = 0
    face_reused: int = 0
    untranslated: int = 0
    errors: int = 0
    stage: dict[str, collections.deque] = field(default_factory=dict)
    latency: collections.deque = field(default_factory=collections.deque)
    out_times: collections.deque = field(default_factory=lambda: collections.deque(maxlen=100))


class Pipeline:
    """The live loop. See the module docstring; the public methods are the control API the CLI and tray use."""

    def __init__(
        self,
        source,
        sink,
        translator: Translator,
        *,
        config: PipelineConfig = PipelineConfig(),
        audio_ring=None,
        tracker=None,
        controls: Controls = Controls(),
        on_frame: Optional[Callable[[np.ndarray, np.ndarray, object], None]] = None,
    ):
        self.source, self.sink, self.config = source, sink, config
        self._translator = translator
        self.audio_ring = audio_ring
        self._tracker = tracker
        self._controls = controls
        self._cmd: queue.Queue = queue.Queue()
        self._listeners: list[Callable[[PipelineEvent], None]] = []
        self._result: Optional[_Result] = None
        self._result_lock = threading.Lock()
        self._new_result = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._track_lock = threading.Lock()  # the tracker (MediaPipe graph) is used by one thread at a time
        self._c = _Counters(
            stage={s: collections.deque(maxlen=config.stats_window) for s in STAGES},
            latency=collections.deque(maxlen=config.stats_window),
        )
        self._last_out: Optional[np.ndarray] = None
        self._last_error: Optional[str] = None
        self._warned_error = False
        self._running = False
        self._on_frame = on_frame
        self._sink_open = False
        source.on_event = lambda kind, msg: self._emit(kind, msg)

    # ---- control API --------------------------------------------------------------------------------
    @property
    def emotions(self) -> tuple[str, ...]:
        return self._translator.emotions

    @property
    def translator(self) -> Translator:
        """The translator serving the current frames (swap it with :meth:`set_translator`)."""
        return self._translator

    @property
    def controls(self) -> Controls:
        return self._controls

    def set_target(self, emotion: str) -> None:
        if emotion not in self.emotions:
            raise ValueError(f"'{emotion}' is not available; choose one of: {', '.join(self.emotions)}.")
        self._cmd.put(("target", emotion))

    def set_target_after_swap(self, emotion: str) -> None:
        """Queue a target for a translator queued with :meth:`set_translator` (checked when it is applied)."""
        self._cmd.put(("target", emotion))

    def set_intensity(self, value: float) -> None:
        self._cmd.put(("intensity", float(min(max(value, 0.0), 1.5))))

    def set_bypass(self, on: bool) -> None:
        self._cmd.put(("bypass", bool(on)))

    def set_translator(self, translator: Translator) -> None:
        """Swap translators (the caller has loaded it already, so the video never stalls)."""
        self._cmd.put(("translator", translator))

    def set_source(self, source) -> None:
        """Switch cameras/files without restarting: the new source starts before the old one is released."""
        self._cmd.put(("source", source))

    def calibrate_neutral(self) -> None:
        self._cmd.put(("calibrate", None))

    def add_listener(self, fn: Callable[[PipelineEvent], None]) -> None:
        self._listeners.append(fn)

    def latest_frame(self) -> Optional[np.ndarray]:
        return self._last_out

    def _emit(self, kind: str, message: str, logged: bool = True) -> None:
        if kind == "error":
            self._last_error = message
        if logged:  # not for errors re-raised to the caller by raise_if_failed (printed there once)
            log.log(logging.WARNING if kind in ("error", "warning") else logging.INFO, message)
        for fn in list(self._listeners):
            try:
                fn(PipelineEvent(kind, message))
            except Exception:  # noqa: BLE001 - a broken listener must not stop the video
                log.exception("pipeline listener failed")

    def _apply_commands(self) -> None:
        while True:
            try:
                kind, value = self._cmd.get_nowait()
            except queue.Empty:
                return
            if kind == "target":
                self._controls = replace(self._controls, target=value)
            elif kind == "intensity":
                self._controls = replace(self._controls, intensity=value)
            elif kind == "bypass":
                self._controls = replace(self._controls, bypass=value)
            elif kind == "translator":
                self._translator = value
                if self._controls.target not in value.emotions and value.emotions:
                    self._controls = replace(self._controls, target=value.emotions[0])
            elif kind == "source":
                value.on_event = lambda k, m: self._emit(k, m)
                try:
                    value.start()
                except Exception as exc:  # noqa: BLE001 - keep the old camera when the new one fails
                    self._emit("error", str(exc))
                    continue
                old, self.source = self.source, value
                old.stop()
                if self._tracker is not None:
                    with self._track_lock:
                        self._tracker.reset()
                        self._tracked = None
                self._translator.reset()
                self._seq_out = self._res_seen = 0
                with self._result_lock:
                    self._result = None
                self._reusable = None
            elif kind == "calibrate" and hasattr(self._translator, "calibrate"):
                self._translator.calibrate()
            shown = value.describe() if hasattr(value, "describe") else value
            self._emit("state", f"{kind} -> {shown}")

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
        self._step = FrameStep(self._tracker, self._translator, feed, catch_errors=True)
        self.source.start()
        self._stop.clear()
        self._running = True
        self._tracked, self._tracked_ready = None, threading.Event()
        loops = [(self._worker, "w2le-worker"), (self._output, "w2le-output")]
        if self.config.overlap_tracking:
            loops.append((self._tracker_loop, "w2le-tracker"))
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
            if self._sink_open:
                self._sink_open = False
                self.sink.close()
        finally:
            self._running = False
            if self._tracker is not None:
                self._tracker.close()
                self._tracker = None

    def run_for(self, seconds: Optional[float] = None) -> PipelineStats:
        """Start, run until ``seconds`` pass (or a file source ends, or Ctrl-C), stop; returns the final stats."""
        self.start()
        t_end = None if seconds is None else time.monotonic() + seconds
        try:
            while not self._stop.is_set():
                if t_end is not None and time.monotonic() >= t_end:
                    break
                if getattr(self.source, "finished", False) and self._result_consumed():
                    break
                time.sleep(0.02)
        finally:
            self.stop()
        return self.stats()

    def _result_consumed(self) -> bool:
        cap = self.source.latest()
        return cap is None or self._seq_out >= cap.seq

    # ---- threads ----------------------------------------------------------------------------------
    def _worker(self) -> None:
        """Translate the newest frame, over and over. With ``overlap_tracking`` the tracker thread has already
        tracked it (tracking of frame n+1 runs while frame n is translated); otherwise track it here first."""
        seq_done = 0
        while not self._stop.is_set():
            self._apply_commands()
            if self.config.overlap_tracking:
                item = self._take_tracked(seq_done)
                if item is None:
                    continue
                cap, obs = item
            else:
                cap, obs = self.source.latest(), None
                if cap is None or cap.seq == seq_done:
                    time.sleep(0.002)
                    continue
            if seq_done and cap.seq > seq_done + 1:
                self._c.dropped += cap.seq - seq_done - 1
            seq_done = cap.seq
            self._c.frames_in += 1
            step = self._prepared_step()
            if obs is None:
                with self._track_lock:
                    obs = step.observe(cap.frame, cap.t)
            self._record(cap, step.finish(cap.frame, obs, self._controls))

    def _prepared_step(self) -> FrameStep:
        step = self._step
        step.translator = self._translator
        if step.mel_feed is not None:
            step.mel_feed.alignment = getattr(self._translator, "alignment", self.config.alignment)
        return step

    def _take_tracked(self, seq_done: int):
        """The newest tracked (capture, Observation) newer than ``seq_done``, or None after a short wait."""
        self._tracked_ready.wait(0.005)
        with self._track_lock:
            item = self._tracked
            if item is None or item[0].seq <= seq_done:
                self._tracked_ready.clear()
                return None
            return item

    def _tracker_loop(self) -> None:
        """overlap_tracking: track every new camera frame as it arrives (latest-wins hand-off to the worker)."""
        seq_done = 0
        while not self._stop.is_set():
            cap = self.source.latest()
            if cap is None or cap.seq == seq_done:
                time.sleep(0.002)
                continue
            seq_done = cap.seq
            with self._track_lock:
                obs = self._prepared_step().observe(cap.frame, cap.t)
                self._tracked = (cap, obs)
            self._tracked_ready.set()

    def _record(self, cap, res) -> None:
        if res.face is None:
            self._c.no_face += 1
        if res.error is not None:
            self._c.errors += 1
            if not self._warned_error:
                self._warned_error = True
                exc = res.error
                self._emit(
                    "warning",
                    f"the translator failed on a frame ({exc.__class__.__name__}: {exc}); passing frames through.",
                )
        for s in STEP_STAGES:
            self._c.stage[s].append(res.ms.get(s, 0.0))
        if self._on_frame is not None:
            self._on_frame(cap.frame, res.out, res.face)
        active = res.face is not None and not self._controls.bypass and res.error is None
        with self._result_lock:
            self._result = _Result(res.out, cap.t, cap.seq, res.translated, res.face if active else None,
                                   cap.frame, res.face is not None)  # fmt: skip
        self._last_had_face = res.face is not None
        self._new_result.set()

    _seq_out = 0

    def _lost_card(self, frame: np.ndarray) -> np.ndarray:
        import cv2

        card = (frame * 0.35).astype(np.uint8)
        h, w = card.shape[:2]
        cv2.putText(
            card,
            "camera lost - reconnecting",
            (w // 12, h // 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            w / 800,
            (255, 255, 255),
            2,
        )
        return card

    def _note_fresh(self, res: _Result) -> None:
        """Remember the newest translated face for late frames; count a face shown untranslated."""
        if res.translated and res.face is not None:
            self._reusable, self._ever_translated = res, True
        else:
            self._reusable = None
            if res.had_face and self._ever_translated and not self._controls.bypass:
                self._c.untranslated += 1

    def _late_frame(self, cap) -> np.ndarray:
        """The newest camera frame for a tick the worker missed: with the last translated face composited in
        (following the head's motion) while a translator is on, else passed through."""
        res = self._reusable
        if res is not None and not self._controls.bypass and cap.t - res.t_capture <= REUSE_MAX_AGE_S:
            try:
                if res.patch is None:
                    from w2le_live.face.reuse import FacePatch

                    res.patch = FacePatch.cut(res.source, res.frame, res.face) or False
                if res.patch:
                    self._c.face_reused += 1
                    return res.patch.paste(cap.frame)
            except Exception as exc:  # noqa: BLE001 - never stop the video over a cosmetic step
                log.debug("face reuse failed: %r", exc)
        self._c.passthrough += 1
        if self._ever_translated and not self._controls.bypass and (res is not None or self._last_had_face):
            self._c.untranslated += 1
        return cap.frame

    _reusable: Optional[_Result] = None
    _res_seen = 0  # newest worker result the output has looked at
    _ever_translated = False
    _last_had_face = False

    def _output(self) -> None:
        """Send a frame per period; a fresh result goes out at once (no waiting for the next tick), so the
        added latency is the processing time, not up to a whole period of phase offset."""
        period = 1.0 / self.config.fps
        last_sent = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            since = now - last_sent
            fresh = self._new_result.is_set() and since >= 0.6 * period
            # without a fresh result, fill in (pass through / repeat) only once the stream is clearly late,
            # so jitter in the camera's timing does not add extra frames
            if not fresh and since < 1.25 * period:
                if (
                    self._new_result.is_set()
                ):  # a result is waiting for the minimum spacing: sleep, don't spin
                    self._stop.wait(max(0.6 * period - since, 0.001))
                else:
                    self._new_result.wait(1.25 * period - since)
                continue
            self._new_result.clear()
            last_sent = now
            with self._result_lock:
                res = self._result
            cap = self.source.latest()
            if cap is None:
                continue
            t0 = time.monotonic()
            if res is not None and res.seq > self._res_seen:
                # learn the newest translated face even when a newer camera frame has gone out already
                self._res_seen = res.seq
                self._note_fresh(res)
            if res is not None and res.seq > self._seq_out:
                frame, t_cap, self._seq_out = res.frame, res.t_capture, res.seq
            elif cap.seq > self._seq_out + 1:  # the worker is late by more than a frame
                frame, t_cap, self._seq_out = self._late_frame(cap), cap.t, cap.seq
            elif self._last_out is not None:
                frame, t_cap = self._last_out, self._last_t
                self._c.repeated += 1
                if time.monotonic() - cap.t > self.config.lost_card_after_s and not getattr(
                    self.source, "finished", False
                ):
                    frame = self._lost_card(cap.frame)
            else:
                continue
            if not self._sink_open:
                h, w = frame.shape[:2]
                try:
                    self.sink.open(w, h, self.config.fps)
                except Exception as exc:  # noqa: BLE001 - surfaced as one sentence by run_for's caller
                    self._open_error = exc
                    self._emit("error", str(exc), logged=not isinstance(exc, UserError))
                    self._stop.set()
                    return
                self._sink_open = True
            try:
                self.sink.send(frame, t_cap)
            except Exception as exc:  # noqa: BLE001
                if isinstance(exc, UserError):  # a sink that gave up (disk full): stop once, one sentence
                    self._open_error = exc
                    self._emit("error", str(exc), logged=False)
                    self._stop.set()
                    return
                self._c.errors += 1
                self._emit("error", f"the output failed ({exc}); frames are being dropped.")
            t1 = time.monotonic()
            self._c.stage["output"].append((t1 - t0) * 1000)
            self._c.latency.append((t1 - t_cap) * 1000)
            self._c.out_times.append(t1)
            self._c.frames_out += 1
            self._last_out, self._last_t = frame, t_cap

    _open_error: Optional[BaseException] = None
    _last_t = 0.0

    def raise_if_failed(self) -> None:
        """Re-raise a sink that could not open (e.g. no virtual camera) in the caller's thread."""
        if self._open_error is not None:
            raise self._open_error

    # ---- stats ------------------------------------------------------------------------------------
    def stats(self) -> PipelineStats:
        def pct(d, q):
            return float(np.percentile(list(d), q)) if d else 0.0

        ts = list(self._c.out_times)
        fps_out = (len(ts) - 1) / (ts[-1] - ts[0]) if len(ts) > 2 and ts[-1] > ts[0] else 0.0
        src_fps = getattr(self.source, "fps", self.config.fps)
        lat50 = pct(self._c.latency, 50)
        from w2le_live.audio.windows import alignment_lookahead_s

        lookahead = (
            alignment_lookahead_s(self.config.alignment) * 1000 if self._translator.needs_audio else 0.0
        )
        return PipelineStats(
            running=self._running,
            fps_out=fps_out,
            fps_in=float(src_fps),
            latency_ms_p50=lat50,
            latency_ms_p95=pct(self._c.latency, 95),
            stage_ms={s: (pct(d, 50), pct(d, 95)) for s, d in self._c.stage.items()},
            frames_in=self._c.frames_in,
            frames_out=self._c.frames_out,
            dropped=self._c.dropped,
            no_face=self._c.no_face,
            passthrough=self._c.passthrough,
            repeated=self._c.repeated,
            errors=self._c.errors,
            av_offset_ms=lat50 + (self.config.audio_wait_ms if lookahead else 0.0),
            target=self._controls.target,
            intensity=self._controls.intensity,
            bypass=self._controls.bypass,
            translator=self._translator.describe(),
            last_error=self._last_error,
            latency_ms_p99=pct(self._c.latency, 99),
            stage_ms_p99={s: pct(d, 99) for s, d in self._c.stage.items()},
            serving=self._translator.serving_label(self._controls.target),
            face_reused=self._c.face_reused,
            untranslated=self._c.untranslated,
        )
