"""A sharp mouth on a face nobody tuned on (docs/personal/stranger.md, defect 2): MEAD M003's disgusted bank, enrolled
without a neutral reference from his disgusted clip, driven by his happy clip (a smile showing both rows of teeth,
while his disgusted frames show the upper row, fewer and softer). Where the bank frame's teeth fall short of the live
ones the renderer kept a part of the live inside over the bank's: two sets of teeth cross-faded in one opening, read
as a smear (mouth sharpness 0.80 x the driving clip, 6 % of frames below 0.5). The clips go the bench's way
(``bench_personal_stranger.py``: cut to 256x256, x264 crf 12, enrolled and stored as a profile)."""

from __future__ import annotations

import numpy as np
import pytest

from w2le_live.translators.base import Controls

CLIPS = {"happy": "M003_level_1_happy_024.mp4", "disgusted": "M003_level_1_disgusted_015.mp4"}
FACE_SHARE = 0.565  # face width / crop side, as in the M030/W009 256x256 crops (bench_personal_stranger.py)


def _cropped(path, out) -> None:
    """Writes the 1920x1080 clip at ``path`` cut to a fixed square around the face (FACE_SHARE) and scaled to 256x256
    into the mp4 ``out`` (x264 crf 12), as the bench does."""
    import cv2

    from w2le_live.io.video import VideoWriter, iter_frames
    from w2le_live.personal import metrics as M

    frames = [f for _, _, f in iter_frames(path)]
    lm = M.track_landmarks(frames[::6])
    lm = lm[np.isfinite(lm[:, 0, 0])]
    fw = float(np.median(np.linalg.norm(lm[:, 454, :2] - lm[:, 234, :2], axis=1)))
    cx, cy = (float(np.median(lm[:, :, k].mean(axis=1))) for k in (0, 1))
    side = int(round(fw / FACE_SHARE))
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    with VideoWriter(out, 25.0, (256, 256), crf=12) as w:
        for f in frames:
            pad = cv2.copyMakeBorder(f, side, side, side, side, cv2.BORDER_REPLICATE)
            part = pad[y0 + side : y0 + 2 * side, x0 + side : x0 + 2 * side]
            w.write(cv2.resize(part, (256, 256), interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def run(shared_data, tmp_path_factory):
    import os

    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames
    from w2le_live.personal import metrics as M
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.personal.profiles import save_bank
    from w2le_live.translators.personal import PersonalTranslator

    paths = {e: shared_data / "mead" / n for e, n in CLIPS.items()}
    if not all(p.is_file() for p in paths.values()):
        pytest.skip(f"the M003 clips are not in {shared_data / 'mead'}")
    tmp = tmp_path_factory.mktemp("mouth_stranger")
    clips = {e: tmp / f"M003_{e}.mp4" for e in CLIPS}
    for e in CLIPS:
        _cropped(paths[e], clips[e])
    old = os.environ.get("W2LE_DATA_DIR")
    os.environ["W2LE_DATA_DIR"] = str(tmp / "data")
    try:
        save_bank("M003-disgusted", enroll_file("disgusted", str(clips["disgusted"]), neutral=None))
        pt = PersonalTranslator.from_profile("M003-disgusted")
    finally:
        if old is None:
            del os.environ["W2LE_DATA_DIR"]
        else:
            os.environ["W2LE_DATA_DIR"] = old
    drive = [f for _, _, f in iter_frames(clips["happy"])]
    with FaceTracker() as tr:
        faces = [tr.process(f, i / 25.0) for i, f in enumerate(drive)]
    out = [pt.translate(f, o, None, Controls("disgusted", 1.0)) for f, o in zip(drive, faces)]
    lm_d = M.track_landmarks(drive)
    sharp = M.mouth_sharpness(drive, out, lm_d)
    return {
        "sharp": sharp[np.isfinite(sharp)],
        "lips": M.correlation(M.lip_opening(lm_d), M.lip_opening(M.track_landmarks(out))),
    }


def test_the_mouth_is_not_smeared(run):
    """Issue 18's bar: mouth sharpness median >= 0.85 x the driving clip's, at most 5 % of frames below 0.5 (main:
    0.80, 6 %: the live teeth cross-faded with the bank frame's)."""
    s = run["sharp"]
    assert len(s) >= 60, len(s)  # the whole 2.5-s clip was measured
    assert np.median(s) >= 0.85 and np.mean(s < 0.5) <= 0.05, (np.median(s), np.mean(s < 0.5))


def test_the_lips_still_follow(run):
    assert run["lips"] >= 0.95, run["lips"]
