"""The live loop with real parts: a real clip as the camera, the real pyvirtualcam.Camera through a registered
in-memory backend, the real landmark translator, mp4 recording with audio, and the fault cases."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from w2le_live.errors import DeviceError
from w2le_live.face.masks import face_oval_mask
from w2le_live.io.sinks import FileSink, NullSink, VirtualCamSink
from w2le_live.io.sources import CameraSource, FileSource
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


def test_virtual_camera_gets_every_frame_translated(demo):
    pairs = []
    src = FileSource(demo)
    pipe = Pipeline(src, VirtualCamSink(backend="w2le-test-memory"), LandmarkTranslator(), controls=Controls("happy", 1.0),
                    on_frame=lambda a, b, f: pairs.append((a, b, f)))  # fmt: skip
    stats = pipe.run_for(10)
    assert 70 <= len(MemoryCam.received) <= 82  # a 3 s clip at 25 fps, within pacing tolerance
    assert stats.frames_in == 75 and stats.dropped == 0 and stats.errors == 0
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
    assert 20 <= stats.fps_out <= 30 and stats.latency_ms_p95 < 500


def test_file_sink_keeps_audio_in_sync(shared_data, tmp_path: Path):
    from w2le_live.audio.ring import AudioRing
    from w2le_live.io import video

    clip = shared_data / "talking" / "lrs3" / "0Fi83BHQsMA_00002.mp4"
    ring = AudioRing(capacity_s=30)
    out = tmp_path / "live.mp4"
    pipe = Pipeline(
        FileSource(clip, audio_ring=ring),
        FileSink(out, audio_ring=ring),
        LandmarkTranslator(),
        audio_ring=ring,
    )
    pipe.run_for(15)
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


def test_translator_that_throws_once_does_not_stop_the_stream(demo):
    events = []
    pipe = Pipeline(FileSource(demo), NullSink(), FlakyTranslator())
    pipe.add_listener(events.append)
    stats = pipe.run_for(10)
    assert stats.errors == 1 and stats.frames_out >= 70
    assert any(e.kind == "warning" and "simulated generator failure" in e.message for e in events)


class UnpluggableCapture:
    """A real cv2.VideoCapture on a clip, paced at 25 fps, that can be 'unplugged' (reads and reopen fail)."""

    plugged = threading.Event()

    def __init__(self, path):
        import cv2

        self.cap = cv2.VideoCapture(str(path))
        self.path = path

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return UnpluggableCapture.plugged.is_set() and self.cap.isOpened()

    def read(self):
        time.sleep(0.04)
        if not UnpluggableCapture.plugged.is_set():
            return False, None
        ok, frame = self.cap.read()
        if not ok:  # loop the clip
            self.cap.set(1, 0)
            ok, frame = self.cap.read()
        return ok, frame

    def release(self):
        self.cap.release()


def test_camera_vanishes_and_returns(demo):
    UnpluggableCapture.plugged.set()
    events = []
    cam = CameraSource(0, opener=lambda: UnpluggableCapture(demo), retry_s=0.1)
    pipe = Pipeline(cam, NullSink(), LandmarkTranslator())
    pipe.add_listener(events.append)
    pipe.start()
    try:
        time.sleep(1.0)
        UnpluggableCapture.plugged.clear()  # unplugged
        time.sleep(0.3)
        out_before = pipe.stats().frames_out
        time.sleep(1.5)
        lost_frames = pipe.stats().frames_out - out_before
        UnpluggableCapture.plugged.set()  # plugged back in
        in_at_replug = pipe.stats().frames_in
        time.sleep(2.5)
        stats = pipe.stats()
    finally:
        pipe.stop()
    assert lost_frames >= 25  # the output kept going while the camera was gone
    assert any("stopped delivering" in e.message for e in events)
    assert any("is back" in e.message for e in events) and cam.reconnects == 1
    assert stats.frames_in - in_at_replug >= 20  # frames flow again
    assert pipe.latest_frame() is not None


def test_no_face_then_face(demo, tmp_path: Path):
    from w2le_live.io import video

    clip = tmp_path / "blank_then_face.mp4"
    frames = [f for _, _, f in video.iter_frames(demo)]
    with video.VideoWriter(clip, 25, (360, 288)) as w:
        for _ in range(30):
            w.write(np.full((288, 360, 3), 90, np.uint8))
        for f in frames[:40]:
            w.write(f)
    pairs = []
    stats = Pipeline(
        FileSource(clip), NullSink(), LandmarkTranslator(), on_frame=lambda a, b, f: pairs.append((a, b, f))
    ).run_for(10)
    assert 28 <= stats.no_face <= 34
    assert all(b is a for a, b, f in pairs[:28])  # passed through unchanged
    assert sum(f is not None for _, _, f in pairs[30:]) >= 35


def test_controls_are_never_dropped(demo):
    pipe = Pipeline(FileSource(demo), NullSink(), LandmarkTranslator())
    with pytest.raises(ValueError, match="choose one of"):
        pipe.set_target("bored")
    for emo in ("sad", "angry", "surprised", "happy", "sad"):
        pipe.set_target(emo)
    pipe.set_intensity(7.0)
    pipe.set_bypass(True)
    pipe.run_for(0.5)
    assert pipe.controls == Controls("sad", 1.5, True)


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
    """The real landmark warp made as slow as a width-1.0 generator on a busy CPU (55 ms per frame)."""

    def translate(self, frame, face, mel, controls):
        time.sleep(0.055)
        return super().translate(frame, face, mel, controls)


@pytest.mark.parametrize("overlap", [False, True])
def test_slow_translator_never_shows_the_untranslated_face(demo, overlap):
    """A worker slower than the frame period: late ticks carry the newest camera frame with the last translated
    face composited in, never the raw camera frame (the bypass-free stream shows no emotion blinking)."""
    import hashlib

    from w2le_live.io.video import iter_frames
    from w2le_live.pipeline import PipelineConfig

    raw = {hashlib.sha1(f.tobytes()).hexdigest() for _, _, f in iter_frames(demo)}
    pipe = Pipeline(FileSource(demo), VirtualCamSink(backend="w2le-test-memory"), SlowTranslator(),
                    config=PipelineConfig(overlap_tracking=overlap), controls=Controls("happy", 1.0))  # fmt: skip
    stats = pipe.run_for(10)
    got = [hashlib.sha1(f.tobytes()).hexdigest() in raw for f in MemoryCam.received]
    first = got.index(False)  # the first translated frame
    assert sum(got[first:]) == 0, (first, got)  # before the first translated frame: MediaPipe warming up
    assert stats.untranslated == 0 and stats.face_reused + stats.repeated >= 15 and stats.errors == 0  # late ticks
    assert len(MemoryCam.received) >= 65  # the camera's rate is kept
