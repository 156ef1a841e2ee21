"""The output thread: one frame per tick to the sink, as :func:`~w2le_live.live.schedule.decide` says.

Every field of :class:`OutputLoop` is written by the output thread only (others may read ``last_out``,
``open_error`` and the counters). A camera switch is seen here as a new mailbox epoch and resets this thread's
own state, on this thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

import numpy as np

from w2le_live.errors import UserError
from w2le_live.live.clock import Clock
from w2le_live.live.mailbox import Mailbox, Result
from w2le_live.live.schedule import Newest, Send, Sent, decide, wait_before_tick
from w2le_live.live.stats import OutputCounters

log = logging.getLogger(__name__)


def lost_card(frame: np.ndarray) -> np.ndarray:
    """The last camera frame (H, W, 3) uint8 BGR darkened, with "camera lost - reconnecting" written on it."""
    import cv2

    card = (frame * 0.35).astype(np.uint8)
    h, w = card.shape[:2]
    cv2.putText(card, "camera lost - reconnecting", (w // 12, h // 2), cv2.FONT_HERSHEY_SIMPLEX, w / 800,
                (255, 255, 255), 2)  # fmt: skip
    return card


class OutputLoop:
    """Paces frames to the sink at ``fps``. ``bypass()``: whether frames go out untouched by choice (the worker's
    ``passing``: bypass, or no effect); ``emit(kind, message)`` reports problems; ``stop`` ends the loop (also set
    here when the sink gives up)."""

    def __init__(self, mailbox: Mailbox, sink, fps: float, lost_after_s: float, *, clock: Clock,
                 bypass: Callable[[], bool], emit: Callable[..., None], stop: threading.Event,
                 counters: OutputCounters):  # fmt: skip
        self.mailbox, self.sink, self.period, self.fps, self.lost_after_s = (
            mailbox,
            sink,
            1.0 / fps,
            fps,
            lost_after_s,
        )
        self.clock, self._bypass, self._emit, self._stop, self.c = clock, bypass, emit, stop, counters
        self.epoch = 0
        self.seq_out = 0  # newest camera frame shown
        self.res_seen = 0  # newest worker result looked at
        self.reusable: Optional[Result] = None  # newest translated face, for late ticks
        self.ever_translated = False
        self.last_out: Optional[np.ndarray] = None
        self.last_t = 0.0
        self.sink_open = False
        self.open_error: Optional[BaseException] = None

    def run(self) -> None:
        last_sent = float("-inf")
        fresh = self.mailbox.fresh
        while not self._stop.is_set():
            now = self.clock.now()
            wait = wait_before_tick(now, last_sent, fresh.is_set(), self.period)
            if wait > 0:  # a waiting result only needs its spacing: sleep, don't spin
                self.clock.wait(self._stop, max(wait, 0.001)) if fresh.is_set() else self.clock.wait(
                    fresh, wait
                )
                continue
            fresh.clear()
            last_sent = now
            self.tick(now)

    def tick(self, now: float) -> Send:
        """One output decision and send; returns what was sent."""
        snap = self.mailbox.snapshot()
        if snap.epoch != self.epoch:
            self._new_camera(snap.epoch)
        res, cap = snap.result, snap.source.latest()
        if cap is None:
            return Send.SKIP
        t0 = self.clock.now()
        if (
            res is not None and res.seq > self.res_seen
        ):  # learn the newest face even if a newer frame went out
            self.res_seen = res.seq
            self._note_fresh(res)
        bypass = self._bypass()
        sent = Sent(self.seq_out, self.last_out is not None,
                    self.reusable.t_capture if self.reusable is not None else None)  # fmt: skip
        newest = Newest(res.seq if res is not None else None, cap.seq, cap.t)
        kind = decide(
            now, newest, sent, bypass=bypass, finished=snap.source.finished, lost_after_s=self.lost_after_s
        )
        if kind is Send.SKIP:
            return kind
        if kind is Send.FRESH:
            frame, t_cap, self.seq_out = res.frame, res.t_capture, res.seq
        elif kind in (Send.REUSE, Send.PASS):
            frame, t_cap, self.seq_out = self._late_frame(cap, kind, res, bypass), cap.t, cap.seq
        else:
            self.c.repeated += 1
            frame, t_cap = (self.last_out if kind is Send.REPEAT else lost_card(cap.frame)), self.last_t
        self._send(frame, t_cap, t0)
        return kind

    def _new_camera(self, epoch: int) -> None:
        self.epoch, self.seq_out, self.res_seen, self.reusable = epoch, 0, 0, None

    def _note_fresh(self, res: Result) -> None:
        """Remember the newest translated face for late frames; count a face shown untranslated."""
        if res.translated and res.face is not None:
            self.reusable, self.ever_translated = res, True
        else:
            self.reusable = None
            if res.had_face and self.ever_translated and not self._bypass():
                self.c.untranslated += 1

    def _late_frame(self, cap, kind: Send, newest: Optional[Result], bypass: bool) -> np.ndarray:
        """The newest camera frame for a tick the worker missed, with the last translated face composited in
        (following the head's motion) when ``kind`` is REUSE and it can be cut, else as it is."""
        if kind is Send.REUSE:
            res = self.reusable
            try:
                if res.patch is None:
                    from w2le_live.face.reuse import FacePatch

                    res.patch = FacePatch.cut(res.source, res.frame, res.face) or False
                if res.patch:
                    self.c.face_reused += 1
                    return res.patch.paste(cap.frame)
            except Exception as exc:  # noqa: BLE001 - never stop the video over a cosmetic step
                log.debug("face reuse failed: %r", exc)
        self.c.passthrough += 1
        had_face = self.reusable is not None or (newest is not None and newest.had_face)
        if self.ever_translated and not bypass and had_face:
            self.c.untranslated += 1
        return cap.frame

    def _send(self, frame: np.ndarray, t_cap: float, t0: float) -> None:
        if not self.sink_open and not self._open(frame):
            return
        try:
            self.sink.send(frame, t_cap)
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, UserError):  # a sink that gave up (disk full): stop once, one sentence
                self._give_up(exc)
                return
            self.c.errors += 1
            self._emit("error", f"the output failed ({exc}); frames are being dropped.")
        t1 = self.clock.now()
        self.c.output_ms.append((t1 - t0) * 1000)
        self.c.latency.append((t1 - t_cap) * 1000)
        self.c.out_times.append(t1)
        self.c.frames_out += 1
        self.last_out, self.last_t = frame, t_cap

    def _open(self, frame: np.ndarray) -> bool:
        h, w = frame.shape[:2]
        try:
            self.sink.open(w, h, self.fps)
        except Exception as exc:  # noqa: BLE001 - surfaced as one sentence by run_for's caller
            self._give_up(exc)
            return False
        self.sink_open = True
        return True

    def _give_up(self, exc: BaseException) -> None:
        self.open_error = exc
        self._emit("error", str(exc), logged=not isinstance(exc, UserError))
        self._stop.set()
