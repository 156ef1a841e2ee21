"""The personal translator on MEAD actors: emotion judges, lip sync, flicker, seams, speed, enrolment time.

    python benchmarks/bench_personal.py [--actors M030 W009] [--out docs/personal] [--speed-frames 100]

For each actor and target the bank comes from the actor's own emotion clip (level 3) with the neutral clip as
the neutral reference, and the actor's neutral clip drives it; ``neutral`` is enrolled from the neutral clip
and driven by the sad clip (calibrated on its first second). The landmark translator runs on the same frames.
Writes ``results.json`` and grids ``driving | personal | landmark | real emotion`` into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def _shared() -> Path:
    env = os.environ.get("W2LE_SHARED_DATA")
    if env:
        return Path(env)
    for p in Path(__file__).resolve().parents:
        if (p / "shared" / "data").is_dir():
            return p / "shared" / "data"
    return Path("shared/data")


MEAD = _shared() / "mead"
TARGETS = ("happy", "surprised", "sad", "angry", "neutral")


def clip(actor: str, emotion: str) -> Path:
    level = 1 if emotion == "neutral" else 3
    return MEAD / f"{actor}_front_{emotion}_level{level}_001.mp4"


def tracked(path: Path) -> list:
    """[(frame, face or None)] for a clip with a fresh tracker."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames

    out = []
    with FaceTracker() as tr:
        for _, t, f in iter_frames(path):
            out.append((f, tr.process(f, t)))
    return out


def judge_mean(judge, pairs, target: str, size: int) -> float:
    from w2le_live.face.masks import crop_face

    return float(np.mean([judge.prob(crop_face(f, face.box, size)[0], target) for f, face in pairs if face]))


def evaluate(actor: str, target: str, judges: dict, cache: dict) -> tuple[dict, list]:
    from w2le_live.face.masks import face_oval_mask
    from w2le_live.personal import metrics as M
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.base import Controls
    from w2le_live.translators.landmark import LandmarkTranslator
    from w2le_live.translators.personal import PersonalTranslator

    drive_emotion = "sad" if target == "neutral" else "neutral"
    t0 = time.perf_counter()
    bank = enroll_file(target, str(clip(actor, target)),
                       neutral=None if target == "neutral" else str(clip(actor, "neutral")))  # fmt: skip
    enroll_s = time.perf_counter() - t0
    key = (actor, drive_emotion)
    if key not in cache:
        cache[key] = tracked(clip(actor, drive_emotion))
    if (actor, target) not in cache:
        cache[(actor, target)] = tracked(clip(actor, target))
    drive, real = cache[key], cache[(actor, target)]
    pt, lt = PersonalTranslator({target: bank}), LandmarkTranslator()
    c = Controls(target, 1.0)
    outs_p, outs_l, ms = [], [], []
    for f, face in drive:
        t1 = time.perf_counter()
        outs_p.append(pt.translate(f, face, None, c))
        ms.append((time.perf_counter() - t1) * 1e3)
        outs_l.append(lt.translate(f, face, None, c))
    faces = [face for _, face in drive]
    row = {"actor": actor, "target": target, "driving": drive_emotion, "bank_frames": len(bank),
           "enroll_s": round(enroll_s, 2), "ms_256": round(float(np.median(ms)), 2)}  # fmt: skip
    for jn, (judge, size) in judges.items():
        row[f"{jn}_input"] = judge_mean(judge, drive, target, size)
        row[f"{jn}_personal"] = judge_mean(judge, list(zip(outs_p, faces)), target, size)
        row[f"{jn}_landmark"] = judge_mean(judge, list(zip(outs_l, faces)), target, size)
        row[f"{jn}_real"] = judge_mean(judge, real, target, size)
    ins = [f for f, _ in drive]
    gap_in = M.mouth_opening(ins)
    row["lip_corr_personal"] = M.correlation(gap_in, M.mouth_opening(outs_p))
    row["lip_corr_landmark"] = M.correlation(gap_in, M.mouth_opening(outs_l))
    masks = [face_oval_mask(f.shape, face.landmarks) if face else np.zeros(f.shape[:2], np.uint8) for f, face in drive]
    row["flicker_input"] = M.flicker(ins, masks)
    row["flicker_personal"] = M.flicker(outs_p, masks)
    g = np.array([M.boundary_gradient(a, b) for a, b in zip(ins[::5], outs_p[::5])])
    row["seam_ratio"] = float(np.nanmean(g[:, 1]) / np.nanmean(g[:, 0]))
    n = len(drive)
    picks = [n // 6, n // 2, 5 * n // 6]
    rows = [np.hstack([ins[k], outs_p[k], outs_l[k], real[min(k, len(real) - 1)][0]]) for k in picks]
    return row, rows


def speed(actor: str, frames: int) -> dict:
    """ms per 640x480 frame on top of tracking (happy and surprised), and enrolment processing of 20 s."""
    import cv2

    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames
    from w2le_live.personal.enroll import enroll_frames
    from w2le_live.translators.base import Controls
    from w2le_live.translators.personal import PersonalTranslator

    def big(f):
        out = np.zeros((480, 640, 3), np.uint8)
        out[10:470, 90:550] = cv2.resize(f, (460, 460), interpolation=cv2.INTER_CUBIC)
        return out

    def looped(path, n):
        src = [big(f) for _, _, f in iter_frames(path)]
        for i in range(n):
            k = i % (2 * len(src) - 2)
            yield src[k if k < len(src) else 2 * len(src) - 2 - k]  # ping-pong: continuous motion

    res = {}
    for emo in ("happy", "surprised"):
        t0 = time.perf_counter()
        bank = enroll_frames(emo, looped(clip(actor, emo), 500), "20 s")
        res[f"enroll_20s_640x480_{emo}_s"] = round(time.perf_counter() - t0, 2)
        pt = PersonalTranslator({emo: bank})
        ms, track_ms = [], []
        with FaceTracker() as tr:
            for i, f in enumerate(looped(clip(actor, "neutral"), frames)):
                t1 = time.perf_counter()
                face = tr.process(f, i / 25)
                t2 = time.perf_counter()
                pt.translate(f, face, None, Controls(emo, 1.0))
                ms.append((time.perf_counter() - t2) * 1e3)
                track_ms.append((t2 - t1) * 1e3)
        res[f"ms_640x480_{emo}"] = round(float(np.median(ms)), 2)
        res[f"ms_640x480_{emo}_p95"] = round(float(np.percentile(ms, 95)), 2)
        res["track_ms_640x480"] = round(float(np.median(track_ms)), 2)
    return res


def live(actor: str, seconds: float) -> dict:
    """The live loop (file source as a 640x480 25 fps camera, null sink) with the personal translator."""
    from w2le_live.io.sinks import NullSink
    from w2le_live.io.sources import FileSource
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.pipeline import Pipeline
    from w2le_live.translators.base import Controls
    from w2le_live.translators.personal import PersonalTranslator

    bank = enroll_file("happy", str(clip(actor, "happy")), neutral=str(clip(actor, "neutral")))
    pipe = Pipeline(FileSource(str(clip(actor, "neutral")), loop=True, size=(640, 480)), NullSink(),
                    PersonalTranslator({"happy": bank}), controls=Controls("happy", 1.0))  # fmt: skip
    pipe.start()
    try:
        time.sleep(seconds)
        st = pipe.stats()
    finally:
        pipe.stop()
    print(st.status_line())
    return {"live_fps_out": round(st.fps_out, 2), "live_latency_p50_ms": round(st.latency_ms_p50, 1),
            "live_latency_p95_ms": round(st.latency_ms_p95, 1), "live_dropped": st.dropped,
            "live_stage_ms": {k: [round(a, 2), round(b, 2)] for k, (a, b) in st.stage_ms.items()}}  # fmt: skip


def main() -> None:
    import cv2

    from w2le_live.models.facex_judge import FacexJudge
    from w2le_live.personal.metrics import FerJudge

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actors", nargs="+", default=["M030", "W009"])
    ap.add_argument("--targets", nargs="+", default=list(TARGETS))
    ap.add_argument("--out", default="docs/personal")
    ap.add_argument("--speed-frames", type=int, default=100)
    ap.add_argument("--live-seconds", type=float, default=30.0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    judges = {"facex": (FacexJudge(MEAD.parent / "models" / "facex" / "model_optimized.tflite"), 200),
              "fer": (FerJudge(), 96)}  # fmt: skip
    rows, cache = [], {}
    for actor in args.actors if args.targets != ["none"] else []:
        for target in args.targets:
            row, grid = evaluate(actor, target, judges, cache)
            rows.append(row)
            cv2.imwrite(str(out / f"grid_{actor}_{target}.png"), np.vstack(grid))
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    sp = speed(args.actors[0], args.speed_frames) if args.speed_frames else {}
    if args.live_seconds:
        sp.update(live(args.actors[0], args.live_seconds))
    print(json.dumps(sp))
    (out / "results.json").write_text(json.dumps({"rows": rows, "speed": sp}, indent=1))


if __name__ == "__main__":
    main()
