"""The effect fades in and out instead of jumping: the controls each frame is translated with (live/ease.py), and
the same through the real live loop with the landmark translator on a real clip."""

from __future__ import annotations

import numpy as np
import pytest
from live_fakes import SteppedClip, play, wait_until

from w2le_live.face.masks import face_oval_mask
from w2le_live.io.sinks import NullSink
from w2le_live.live.clock import ManualClock
from w2le_live.live.ease import MAX_STEP_S, Ease, smoothstep
from w2le_live.pipeline import Pipeline, PipelineConfig
from w2le_live.translators.base import Controls
from w2le_live.translators.landmark import LandmarkTranslator

P = 0.04  # 25 fps


def run(ease: Ease, wanted: list[Controls], faces=None, t0: float = 10.0) -> list[Controls]:
    """Each frame's shown controls for a list of the user's (one per frame, 25 fps)."""
    faces = faces or [True] * len(wanted)
    return [ease.step(w, t0 + i * P, f) for i, (w, f) in enumerate(zip(wanted, faces))]


def test_smoothstep_is_flat_at_both_ends():
    assert (
        smoothstep(-1.0) == 0.0
        and smoothstep(0.0) == 0.0
        and smoothstep(1.0) == 1.0
        and smoothstep(2.0) == 1.0
    )
    assert smoothstep(0.5) == pytest.approx(0.5)
    assert smoothstep(0.05) < 0.05 and smoothstep(0.95) > 0.95


def test_a_stream_starts_untouched_and_eases_in():
    shown = run(Ease(0.4), [Controls("happy", 1.0)] * 20)
    k = np.array([c.intensity for c in shown])
    assert all(c.target == "happy" and not c.bypass for c in shown)
    assert k[0] == 0.0  # the first frame is the camera's
    assert np.all(np.diff(k) >= 0) and np.diff(k).max() <= 1.5 * P / 0.4 + 1e-9  # never a jump
    assert k[9] < 1.0 and k[10] == pytest.approx(1.0) and np.all(k[10:] == k[10])  # full after 0.4 s


def test_the_users_intensity_is_the_ceiling():
    shown = run(Ease(0.4), [Controls("sad", 0.6)] * 15)
    assert shown[-1].intensity == pytest.approx(0.6) and max(c.intensity for c in shown) <= 0.6


def test_switching_emotion_fades_the_old_one_out_then_the_new_one_in():
    ease = Ease(0.4)
    run(ease, [Controls("happy", 1.0)] * 12)  # settled on happy
    shown = run(ease, [Controls("surprised", 1.0)] * 25, t0=10.48)
    targets = [c.target for c in shown]
    k = np.array([c.intensity for c in shown])
    first_new = targets.index("surprised")
    assert 9 <= first_new <= 11  # happy fades out over 0.4 s first ...
    assert np.all(np.diff(k[:first_new]) <= 0) and k[first_new - 1] < 0.03
    assert k[first_new] < 0.05 and all(t == "surprised" for t in targets[first_new:])  # ... then surprised in
    assert k[-1] == pytest.approx(1.0)
    assert np.abs(np.diff(k)).max() <= 1.5 * P / 0.4 + 1e-9


def test_a_change_of_mind_mid_fade_turns_back_without_a_jump():
    ease = Ease(0.4)
    run(ease, [Controls("happy", 1.0)] * 12)
    shown = run(ease, [Controls("sad", 1.0)] * 4 + [Controls("happy", 1.0)] * 10, t0=10.48)
    assert all(c.target == "happy" for c in shown)  # never reached 0, so sad never showed
    k = np.array([c.intensity for c in shown])
    assert k[:4].min() > 0.5 and k[-1] == pytest.approx(1.0)


def test_bypass_fades_out_first_and_back_in_after():
    ease = Ease(0.4)
    run(ease, [Controls("happy", 1.0)] * 12)
    shown = run(ease, [Controls("happy", 1.0, bypass=True)] * 15, t0=10.48)
    off = [c.bypass for c in shown].index(True)
    assert 9 <= off <= 11 and not any(c.bypass for c in shown[:off]) and all(c.bypass for c in shown[off:])
    assert shown[off - 1].intensity < 0.03
    back = run(ease, [Controls("happy", 1.0)] * 12, t0=11.08)
    assert (
        not any(c.bypass for c in back)
        and back[0].intensity < 0.05
        and back[-1].intensity == pytest.approx(1.0)
    )


def test_a_lost_face_fades_out_and_back_in():
    ease = Ease(0.4)
    run(ease, [Controls("happy", 1.0)] * 12)
    gone = run(ease, [Controls("happy", 1.0)] * 30, faces=[False] * 20 + [True] * 10, t0=10.48)
    k = [c.intensity for c in gone]
    assert k[12] == 0.0  # 0.5 s without a face: back to the untouched face
    assert 0.0 < k[20] < 0.05 and k[21] < k[22] < k[23] and k[-1] > 0.9  # the face back: it eases in again


def test_a_stalled_camera_does_not_skip_the_fade():
    ease = Ease(0.4)
    ease.step(Controls("happy", 1.0), 0.0, True)
    k = ease.step(Controls("happy", 1.0), 30.0, True).intensity  # the next frame 30 s later
    assert k == pytest.approx(smoothstep(MAX_STEP_S / 0.4))


def test_zero_seconds_is_the_instant_switch():
    ease = Ease(0.0)
    wanted = [Controls("happy", 1.0), Controls("sad", 0.7), Controls("sad", 0.7, bypass=True)]
    assert run(ease, wanted) == wanted


# ---- through the live loop ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_demo():
    from w2le_live.demo import demo_clip_path
    from w2le_live.io.video import iter_frames

    return [f for _, _, f in iter_frames(demo_clip_path())]  # 75 frames


@pytest.fixture(scope="module")
def demo_frames(whole_demo):
    return whole_demo[:26]


def _changes(demo_frames, ease_s: float, switch_at: int | None = None, to="bypass", first=None,
             target: str = "happy", listener=None) -> tuple:  # fmt: skip
    """Mean |output - camera| inside the face oval per frame through the live loop (``first`` translator, default
    the landmark one, ``target``), with bypass, "calibrate", another emotion or another translator (``to``) asked
    for after ``switch_at`` frames; and the loop's final stats. ``listener``: gets the loop's events."""
    clock, pairs = ManualClock(), []
    src = SteppedClip(demo_frames, clock)
    pipe = Pipeline(src, NullSink(), first or LandmarkTranslator(), controls=Controls(target, 1.0), clock=clock,
                    config=PipelineConfig(ease_s=ease_s), on_frame=lambda a, b, f: pairs.append((a, b, f)))  # fmt: skip
    if listener is not None:
        pipe.add_listener(listener)
    try:
        pipe.start()
        clock.settle()
        if switch_at is None:
            play(pipe, src)
        else:
            play(pipe, src, switch_at)
            if to == "bypass":
                pipe.set_bypass(True)
            elif to == "calibrate":
                pipe.calibrate_neutral()
            elif isinstance(to, str):
                pipe.set_target(to)
            else:
                pipe.set_translator(to)
            wait_until(lambda: pipe.pending_commands() == 0, what="the command")
            if not isinstance(to, str):
                assert pipe.translator is to  # serving at once (the menus follow it)
            play(pipe, src)
        stats = pipe.stats()
    finally:
        pipe.stop()
    out = []
    for a, b, face in pairs:
        m = face_oval_mask(a.shape, face.landmarks) > 0
        out.append(float(np.abs(a.astype(np.int16) - b.astype(np.int16))[m].mean()))
    return out, stats


def test_the_live_loop_eases_the_face_in_and_out(demo_frames):
    instant = _changes(demo_frames, 0.0)[0]
    eased, stats = _changes(demo_frames, 0.4, switch_at=14)
    assert len(eased) == len(demo_frames)
    full = float(np.median(instant[10:14]))
    assert full > 0.5  # the landmark translator visibly changes this face
    assert instant[0] > 0.6 * full  # without easing, the first frame is already changed ...
    assert eased[0] < 0.1 * full and eased[2] < eased[6] < eased[12]  # ... with it, the change grows
    assert eased[12] > 0.7 * full
    # bypass asked at frame 14: the change fades out over the next frames, then the camera's frames pass
    assert eased[15] > 0.3 * full and eased[-1] == 0.0
    assert stats.untranslated == 0  # faded out by choice: not counted as a face shown untranslated


def test_an_emotion_switch_in_the_live_loop_fades_out_then_in(demo_frames):
    eased, stats = _changes(demo_frames, 0.4, switch_at=12, to="sad")
    assert eased[11] > 1.0  # happy, in full
    low = int(np.argmin(eased[12:])) + 12
    assert 19 <= low <= 23 and eased[low] < 0.15 * eased[11]  # happy faded out ...
    assert eased[-1] > 3 * eased[low]  # ... and sad fading in
    assert stats.untranslated == 0 and stats.face_reused == 0


def test_a_translator_swap_fades_the_old_look_out_then_the_new_one_in():
    ease = Ease(0.4)
    a, b = object(), object()  # two translators
    run_a = [ease.step(Controls("happy", 1.0), 10.0 + i * P, True, id(a)) for i in range(12)]
    assert run_a[-1].intensity == pytest.approx(1.0)
    run_b = [ease.step(Controls("happy", 1.0), 10.48 + i * P, True, id(b)) for i in range(25)]
    k = np.array([c.intensity for c in run_b])
    zero = int(np.argmin(k))
    assert 9 <= zero <= 11 and k[zero] == 0.0 and np.all(np.diff(k[: zero + 1]) <= 0)
    assert k[-1] == pytest.approx(1.0) and np.abs(np.diff(k)).max() <= 1.5 * P / 0.4 + 1e-9


def test_the_live_loop_renders_a_swapped_out_translator_until_its_look_has_faded(demo_frames):
    """The tray loads another model: the serving translator changes at once (the menus follow it), the frames keep
    the old one's look until it has faded out, then the new one fades in."""
    used = []

    class Counting(LandmarkTranslator):
        def __init__(self, name):
            super().__init__()
            self.tag = name

        def _render(self, frame, face, mel, controls):
            used.append(self.tag)
            return super()._render(frame, face, mel, controls)

    change, stats = _changes(demo_frames, 0.4, switch_at=12, to=Counting("new"), first=Counting("old"))
    first_new = used.index("new")
    assert set(used[:first_new]) == {"old"} and set(used[first_new:]) == {"new"}
    assert 19 <= first_new <= 23  # 12 frames in, then ~10 of the old look fading out
    assert min(change[18:24]) < 0.15 * change[11]  # the old look faded out ...
    assert change[-1] > change[first_new] + 0.05  # ... and the new one fading in
    assert stats.untranslated == 0


def test_a_look_that_is_not_ready_stays_out_then_eases_in():
    ease = Ease(0.4)
    wanted = Controls("neutral", 1.0)
    waiting = [ease.step(wanted, 10.0 + i * P, True, ready=False) for i in range(8)]
    assert all(c.untouched for c in waiting)  # the camera's face while the neutral face is recorded
    k = np.array([ease.step(wanted, 10.32 + i * P, True).intensity for i in range(12)])
    assert k[0] < 0.05 and np.all(np.diff(k) >= 0) and k[-1] == pytest.approx(1.0)
    assert np.abs(np.diff(k)).max() <= 1.5 * P / 0.4 + 1e-9


class Recording(LandmarkTranslator):
    """The landmark translator, logging the intensity each frame is asked for ("calibrate" where it records the
    neutral face again)."""

    def __init__(self):
        super().__init__(calib_frames=5)
        self.log: list = []

    def translate(self, frame, face, mel, controls):
        self.log.append(0.0 if controls.untouched else controls.intensity)
        return super().translate(frame, face, mel, controls)

    def calibrate(self):
        self.log.append("calibrate")
        super().calibrate()

    def notes(self, into: list):
        """A pipeline listener putting each "note" into ``into`` with the number of frames translated by then."""
        return lambda e: into.append((e.message, len(self.log) - 1)) if e.kind == "note" else None


def test_calibrate_in_the_live_loop_fades_out_records_then_fades_in(whole_demo):
    """The tray's "Calibrate my neutral face" with the neutral target showing: the face fades back to the camera's,
    the neutral face is recorded from the camera's frames (5 here), then the corrected face fades in; no frame
    jumps. Before: the correction vanished in one frame and came back in one frame 25 frames later."""
    tr, notes = Recording(), []
    change, stats = _changes(whole_demo[:50], 0.4, switch_at=18, to="calibrate", first=tr, target="neutral",
                             listener=tr.notes(notes))  # fmt: skip
    at = tr.log.index("calibrate")
    before, after = np.array(tr.log[:at]), np.array(tr.log[at + 1 :])
    assert np.all(before[:5] == 0.0) and before[5] > 0.0  # the first recording: untouched until it is done
    assert before[:18].max() == pytest.approx(1.0)  # in full before the user asks
    assert 26 <= at <= 30 and before[-1] < 0.03 and np.all(np.diff(before[18:]) <= 0)  # faded out first
    assert (
        np.all(after[:5] == 0.0) and after[5] > 0.0 and after[-1] == pytest.approx(1.0)
    )  # recorded, faded in
    k = np.concatenate([before, after])
    assert np.abs(np.diff(k)).max() <= 1.5 * P / 0.4 + 1e-9  # never a jump
    assert tr.calibrated and len(change) == 50 and stats.untranslated == 0
    # the tray is told once the recording is done (not at the stream's own first recording, not before)
    assert [m for m, _ in notes] == ["Your neutral face is recorded."]
    assert notes[0][1] == at + 5  # right after the 5th recorded frame (log: "calibrate", then frames)


def test_calibrate_leaves_a_look_that_does_not_use_it_alone(demo_frames):
    tr, notes = Recording(), []
    _changes(
        demo_frames, 0.4, switch_at=14, to="calibrate", first=tr, target="happy", listener=tr.notes(notes)
    )
    at = tr.log.index("calibrate")
    assert 14 <= at <= 16  # recorded at once: happy does not depend on the neutral face
    assert [m for m, _ in notes] == ["Your neutral face is recorded."] and notes[0][1] == at + 5
    k = np.array([x for x in tr.log if x != "calibrate"])
    assert np.all(k[12:] == pytest.approx(1.0))  # no dip
