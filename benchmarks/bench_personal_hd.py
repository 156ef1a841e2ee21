"""The personal translator at full resolution on the held-out actor (M030's 1920x1080 MEAD takes):
``docs/personal/hd.md``.

    python benchmarks/bench_personal_hd.py [--heights 1080 720] [--out DIR] [--save DIR] [--crops DIR]

The 256x256 clips the other benches use show a face ~145 px wide; a viewer of a 1080p or 720p camera sees a face
two to three times that size, where a smear, a doubled lip or a seam is plainer. ``../shared/data/mead`` holds two
such takes of M030 (the held-out actor): angry (``M030_level_3_angry_016``, 25 fps) and sad
(``M030_level_3_sad_001``, 30 fps, read at 25 like any input). No neutral, happy or surprised take of him exists at
this size, so the two cases are each emotion enrolled from its take and driven by the other one ("from any
emotion"): ``sad <- angry`` and ``angry <- sad``. The neutral reference is his 256x256 neutral clip (the offset is
measured in face widths, so the camera's size does not enter it). ``--heights``: the takes as they are (1080) and
scaled to 720 rows (INTER_AREA), as a 720p camera would give them; bank and driving clip at the same size, as one
camera gives both.

Every measure is ``bench_personal.measure`` (a fresh tracker on both clips), plus the judges on every 2nd frame;
"own" is the actor's take of the target emotion, which is also the bank's enrolment take here. ``--crops`` writes
``hd_<case>_<height>.jpg``: driving | personal | landmark, zoomed on the mouth and on the eyes, three frames.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import bench_personal as B
import numpy as np

TAKES = {"angry": "M030_level_3_angry_016.mp4", "sad": "M030_level_3_sad_001.mp4"}
CASES = (("sad", "angry"), ("angry", "sad"))  # (target, driving take)


class HdCtx(B.Ctx):
    """bench_personal's Ctx on M030's full-size takes (scaled to ``height`` rows unless 1080)."""

    def __init__(self, judges: dict, height: int):
        super().__init__(judges)
        self.height = height

    def frames(self, actor: str, emotion: str, moving: bool = False) -> list:
        import cv2

        fr = B.frames_of(B.MEAD / TAKES[emotion])
        h, w = fr[0].shape[:2]
        if h == self.height:
            return fr
        size = (round(w * self.height / h / 2) * 2, self.height)
        return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in fr]

    def bank(self, actor: str, target: str):
        from w2le_live.io.video import VideoWriter
        from w2le_live.personal.enroll import enroll_file

        # enrol from a file, as `w2le-live enroll --source` does: the scaled take written losslessly enough
        path = Path(os.environ["W2LE_DATA_DIR"]) / f"{target}_{self.height}.mp4"
        if not path.exists():
            # decoded and scaled once: run_case has already read the take as its "real" clip
            fr = self.clip(actor, target)[0]
            with VideoWriter(path, 25.0, fr[0].shape[1::-1], crf=10) as w:
                for f in fr:
                    w.write(f)
        return enroll_file(target, str(path), neutral=str(B.clip(actor, "neutral")))

    def profile_name(self, actor: str, target: str) -> str:
        return f"{actor}-{target}-{self.height}"


def line(r: dict, height: int) -> str:
    """One markdown row: personal (landmark) measures, the judges' input / personal / landmark / own take."""
    p, lm, f = r["personal"], r["landmark"], B._f
    return (f"| {height} | {r['target']} <- {r['driving']} ({p['frames']} fr, {r['face_px']} px face) | "
            f"{f(p['sharp_median'])} / {B._pct(p['sharp_low'])} ({f(lm['sharp_median'])} / {B._pct(lm['sharp_low'])}) | "
            f"{f(p['gaze_corr'])} ({f(lm['gaze_corr'])}) | {f(p['eye_corr'])} / {f(p['eye_std_ratio'])} "
            f"({f(lm['eye_corr'])} / {f(lm['eye_std_ratio'])}) | {f(p['lip_corr'], 3)} ({f(lm['lip_corr'], 3)}) | "
            f"{f(p['width_corr'], 3)} ({f(lm['width_corr'], 3)}) | {f(p['seam'])} ({f(lm['seam'])}) @{p['seam_row']} | "
            f"{f(r['facex_input'])} / **{f(r['facex_personal'])}** / {f(r['facex_landmark'])} / {f(r['facex_real'])} | "
            f"{f(r['fer_input'])} / **{f(r['fer_personal'])}** / {f(r['fer_landmark'])} / {f(r['fer_real'])} | "
            f"{r['ms_median']:.0f} |")  # fmt: skip


HEAD = ("| rows | target <- driving | sharp median / <0.5 p (l) | gaze p (l) | blink corr / std ratio p (l) | "
        "lips p (l) | mouth width p (l) | seam p (l) @row | facex in / p / l / own | FER in / p / l / own | "
        "ms/frame |\n|" + "---|" * 11)  # fmt: skip


def crops(path: Path, c: dict, frames: tuple[int, ...]) -> None:
    """driving | personal | landmark at ``frames``, zoomed on the mouth (left) and the eyes (right)."""
    import cv2

    rows = []
    for k in frames:
        parts = []
        for zoom, cell in (("mouth", (300, 240)), ("eyes", (390, 195))):
            strip = B.grid_row(c | {"real": c["drive"], "real_lm": c["lm"]}, f"f{k}", k, zoom, cell)
            parts.append(strip[:, : 3 * cell[0]])  # the fourth cell would be the driving frame again
        h = max(p.shape[0] for p in parts)
        rows.append(
            np.hstack([cv2.copyMakeBorder(p, 0, h - p.shape[0], 0, 4, cv2.BORDER_CONSTANT) for p in parts])
        )
    cv2.imwrite(str(path), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 88])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--heights", nargs="+", type=int, default=[1080, 720])
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "w2le_hd"), help="results.json")
    ap.add_argument("--save", default=None, help="folder for the outputs as mp4")
    ap.add_argument("--crops", default=None, help="folder for hd_<case>_<height>.jpg")
    args = ap.parse_args()
    missing = [n for n in TAKES.values() if not (B.MEAD / n).exists()]
    if missing:
        raise SystemExit(
            f"{B.MEAD} lacks {', '.join(missing)}; set W2LE_SHARED_DATA to the shared data folder."
        )
    t0 = time.perf_counter()
    import torch

    torch.set_num_threads(1)
    from w2le_live.face.landmarks import face_width
    from w2le_live.models.facex_judge import FacexJudge
    from w2le_live.personal.metrics import FerJudge

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    judges = {"facex": (FacexJudge(B.MEAD.parent / "models" / "facex" / "model_optimized.tflite"), 200),
              "fer": (FerJudge(), 96)}  # fmt: skip
    rows, lines = [], []
    for height in args.heights:
        with tempfile.TemporaryDirectory(prefix="w2le-hd-") as tmp:
            os.environ["W2LE_DATA_DIR"] = tmp
            ctx = HdCtx(judges, height)
            for target, driving in CASES:
                row, c = B.run_case(ctx, "M030", target, driving, False)
                row["height"] = height
                row["face_px"] = int(
                    np.nanmedian([face_width(lm) for lm in c["lm"] if np.isfinite(lm).all()])
                )
                rows.append(row)
                lines.append(line(row, height))
                print(lines[-1], flush=True)
                name = f"{target}_from_{driving}_{height}"
                if args.crops:
                    Path(args.crops).mkdir(parents=True, exist_ok=True)
                    n = len(c["drive"])
                    crops(Path(args.crops) / f"hd_{name}.jpg", c, (n // 6, n // 2, 5 * n // 6))
                if args.save:
                    from bench_personal_stranger import save

                    save(Path(args.save), name, c)
    (out / "results.json").write_text(json.dumps(rows, indent=1, default=float))
    print("\n" + HEAD + "\n" + "\n".join(lines))
    print(f"{time.perf_counter() - t0:.0f} s, load average {os.getloadavg()[0]:.1f} (shared machine)")


if __name__ == "__main__":
    main()
