"""The personal translator on real-world talking heads nobody tuned on (``docs/personal/wild.md``).

    python benchmarks/bench_personal_wild.py [--cases obama d10 ...] [--max-drive 6] [--out DIR] [--crops DIR]
                                             [--landmark] [--self-render] [--no-enrol-only]

Clips: ``shared/data/talking`` (web talking heads from styletalk, video-retalking and LivePortrait, LRS3 and
GRID). These people have no emotion clips and no neutral clip, so every case is a "self" case as
``bench_personal_stranger.py``'s M024/M026/W023: a bank enrolled from one part of a clip WITHOUT a neutral
reference (as ``w2le-live enroll happy clip.mp4`` would; the translator then fits the offset on the live face's
first 25 frames), asked for ``happy`` (the label only names the bank; the take is the person talking as they
are) and driven by another part of the same clip. Each clip is decoded at 25 fps (as ``enroll`` does) and the
bank is built by ``enroll.enroll_frames`` on its part (``enroll_file``'s processing), stored and read back
through the profile store as a user's would be.

Cases (name: clip, bank seconds, driving seconds):

- ``obama``, ``andrew``, ``feifeili`` (styletalk, 256 px, studio-like web video, heavy compression): bank
  0-4 s, driven by 4 s-(4 + --max-drive) s;
- ``retalk1`` (700 px, a small face in a suit, 6.1 s): bank 0-4 s, driven by the rest (2.1 s);
  ``retalk2`` (844 px), ``retalk3`` (590 px, expressive): 5.0 s clips, bank 0-3 s, driven by 3-5 s;
- ``d10`` (LivePortrait, 512 px, expressive woman): bank 0-4 s, driven by 4-10 s; ``d10x``: the same bank driven
  by 10-14.9 s, where she frowns, looks up and opens her eyes wide (another expression than the bank's);
- ``d11`` (a child, expressive "o" mouths): bank 0-4 s, driven by 4-9 s;
- ``d12`` (a man with glasses who turns his head, strong light): bank 0-4 s, driven by 4-7.3 s;
- ``grid`` (GRID brbk7n, 360x288, 3 s): bank 0-2 s (enrolment's minimum), driven by 2-3 s (25 frames).

Enrol-only rows (not driven): every GRID and LRS3 clip enrolled WHOLE, as a user handing the clip to
``w2le-live enroll`` would: kept or refused, and the sentence the user reads.

Per case: bank (seconds, frames kept, face px, lit-side grey, mouth range, coverage and what ``enroll`` tells the
user), then ``bench_personal.run_case``'s measures (imported): mouth sharpness median and share < 0.5, gaze
correlation, blink correlation and std ratio, inner-lip correlation, seam step, flicker ratio (output / driving),
ms per frame (the translator alone, at the clip's size), facex p(happy) driving / output. ``--crops`` writes
``<case>_mouth.png`` / ``<case>_eyes.png`` (driving | personal, 3x, the middle frame and the least sharp one,
``bench_personal.grid_row``). ``--self-render``: each bank also driven by its own enrolment part (issue 18's
self-render check: mouth sharpness >= 0.95 of those frames; the render path adds no blur). Writes ``results.json``
and ``results.md`` into --out.
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

TALKING = B.MEAD.parent / "talking"
TARGET = "happy"  # the bank's label; every case drives its own take
# case -> (clip, bank (start s, end s), driving (start s, end s or None = to the end, capped by --max-drive))
CASES = {
    "obama": ("web/styletalk_Obama_clip1.mp4", (0, 4), (4, None)),
    "andrew": ("web/styletalk_andrew_clip_1.mp4", (0, 4), (4, None)),
    "feifeili": ("web/styletalk_feifeili_clip1.mp4", (0, 4), (4, None)),
    "retalk1": ("web/retalking_1.mp4", (0, 4), (4, None)),
    "retalk2": ("web/retalking_2.mp4", (0, 3), (3, None)),
    "retalk3": ("web/retalking_3.mp4", (0, 3), (3, None)),
    "d10": ("web/liveportrait_d10.mp4", (0, 4), (4, 10)),
    "d10x": ("web/liveportrait_d10.mp4", (0, 4), (10, None)),
    "d11": ("web/liveportrait_d11.mp4", (0, 4), (4, None)),
    "d12": ("web/liveportrait_d12.mp4", (0, 4), (4, None)),
    "grid": ("grid/brbk7n.mpg", (0, 2), (2, None)),
}
FPS = 25.0


def enrol_report(bank) -> dict:
    """What enrolment kept and told the user, from a bank's ``info``."""
    from w2le_live.personal.enroll import take_lines

    i = bank.info
    return {"kept": i["kept"], "seconds": i["seconds"], "face_px": i["face_px"], "luma_p90": i["luma_p90"],
            "mouth_range": i["mouth_range"], "missing": list(i.get("coverage", {}).get("missing", [])),
            "told": take_lines(i)}  # fmt: skip


class WildCtx(B.Ctx):
    """bench_personal's Ctx on parts of the talking-head clips: ``clip(case, TARGET)`` is the bank's part,
    ``clip(case, "drive")`` the driving part; banks enrolled without a neutral reference."""

    def __init__(self, judges: dict, max_drive: float):
        super().__init__(judges)
        self.max_drive = max_drive
        self._decoded: dict = {}
        self.enrolled: dict = {}

    def _part(self, case: str, which: str) -> list:
        name, bank, drive = CASES[case]
        if name not in self._decoded:
            self._decoded[name] = B.frames_of(TALKING / name)
        fr = self._decoded[name]
        a, b = bank if which == TARGET else drive
        end = len(fr) if b is None else int(round(b * FPS))
        if which != TARGET:
            end = min(end, int(round((a + self.max_drive) * FPS)))
        return fr[int(round(a * FPS)) : end]

    def frames(self, actor: str, emotion: str, moving: bool = False) -> list:
        return self._part(actor, emotion)

    def bank(self, actor: str, target: str):
        from w2le_live.personal.enroll import enroll_frames

        bank = enroll_frames(target, iter(self._part(actor, target)), CASES[actor][0])
        self.enrolled[actor] = enrol_report(bank)
        return bank

    def profile_name(self, actor: str, target: str) -> str:
        return f"wild-{actor}"


def enrol_only(path: Path) -> dict:
    """``enroll_file`` on a whole clip, as a user would hand it to ``w2le-live enroll happy``: kept or refused."""
    from w2le_live.errors import UserError
    from w2le_live.personal.enroll import enroll_file

    try:
        return {"clip": path.name, "refused": None} | enrol_report(enroll_file(TARGET, str(path)))
    except UserError as e:
        return {"clip": path.name, "refused": str(e)}


def crops(out: Path, case: str, c: dict, sharp: np.ndarray) -> list[str]:
    """<case>_mouth.png and <case>_eyes.png: driving | personal at 3x (nearest), the middle and least sharp frame."""
    import cv2

    k_mid = len(c["drive"]) // 2
    k_bad = int(np.nanargmin(sharp)) if np.isfinite(sharp).any() else k_mid
    names = []
    for zoom in ("mouth", "eyes"):
        rows = []
        for label, k in (("mid", k_mid), ("worst", k_bad)):
            box = B._boxes(c["lm"][k], c["drive"][k].shape).get(zoom)
            if box is None:
                continue
            cell = (3 * (box[2] - box[0]), 3 * (box[3] - box[1]))
            # grid_row's 4 cells: driving | personal | landmark | real; keep the first two
            rows.append(B.grid_row(c | {"landmark": []}, f"{case} {label}", k, zoom, cell)[:, : 2 * cell[0]])
        if rows:
            w = max(r.shape[1] for r in rows)
            img = np.vstack(
                [cv2.copyMakeBorder(r, 0, 4, 0, w - r.shape[1], cv2.BORDER_CONSTANT) for r in rows]
            )
            names.append(str(out / f"{case}_{zoom}.png"))
            cv2.imwrite(names[-1], img)
    return names


def row_line(r: dict) -> str:
    """One markdown row: the case, its bank, the measures (the landmark translator's in brackets when run) and
    what enrolment said."""
    p, e, f = r["personal"], r["enrol"], B._f
    lm = r.get("landmark")

    def v(key: str, nd: int = 2) -> str:
        return f(p[key], nd) + (f" ({f(lm[key], nd)})" if lm else "")

    # facex against the bank's own part is no bar here: the label names the bank, the take is not happy
    miss = ", ".join(m for m in B.checks(r, "static") if m != "facex")
    return (f"| {r['actor']} | {e['seconds']:.0f} s / {e['kept']} fr, {e['face_px']:.0f} px, grey {e['luma_p90']:.0f}"
            f" | {p['frames']} | {v('sharp_median')} / {B._pct(p['sharp_low'])} | {v('gaze_corr')} | "
            f"{f(p['eye_corr'])} / {f(p['eye_std_ratio'])} | {v('lip_corr', 3)} | {f(p['seam'])} @{p['seam_row']} | "
            f"{f(r['flicker_ratio'])} | {f(r['ms_median'], 1)} | {f(r['facex_input'])} / {f(r['facex_personal'])} | "
            f"{', '.join(e['missing']) or 'all'} | {miss or 'none'} |")  # fmt: skip


HEAD = ("| case | bank: s / kept, face, lit grey | drive fr | sharp median / <0.5 | gaze | blink corr / std | "
        "lips | seam @row | flicker | ms/fr | facex p(happy) in / out | coverage missing | misses |\n|"
        + "---|" * 13)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--max-drive", type=float, default=6.0, help="seconds of driving video per case at most")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "w2le_wild"))
    ap.add_argument(
        "--crops", default=None, help="folder for <case>_{mouth,eyes}.png (driving | personal, 3x)"
    )
    ap.add_argument("--landmark", action="store_true", help="also run and measure the landmark translator")
    ap.add_argument(
        "--self-render", action="store_true", help="also drive each bank by its own enrolment part"
    )
    ap.add_argument("--no-enrol-only", action="store_true", help="skip the whole-clip GRID / LRS3 enrolments")
    args = ap.parse_args()
    t0 = time.perf_counter()
    from w2le_live.models.facex_judge import FacexJudge

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="w2le-wild-")
    os.environ["W2LE_DATA_DIR"] = tmp.name  # profiles go through the real store, never the user's
    judges = {"facex": (FacexJudge(B.MEAD.parent / "models" / "facex" / "model_optimized.tflite"), 200)}
    ctx = WildCtx(judges, args.max_drive)
    rows, lines, short = [], [], []
    for case in args.cases:
        row, c = B.run_case(ctx, case, TARGET, "drive", False, landmark=args.landmark)
        row["enrol"] = ctx.enrolled[case]
        if args.self_render:
            own = B.run_case(ctx, case, TARGET, TARGET, False, landmark=False)[0]["personal"]
            row["self_render"] = {"sharp_median": own["sharp_median"], "sharp_low": own["sharp_low"]}
        rows.append(row)
        lines.append(row_line(row))
        print(lines[-1], flush=True)
        if args.crops:
            Path(args.crops).mkdir(parents=True, exist_ok=True)
            print("wrote", crops(Path(args.crops), case, c, B._sharp(c)), flush=True)
        ctx._clips.clear()  # keep memory small (the 512-844 px clips)
    if not args.no_enrol_only:
        for path in sorted((TALKING / "grid").glob("*.mpg")) + sorted((TALKING / "lrs3").glob("*.mp4")):
            short.append(enrol_only(path))
            print(short[-1], flush=True)
    tmp.cleanup()
    res = {"rows": rows, "enrol_only": short, "runtime_s": round(time.perf_counter() - t0, 1),
           "machine": f"{os.cpu_count()} CPU cores (shared), load average {os.getloadavg()[0]:.1f} at the end"}  # fmt: skip
    (out / "results.json").write_text(json.dumps(res, indent=1, default=float))
    md = HEAD + "\n" + "\n".join(lines) + "\n"
    if short:
        md += "\n| clip | enrol whole clip |\n|---|---|\n"
    md += "".join(f"| {s['clip']} | {s['refused'] or 'kept: ' + ' / '.join(s['told'])} |\n" for s in short)
    if args.self_render:
        md += "\n| case | self-render sharp median / <0.5 (bar 0.95) |\n|---|---|\n" + "".join(
            f"| {r['actor']} | {B._f(r['self_render']['sharp_median'])} / {B._pct(r['self_render']['sharp_low'])} |\n"
            for r in rows
        )
    (out / "results.md").write_text(md)
    print("\n" + md)
    print(f"{res['runtime_s']:.0f} s, {res['machine']}")


if __name__ == "__main__":
    main()
