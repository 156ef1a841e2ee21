"""The personal translator on a MEAD actor nobody tuned on (M003, docs/personal/stranger.md): his happy bank, enrolled
from his 2.5-s happy clip WITHOUT a neutral reference (the offset is then fitted on the live face's first second),
driven by his disgusted clip. The mouth must stay sharp, the lips follow, the facex judge read happy, and the
disgusted brows be lifted towards his happy ones (the live expression undone, not only the mouth changed)."""

from __future__ import annotations

import numpy as np
import pytest

from w2le_live.translators.base import Controls

CLIPS = {"happy": "M003_level_1_happy_024.mp4", "disgusted": "M003_level_1_disgusted_015.mp4"}


def _cropped(path) -> list:
    """The 1920x1080 clip cut to a fixed square around the face (1.77 face widths) and scaled to 256x256."""
    import cv2

    from w2le_live.io.video import iter_frames
    from w2le_live.personal import metrics as M

    frames = [f for _, _, f in iter_frames(path)]
    lm = M.track_landmarks(frames[::8])
    lm = lm[np.isfinite(lm[:, 0, 0])]
    fw = float(np.median(np.linalg.norm(lm[:, 454, :2] - lm[:, 234, :2], axis=1)))
    cx, cy = (float(np.median(lm[:, :, k].mean(axis=1))) for k in (0, 1))
    side = int(fw / 0.565)
    x0, y0 = int(cx - side / 2), int(cy - side / 2)
    return [
        cv2.resize(f[y0 : y0 + side, x0 : x0 + side], (256, 256), interpolation=cv2.INTER_AREA)
        for f in frames
    ]


def _brow(lm: np.ndarray) -> float:
    """Mean brow height over the eyes (105/334 above 159/386) in face widths, lm (F, 478, 3)."""
    fw = np.linalg.norm(lm[:, 454, :2] - lm[:, 234, :2], axis=1)
    return float(np.nanmean(((lm[:, 159, 1] - lm[:, 105, 1]) + (lm[:, 386, 1] - lm[:, 334, 1])) / fw))


@pytest.fixture(scope="module")
def run(shared_data):
    from w2le_live.face.masks import crop_face
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.models.facex_judge import FacexJudge
    from w2le_live.personal import metrics as M
    from w2le_live.personal.enroll import enroll_frames
    from w2le_live.translators.personal import PersonalTranslator

    paths = {e: shared_data / "mead" / n for e, n in CLIPS.items()}
    if not all(p.is_file() for p in paths.values()):
        pytest.skip(f"the M003 clips are not in {shared_data / 'mead'}")
    happy, drive = _cropped(paths["happy"]), _cropped(paths["disgusted"])
    bank = enroll_frames("happy", happy, "M003 happy", neutral_frames=None)
    assert bank.offset is None  # no neutral reference: the translator fits it on the live face
    pt = PersonalTranslator({"happy": bank})
    with FaceTracker() as tr:
        faces = [tr.process(f, i / 25) for i, f in enumerate(drive)]
    with FaceTracker() as tr:
        happy_faces = [tr.process(f, i / 25) for i, f in enumerate(happy)]
    out = [pt.translate(f, o, None, Controls("happy", 1.0)) for f, o in zip(drive, faces)]
    judge = FacexJudge(shared_data / "models" / "facex" / "model_optimized.tflite")

    def p_happy(frames, obs):
        return float(np.mean([judge.prob(crop_face(f, o.box, 200)[0], "happy")
                              for f, o in zip(frames[::2], obs[::2]) if o is not None]))  # fmt: skip

    lm_d, lm_o, lm_h = M.track_landmarks(drive), M.track_landmarks(out), M.track_landmarks(happy)
    sharp = M.mouth_sharpness(drive, out, lm_d)
    return {
        "sharp": sharp[np.isfinite(sharp)],
        "lips": M.correlation(M.lip_opening(lm_d), M.lip_opening(lm_o)),
        "p": p_happy(out, faces),
        "p_own": p_happy(happy, happy_faces),
        "brow": (_brow(lm_d), _brow(lm_o), _brow(lm_h)),
    }


def test_mouth_stays_sharp(run):
    assert np.median(run["sharp"]) >= 0.85 and np.mean(run["sharp"] < 0.5) <= 0.05, run["sharp"]


def test_lips_follow_the_live_mouth(run):
    assert run["lips"] >= 0.95


def test_judge_reads_happy_from_disgusted(run):
    assert run["p"] >= 0.6 * run["p_own"], (run["p"], run["p_own"])


def test_disgusted_brows_are_lifted_towards_his_happy_ones(run):
    drive, out, own = run["brow"]
    assert own > drive + 0.02  # the two takes differ (disgust pulls the brows down)
    assert out >= drive + 0.5 * (own - drive), run["brow"]
