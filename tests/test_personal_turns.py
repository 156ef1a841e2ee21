"""A head turned away from the camera under the personal translator.

An LRS3 speaker (``talking/lrs3/0Fi83BHQsMA_00002.mp4``, 41 frames) turns from a profile to the camera; played
backwards he turns from the camera to a profile. With a bank of his frontal frames, the personal translator drew
white blobs on the silhouette of his nose and lips and his lips in the background's blue once his far cheek was
hidden (``docs/personal/turns.md``). Now the effect fades out over ``PersonalTranslator.turn_fade`` (the nose tip
between the cheeks, ``face.landmarks.head_turn``) and a face turned past it is shown as the camera sees it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from w2le_live.face.landmarks import head_turn
from w2le_live.translators.base import Controls

CLIP = "talking/lrs3/0Fi83BHQsMA_00002.mp4"


def _face(turn: float, roll_deg: float = 0.0) -> np.ndarray:
    """(478, 2) float32 landmarks: cheeks 100 px apart, the nose tip ``turn`` half-widths from their middle, the
    whole face tilted by ``roll_deg`` in the image plane."""
    lm = np.full((478, 2), 50.0, np.float32)
    lm[234], lm[454], lm[1] = (0.0, 50.0), (100.0, 50.0), (50.0 + 50.0 * turn, 60.0)
    a = np.radians(roll_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    return (lm - 50.0) @ rot.T + 50.0


def test_head_turn_reads_the_nose_along_the_cheeks_not_the_image_x():
    assert head_turn(_face(0.0)) == pytest.approx(0.0, abs=1e-6)
    assert head_turn(_face(1.0)) == pytest.approx(1.0, abs=1e-6)
    assert head_turn(_face(-0.5)) == pytest.approx(-0.5, abs=1e-6)
    # a head tilted 30 degrees in the image is not turned: the image's x alone would read 0.5 x sin(30) off
    assert head_turn(_face(0.4, roll_deg=30.0)) == pytest.approx(0.4, abs=1e-5)
    stack = np.stack([_face(0.2), np.full((478, 2), np.nan, np.float32), _face(-1.3)])
    t = head_turn(stack)
    assert t.shape == (3,) and t[0] == pytest.approx(0.2, abs=1e-6) and np.isnan(t[1])
    assert t[2] == pytest.approx(-1.3, abs=1e-6)


@pytest.fixture(scope="module")
def clip_frames(shared_data):
    """His 41 frames ((H, W, 3) uint8 BGR) as recorded: from a profile (turn 2.1) to the camera (0.0-0.3)."""
    path = shared_data / CLIP
    if not path.is_file():
        pytest.skip(f"{CLIP} is not in ../shared/data")
    from w2le_live.io.video import iter_frames

    return [f for _, _, f in iter_frames(path)]


@pytest.fixture(scope="module")
def turning(shared_data, clip_frames):
    """(bank of his frontal frames, [(frame, face)] turning from the camera to a profile)."""
    from w2le_live.personal.enroll import EnrollConfig, enroll_frames

    path, frames = shared_data / CLIP, clip_frames
    # his last 13 frames face the camera (turn 0.0-0.3): too short for a real enrolment (2 s), enough for a bank
    cfg = dataclasses.replace(EnrollConfig(), min_seconds=0.3)
    bank = enroll_frames("happy", iter(frames[28:]), str(path), None, 20.0, cfg)
    backwards = track_clip_backwards(frames)
    return bank, backwards


def track_clip_backwards(frames: list) -> list:
    """The frames played backwards through one smoothed live tracker, as a camera would show them."""
    from w2le_live.face.tracker import FaceTracker

    with FaceTracker() as tr:
        return [(f, tr.process(f, i / 25.0)) for i, f in enumerate(frames[::-1])]


def test_a_face_turned_away_is_the_cameras_and_the_effect_fades_on_the_way(turning):
    from w2le_live.translators.personal import PersonalTranslator

    bank, stream = turning
    tr = PersonalTranslator({"happy": bank}, calib_frames=5)
    lo, hi = PersonalTranslator.turn_fade
    seen = {"front": 0, "fading": 0, "away": 0}
    share_prev, changes = 1.0, []
    for frame, face in stream:
        assert face is not None
        turn = abs(head_turn(face.landmarks))
        out = tr.translate(frame, face, None, Controls("happy", 1.0))
        change = float(np.abs(out.astype(np.int16) - frame.astype(np.int16)).mean())
        share = tr.turn_share(face.landmarks)
        if turn < lo:
            seen["front"] += 1
            assert share == 1.0 and out is not frame and change > 0.3
        elif turn >= hi:
            seen["away"] += 1
            assert share == 0.0 and out is frame  # shown as the camera sees it, not a copy
        else:
            seen["fading"] += 1
            assert 0.0 < share < 1.0
            changes.append((share, change))
        assert abs(share - share_prev) < 0.9  # fades over frames, no switch
        share_prev = share
    # he turns through the whole range (front 0-0.74, then 0.75-0.94, then to a profile, 2.0)
    assert seen["front"] >= 15 and seen["fading"] >= 3 and seen["away"] >= 10, seen
    # the less of the effect is kept, the less of the frame is changed
    (s_hi, c_hi), (s_lo, c_lo) = max(changes), min(changes)
    assert s_hi > s_lo and c_hi > c_lo, changes


def test_a_turned_face_is_not_recorded_as_the_neutral_face(turning):
    from w2le_live.translators.personal import PersonalTranslator

    bank, stream = turning
    tr = PersonalTranslator({"happy": bank}, calib_frames=5)
    away = [(f, x) for f, x in stream if abs(head_turn(x.landmarks)) >= PersonalTranslator.turn_fade[0]]
    front = [(f, x) for f, x in stream if abs(head_turn(x.landmarks)) < PersonalTranslator.turn_fade[0]]
    for f, x in away:
        tr.translate(f, x, None, Controls("happy", 1.0))
    assert tr.calibrating("happy")  # the neutral face is still to be recorded
    for f, x in front[:5]:
        tr.translate(f, x, None, Controls("happy", 1.0))
    assert not tr.calibrating("happy")


def test_the_status_says_the_effect_is_paused_while_the_head_is_turned_away(turning):
    from w2le_live.translators.personal import PersonalTranslator

    bank, stream = turning
    tr = PersonalTranslator({"happy": bank}, calib_frames=5)
    labels = []
    for frame, face in stream:
        tr.translate(frame, face, None, Controls("happy", 1.0))
        labels.append((abs(head_turn(face.landmarks)), tr.left_alone, tr.serving_label("happy")))
    away = [x for x in labels if x[0] >= PersonalTranslator.turn_fade[1]]
    front = [x for x in labels if x[0] < PersonalTranslator.turn_fade[0]]
    assert away and all(
        a == "head turned away" and s.endswith("(paused: head turned away)") for _, a, s in away
    )
    assert front and all(a == "" and "paused" not in s for _, a, s in front)


def test_the_live_loop_counts_a_turned_face_as_left_alone_not_untranslated(turning):
    """Through the real live loop (no easing): the turned frames go out as the camera's, the stats count no
    untranslated frame (that counter is for faces the loop failed to translate in time) and no late tick pastes
    the last translated face over a turned one."""
    from live_fakes import SteppedClip, play

    from w2le_live.io.sinks import NullSink
    from w2le_live.live.clock import ManualClock
    from w2le_live.pipeline import Pipeline, PipelineConfig
    from w2le_live.translators.personal import PersonalTranslator

    bank, stream = turning
    frames = [f for f, _ in stream]
    clock, pairs = ManualClock(), []
    src = SteppedClip(frames, clock)
    tr = PersonalTranslator({"happy": bank}, calib_frames=5)
    pipe = Pipeline(src, NullSink(), tr, controls=Controls("happy", 1.0), clock=clock,
                    config=PipelineConfig(ease_s=0.0), on_frame=lambda a, b, f: pairs.append((a, b)))  # fmt: skip
    try:
        pipe.start()
        clock.settle()
        play(pipe, src)
        stats = pipe.stats()
    finally:
        pipe.stop()
    untouched = sum(a is b for a, b in pairs)
    assert len(pairs) == len(frames) and untouched >= 10  # the turned frames went out as the camera's
    assert stats.untranslated == 0 and stats.face_reused == 0


def test_enrolment_leaves_out_the_frames_turned_away(shared_data, clip_frames):
    """A take that turns to a profile gives a bank of its frames facing the camera only: a profile's bank frame
    has no far cheek or lip corner to draw onto a face that faces the camera. The user is told what was left out,
    and a take turned away throughout is refused with its fix."""
    from w2le_live.personal.enroll import EnrollConfig, EnrollmentError, enroll_frames, take_lines
    from w2le_live.translators.personal import PersonalTranslator

    cfg = dataclasses.replace(EnrollConfig(), min_seconds=0.3)
    assert cfg.max_turn == PersonalTranslator.turn_fade[0]  # kept where the live effect starts to fade
    what = str(shared_data / CLIP)
    bank = enroll_frames("happy", iter(clip_frames), what, None, 20.0, cfg)
    turns = np.abs(head_turn(bank.crop_landmarks))
    assert len(turns) >= 15 and turns.max() <= cfg.max_turn
    assert bank.info["tracked"] == 41 - 20 and bank.info["turned_s"] == pytest.approx(20 / 25)
    assert any(
        line.startswith("turns: 0.8 s of the take were turned too far") for line in take_lines(bank.info)
    )
    # without the limit the same take puts its profile frames into the bank (what the limit is for)
    old = enroll_frames("happy", iter(clip_frames), what, None, 20.0, dataclasses.replace(cfg, max_turn=99.0))
    assert np.abs(head_turn(old.crop_landmarks)).max() > 1.5
    assert not any(line.startswith("turns:") for line in take_lines(old.info))
    with pytest.raises(EnrollmentError, match="turned away from the camera in every frame; face the camera"):
        enroll_frames("happy", iter(clip_frames[:14]), what, None, 20.0, cfg)
    with pytest.raises(
        EnrollmentError, match=r"only 0\.4 s with a face turned to the camera \(0\.8 s turned away"
    ):
        enroll_frames("happy", iter(clip_frames[:30]), what, None, 20.0, EnrollConfig())
