"""The live loop's parts without threads: the output decision (a pure function), one output tick at a time
across a camera switch, and the typed commands as the worker applies them."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from w2le_live.io.sinks import NullSink
from w2le_live.io.sources import FrameSource
from w2le_live.live import commands as C
from w2le_live.live.clock import ManualClock
from w2le_live.live.mailbox import Mailbox, Result
from w2le_live.live.output import OutputLoop
from w2le_live.live.schedule import Newest, Send, Sent, decide, wait_before_tick
from w2le_live.live.stats import OutputCounters, WorkerCounters
from w2le_live.live.worker import Worker
from w2le_live.translators.base import Controls
from w2le_live.translators.landmark import LandmarkTranslator

P = 0.04


@pytest.mark.parametrize(
    "newest, sent, bypass, now, expected",
    [
        (Newest(None, None), Sent(), False, 0.0, Send.SKIP),  # no camera frame yet
        (Newest(None, 1, 0.0), Sent(), False, 0.0, Send.SKIP),  # a frame, but nothing to show yet
        (Newest(5, 5, 0.2), Sent(4, True), False, 0.2, Send.FRESH),
        (
            Newest(5, 7, 0.28),
            Sent(5, True, 0.2),
            False,
            0.28,
            Send.REUSE,
        ),  # worker late: the last face reused
        (Newest(5, 7, 0.28), Sent(5, True, 0.2), True, 0.28, Send.PASS),  # ... but not in bypass
        (Newest(5, 7, 2.5), Sent(5, True, 0.2), False, 2.5, Send.PASS),  # ... nor a face 2.3 s old
        (Newest(5, 7, 0.28), Sent(5, True, None), False, 0.28, Send.PASS),  # no translated face to reuse
        (Newest(5, 6, 0.24), Sent(5, True), False, 0.26, Send.REPEAT),  # one frame late: repeat, wait
        (Newest(5, 6, 0.24), Sent(6, True), False, 1.30, Send.LOST),  # no camera frame for over a second
    ],
)
def test_decide(newest, sent, bypass, now, expected):
    assert decide(now, newest, sent, bypass=bypass, finished=False, lost_after_s=1.0) is expected


def test_a_finished_file_repeats_its_last_frame_instead_of_the_lost_card():
    assert (
        decide(9.0, Newest(5, 6, 0.24), Sent(6, True), bypass=False, finished=True, lost_after_s=1.0)
        is Send.REPEAT
    )


def test_pacing():
    assert wait_before_tick(10.0, float("-inf"), False, P) == 0.0  # the first tick at once
    assert wait_before_tick(10.01, 10.0, True, P) == pytest.approx(0.6 * P - 0.01)  # a fresh result: spacing
    assert wait_before_tick(10.03, 10.0, True, P) == 0.0
    assert wait_before_tick(10.04, 10.0, False, P) == pytest.approx(0.25 * P)  # no result: fill in when late
    assert wait_before_tick(10.0 + 1.25 * P, 10.0, False, P) == 0.0


class StillSource(FrameSource):
    """A source whose newest frame the test sets."""

    def put(self, frame, t):
        self._publish(frame, t)


def _frame(v: int) -> np.ndarray:
    return np.full((8, 8, 3), v, np.uint8)


def test_camera_switch_resets_the_output_state_on_the_output_thread():
    """The old camera sent frame 30; the new one numbers from 1. The output must show the new camera's frames
    as they come (its reset happens in its own tick, so no worker write can race it)."""
    clock, old, new = ManualClock(), StillSource(), StillSource()
    box = Mailbox(old)
    sink = NullSink()
    out = OutputLoop(box, sink, 25.0, 1.0, clock=clock, bypass=lambda: False, emit=lambda *a, **k: None,
                     stop=threading.Event(), counters=OutputCounters())  # fmt: skip
    for seq in range(1, 31):
        old.put(_frame(seq), clock.now())
        box.post(Result(_frame(100 + seq), clock.now(), seq, translated=False))
        assert out.tick(clock.now()) is Send.FRESH
        clock.advance(P)
    box.switch(new)  # the worker's part of a switch
    assert out.tick(clock.now()) is Send.SKIP and out.seq_out == 0  # new camera, no frame yet
    for seq in range(1, 6):
        new.put(_frame(seq), clock.now())
        box.post(Result(_frame(200 + seq), clock.now(), seq, translated=False))
        assert out.tick(clock.now()) is Send.FRESH and out.last_out[0, 0, 0] == 200 + seq
        clock.advance(P)
    assert sink.frames == 35


def _worker(translator, controls=Controls("happy")) -> Worker:
    return Worker(translator, controls, Mailbox(StillSource()), stop=threading.Event(),
                  emit=lambda *a, **k: None, counters=WorkerCounters(), overlap_tracking=False)  # fmt: skip


class OneEmotion(LandmarkTranslator):
    emotions = ("angry",)


def test_a_swap_carries_its_target_and_is_checked_when_applied():
    w = _worker(LandmarkTranslator())
    w.commands.put(C.SwapTranslator(OneEmotion(), target="sad"))  # sad: not made by it -> its own emotion
    w.commands.put(C.SetTarget("happy"))  # queued for the old translator: refused when applied, not raised
    w.apply_commands()
    assert isinstance(w.translator, OneEmotion) and w.controls.target == "angry"
    w.commands.put(C.SwapTranslator(LandmarkTranslator(), target="sad"))
    w.commands.put(C.SetIntensity(0.5))
    w.commands.put(C.SetBypass(True))
    w.apply_commands()
    assert w.controls == Controls("sad", 0.5, True)


def test_set_target_checks_the_newest_translator_asked_for():
    from w2le_live.pipeline import Pipeline

    pipe = Pipeline(StillSource(), NullSink(), LandmarkTranslator())
    pipe.set_translator(OneEmotion())
    with pytest.raises(ValueError, match="choose one of: angry"):
        pipe.set_target("sad")
    pipe.set_target("angry")
