"""Lip sync of the personal translator (issue 18): the inner-lip opening of its output, re-tracked by a fresh
unsmoothed tracker, follows the driving clip's (correlation >= 0.95) on W009 surprised (a bank mouth in every frame)
and neutral driven by the sad clip (a reshaped mouth), where it was 0.93 and 0.94 before the lips were led by the
tracker's lag and the surprised mouth kept its live inside; and happy driven by the surprised clip (0.943 while bank
mouths with teeth were warped shut, or onto a dark "O", and a fresh tracker read their teeth as an open mouth)."""

from __future__ import annotations

import numpy as np
import pytest
from mead_clips import mead_clip

from w2le_live.personal import metrics as M
from w2le_live.translators.base import Controls

ACTOR = "W009"
# (target, driving clip, bar). Happy from surprised: 0.952 while a smile's teeth were squeezed into her pursed "oo"s
# (test_a_pursed_oo_is_not_drawn_as_a_squeezed_smile); her live "oo" drawn there, stretched to the smile's corners,
# read 0.948 (a wide flat hole, 0.87 of the live opening); kept in its own shape (squeeze_keep) 0.958
CASES = (("surprised", "neutral", 0.95), ("neutral", "sad", 0.95), ("happy", "surprised", 0.95))


def _clip(root, emotion):
    path = mead_clip(root, ACTOR, emotion)
    if not path.exists():
        pytest.skip(f"{path.name} is not in the shared data")
    return path


def _frames(path):
    from w2le_live.io.video import iter_frames

    return [f for _, _, f in iter_frames(path)]


def _lip_corr(root, target, driving):
    """Inner-lip opening correlation of W009's personal output (``target``, bank from her own clip, her neutral
    clip as reference) with the ``driving`` clip, both re-tracked by a fresh unsmoothed tracker."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.personal import PersonalTranslator

    frames = _frames(_clip(root, driving))
    with FaceTracker() as tr:  # the live loop's smoothed tracker drives the translator
        faces = [tr.process(f, i / 25.0) for i, f in enumerate(frames)]
    neutral = None if target == "neutral" else str(_clip(root, "neutral"))
    pt = PersonalTranslator({target: enroll_file(target, str(_clip(root, target)), neutral=neutral)})
    out = [pt.translate(f, o, None, Controls(target, 1.0)) for f, o in zip(frames, faces)]
    a, b = M.lip_opening(M.track_landmarks(frames)), M.lip_opening(M.track_landmarks(out))
    assert np.isfinite(b).mean() > 0.95  # a face is found in the output
    return M.correlation(a, b)


@pytest.mark.parametrize("target,driving,bar", CASES)
def test_output_lips_follow_the_driving_clip(shared_data, target, driving, bar):
    corr = _lip_corr(shared_data, target, driving)
    assert corr >= bar, corr


# (target, bar): driven by the neutral clip; today's margins are 0.003 and 0.005 over the bar
LIVE_INSIDE_CASES = (("surprised", 0.964), ("angry", 0.972))


@pytest.mark.parametrize("target,bar", LIVE_INSIDE_CASES)
def test_the_live_inside_comes_with_the_live_inner_lip_edges(shared_data, target, bar):
    """Surprised and angry keep the live opening between the inner lips under every bank mouth. Cut exactly at the
    target's inner-lip line, the bank's lip edge met the live teeth (a seam a fresh tracker read as another lip
    line: W009 neutral<-sad on the moving head, frame 34, opening 0.064 for the driving clip's 0.097) and the
    correlation was 0.961 (surprised) and 0.968 (angry); with the live lips' inner edges brought along
    (RenderConfig.inside_margin, inside_feather) 0.967 and 0.977."""
    corr = _lip_corr(shared_data, target, "neutral")
    assert corr >= bar, corr


TEETH_CASES = (("sad", "neutral", 75), ("happy", "angry", 107))  # (target, driving clip, frames)


def _inside_grey(frame, lm):
    """The grey levels of the opening between the inner lips (lm (478, 2+) frame pixels) and the lips' median grey;
    None where the mouth is closed (or no face)."""
    import cv2

    from w2le_live.face.landmarks import LIPS_INNER, LIPS_OUTER

    if not np.isfinite(lm).all():
        return None
    inner, outer = np.zeros(frame.shape[:2], np.uint8), np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(inner, [np.round(lm[list(LIPS_INNER), :2]).astype(np.int32)], 1)
    cv2.fillPoly(outer, [np.round(lm[list(LIPS_OUTER), :2]).astype(np.int32)], 1)
    grey, lips = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (outer > 0) & (inner == 0)
    if inner.sum() < 10 or not lips.any():
        return None
    return grey[inner > 0], np.median(grey[lips])


def _bright_inside(frame, lm):
    """The share of the opening between the inner lips brighter than 1.15 x the lips' median grey: the teeth (0
    where the mouth is closed)."""
    got = _inside_grey(frame, lm)
    return 0.0 if got is None else float((got[0] > 1.15 * got[1]).mean())


@pytest.mark.parametrize("target,driving,n", TEETH_CASES)
def test_live_teeth_are_not_covered_by_a_dark_bank_opening(shared_data, target, driving, n):
    """Where the speaker shows teeth, the output shows them too (W009 sad driven by neutral: a dark sad opening
    in 5 of the 24 frames with teeth before the live inside was kept there; happy driven by angry: 6 of 66); a
    bank frame rendered onto itself shows its own teeth, so it keeps its own inside."""
    from mead_clips import track_clip

    from w2le_live.personal.enroll import enroll_file
    from w2le_live.personal.render import RenderConfig, _inside_share
    from w2le_live.translators.personal import PersonalTranslator

    drive = track_clip(_clip(shared_data, driving))[:n]
    bank = enroll_file(target, str(_clip(shared_data, target)), neutral=str(_clip(shared_data, "neutral")))
    pt = PersonalTranslator({target: bank})
    out = [pt.translate(f, o, None, Controls(target, 1.0)) for f, o in drive]
    frames = [f for f, _ in drive]
    live = [_bright_inside(f, lm) for f, lm in zip(frames, M.track_landmarks(frames))]
    shown = [_bright_inside(f, lm) for f, lm in zip(out, M.track_landmarks(out))]
    teeth = [i for i, a in enumerate(live) if a >= 0.3]
    dark = [i for i in teeth if shown[i] < 0.4 * live[i]]
    assert len(teeth) >= 10, len(teeth)  # the speaker shows teeth in this clip
    assert len(dark) <= 1, (dark, len(teeth))
    own = [_inside_share(bank.crops[j], bank.crop_landmarks[j], bank, [(j, 1.0)], None, 1.0, RenderConfig())
           for j in range(0, len(bank), 7)]  # fmt: skip
    assert max(own) < 0.05, own


def _dark_inside(frame, lm):
    """The share of the opening between the inner lips darker than 0.5 x the lips' median grey: the dark inside of
    an open mouth (0 where the mouth is closed)."""
    got = _inside_grey(frame, lm)
    return 0.0 if got is None else float((got[0] < 0.5 * got[1]).mean())


@pytest.fixture(scope="module")
def happy_from_surprised(shared_data):
    """W009's happy bank (her neutral clip as reference) driven by her surprised clip: (driving frames, output
    frames, each [(H, W, 3) uint8 BGR], and their fresh re-tracks, each (F, 478, 3) float32)."""
    from mead_clips import track_clip

    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.personal import PersonalTranslator

    drive = track_clip(_clip(shared_data, "surprised"))
    bank = enroll_file("happy", str(_clip(shared_data, "happy")), neutral=str(_clip(shared_data, "neutral")))
    pt = PersonalTranslator({"happy": bank})
    out = [pt.translate(f, o, None, Controls("happy", 1.0)) for f, o in drive]
    frames = [f for f, _ in drive]
    return frames, out, M.track_landmarks(frames), M.track_landmarks(out)


def test_a_dark_open_mouth_is_not_shown_as_bank_teeth(happy_from_surprised):
    """W009 happy driven by her surprised clip: where the speaker's open mouth is dark inside ("oh", no teeth), the
    output shows no teeth there either (a happy bank frame's teeth warped into the round opening read as a closed
    mouth: 2 such frames of 11 before the live inside was kept under bank teeth the live mouth lacks)."""
    frames, out, lm_in, lm_out = happy_from_surprised
    dark = [i for i in range(len(frames))
            if _dark_inside(frames[i], lm_in[i]) >= 0.6 and _bright_inside(frames[i], lm_in[i]) < 0.05]  # fmt: skip
    teeth = [i for i in dark if _bright_inside(out[i], lm_out[i]) >= 0.2]
    assert len(dark) >= 5, dark  # the speaker says "oh" in this clip
    assert not teeth, (teeth, len(dark))


def test_a_pursed_oo_is_not_drawn_as_a_squeezed_smile(happy_from_surprised):
    """W009 happy driven by her surprised clip: in her pursed "oo"s (the lip corners under 0.6 of their median
    distance: frames 74 and 84-92) the happy bank's nearest mouths are smiles up to twice as wide, whose inner lips
    fit. Warped into the "oo" they showed a squeezed row of teeth with smeared lip ends (up to 0.19 of the opening
    bright in 8 of the 10 frames; docs/personal/hd.md, squeeze_W009.jpg). The live mouth is drawn there instead
    (PersonalTranslator.mouth_squeeze): no teeth, as in the camera's frame, and in its own shape
    (``squeeze_keep``): stretched to the smile's corners it was a wide flat hole, re-tracked at a median 0.87 of
    the camera's opening (0.69 at worst) and up to 0.061 face widths wider; now 0.95 (0.87), 0.043."""
    frames, out, lm_in, lm_out = happy_from_surprised
    width = M.mouth_width(lm_in)
    pursed = [i for i in range(len(frames)) if width[i] < 0.6 * np.nanmedian(width)]
    assert len(pursed) >= 5, pursed  # she says "oo" in this clip
    assert all(_bright_inside(frames[i], lm_in[i]) < 0.02 for i in pursed)  # and shows no teeth there
    teeth = {i: round(_bright_inside(out[i], lm_out[i]), 2) for i in pursed}
    assert max(teeth.values()) <= 0.03, teeth
    out_w = M.mouth_width(lm_out)[pursed]
    assert np.nanmax(out_w - width[pursed]) < 0.05, (out_w, width[pursed])  # happy's offset widens by ~0.04
    opened = M.lip_opening(lm_out)[pursed] / M.lip_opening(lm_in)[pursed]
    assert np.median(opened) >= 0.92 and opened.min() >= 0.8, np.round(opened, 3)
