"""Face tracking, box-smoothing jitter, paste-back and the landmark translator on a real clip.

    python benchmarks/bench_face.py [CLIP] [--out out/bench]

Prints medians (ms per frame) at 640x480 and 1280x720, box jitter raw vs smoothed, and the landmark
translator's cost on top of tracking (the issue's budget: <= 6 ms tracking, <= 8 ms translation at 640x480).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "talking" / "web" / "retalking_1.mp4"


def main() -> None:
    import cv2

    from w2le_live.config import TrackerConfig
    from w2le_live.face.blend import paste_back
    from w2le_live.face.masks import crop_face, face_oval_mask
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.frame_step import FrameStep
    from w2le_live.io.video import iter_frames
    from w2le_live.translators.base import Controls
    from w2le_live.translators.landmark import LandmarkTranslator

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip", nargs="?", default=str(DEFAULT_CLIP))
    ap.add_argument("--out", default="out/bench_face")
    ap.add_argument("--frames", type=int, default=150)
    args = ap.parse_args()
    frames = []
    for i, t, f in iter_frames(args.clip):
        frames.append((t, f))
        if i + 1 >= args.frames:
            break
    res: dict[str, float] = {}
    for w, h in ((640, 480), (1280, 720)):
        track, lm_ms, paste_ms = [], [], []
        tr = LandmarkTranslator()
        controls = Controls("happy", 1.0)
        with FaceTracker() as tk:
            step = FrameStep(tk, tr)  # the runtime's own per-frame step; its stage times
            for i, (t, f) in enumerate(frames):
                img = cv2.resize(f, (w, h))
                r = step(img, t, controls, i)
                track.append(r.ms["track"])
                if r.face is None:
                    continue
                face = r.face
                lm_ms.append(r.ms["translate"])
                crop, _ = crop_face(img, face.box)
                s = time.perf_counter()
                paste_back(img, crop, face.box, face_oval_mask(img.shape, face.landmarks))
                paste_ms.append((time.perf_counter() - s) * 1000)
        for name, v in (
            ("track", track[5:]),
            ("landmark_translate", lm_ms[5:]),
            ("paste_back", paste_ms[5:]),
        ):
            res[f"{name}_ms_{w}x{h}"] = float(np.median(v))
            print(f"{name:20s} {w}x{h}: median {np.median(v):6.2f} ms  p95 {np.percentile(v, 95):6.2f} ms")
    # jitter: One-Euro smoothed box vs the raw per-frame box
    raw, smooth = [], []
    with FaceTracker() as a, FaceTracker(TrackerConfig(box_min_cutoff=1e6, landmark_min_cutoff=1e6)) as b:
        for t, f in frames:
            fa, fb = a.process(f, t), b.process(f, t)
            if fa and fb:
                smooth.append([(fa.box[0] + fa.box[2]) / 2, (fa.box[1] + fa.box[3]) / 2, fa.size])
                raw.append([(fb.box[0] + fb.box[2]) / 2, (fb.box[1] + fb.box[3]) / 2, fb.size])
    raw, smooth = np.array(raw), np.array(smooth)
    jr, js = np.diff(raw, 2, axis=0).std(axis=0), np.diff(smooth, 2, axis=0).std(axis=0)
    lag = np.abs(smooth - raw).mean(axis=0)
    print(
        f"box jitter (std of 2nd difference, px) cx/cy/size: raw {np.round(jr, 2)} -> smoothed {np.round(js, 2)}"
    )
    print(f"mean |smoothed - raw| (px) cx/cy/size: {np.round(lag, 2)} (face size ~{raw[:, 2].mean():.0f} px)")
    res.update(
        {"jitter_raw_px": jr.tolist(), "jitter_smoothed_px": js.tolist(), "mean_offset_px": lag.tolist()}
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "face.json").write_text(json.dumps(res, indent=2))
    print(f"wrote {out / 'face.json'}")


if __name__ == "__main__":
    main()
