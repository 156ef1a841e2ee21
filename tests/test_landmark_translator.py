"""The weight-free landmark translator on real faces: the independent facex judge sees the target emotion rise,
pixels outside the face are untouched, and the mouth opening still follows the speech."""

from __future__ import annotations

import numpy as np
import pytest

from w2le_live.face import landmarks as L
from w2le_live.face.masks import crop_face, face_oval_mask
from w2le_live.face.tracker import FaceTracker
from w2le_live.io.video import iter_frames
from w2le_live.translators.base import Controls
from w2le_live.translators.landmark import LandmarkTranslator

NEUTRAL_CLIPS = ("mead/M030_front_neutral_level1_001.mp4", "mead/W009_front_neutral_level1_001.mp4")


@pytest.fixture(scope="module")
def judge(shared_data):
    from w2le_live.models.facex_judge import FacexJudge

    return FacexJudge(shared_data / "models" / "facex" / "model_optimized.tflite")


def _tracked(path, every=6, limit=90):
    with FaceTracker() as tr:
        for i, t, frame in iter_frames(path):
            face = tr.process(frame, t)
            if i >= limit:
                break
            if face is not None and i % every == 0:
                yield frame, face


@pytest.mark.parametrize("target", ["happy", "sad"])
def test_judge_sees_target_rise_on_mead_neutral(shared_data, judge, target):
    tr = LandmarkTranslator()
    src, out = [], []
    for clip in NEUTRAL_CLIPS:
        for frame, face in _tracked(shared_data / clip):
            y = tr.translate(frame, face, None, Controls(target, 1.0))
            src.append(judge.prob(crop_face(frame, face.box, 200)[0], target))
            out.append(judge.prob(crop_face(y, face.box, 200)[0], target))
    assert len(src) >= 20
    assert np.mean(out) > np.mean(src) + 0.1, (np.mean(src), np.mean(out))


def test_intensity_is_continuous_and_outside_untouched(shared_data):
    tr = LandmarkTranslator()
    frame, face = next(_tracked(shared_data / NEUTRAL_CLIPS[0]))
    mask = face_oval_mask(frame.shape, face.landmarks)
    diffs = []
    for k in (0.0, 0.5, 1.0, 1.5):
        y = tr.translate(frame, face, None, Controls("happy", k))
        assert np.array_equal(y[mask == 0], frame[mask == 0])
        diffs.append(np.abs(y.astype(int) - frame.astype(int)).sum())
    assert diffs[0] == 0 and diffs[0] < diffs[1] < diffs[2] < diffs[3]
    assert tr.translate(frame, None, None, Controls("happy", 1.0)) is frame  # no face: passthrough
    assert tr.translate(frame, face, None, Controls("happy", 1.0, bypass=True)) is frame


def _mouth_opening(frames) -> np.ndarray:
    """Inner-lip gap over time, normalised by face width, measured by a fresh tracker."""
    from w2le_live.personal.metrics import mouth_opening

    return mouth_opening(frames)


@pytest.mark.parametrize("clip", ["talking/grid/lbax4n.mpg", "talking/lrs3/00002.mp4"])
def test_mouth_opening_follows_speech(shared_data, clip):
    tr = LandmarkTranslator()
    ins, outs = [], []
    with FaceTracker() as tk:
        for _, t, frame in iter_frames(shared_data / clip):
            ins.append(frame)
            outs.append(tr.translate(frame, tk.process(frame, t), None, Controls("happy", 1.0)))
    a, b = _mouth_opening(ins), _mouth_opening(outs)
    ok = ~(np.isnan(a) | np.isnan(b))
    assert ok.sum() > 30 and a[ok].std() > 0.01  # the person really talks
    assert np.corrcoef(a[ok], b[ok])[0, 1] >= 0.95


def test_neutral_target_pulls_back_to_calibrated_face(shared_data):
    """Calibrate on the neutral face, then 'neutral' undoes a smile produced by the happy field."""
    tr = LandmarkTranslator(calib_frames=5)
    frames = list(_tracked(shared_data / NEUTRAL_CLIPS[0], every=1, limit=12))
    for frame, face in frames[:5]:
        tr.translate(frame, face, None, Controls("happy", 0.0))
    assert tr.calibrated
    frame, face = frames[6]
    pts, disp, _ = tr.control_points(face.landmarks, "neutral", 1.0)
    assert np.abs(disp).max() < 0.02 * face.size  # already neutral: (almost) nothing to do
    smile = LandmarkTranslator()
    hp, hd, _ = smile.control_points(face.landmarks, "happy", 1.0)
    moved = face.landmarks.copy()
    moved[L.MOUTH_LEFT, :2] += hd[0]
    moved[L.MOUTH_RIGHT, :2] += hd[1]
    _, back, _ = tr.control_points(moved, "neutral", 1.0)
    assert np.allclose(back[0], -hd[0], atol=0.25 * np.abs(hd[0]).max())
