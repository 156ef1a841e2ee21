"""Enrolment coverage on real MEAD clips (which mouth shapes a take shows), its prompts and early finish, the
profile/CLI reporting, and the first-run line for users without a profile."""

from __future__ import annotations

import numpy as np
import pytest
from mead_clips import mead_clip

from w2le_live.personal import coverage as C


def _clip(root, actor, emotion):
    return mead_clip(root, actor, emotion)


@pytest.fixture(scope="module")
def surprised(shared_data):
    from w2le_live.io.video import iter_frames
    from w2le_live.personal.metrics import track_landmarks

    frames = [f for _, _, f in iter_frames(_clip(shared_data, "W009", "surprised"))]
    return frames, track_landmarks(frames)


def test_real_take_covers_talking_shapes_but_not_head_turns(surprised):
    frames, lm = surprised
    cov = C.coverage(lm, frames)
    assert cov.covered["open"] and cov.covered["rounded"], cov.counts  # a surprised "oh" reading, wide open
    assert not cov.covered["turns"], cov.counts  # MEAD clips are frontal: the head barely turns
    assert "small head turns" in cov.summary() and "weaker" in cov.summary()
    stored = cov.as_dict()
    assert set(stored["covered"]) | set(stored["missing"]) == set(C.SHAPES)


def test_shapes_follow_the_landmarks(surprised):
    _, lm = surprised
    closed = lm.copy()
    closed[:, 14, :2] = closed[:, 13, :2]  # inner lips together in every frame
    assert C.coverage(closed).covered["closed"] and not C.coverage(closed).covered["open"]
    turned = lm.copy()
    half = len(turned) // 2
    fw = np.linalg.norm(turned[:, 234, :2] - turned[:, 454, :2], axis=1)
    turned[:half, 1, 0] -= 0.1 * fw[:half]  # the nose tip moves toward a cheek: a small turn each way
    turned[half:, 1, 0] += 0.1 * fw[half:]
    assert C.coverage(turned).covered["turns"]
    assert not any(C.coverage(np.zeros((0, 478, 3), np.float32)).covered.values())


def test_tracker_and_prompts_match_the_batch_measure(surprised):
    frames, lm = surprised
    tr = C.CoverageTracker(every=1)
    assert tr.prompt() == C.PROMPTS["closed"]  # nothing seen yet: the first shape's sentence
    for f, p in zip(frames, lm):
        tr.update(p, f)
    assert tr.current == C.coverage(lm, frames)
    missing = tr.current.missing
    assert tr.prompt() == (C.PROMPTS[missing[0]] if missing else "All shapes covered - you can stop.")


def test_watched_finishes_early_when_covered_and_says_prompts(surprised, monkeypatch):
    frames, _ = surprised
    said = []
    everything = C.Coverage(dict.fromkeys(C.SHAPES, 9), dict.fromkeys(C.SHAPES, True))
    out = []
    for k, f in enumerate(C.watched(iter(frames), said.append, min_seconds=1.0)):
        out.append(f)
        if k == 30:  # from here on the take is covered (as a full recording would be)
            monkeypatch.setattr(C.CoverageWatch, "coverage", property(lambda self: everything))
    assert 30 < len(out) < len(frames) and said[-1].startswith("every shape is covered")
    assert said[0].startswith("covered 0/6; next: ") and said[0].endswith(C.PROMPTS["closed"])


def test_enroll_and_profile_show_report_coverage(shared_data, tmp_path, monkeypatch, capsys):
    from w2le_live.cli import main
    from w2le_live.personal.profiles import Profile

    monkeypatch.setenv("W2LE_DATA_DIR", str(tmp_path))
    src = str(_clip(shared_data, "M030", "happy"))
    assert main(["enroll", "--profile", "cov", "--emotion", "happy", "--source", src]) == 0
    err = capsys.readouterr().err
    assert "coverage:" in err and "small head turns" in err  # a 4 s frontal clip: turns will look weaker
    stored = Profile("cov").meta["emotions"]["happy"]["info"]["coverage"]
    assert "turns" in stored["missing"]
    assert main(["profile", "show", "cov"]) == 0
    assert "coverage:" in capsys.readouterr().out


def test_first_run_line_only_without_a_profile(tmp_path, monkeypatch):
    from w2le_live.personal.first_run import landmark_hint, tray_offer

    monkeypatch.setenv("W2LE_DATA_DIR", str(tmp_path))
    line = landmark_hint(kind="auto", profile=None, model=None, target="happy")
    assert "subtle" in line and "w2le-live enroll --profile me --emotion happy" in line and "\n" not in line
    assert "Teach my happy..." in landmark_hint(kind="auto", profile=None, model=None, tray=True)
    assert landmark_hint(kind="auto", profile="me", model=None) is None
    assert landmark_hint(kind="auto", profile=None, model="g.safetensors") is None
    assert landmark_hint(kind="neural", profile=None, model=None) is None
    assert "Teach my happy" in tray_offer(None)
    assert tray_offer(None) is None  # only on the first start


def test_recording_asks_to_turn_back_while_the_face_is_turned_away(shared_data):
    """The LRS3 speaker turning from a profile (turn 2.1) to the camera, as a camera take: while he is turned past
    ``EnrollConfig.max_turn`` the prompt asks him to turn back (those frames would be left out of the take) and
    they are not counted as coverage; once he faces the camera the shape prompts return."""
    from w2le_live.io.video import iter_frames

    path = shared_data / "talking/lrs3/0Fi83BHQsMA_00002.mp4"
    if not path.is_file():
        pytest.skip("the LRS3 clips are not in ../shared/data/talking")
    frames = [f for _, _, f in iter_frames(path)]
    w = C.CoverageWatch(min_seconds=1.0, stride=1)
    prompts = []
    try:
        for f in frames:
            w.add(f)
            prompts.append(w.prompt)
    finally:
        w.close()
    # frames 0-14 turn 1.0-2.1 (the profile), 16 onwards <= 0.8, 20 onwards <= 0.65
    assert all(p == C.TURNED_PROMPT for p in prompts[2:14]), prompts[:16]
    assert all(p != C.TURNED_PROMPT for p in prompts[20:])
    assert w._cov._lm and len(w._cov._lm) <= len(frames) - 15  # the turned frames were not counted
    # and a face that never turns far never hears it
    plain = C.CoverageWatch(min_seconds=1.0, stride=1)
    try:
        for f in frames[20:]:
            plain.add(f)
            assert plain.prompt != C.TURNED_PROMPT
    finally:
        plain.close()
