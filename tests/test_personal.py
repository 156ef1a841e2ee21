"""The personal translator on two real MEAD actors: bank from the actor's own emotion clip, driven by the actor's
neutral clip. The independent facex judge must see (nearly) the actor's real emotion, the mouth opening must
stay the driving one, and the paste-in must not flicker or leave a seam."""

from __future__ import annotations

import numpy as np
import pytest
from mead_clips import mead_clip, track_clip

from w2le_live.face.masks import crop_face, face_oval_mask
from w2le_live.personal import metrics as M
from w2le_live.translators.base import Controls

ACTORS = ("M030", "W009")
EMOTIONS = ("happy", "surprised")


def _clip(root, actor, emotion):
    return mead_clip(root, actor, emotion)


@pytest.fixture(scope="module")
def judge(shared_data):
    from w2le_live.models.facex_judge import FacexJudge

    return FacexJudge(shared_data / "models" / "facex" / "model_optimized.tflite")


def _p(judge, pairs, target):
    return float(np.mean([judge.prob(crop_face(f, face.box, 200)[0], target) for f, face in pairs if face]))


@pytest.fixture(scope="module")
def runs(shared_data, judge):
    """(actor, emotion) -> dict(drive, out, translator, p_in, p_out, p_real); tracking and enrolment done once."""
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.personal import PersonalTranslator

    res = {}
    for actor in ACTORS:
        drive = track_clip(_clip(shared_data, actor, "neutral"))
        for emo in EMOTIONS:
            bank = enroll_file(
                emo, str(_clip(shared_data, actor, emo)), str(_clip(shared_data, actor, "neutral"))
            )
            tr = PersonalTranslator({emo: bank})
            out = [tr.translate(f, face, None, Controls(emo, 1.0)) for f, face in drive]
            faces = [face for _, face in drive]
            res[actor, emo] = dict(
                drive=drive, out=out, translator=tr, p_in=_p(judge, drive, emo),
                p_out=_p(judge, list(zip(out, faces)), emo),
                p_real=_p(judge, track_clip(_clip(shared_data, actor, emo)), emo),
            )  # fmt: skip
    return res


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("emotion", EMOTIONS)
def test_judge_sees_the_actors_own_emotion(runs, actor, emotion):
    r = runs[actor, emotion]
    assert r["p_real"] > 0.45  # the real clip is recognisable: the comparison means something
    assert r["p_out"] >= 0.9 * r["p_real"], (r["p_in"], r["p_out"], r["p_real"])
    assert r["p_out"] >= r["p_in"] + 0.3


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("emotion", EMOTIONS)
def test_mouth_opening_is_the_live_one(runs, actor, emotion):
    r = runs[actor, emotion]
    a = M.mouth_opening([f for f, _ in r["drive"]])
    b = M.mouth_opening(r["out"])
    assert np.nanstd(a) > 0.02  # the actor really talks
    assert M.correlation(a, b) >= 0.94


@pytest.mark.parametrize("actor", ACTORS)
def test_no_flicker_no_seam(runs, actor):
    for emo, flick_max in (("happy", 1.2), ("surprised", 1.25)):
        r = runs[actor, emo]
        ins = [f for f, _ in r["drive"]]
        masks = [face_oval_mask(f.shape, face.landmarks) for f, face in r["drive"]]
        assert M.flicker(r["out"], masks) <= flick_max * M.flicker(ins, masks), emo
        g = np.array([M.boundary_gradient(a, b) for a, b in zip(ins[::6], r["out"][::6])])
        assert np.isfinite(g).all()
        assert g[:, 1].mean() <= 1.1 * g[:, 0].mean(), emo


def test_intensity_passthrough_and_untouched_outside(runs):
    r = runs["M030", "happy"]
    tr = r["translator"]
    import cv2

    frame, face = r["drive"][40]
    k = int(0.03 * face.size) * 2 + 1  # the target oval may reach a few pixels past the live one (cheeks)
    region = cv2.dilate(face_oval_mask(frame.shape, face.landmarks), np.ones((k, k), np.uint8))
    assert tr.translate(frame, None, None, Controls("happy", 1.0)) is frame
    assert tr.translate(frame, face, None, Controls("happy", 1.0, bypass=True)) is frame
    assert tr.translate(frame, face, None, Controls("sad", 1.0)) is frame  # not enrolled: untouched
    diffs = []
    for k in (0.0, 0.3, 0.7, 1.0):
        y = tr.translate(frame, face, None, Controls("happy", k))
        assert np.array_equal(y[region == 0], frame[region == 0])
        diffs.append(np.abs(y.astype(int) - frame.astype(int)).sum())
    assert diffs[0] == 0 and diffs[0] < diffs[1] < diffs[2] < diffs[3]


def test_below_full_intensity_the_mouth_is_one_mouth(runs):
    """At a partial intensity (the slider, or the live loop easing the effect in: live/ease.py) the lips are the
    bank frame's whole or not at all, never the bank's teeth faded over the live ones (a second row of teeth):
    below ``RenderConfig.parts_from`` they are exactly the live mouth's rendering, above it the bank's."""
    import cv2

    from w2le_live.face.landmarks import LIPS_OUTER
    from w2le_live.translators.personal import PersonalTranslator

    bank = runs["W009", "happy"]["translator"].banks["happy"]
    drive = runs["W009", "happy"]["drive"][:40]

    def lips_vs_live_mouth(k: float) -> np.ndarray:
        """Per frame drawn with a bank mouth: mean |output - the same frame with the live mouth| over the lips."""
        a, b = PersonalTranslator({"happy": bank}), PersonalTranslator({"happy": bank})
        b.mouth_fit = (-1.0, -0.5)  # never the bank's mouth
        d = []
        for f, face in drive:
            ya, yb = (t.translate(f, face, None, Controls("happy", k)) for t in (a, b))
            if a._mouth < 1.0:
                continue
            m = np.zeros(f.shape[:2], np.uint8)
            cv2.fillConvexPoly(
                m, cv2.convexHull(np.round(face.landmarks[list(LIPS_OUTER), :2]).astype(np.int32)), 1
            )
            d.append(np.abs(ya.astype(int) - yb.astype(int))[m > 0].mean())
        assert len(d) >= 30
        return np.array(d)

    full = np.median(lips_vs_live_mouth(1.0))
    assert full > 10.0  # the bank's mouth is visibly another mouth: the comparison means something
    assert lips_vs_live_mouth(0.35).max() <= 0.5  # (faded over the live one: median 5.8 grey levels)
    assert np.median(lips_vs_live_mouth(0.7)) >= 0.8 * full  # (faded: 0.66 of it)


def test_offset_regression_removes_speech(runs):
    """The regressed offset of the smile barely moves the inner-lip gap, yet lifts the lip corners; applied to a
    face (``geometry.apply_offset``, the one offset policy) it keeps that face's opening exactly."""
    from w2le_live.personal.geometry import apply_offset, features

    bank = runs["M030", "happy"]["translator"].banks["happy"]
    off = bank.offset
    assert abs(features(bank.template + off)[0] - features(bank.template)[0]) < 0.02
    kept = apply_offset(bank.template, off, 1.0) - bank.template
    assert abs(features(bank.template + kept)[0] - features(bank.template)[0]) < 1e-4
    assert kept[61, 1] < -0.01 and kept[291, 1] < -0.01


def test_switching_emotion_builds_nothing_on_the_frame_path(runs, monkeypatch):
    """Every emotion's retriever (its bank's mouth textures: ~14 ms per 100 bank frames) is built with the
    translator, so the tray's first switch to an emotion costs the live loop no stalled frame."""
    from w2le_live.personal import bank as bank_mod
    from w2le_live.translators.personal import PersonalTranslator

    banks = {e: runs["W009", e]["translator"].banks[e] for e in EMOTIONS}
    tr = PersonalTranslator(banks)
    built = []
    real_init = bank_mod.Retriever.__init__

    def counting(self, *a, **kw):
        built.append(1)
        real_init(self, *a, **kw)

    monkeypatch.setattr(bank_mod.Retriever, "__init__", counting)
    frame, face = runs["W009", "happy"]["drive"][0]
    for emo in EMOTIONS + EMOTIONS:
        out = tr.translate(frame, face, None, Controls(emo, 1.0))
        assert out.shape == frame.shape and not np.array_equal(out, frame)
    assert built == []
