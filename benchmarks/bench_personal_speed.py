"""Personal translator speed with a LARGE face: median ms of ``translate()`` per 640x480 frame (tracking excluded).

    python benchmarks/bench_personal_speed.py [--actor W009]     (from the repository root; MEAD clips from
                                                                   ../shared/data or $W2LE_SHARED_DATA)

The actor's 256x256 neutral clip is scaled to fill the 480-px height of a 640x480 frame (a face ~290 px wide, a
webcam user close to the camera), banks are enrolled from the actor's happy and surprised clips, and each frame is
translated twice over; the first 20 timings are warm-up. ``bench_personal.py`` times a smaller face (0.6 of the
height). Run it on two checkouts back to back to compare renderers (PYTHONPATH=<checkout>).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def _data() -> Path:
    env = os.environ.get("W2LE_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _place(frame: np.ndarray) -> np.ndarray:
    """(256, 256, 3) uint8 BGR -> (480, 640, 3) uint8 BGR, the clip scaled to 480x480 and centred."""
    import cv2

    big = cv2.resize(frame, (480, 480), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((480, 640, 3), np.uint8)
    out[:, 80:560] = big
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actor", default="W009")
    args = ap.parse_args()
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.base import Controls
    from w2le_live.translators.personal import PersonalTranslator

    mead = _data() / "mead"
    neutral = str(mead / f"{args.actor}_front_neutral_level1_001.mp4")
    frames = [_place(f) for _, _, f in iter_frames(neutral)]
    with FaceTracker() as tr:
        faces = [tr.process(f, i / 25) for i, f in enumerate(frames)]
    res = {}
    for emo in ("happy", "surprised"):
        bank = enroll_file(emo, str(mead / f"{args.actor}_front_{emo}_level3_001.mp4"), neutral=neutral)
        pt = PersonalTranslator({emo: bank})
        controls, ms = Controls(emo, 1.0), []
        for _ in range(2):
            for f, face in zip(frames, faces):
                t = time.perf_counter()
                pt.translate(f, face, None, controls)
                ms.append((time.perf_counter() - t) * 1e3)
        res[emo] = round(float(np.median(ms[20:])), 2)
    width = float(np.median([np.linalg.norm(x.landmarks[234, :2] - x.landmarks[454, :2]) for x in faces if x]))
    print({"actor": args.actor, "face_px": round(width), "ms_per_frame": res})


if __name__ == "__main__":
    main()
