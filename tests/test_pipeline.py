"""The live loop with real parts: a real clip as the camera, the real pyvirtualcam.Camera through a registered
in-memory backend, the real landmark translator, mp4 recording with audio, and the fault cases.

Time is a test input here: the loop runs on a :class:`ManualClock` and the camera moves one frame when the test
says (``tests/live_fakes.py``), so a loaded machine makes the tests slower, never different."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from live_fakes import Gate, GatedCapture, SteppedClip, play, wait_until

from w2le_live.errors import DeviceError
from w2le_live.face.masks import face_oval_mask
from w2le_live.io.sinks import FileSink, NullSink, VirtualCamSink
from w2le_live.io.sources import CameraSource, FileSource
from w2le_live.live.clock import ManualClock
from w2le_live.pipeline import Pipeline
from w2le_live.translators.base import Controls
from w2le_live.translators.landmark import LandmarkTranslator


class MemoryCam:
    """A pyvirtualcam backend that keeps what the real Camera class hands it (flat 1-D uint8 arrays)."""

    received: list[np.ndarray] = []

    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        self.width, self.height = width, height
        MemoryCam.received = []

    def send(self, frame):
        MemoryCam.received.append(frame.reshape(self.height, self.width, 3).copy())

    def close(self):
        pass

    def device(self):
        return "memory"

    def native_fourcc(self):
        return None


@pytest.fixture(scope="module", autouse=True)
def _register_backend():
    import pyvirtualcam

    pyvirtualcam.register_backend("w2le-test-memory", MemoryCam)


@pytest.fixture
def demo():
    from w2le_live.demo import demo_clip_path

    return demo_clip_path()


@pytest.fixture(scope="module")
def demo_frames():
    from w2le_live.demo import demo_clip_path
    from w2le_live.io.video import iter_frames

    return [f for _, _, f in iter_frames(demo_clip_path())]


def _started(pipe, clock: ManualClock):
    """Start the loop and let its output thread take its first (empty) tick on the manual clock."""
    pipe.start()
    clock.settle()
    return pipe


def test_virtual_camera_gets_every_frame_translated(demo_frames):
    pairs, clock = [], ManualClock()
    src = SteppedClip(demo_frames, clock)
    pipe = Pipeline(src, VirtualCamSink(backend="w2le-test-memory"), LandmarkTranslator(), controls=Controls("happy", 1.0),
                    on_frame=lambda a, b, f: pairs.append((a, b, f)), clock=clock)  # fmt: skip
    try:
        play(_started(pipe, clock), src)
    finally:
        pipe.stop()
    stats = pipe.stats()
    assert len(MemoryCam.received) == 75  # a 3 s clip at 25 fps: every frame, once
    assert stats.frames_in == 75 and stats.dropped == 0 and stats.errors == 0
    assert stats.repeated == 0 and stats.passthrough == 0  # each one the worker's result
    assert all(f.shape == (288, 360, 3) and f.dtype == np.uint8 for f in MemoryCam.received)
    changed = 0
    for a, b, face in pairs:
        if face is None:
            assert b is a
            continue
        mask = face_oval_mask(a.shape, face.landmarks)
        assert np.array_equal(a[mask == 0], b[mask == 0])  # the rest of the frame is untouched
        changed += int(np.abs(a.astype(int) - b.astype(int))[mask == 1].max() > 10)
    assert changed >= 60
    assert stats.fps_out == pytest.approx(25.0) and stats.latency_ms_p95 == 0.0  # on the loop's clock


def test_file_sink_keeps_audio_in_sync(shared_data, tmp_path: Path):
    from w2le_live.audio.ring import AudioRing
    from w2le_live.io import video

    clip = shared_data / "talking" / "lrs3" / "0Fi83BHQsMA_00002.mp4"
    ring, clock = AudioRing(capacity_s=30), ManualClock()
    out = tmp_path / "live.mp4"
    src = SteppedClip(
        [f for _, _, f in video.iter_frames(clip)], clock, audio=video.read_audio(clip), ring=ring
    )
    pipe = Pipeline(src, FileSink(out, audio_ring=ring), LandmarkTranslator(), audio_ring=ring, clock=clock)
    try:
        play(_started(pipe, clock), src)
    finally:
        pipe.stop()
    info = video.probe(out)
    n_src = sum(1 for _ in video.iter_frames(clip))
    n_out = sum(1 for _ in video.iter_frames(out))
    assert info.has_audio and abs(n_out - n_src) <= 4
    # which source frame does output frame 10 show? (frames dropped at start-up shift both streams alike)
    src_frames = [f for _, _, f in video.iter_frames(clip)]
    out10 = next(f for i, _, f in video.iter_frames(out) if i == 10).astype(int)
    shift = int(np.argmin([np.abs(out10 - f.astype(int)).mean() for f in src_frames])) - 10
    a, b = video.read_audio(clip), video.read_audio(out)
    n = min(len(a), len(b)) - 3200
    lags = list(range(-3200, 3201, 40))  # +-200 ms; b[t] ~ a[t - lag]
    corr = [np.dot(a[3200:n], b[3200 + k : n + k]) for k in lags]
    audio_shift = -lags[int(np.argmax(corr))] / 640.0  # in frames
    assert abs(audio_shift - shift) <= 1.0, (audio_shift, shift)  # audio and video aligned within one frame


class FlakyTranslator(LandmarkTranslator):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def translate(self, frame, face, mel, controls):
        self.calls += 1
        if self.calls == 5:
            raise RuntimeError("simulated generator failure")
        return super().translate(frame, face, mel, controls)


def test_translator_that_throws_once_does_not_stop_the_stream(demo_frames):
    events, clock = [], ManualClock()
    src = SteppedClip(demo_frames, clock)
    pipe = Pipeline(src, NullSink(), FlakyTranslator(), clock=clock)
    pipe.add_listener(events.append)
    try:
        play(_started(pipe, clock), src)
    finally:
        pipe.stop()
    stats = pipe.stats()
    assert stats.errors == 1 and stats.frames_out == 75
    assert any(e.kind == "warning" and "simulated generator failure" in e.message for e in events)


def test_camera_vanishes_and_returns(demo_frames):
    """The real CameraSource on a camera the test unplugs: the output keeps going (the lost-camera card after
    a second), the loss and the return are reported once each, and frames flow again."""
    gate, clock, events = Gate(demo_frames), ManualClock(), []
    cam = CameraSource(0, opener=lambda: GatedCapture(gate), retry_s=0.05, clock=clock.now)
    pipe = Pipeline(cam, NullSink(), LandmarkTranslator(), clock=clock)
    pipe.add_listener(events.append)
    _started(pipe, clock)
    try:
        for i in range(25):
            clock.advance(0.04)
            gate.feed()
            wait_until(lambda n=i + 1: pipe.stats().frames_out >= n, what="a camera frame to go out")
        gate.plugged.clear()  # unplugged
        wait_until(lambda: any("stopped delivering" in e.message for e in events), what="the loss report")
        clock.settle()
        out_before = pipe.stats().frames_out
        for _ in range(150):  # 1.5 s without a camera, 10 ms at a time
            clock.advance(0.01)
            clock.settle()
        lost_frames = pipe.stats().frames_out - out_before
        card = pipe.latest_frame()
        gate.plugged.set()  # plugged back in
        in_at_replug = pipe.stats().frames_in
        for i in range(20):
            clock.advance(0.04)
            gate.feed()
            wait_until(
                lambda n=in_at_replug + i + 1: pipe.stats().frames_in >= n, what="frames after the replug"
            )
        stats, reports = pipe.stats(), [e.message for e in events]
    finally:
        gate.halt.set()  # (the capture thread reports that as a loss too)
        pipe.stop()
    assert (
        28 <= lost_frames <= 31
    )  # the output kept its fill-in rate (1.25 periods) while the camera was gone
    assert card.mean() < 0.5 * demo_frames[0].mean()  # the darkened "camera lost" card
    assert sum("stopped delivering" in m for m in reports) == 1
    assert sum("is back" in m for m in reports) == 1 and cam.reconnects == 1
    assert stats.frames_in - in_at_replug == 20  # frames flow again, every one


def test_no_face_then_face(demo_frames):
    clock = ManualClock()
    blank = [np.full((288, 360, 3), 90, np.uint8)] * 30
    src = SteppedClip(blank + demo_frames[:40], clock)
    pairs = []
    pipe = Pipeline(src, NullSink(), LandmarkTranslator(), on_frame=lambda a, b, f: pairs.append((a, b, f)),
                    clock=clock)  # fmt: skip
    try:
        play(_started(pipe, clock), src)
    finally:
        pipe.stop()
    stats = pipe.stats()
    assert len(pairs) == 70 and 30 <= stats.no_face <= 34
    assert all(f is None and b is a for a, b, f in pairs[:30])  # passed through unchanged
    assert sum(f is not None for _, _, f in pairs[30:]) >= 35


def test_controls_are_never_dropped(demo):
    pipe = Pipeline(FileSource(demo), NullSink(), LandmarkTranslator())
    with pytest.raises(ValueError, match="choose one of"):
        pipe.set_target("bored")
    for emo in ("sad", "angry", "surprised", "happy", "sad"):
        pipe.set_target(emo)
    pipe.set_intensity(7.0)
    pipe.set_bypass(True)
    pipe.start()
    try:
        wait_until(lambda: pipe.controls == Controls("sad", 1.5, True), what="the queued controls")
    finally:
        pipe.stop()


def test_missing_devices_are_one_sentence():
    with pytest.raises(DeviceError, match="cameras found"):
        CameraSource(9).start()
    import sys

    sink = VirtualCamSink(backend="v4l2loopback" if sys.platform.startswith("linux") else None)
    with pytest.raises(DeviceError, match=r"modprobe v4l2loopback|OBS"):
        sink.open(640, 480, 25)


def test_sink_specs_and_bad_ones():
    from w2le_live.errors import UserError
    from w2le_live.io.sinks import PreviewSink, open_sink

    assert isinstance(open_sink("null"), NullSink)
    assert isinstance(open_sink("preview"), PreviewSink)
    assert isinstance(open_sink("file:/tmp/x.mp4"), FileSink)
    assert (
        isinstance(open_sink("vcam:/dev/video9"), VirtualCamSink)
        and open_sink("vcam:/dev/video9").device == "/dev/video9"
    )
    with pytest.raises(UserError, match="unknown sink"):
        open_sink("rtmp://example")


class SlowTranslator(LandmarkTranslator):
    """The real landmark warp taking 55 ms of the loop's clock per frame, as a width-1.0 generator on a busy CPU."""

    def __init__(self, clock: ManualClock):
        super().__init__()
        self.clock, self._never = clock, threading.Event()

    def _render(self, frame, face, mel, controls):
        self.clock.wait(self._never, 0.055)
        return super()._render(frame, face, mel, controls)


@pytest.mark.parametrize("overlap", [False, True])
def test_slow_translator_never_shows_the_untranslated_face(demo_frames, overlap):
    """A worker slower than the frame period: late ticks carry the newest camera frame with the last translated
    face composited in, never the raw camera frame (the bypass-free stream shows no emotion blinking).

    Time moves 10 ms at a time, each step once the output and the worker have caught up with it (the worker is
    either inside its 55 ms translation or done with the newest frame)."""
    import hashlib

    from w2le_live.pipeline import PipelineConfig

    raw = {hashlib.sha1(f.tobytes()).hexdigest() for f in demo_frames}
    clock, done = ManualClock(), []
    src = SteppedClip(demo_frames, clock)
    pipe = Pipeline(src, VirtualCamSink(backend="w2le-test-memory"), SlowTranslator(clock),
                    config=PipelineConfig(overlap_tracking=overlap), controls=Controls("happy", 1.0), clock=clock,
                    on_frame=lambda a, b, f: done.append(a))  # fmt: skip

    def caught_up() -> bool:
        idle = bool(done) and done[-1] is src.frames[src.n - 1]
        return clock.settled() >= 2 or (idle and clock.settled() >= 1)

    _started(pipe, clock)
    try:
        for _ in demo_frames:
            for k in range(4):
                if k == 0:
                    src.push(0.01)
                else:
                    clock.advance(0.01)
                wait_until(caught_up, what="the loop to catch up with the clock")
        stats = pipe.stats()
    finally:
        pipe.stop()
    got = [hashlib.sha1(f.tobytes()).hexdigest() in raw for f in MemoryCam.received]
    first = got.index(False)  # the first translated frame
    assert sum(got[first:]) == 0, (first, got)  # before the first translated frame: MediaPipe warming up
    assert stats.untranslated == 0 and stats.errors == 0 and stats.dropped > 10  # the worker was slower
    assert stats.face_reused >= 15, stats  # late ticks
    print(len(MemoryCam.received), stats.face_reused, stats.repeated, stats.dropped)
    assert (
        len(MemoryCam.received) >= 60
    )  # the camera's rate is kept (fill-ins every 1.25 periods at the least)


def test_switching_cameras_mid_stream_shows_every_frame_of_the_new_one(demo_frames):
    """Camera A sent 30 frames; camera B numbers its frames from 1 again: each of B's frames still goes out,
    translated (the output resets its own state when it sees the switch)."""
    from w2le_live.io.sinks import Sink

    class Keep(Sink):
        def __init__(self):
            self.got = []

        def send(self, frame, t_capture):
            self.got.append(frame)

    clock, sink, events = ManualClock(), Keep(), []
    a, b = SteppedClip(demo_frames[:30], clock), SteppedClip(demo_frames[30:50], clock)
    pipe = Pipeline(a, sink, LandmarkTranslator(), controls=Controls("happy", 1.0), clock=clock)
    pipe.add_listener(events.append)
    try:
        play(_started(pipe, clock), a)
        pipe.set_source(b)
        wait_until(lambda: pipe.source is b, what="the switch")
        play(pipe, b)
        stats = pipe.stats()
    finally:
        pipe.stop()
    assert a.stopped and b.started and any(e.message.startswith("source -> ") for e in events)
    assert len(sink.got) == 50 and stats.repeated == 0 and stats.passthrough == 0
    translated_b = sum(not np.array_equal(o, f) for o, f in zip(sink.got[30:], demo_frames[30:50]))
    assert translated_b >= 15  # B's frames, translated (the tracker was reset for the new camera)
