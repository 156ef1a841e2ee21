"""The tray's "Teach my <emotion>..." take, without a display: the prompt and coverage under the face, cancel (nothing
saved), early finish, no face, a camera that stops, the replace note. The camera is a real clip's frames fed by a
fake session; the coverage watch and the enrolment are stand-ins, so every case runs in about a second."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from w2le_live.errors import UserError


@pytest.fixture(scope="module")
def frames(shared_data):
    from w2le_live.io.video import iter_frames

    clip = shared_data / "mead" / "W009_front_happy_level3_001.mp4"
    if not clip.exists():
        pytest.skip(f"{clip} is absent")
    return [f for _, _, f in iter_frames(str(clip), 25.0)][:40]


class FakeSession:
    """What Teacher uses of a LiveSession: options.profile, pipeline bypass, record(seconds, stop)."""

    def __init__(self, frames, stall_after=None):
        self.frames, self.stall_after = frames, stall_after
        self.options = SimpleNamespace(profile=None)
        self.bypass = []
        self.pipeline = SimpleNamespace(
            controls=SimpleNamespace(bypass=False), set_bypass=self.bypass.append,
            source=SimpleNamespace(finished=False),
        )  # fmt: skip
        self.saved = []

    def record(self, seconds, stop):
        end = time.monotonic() + seconds
        for i in range(10_000):
            if stop.is_set() or time.monotonic() > end:
                return
            if self.stall_after is not None and i >= self.stall_after:
                stop.wait(end - time.monotonic())  # the camera sends nothing more
                return
            yield self.frames[i % len(self.frames)]
            time.sleep(0.01)

    def use_profile(self, name, emotion):
        return SimpleNamespace(name="personal", emotions=(emotion,))


class FakeWatch:
    """CoverageWatch stand-in: covers one shape per ``per_shape`` frames; ``faceless`` settable."""

    per_shape = 4
    faceless = 0

    def __init__(self, *a, **kw):
        self.frames = 0

    def warm(self):
        return None

    def close(self):
        return None

    def add(self, frame):
        self.frames += 1

    @property
    def coverage(self):
        from w2le_live.personal.coverage import SHAPES, Coverage

        n = self.frames // self.per_shape
        return Coverage({s: 1 for s in SHAPES}, {s: i < n for i, s in enumerate(SHAPES)})

    @property
    def prompt(self):
        from w2le_live.personal.coverage import PROMPTS

        missing = self.coverage.missing
        return PROMPTS[missing[0]] if missing else "All shapes covered - you can stop."

    @property
    def done(self):
        return self.coverage.complete


@pytest.fixture
def teach(monkeypatch, tmp_path):
    """A Teacher factory with the fake watch and an enrolment that records what it was given."""
    import w2le_live.personal.coverage as coverage
    import w2le_live.personal.enroll as enroll
    import w2le_live.personal.profiles as profiles
    from w2le_live.gui import teach as T

    monkeypatch.setenv("W2LE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(coverage, "CoverageWatch", FakeWatch)
    got = SimpleNamespace(enrolled=[], saved=[], done=[])

    def fake_enroll(emotion, frames, what, neutral, seconds):
        got.enrolled.append(len(list(frames)))
        raise UserError("the camera recording has only 0.1 s with a face; record at least 2 s.")

    monkeypatch.setattr(enroll, "enroll_frames", fake_enroll)
    monkeypatch.setattr(profiles, "save_bank", lambda *a: got.saved.append(a))

    def make(session, emotion="happy", seconds=5.0, replacing=False):
        monkeypatch.setattr(T, "holds", lambda profile, emo: replacing)
        t = T.Teacher(session, emotion, seconds=seconds, countdown=0,
                      on_done=lambda message, translator=None: got.done.append(message))  # fmt: skip
        return t

    return make, got


def _wait(pred, limit=10.0):
    end = time.monotonic() + limit
    while not pred() and time.monotonic() < end:
        time.sleep(0.01)
    assert pred()


def test_prompt_is_drawn_below_the_face_not_over_it(frames):
    from w2le_live.gui.teach import draw_prompt

    big = np.ascontiguousarray(np.tile(frames[0], (2, 3, 1))[:480, :640])  # a webcam-sized frame
    text = "HAPPY - 12 s left - read aloud:\nRound your lips: 'Who knew?'\ncovered 2/6: mouth closed | still missing"
    out = draw_prompt(big, text)
    assert out.shape[1] == 640 and out.shape[0] > 480 + 40  # a band of three lines added below
    assert np.array_equal(out[:480], big)  # the face (mouth included) untouched
    small = draw_prompt(frames[0], text)  # a 256-px clip is enlarged so the text stays readable
    assert small.shape[1] == 640 and small.shape[0] > 640


def test_prompt_shows_coverage_and_the_sentence_for_what_is_missing(teach, frames, monkeypatch):
    make, got = teach
    monkeypatch.setattr(FakeWatch, "per_shape", 10)
    t = make(FakeSession(frames), seconds=3.0)
    t.start()
    _wait(lambda: t.watch is not None and t.watch.frames >= 12)
    text = t.prompt()
    assert "s left" in text and "covered 1/6: mouth closed" in text
    assert "still missing: mouth wide open" in text and "Open wide" in text  # the sentence for the next shape
    t.watch.faceless = 3
    assert "No face in view" in t.prompt()
    t.cancel()
    _wait(lambda: not t.busy)


def test_cancel_midway_saves_nothing_and_keeps_the_old_emotion(teach, frames):
    make, got = teach
    session = FakeSession(frames)
    t = make(session, seconds=20.0, replacing=True)
    t.start()
    _wait(lambda: t.watch is not None and t.watch.frames >= 3)
    assert t.active
    t.cancel()
    _wait(lambda: not t.busy, 3.0)  # well before the 20 s take would end
    assert got.enrolled == [] and got.saved == []
    assert len(got.done) == 1 and "cancelled" in got.done[0] and "keeps its happy" in got.done[0]
    assert session.bypass == [True, False] and not t.active  # bypass back as it was


def test_a_covered_take_finishes_early(teach, frames):
    make, got = teach
    t = make(FakeSession(frames), seconds=20.0)
    t.start()
    _wait(lambda: not t.busy, 8.0)
    assert t.early and got.enrolled == [4 * 6]  # stopped at the frame that covered the last shape


def test_a_camera_that_stops_ends_the_take_and_says_so(teach, frames, monkeypatch):
    from w2le_live.gui import teach as T

    monkeypatch.setattr(T, "STALL_S", 0.6)
    make, got = teach
    monkeypatch.setattr(FakeWatch, "per_shape", 100)
    t = make(FakeSession(frames, stall_after=5), seconds=20.0)
    t.start()
    _wait(lambda: "No new camera frames" in (t.prompt() or ""), 5.0)
    _wait(lambda: not t.busy, 5.0)
    assert got.enrolled == [5] and "stopped sending frames 0 s into the take" in got.done[0]


def test_replacing_an_emotion_says_so_before_the_take(teach, frames):
    make, got = teach
    t = make(FakeSession(frames), replacing=True)
    t.countdown = 5
    t.start()
    try:
        _wait(lambda: t.prompt() is not None)
        assert "replaces your saved happy" in t.prompt()
    finally:
        t.cancel()
        _wait(lambda: not t.busy)
    assert t.watch is None and "cancelled" in got.done[0]  # cancelled in the countdown: nothing recorded
