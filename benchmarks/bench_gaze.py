"""Where the personal translator's re-tracked gaze is lost: in the output's pixels, or in the tracker's reading of them.

    python benchmarks/bench_gaze.py [--actor W009] [--target neutral] [--driving sad] [--shifts 3]   (repository root)

Issue 18's gaze measure (``metrics.gaze``: iris centre between the eye corners, both eyes, re-tracked by a fresh
tracker) is correlated with the driving clip's. This prints, for one actor, target and driving clip (the profile
enrolled as ``bench_personal.py`` does):

- ``retracked``: that correlation, and its mean over ``--shifts`` copies of the output, every frame shifted by
  a random sub-pixel amount (a single run moves by about +-0.02 with such a shift);
- ``floor``: the same for the UNCHANGED driving clip shifted so: what a perfect renderer would score;
- per gaze landmark, the fresh tracker's reading of the output against the place the renderer designed (mean,
  std, px per unit of gaze, and the correlation with only that landmark re-tracked): which landmark it misreads;
- ``pixels``: the gaze of the output's pixels, without the tracker: at each of the six gaze landmarks (33, 133, 468,
  362, 263, 473) the output patch's shift (phase correlation, 12 px) from the driving patch moved by the renderer's
  designed shift (target minus live landmark), added to the driving clip's re-tracked landmarks; and that shift's
  mean and spread per landmark (px). A correlation near the floor with small shifts says the eyes are drawn where
  the live gaze puts them and the loss is the tracker reading them against the emotion's lids.

W009 (about 15 s each on the shared 2-core machine): neutral from sad retracked 0.898 (shifted 0.890), floor 0.937,
pixels 0.948 (residual shifts 0.15-0.29 px std, means within 0.27 px x); happy from fear 0.854 (0.862), 0.929, 0.961.
With the bank-iris alignment and an upper-face lead (since left out): happy from fear 0.868 (0.869), 0.929, 0.960; its worst
landmark is the right inner corner 362: its pixels within 0.16 px of the designed place, but re-tracked 1.0 px
towards the nose with a spread of 0.67 px, following the gaze (+5.9 px per unit): the tracker reads the corner of the
narrowed bank opening off the white beside the iris.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

GAZE_POINTS = (33, 133, 468, 362, 263, 473)


def retracked(frames: list, lm_drive: np.ndarray, shifts: int) -> tuple[float, float]:
    """(gaze correlation of frames re-tracked with the driving landmarks (F, 478, 3) float32, its mean over
    ``shifts`` randomly shifted copies of the frames; NaN without shifts)."""
    from w2le_live.personal import metrics as M

    g = M.gaze(lm_drive)
    one = M.correlation(g, M.gaze(M.track_landmarks(frames)))
    c = [M.correlation(g, M.gaze(M.track_landmarks(M.shifted(frames, s)))) for s in range(shifts)]
    return one, float(np.mean(c)) if c else float("nan")


def pixel_shifts(drive: list, out: list, lm_drive: np.ndarray, designed: np.ndarray) -> np.ndarray:
    """(F, 6, 2) float64 px: per frame and gaze landmark, the output patch's shift beyond the designed one.
    drive, out: (H, W, 3) uint8 frames; lm_drive: (F, 478, 3) float32 re-tracked driving landmarks; designed:
    (F, 478, 2) float32 target minus live landmarks (frame px)."""
    import cv2

    s = 6
    win = cv2.createHanningWindow((2 * s, 2 * s), cv2.CV_32F)
    res = np.full((len(out), len(GAZE_POINTS), 2), np.nan)
    for i, (a_img, b_img) in enumerate(zip(drive, out)):
        if not np.isfinite(lm_drive[i, 0, 0]):
            continue
        ga = cv2.cvtColor(a_img, cv2.COLOR_BGR2GRAY).astype(np.float32)
        gb = cv2.cvtColor(b_img, cv2.COLOR_BGR2GRAY).astype(np.float32)
        for e, c in enumerate(GAZE_POINTS):
            cx, cy = (float(v) for v in lm_drive[i, c, :2])
            dx, dy = (float(v) for v in designed[i, c])
            a = cv2.getRectSubPix(ga, (2 * s, 2 * s), (cx, cy))
            b = cv2.getRectSubPix(gb, (2 * s, 2 * s), (cx + dx, cy + dy))
            res[i, e] = cv2.phaseCorrelate(a, b, win)[0]
    return res


def retrack_errors(lm_drive: np.ndarray, lm_out: np.ndarray, designed: np.ndarray) -> dict:
    """Per gaze landmark: where a fresh tracker reads it in the output against where the renderer put it (the
    driving clip's re-tracked x plus the designed shift): {landmark: (mean, std, slope per unit of the driving
    gaze, the gaze correlation with the driving clip when only this landmark is the output's)}. lm_drive, lm_out:
    (F, 478, 3) float32 re-tracked; designed: (F, 478, 2) float32 target minus live (frame px). A landmark whose
    error follows the gaze (slope) damps the read gaze; one with a large std adds noise."""
    from w2le_live.personal import metrics as M

    g = M.gaze(lm_drive)
    want = lm_drive[..., :2] + designed
    out = {}
    for c in GAZE_POINTS:
        e = lm_out[:, c, 0] - want[:, c, 0]
        ok = np.isfinite(e) & np.isfinite(g)
        one = np.zeros_like(lm_drive)
        one[..., :2] = want
        one[:, c, 0] = lm_out[:, c, 0]
        slope = float(np.polyfit(g[ok], e[ok], 1)[0]) if ok.sum() > 2 else float("nan")
        out[c] = (float(np.mean(e[ok])), float(np.std(e[ok])), slope, M.correlation(g, M.gaze(one)))
    return out


def main() -> None:
    import bench_personal as B

    from w2le_live.personal import metrics as M
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.personal.profiles import save_bank
    from w2le_live.translators.base import Controls
    from w2le_live.translators.personal import PersonalTranslator

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actor", default="W009")
    ap.add_argument("--target", default="neutral")
    ap.add_argument("--driving", default=None, help="default: sad for neutral, else neutral")
    ap.add_argument("--shifts", type=int, default=3)
    args = ap.parse_args()
    driving = args.driving or ("sad" if args.target == "neutral" else "neutral")
    tmp = tempfile.TemporaryDirectory(prefix="w2le-bench-gaze-")
    os.environ["W2LE_DATA_DIR"] = tmp.name
    neutral = None if args.target == "neutral" else str(B.clip(args.actor, "neutral"))
    save_bank("g", enroll_file(args.target, str(B.clip(args.actor, args.target)), neutral=neutral))

    designed: list = []

    class Recorded(PersonalTranslator):
        """Keeps each frame's target minus live landmarks (the renderer's designed shift)."""

        def _geometry(self, lm, emotion, intensity):
            res = super()._geometry(lm, emotion, intensity)
            designed.append(res[3][:, :2] - lm[:, :2])
            return res

    tr = Recorded.from_profile("g")
    frames = B.frames_of(B.clip(args.actor, driving))
    faces = B.tracked(frames)
    out = [tr.translate(f, o, None, Controls(args.target, 1.0)) for f, o in zip(frames, faces)]
    lm_drive = M.track_landmarks(frames)
    if len(designed) != len(frames):
        raise SystemExit("a frame had no face; pick another clip")
    d = np.stack(designed)
    one, mean = retracked(out, lm_drive, args.shifts)
    floor = retracked(frames, lm_drive, args.shifts)[1]
    res = pixel_shifts(frames, out, lm_drive, d)
    px = {
        c: lm_drive[:, c, 0].astype(np.float64) + d[:, c, 0] + res[:, e, 0] for e, c in enumerate(GAZE_POINTS)
    }
    g_pix = (px[468] - px[33]) / (px[133] - px[33]) + (px[473] - px[362]) / (px[263] - px[362])
    print(f"{args.actor} {args.target} <- {driving}: retracked {one:.3f} (shifted {mean:.3f}), "
          f"floor {floor:.3f}, pixels {M.correlation(M.gaze(lm_drive), g_pix):.3f}")  # fmt: skip
    lm_out = M.track_landmarks(out)
    err = retrack_errors(lm_drive, lm_out, d)
    for c in GAZE_POINTS:
        print(f"  landmark {c}: re-tracked x minus the designed place {err[c][0]:+.2f} (std {err[c][1]:.2f}, "
              f"{err[c][2]:+.1f} px per unit of gaze), gaze correlation with only it re-tracked {err[c][3]:.3f}")  # fmt: skip
    for e, c in enumerate(GAZE_POINTS):
        print(f"  landmark {c}: pixel shift beyond the designed one x {np.nanmean(res[:, e, 0]):+.2f} "
              f"(std {np.nanstd(res[:, e, 0]):.2f}) px, y {np.nanmean(res[:, e, 1]):+.2f} "
              f"(std {np.nanstd(res[:, e, 1]):.2f}) px")  # fmt: skip
    tmp.cleanup()


if __name__ == "__main__":
    main()
