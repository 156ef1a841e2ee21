"""Live eyes under the personal translator (issue 18) on W009, the actor it was tuned on: the target geometry keeps
the live gaze (each iris where the live one is between the corners), and a fresh tracker reads the driving clip's
gaze and blinks back from the rendered output."""

from __future__ import annotations

import numpy as np
import pytest
from mead_clips import mead_clip

from w2le_live.translators.base import Controls


def _clip(root, emotion):
    return mead_clip(root, "W009", emotion)


@pytest.fixture(scope="module")
def w009(shared_data):
    """Enrolled banks (surprised and sad with the neutral clip as reference; neutral alone) and the tracked driving clips."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames
    from w2le_live.personal.enroll import enroll_file

    if not _clip(shared_data, "surprised").is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    banks = {
        emo: enroll_file(emo, str(_clip(shared_data, emo)), str(_clip(shared_data, "neutral")))
        for emo in ("surprised", "sad")
    }
    banks["neutral"] = enroll_file("neutral", str(_clip(shared_data, "neutral")))
    drives = {}
    for emo in ("neutral", "sad"):
        with FaceTracker() as tr:
            drives[emo] = [(fr, tr.process(fr, t)) for _, t, fr in iter_frames(str(_clip(shared_data, emo)))]
    return banks, drives


def _eye_gaze(lm: np.ndarray) -> np.ndarray:
    """Per eye, the iris centre between the corners (0 outer, 1 inner). lm: (F, 478, 2+) -> (F, 2) float64."""
    x = lm[..., 0].astype(np.float64)
    return np.stack(
        [(x[:, 468] - x[:, 33]) / (x[:, 133] - x[:, 33]), (x[:, 473] - x[:, 263]) / (x[:, 362] - x[:, 263])],
        -1,
    )


@pytest.mark.parametrize("emotion, driving", [("surprised", "neutral"), ("neutral", "sad")])
def test_target_geometry_keeps_the_live_eyes(w009, emotion, driving):
    """The emotion's upper-face shift moves brows and lids, not the gaze: each target iris lies between the target
    corners where the live one does (before: the iris took the emotion's mean gaze, high-passing the live one;
    0.09 off), and the target lids move with the live ones."""
    from w2le_live.personal import geometry as G
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    tr = PersonalTranslator({emotion: banks[emotion]})
    live, target = [], []
    for _, face in drives[driving]:
        pose, tn, _ = tr.target_geometry(face.landmarks, emotion, 1.0)
        live.append(pose.to_norm(face.landmarks))
        target.append(tn)
    live, target = np.stack(live), np.stack(target)
    gl, gt = _eye_gaze(live), _eye_gaze(target)
    assert np.std(gl, 0).min() > 0.01  # the actor does move the eyes
    assert np.abs(gt - gl).max() < 0.002, np.abs(gt - gl).max()
    ap_live, ap_target = G.lid_apertures(live), G.lid_apertures(target)
    for eye in (0, 1):
        assert np.corrcoef(ap_live[:, eye], ap_target[:, eye])[0, 1] > 0.9  # the lids move with the person's
    if emotion == "surprised":
        assert ap_target.mean() > 1.1 * ap_live.mean()  # surprise opens them


@pytest.mark.parametrize(
    "emotion, driving, least", [("surprised", "neutral", 0.91), ("neutral", "sad", 0.86)]
)
def test_rendered_gaze_and_blinks_follow_the_driving_clip(w009, emotion, driving, least):
    """Re-tracked by a fresh tracker (as issue 18 measures it), the output's horizontal gaze follows the driving
    clip's (W009 before: surprised 0.89; now 0.94; neutral from sad 0.88, its eyes not held: see
    ``geometry._eyes_live``) and its blinks stay visible."""
    from w2le_live.personal import metrics as M
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    tr = PersonalTranslator({emotion: banks[emotion]})
    frames = [f for f, _ in drives[driving]]
    out = [tr.translate(f, face, None, Controls(emotion, 1.0)) for f, face in drives[driving]]
    lm_in, lm_out = M.track_landmarks(frames), M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    g_in = M.gaze(lm_in)
    assert np.nanstd(g_in) > 0.02
    assert M.correlation(g_in, M.gaze(lm_out)) >= least
    eo_in, eo_out = M.eye_opening(lm_in), M.eye_opening(lm_out)
    assert M.correlation(eo_in, eo_out) >= 0.85
    assert np.nanstd(eo_out) >= 0.7 * np.nanstd(eo_in)
    # each blink closes the output's eyes about as far as the person's (before: surprised kept the bank's open
    # eyes squeezed to a slit, 0.58 of the live blink's depth; ``RenderConfig.blink_from``)
    blink = eo_in < 0.6 * np.nanmedian(eo_in)
    assert blink.sum() >= 2  # the clip does blink
    depth_in = np.nanmedian(eo_in) - np.nanmean(eo_in[blink])
    depth_out = np.nanmedian(eo_out) - np.nanmean(eo_out[blink])
    assert depth_out >= 0.8 * depth_in, (depth_out, depth_in)


def test_rendered_iris_sits_where_the_live_gaze_puts_it(w009):
    """Sad lowers the lids; the eyeball under them stays where the person looks. A fresh tracker reads each eye's
    iris between its corners at the driving clip's place on average (before: the mesh's eye strip, which has no
    iris vertex, drew the iris where the lids' moves put it: the right iris 0.058 of the eye's width, 1.7 px, off
    the live gaze, a squint; now 0.027), and the gaze still follows the driving clip's."""
    from w2le_live.personal import metrics as M
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    tr = PersonalTranslator({"sad": banks["sad"]})
    frames = [f for f, _ in drives["neutral"]]
    out = [tr.translate(f, face, None, Controls("sad", 1.0)) for f, face in drives["neutral"]]
    lm_in, lm_out = M.track_landmarks(frames), M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    g_in, g_out = _eye_gaze(lm_in), _eye_gaze(lm_out)
    bias = np.abs(np.nanmean(g_out - g_in, 0))
    assert bias.max() < 0.035, bias
    assert M.correlation(M.gaze(lm_in), M.gaze(lm_out)) >= 0.93


def test_eyes_are_sampled_where_the_camera_shows_them(w009):
    """The tracker's smoothed landmarks trail the camera's pixels by about 0.6 frame of their motion, while the
    bank's brows and lid creases sit at the target: live eyes sampled at the smoothed place sat beside them by the
    head's lag, and a fresh tracker read that as gaze (W009 neutral from sad: the frames where she turns her head,
    55-64, read 0.05 too far right). ``geometry.lead_eyes`` puts the eye points back where the camera shows them
    (against a fresh unsmoothed re-track of the same frames, led 0.6 frame: the eye corners' mean error 0.25 ->
    0.06 px) and the renderer samples the lids and eyeballs there (led 0.45 frame): the re-tracked gaze follows the
    driving clip at 0.94 (before 0.90)."""
    from w2le_live.personal import geometry as G
    from w2le_live.personal import metrics as M
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    frames = [f for f, _ in drives["sad"]]
    smooth = np.stack([face.landmarks for _, face in drives["sad"]])
    raw = M.track_landmarks(frames)
    led = np.stack([smooth[0]] + [G.lead_eyes(smooth[i], smooth[i - 1], 0.6) for i in range(1, len(smooth))])
    corners = [33, 133, 362, 263]
    lag = np.abs(smooth[:, corners, :2] - raw[:, corners, :2]).mean()
    left = np.abs(led[:, corners, :2] - raw[:, corners, :2]).mean()
    assert lag > 0.1 and left < 0.5 * lag, (lag, left)

    tr = PersonalTranslator({"neutral": banks["neutral"]})
    out = [tr.translate(f, face, None, Controls("neutral", 1.0)) for f, face in drives["sad"]]
    lm_out = M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    assert M.correlation(M.gaze(raw), M.gaze(lm_out)) >= 0.93


def _shifted_gaze(g_in: np.ndarray, out: list, copies: int) -> list:
    """Re-tracked gaze correlations with g_in ((F,) float) of ``copies`` copies of ``out`` ((H, W, 3) uint8 BGR
    frames), each frame moved by a random sub-pixel amount (``metrics.shifted``, seeds 0 ...): a single reading
    moves by about +-0.02."""
    from w2le_live.personal import metrics as M

    return [M.correlation(g_in, M.gaze(M.track_landmarks(M.shifted(out, s)))) for s in range(copies)]


def _opening(lm: np.ndarray) -> float:
    """Median over frames of the eye opening: the 159-145 and 386-374 vertical lid gaps over the face width
    (234-454). lm: (F, 478, 2+) float32 re-tracked, NaN where no face."""
    gap = 0.5 * ((lm[:, 145, 1] - lm[:, 159, 1]) + (lm[:, 374, 1] - lm[:, 386, 1]))
    return float(np.nanmedian(gap / np.linalg.norm(lm[:, 454, :2] - lm[:, 234, :2], axis=-1)))


def test_rendered_lids_open_to_the_target_emotion(w009):
    """Neutral asked of sad, half-closed eyes opens them: a fresh tracker reads the output's eye opening at least a
    quarter of the way from the driving clip's (0.0645 face widths) to the actor's own neutral clip's (0.0772).
    Before: 0.0657, a tenth of the way (tired, sad eyes on a neutral face): the live aperture the lids are scaled
    against kept the sad clip's wider first frame for seconds (the target opened the lids 1.07x, not 1.15x), and
    the live eyeball, moved as one up and down too, kept the lids' dark inner margin where the live lids were
    (re-tracked 1.02x of the driving clip's; now 0.069, 1.07x, a third of the way)."""
    from w2le_live.personal import metrics as M
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    tr = PersonalTranslator({"neutral": banks["neutral"]})
    frames = [f for f, _ in drives["sad"]]
    out = [tr.translate(f, face, None, Controls("neutral", 1.0)) for f, face in drives["sad"]]
    lm_out = M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    sad, neutral = (
        _opening(M.track_landmarks(frames)),
        _opening(M.track_landmarks([f for f, _ in drives["neutral"]])),
    )
    assert neutral > 1.1 * sad  # the actor's sad eyes are narrower
    way = (_opening(lm_out) - sad) / (neutral - sad)
    assert way >= 0.25, (way, _opening(lm_out), sad, neutral)


@pytest.fixture(scope="module")
def happy_from_fear(shared_data):
    """(driving frames, happy outputs, the bank, the tracked driving pairs) of W009's happy bank (own happy clip,
    neutral clip as reference) driven by her fearful clip: wide live eyes asked for a calmer emotion, so the bank's
    lids go over them."""
    from mead_clips import track_clip

    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.personal import PersonalTranslator

    if not _clip(shared_data, "fear").is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    bank = enroll_file("happy", str(_clip(shared_data, "happy")), str(_clip(shared_data, "neutral")))
    tr = PersonalTranslator({"happy": bank})
    pairs = track_clip(_clip(shared_data, "fear"))
    return (
        [f for f, _ in pairs],
        [tr.translate(f, o, None, Controls("happy", 1.0)) for f, o in pairs],
        bank,
        pairs,
    )


def test_bank_lids_over_wide_eyes_keep_the_live_eyeball_and_blinks(happy_from_fear):
    """Happy asked of a fearful face takes the bank's narrower lids (``PersonalTranslator.narrow_eyes``); the live
    iris and the white around it (``RenderConfig.eyeball_reach``) and the eye corners (``corner_live``) stay the
    person's (render._live_eyeballs, _corner_keep). Before, a pasted live iris disk sat in the bank frame's eye,
    whose own corners the tracker read as they switched with the bank frame: re-tracked, the blinks followed the
    driving clip at 0.67 with 0.63 of their size; now 0.76 and 0.78. The gaze stays (0.85; on the benchmark's stored
    bank, averaged over four sub-pixel shifts of the output, 0.84 -> 0.86: the re-tracked gaze is noisy, an
    unchanged driving clip shifted by a random sub-pixel amount per frame reads only 0.93)."""
    from w2le_live.personal import metrics as M

    frames, out = happy_from_fear[:2]
    lm_in, lm_out = M.track_landmarks(frames), M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    eo_in, eo_out = M.eye_opening(lm_in), M.eye_opening(lm_out)
    both = np.isfinite(eo_in) & np.isfinite(eo_out)
    corr, size = M.correlation(eo_in, eo_out), np.std(eo_out[both]) / np.std(eo_in[both])
    assert corr >= 0.72 and size >= 0.7, (corr, size)
    assert M.correlation(M.gaze(lm_in), M.gaze(lm_out)) >= 0.8  # 0.85 (a run moves by +-0.02)


def test_bank_eyes_draw_their_own_iris_under_the_live_one(happy_from_fear, monkeypatch):
    """Under the bank's lids (happy from fear) the bank frame's eyeball moves as one so that its own iris lies
    under the target iris, where the live one is pasted (render._bank_eyeballs): the bank frame is chosen for its
    lids and brows and its gaze rarely matches the live one, and its iris, left where the mesh put it, showed
    beside the live one as a second iris edge (W009 frame 10: a grey ring and a white crescent). Spied on the
    renderer's own calls: the bank eye image's map takes the bank frame's iris centre to the target iris centre
    (before: up to several pixels off)."""
    from w2le_live.personal import render as R
    from w2le_live.personal import warp as W
    from w2le_live.translators.personal import PersonalTranslator

    _, _, bank, pairs = happy_from_fear
    seen: dict = {}
    errors: list = []
    xy, remap = R._MeshMaps.xy, W.remap_float

    def spy_xy(self, source, r0=0, r1=-1, c0=0, c1=-1):
        m = xy(self, source, r0, r1, c0, c1)
        if c1 != -1:  # the eye band's map (the mouth's is cut from whole rows)
            seen["map"], seen["at"] = m, (self.grid.x0 + c0, self.grid.y0 + r0, source, self.target)
        return m

    def spy_remap(image, maps, *a, **k):
        if maps is seen.get("map"):
            x, y, source, target = seen["at"]
            for c in (468, 473):
                u, v = target[c, :2] - np.array([x, y], np.float32)
                i, j = int(v), int(u)
                fy, fx = v - i, u - j
                q = maps[i : i + 2, j : j + 2].astype(np.float64)
                at = (q[0, 0] * (1 - fx) + q[0, 1] * fx) * (1 - fy) + (q[1, 0] * (1 - fx) + q[1, 1] * fx) * fy
                errors.append(float(np.linalg.norm(at - source[c, :2])))
        return remap(image, maps, *a, **k)

    monkeypatch.setattr(R._MeshMaps, "xy", spy_xy)
    monkeypatch.setattr(W, "remap_float", spy_remap)
    tr = PersonalTranslator({"happy": bank})
    for f, o in pairs[:64]:
        tr.translate(f, o, None, Controls("happy", 1.0))
    assert len(errors) >= 2 * 40, len(errors)  # the bank's lids went over most frames
    assert max(errors) < 0.1, max(errors)


def test_live_shading_around_bank_lids_keeps_the_gaze_and_the_smile(happy_from_fear, shared_data):
    """Happy asked of a fearful face: around the bank's narrower lids the live face's shading, not the bank frames'
    (``render._eye_surround``). Their sockets and creases belong to narrower eyes and switch with the bank frame,
    and a fresh tracker read the eye corners partly off them, pulled along with the iris. The re-tracked gaze, as
    the mean over the output and three copies shifted by a random sub-pixel amount per frame (a single reading
    moves by about +-0.02), follows the driving clip at 0.885 (before 0.868), and facex reads p(happy) 0.63
    (before 0.55)."""
    from w2le_live.face.masks import crop_face
    from w2le_live.models.facex_judge import FacexJudge
    from w2le_live.personal import metrics as M

    frames, out, _, pairs = happy_from_fear
    g_in = M.gaze(M.track_landmarks(frames))
    lm_out = M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    reads = [M.correlation(g_in, M.gaze(lm_out))]
    reads += _shifted_gaze(g_in, out, 3)
    assert np.mean(reads) >= 0.876, reads
    judge = FacexJudge(shared_data / "models" / "facex" / "model_optimized.tflite")
    crops = [crop_face(f, o.box, 200)[0] for f, (_, o) in zip(out[::2], pairs[::2]) if o is not None]
    p = float(np.mean([judge.prob(c, "happy") for c in crops]))
    assert p >= 0.59, p


def test_bank_open_eyes_where_the_emotion_opens_narrow_live_eyes(happy_from_fear, shared_data):
    """Happy asked of W009's angry face opens her lids 1.23-1.36x (``PersonalTranslator.open_eyes``): the eye is
    drawn from the bank (its open eye, lids at the target, the live iris where the live lids show it), not the live
    eye stretched. Before: a fresh tracker read the stretched eye narrower than the target (0.68 of the way from
    the driving clip's opening to her own happy clip's; now 0.86) and its gaze at 0.886 (mean over the output and
    three sub-pixel-shifted copies; now 0.923). The lids still move with hers (opening correlation 0.95 before,
    0.82 now: the bank's eye carries its own opening where the stretched one followed the live lids)."""
    from mead_clips import track_clip

    from w2le_live.personal import metrics as M
    from w2le_live.translators.personal import PersonalTranslator

    if not _clip(shared_data, "angry").is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    bank = happy_from_fear[2]
    pairs = track_clip(_clip(shared_data, "angry"))
    tr = PersonalTranslator({"happy": bank})
    out = [tr.translate(f, o, None, Controls("happy", 1.0)) for f, o in pairs]
    lm_in, lm_out = M.track_landmarks([f for f, _ in pairs]), M.track_landmarks(out)
    assert np.isfinite(lm_out[:, 0, 0]).mean() > 0.95
    g_in = M.gaze(lm_in)
    reads = [M.correlation(g_in, M.gaze(lm_out))]
    reads += _shifted_gaze(g_in, out, 3)
    assert np.mean(reads) >= 0.905, reads
    real = M.track_landmarks([f for f, _ in track_clip(_clip(shared_data, "happy"))])
    eo_in, eo_out, eo_real = M.eye_opening(lm_in), M.eye_opening(lm_out), M.eye_opening(real)
    assert np.nanmedian(eo_real) > 1.2 * np.nanmedian(
        eo_in
    )  # her angry eyes are narrower than her happy ones
    way = (np.nanmedian(eo_out) - np.nanmedian(eo_in)) / (np.nanmedian(eo_real) - np.nanmedian(eo_in))
    assert way >= 0.77, way
    assert M.correlation(eo_in, eo_out) >= 0.72 and np.nanstd(eo_out) >= 0.7 * np.nanstd(eo_in)


def test_lids_open_past_twice_only_where_the_bank_eye_is_drawn():
    """The lids' ratio (the emotion's aperture over the live one) stops at 2 for a live eye stretched to the target
    lids; a bank eye is not stretched, so where it is drawn the lids may open to ``lid_max`` (a person whose calm
    eyes are 2.5x their current ones gets calm eyes, not tired ones)."""
    from w2le_live.personal import geometry as G

    rng = np.random.default_rng(0)
    live = rng.normal(0.0, 0.3, (478, 3)).astype(np.float32)
    live[[159, 386], 1] = -0.01  # upper lids above the lower ones
    live[[145, 374], 1] = 0.01
    zero = np.zeros((478, 3), np.float32)
    ratio = np.array([2.5, 1.5], np.float32)
    base = G.lid_apertures(live)
    stretched = G.lid_apertures(G.apply_offset(live, zero, 1.0, lid_ratio=ratio)) / base
    drawn = G.lid_apertures(G.apply_offset(live, zero, 1.0, lid_ratio=ratio, lid_max=3.0)) / base
    np.testing.assert_allclose(stretched, [2.0, 1.5], rtol=1e-4)
    np.testing.assert_allclose(drawn, [2.5, 1.5], rtol=1e-4)


def test_lids_move_by_the_persons_own_amount_about_the_emotions_opening(w009):
    """An emotion that opens the eyes 2x (M030's calm eyes over his sad squint) must not make every lid motion 2x
    the person's: his 20 % squint became a 20 % squint of the wider eye, the lids moving 1.5-2.4x as far as his
    (``docs/personal/hd.md``). On W009's real neutral clip, the target lids for a 2x emotion
    (``geometry.lid_motion_ratio``): open frames move by her own amount (the plain ratio: 2x), the eyes open 2x
    at her mean aperture, and her blinks still close them."""
    from w2le_live.personal import geometry as G

    _, drives = w009
    raw = np.stack([face.landmarks for _, face in drives["neutral"]])
    live = G.normalise(raw, G.build_template(raw))
    ap = G.lid_apertures(live)  # (F, 2)
    mean = ap.mean(0)
    ratio = np.array([2.0, 2.0], np.float32)
    zero = np.zeros((478, 3), np.float32)

    def target(share):
        return np.stack([
            G.lid_apertures(G.apply_offset(ln, zero, 1.0, lid_ratio=ratio, lid_max=3.0, lid_live=a / mean,
                                           lid_motion=share))
            for ln, a in zip(live, ap)
        ])  # fmt: skip

    kept, plain = target(1.0), target(0.0)
    np.testing.assert_allclose(plain, 2.0 * ap, rtol=1e-4)  # share 0: the plain ratio, as before
    open_ = (ap > 0.9 * mean).all(1)
    assert open_.sum() > 30  # she keeps her eyes open most of the clip
    for eye in (0, 1):
        live_sd, kept_sd = ap[open_, eye].std(), kept[open_, eye].std()
        assert 0.8 * live_sd <= kept_sd <= 1.25 * live_sd, (eye, kept_sd / live_sd)  # plain: 2.0
        assert plain[open_, eye].std() > 1.8 * live_sd
        # the emotion's opening: 2x her mean aperture, reached at it (open frames sit above it)
        assert 1.7 * mean[eye] <= np.median(kept[open_, eye]) <= 2.2 * mean[eye]
        # her blinks (the smoothed tracker's: down to 0.33-0.6 of the mean) still close the wider eye, by more than
        # her own depth (a blink closes it) but less than the plain ratio's 2x
        blink = ap[:, eye] < 0.6 * mean[eye]
        assert blink.sum() >= 2
        depth = np.median(ap[open_, eye]) - ap[blink, eye].mean()
        kept_depth = np.median(kept[open_, eye]) - kept[blink, eye].mean()
        assert 1.0 * depth <= kept_depth <= 1.7 * depth, (eye, kept_depth / depth)
    order = np.argsort(ap[:, 0])
    assert (np.diff(kept[order, 0]) >= -1e-6).all()  # a wider live eye never gives a narrower target


@pytest.mark.parametrize("motion, lo, hi", [(1.0, 0.85, 1.12), (0.0, 1.15, 1.6)])
def test_translator_lids_move_by_the_persons_amount(w009, motion, lo, hi):
    """The translator's own target lids (W009 surprised from her neutral clip: the emotion opens her eyes ~1.25x):
    on her open frames they move by her amount with ``lid_motion`` 1, by the ratio times it with 0 (as before)."""
    from w2le_live.personal import geometry as G
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    tr = PersonalTranslator({"surprised": banks["surprised"]})
    tr.lid_motion = motion
    live, target = [], []
    for _, face in drives["neutral"]:
        pose, tn, _ = tr.target_geometry(face.landmarks, "surprised", 1.0)
        live.append(G.lid_apertures(pose.to_norm(face.landmarks)))
        target.append(G.lid_apertures(tn))
    live, target = np.stack(live)[25:], np.stack(target)[25:]  # past the running reference's first second
    open_ = (live > 0.9 * live.mean(0)).all(1)
    assert target[open_].mean() > 1.1 * live[open_].mean()  # surprise opens them
    sd = target[open_].std(0) / live[open_].std(0)
    assert (lo <= sd).all() and (sd <= hi).all(), sd


@pytest.mark.parametrize("fade, jumps", [(None, False), (0, True)])
def test_the_banks_eye_does_not_jump_at_a_switch(w009, fade, jumps):
    """Where the bank's eye is drawn (surprised: always), a change of its frame must not show as a jump: each bank
    frame's lashes, crease and lid margin, warped onto the same target lids, differ, and unfaded every switch read
    as a jump (held-out M030's 720p eyes: the lids' motion read 2.1x his, ``docs/personal/gaze.md`` session 20).
    W009 surprised from neutral: at each switch (not a step to the take's next frame) the eyes' frame-to-frame
    change over the camera's, median over the switches: 2.6 unfaded (asserted, so the measure can fail), 1.5 with
    the default 3-frame cross-fade; over the whole clip 1.4-1.5 either way."""
    import cv2

    from w2le_live.personal.bank import RetrievalConfig
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    cfg = RetrievalConfig() if fade is None else RetrievalConfig(upper_fade_frames=fade)
    tr = PersonalTranslator({"surprised": banks["surprised"]}, retrieval_cfg=cfg)
    ret, chosen = tr._retrievers["surprised"], []
    choose = ret.choose_upper

    def recorded(target):
        out = choose(target)
        chosen.append(out[0][0])
        return out

    ret.choose_upper = recorded
    drive = drives["neutral"]
    out = [tr.translate(fr, face, None, Controls("surprised", 1.0)) for fr, face in drive]
    assert len(chosen) == len(out)  # the bank's eye on every frame
    pts = np.stack([face.landmarks for _, face in drive])[:, [33, 133, 362, 263, 159, 145, 386, 374], :2]
    (x0, y0), (x1, y1) = (pts.min((0, 1)) - [6, 8]).astype(int), (pts.max((0, 1)) + [6, 8]).astype(int)

    def change(frames, i):  # mean absolute grey change of the eyes' box from frame i - 1 to i
        a, b = (
            cv2.cvtColor(frames[j][y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32) for j in (i - 1, i)
        )
        return float(np.abs(b - a).mean())

    cam = [fr for fr, _ in drive]
    d_cam = {i: change(cam, i) for i in range(1, len(out))}  # the camera's own change, once per frame
    d_out = {i: change(out, i) for i in range(1, len(out))}
    switches = [i for i in range(1, len(chosen)) if chosen[i] not in (chosen[i - 1], chosen[i - 1] + 1)]
    assert len(switches) >= 8  # the gaze-matched choice does switch on this clip
    at_switch = np.median([d_out[i] / d_cam[i] for i in switches])
    overall = np.median(list(d_out.values())) / np.median(list(d_cam.values()))
    if jumps:
        assert at_switch > 2.2, at_switch
    else:
        assert at_switch < 1.9, at_switch
        assert overall < 1.7, overall


@pytest.mark.parametrize("align, follows", [(True, True), (False, False)])
def test_the_banks_iris_lies_under_the_live_one(w009, align, follows):
    """Surprised draws the bank's eye on every frame, the live iris pasted over it. Each bank frame's eyeball is
    moved as one so its own iris lies under the live one (``RenderConfig.bank_iris_align``, now for surprised and
    fear too). Unaligned, the gaze-matched frame's iris lay beside the live one, its edge widening the iris, and the
    cross-fade of two frames blended two irises at two places. W009 surprised from neutral, re-tracked gaze, mean
    over four sub-pixel-shifted copies of the output: here 0.912 unaligned (asserted, so the measure can fail) and
    0.933 aligned; the benchmark's clip 0.900 and 0.925 (``docs/personal/gaze.md``, session 21)."""
    import dataclasses

    from w2le_live.personal import metrics as M
    from w2le_live.personal.render import RenderConfig
    from w2le_live.translators.personal import PersonalTranslator

    banks, drives = w009
    cfg = dataclasses.replace(RenderConfig(), bank_iris_align=align)
    tr = PersonalTranslator({"surprised": banks["surprised"]}, render_cfg=cfg)
    frames = [f for f, _ in drives["neutral"]]
    out = [tr.translate(f, face, None, Controls("surprised", 1.0)) for f, face in drives["neutral"]]
    g_in = M.gaze(M.track_landmarks(frames))
    read = np.mean(_shifted_gaze(g_in, out, 4))
    if follows:
        assert read >= 0.922, read
    else:
        assert read < 0.922, read


def test_a_squinting_live_eye_lends_no_lid_to_the_wide_iris(shared_data):
    """Wide eyes asked of narrower live ones (W009's fear bank driven by her angry clip: her angry eyes 0.057 face
    widths open, her fear 0.091): the live iris disk, pasted whole at the target iris, brought the live upper lid's
    skin into the top of the wide iris, a brown band (``docs/personal/gaze.md``, session 23). Pasted only where the
    live lids show it (``RenderConfig.iris_live_lids``), the bank's aligned iris shows there instead: over the
    pixels the two renders differ in (> 12 levels; ~50 a frame, in every frame), darker (grey 50 against 58) and
    less red (R - B 16 against 21)."""
    from mead_clips import track_clip

    from w2le_live.personal.enroll import enroll_file
    from w2le_live.personal.render import RenderConfig
    from w2le_live.translators.personal import PersonalTranslator

    if not _clip(shared_data, "fear").is_file() or not _clip(shared_data, "angry").is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    bank = enroll_file("fear", str(_clip(shared_data, "fear")), str(_clip(shared_data, "neutral")))
    pairs = track_clip(_clip(shared_data, "angry"))[:40]
    outs = {}
    for flag in (True, False):
        tr = PersonalTranslator({"fear": bank}, render_cfg=RenderConfig(iris_live_lids=flag))
        outs[flag] = np.stack([tr.translate(f, o, None, Controls("fear", 1.0)) for f, o in pairs]).astype(np.float32)
    on, off = outs[True], outs[False]
    moved = np.abs(on - off).max(-1) > 12
    per_frame = moved.reshape(len(pairs), -1).sum(1)
    assert (per_frame > 0).all() and per_frame.mean() >= 20, per_frame
    grey_on, grey_off = on.mean(-1)[moved].mean(), off.mean(-1)[moved].mean()
    red_on, red_off = (on[..., 2] - on[..., 0])[moved].mean(), (off[..., 2] - off[..., 0])[moved].mean()
    assert grey_on <= grey_off - 4, (grey_on, grey_off)
    assert red_on <= red_off - 2.5, (red_on, red_off)
    assert RenderConfig().iris_live_lids  # and it is the default
