"""The personal translator on two MEAD actors, measured as issue 18 defines it (``docs/personal/results.md``).

    python benchmarks/bench_personal.py [--quick] [--actors M030 W009] [--out DIR]   (from the repository root)

For each actor and target the profile is enrolled through the project's API and stored in a temporary
``$W2LE_DATA_DIR`` (as a user's would be): the actor's own level-3 emotion clip with the neutral clip as the
neutral reference, driven by the actor's neutral clip; ``neutral`` is enrolled from the neutral clip (no
reference) and driven by the sad clip. The landmark translator runs on the same frames. Every measure re-tracks
the driving clip and each output with a fresh, unsmoothed tracker (``w2le_live.personal.metrics``):

- mouth sharpness: variance of the Laplacian of the grey mouth box (DRIVING landmarks: lip corners 61/291
  +- 0.12 face width, nose tip 4 to chin 152) downscaled by 2, output / driving per frame; median, share < 0.5;
- gaze: (468x - 33x)/(133x - 33x) + (473x - 362x)/(263x - 362x), correlation with the driving clip; eye opening
  (blinks) correlation and std ratio; inner-lip opening (13-14 / face width) correlation;
- seam: the largest step of equivalent blur across rows of the upright face (``metrics.SeamConfig``), against
  the driving frame (``seam``) and against the less textured of the driving frame and the actor's own real target
  clip (``seam_ref``, ``metrics.reference_texture``: content the emotion removes is not blur; a diagnostic next to
  the bar's figure, which stays ``seam``);
- facex and FER p(target) against the actor's own emotion clip.

Also: targets driven from other emotions (angry, sad, surprised, fear -> happy), a moving head (the driving clip
at 0.6 of a 640x480 frame's height, rotating +-15 degrees and drifting; each moving row also reports the judges on
the actor's own target clip moved the same way, and every measure of the static row's output moved afterwards, so
the motion's cost to the re-tracker and judges is told from the renderer's), the self-render check (a bank driven by
its own enrolment clip), the re-tracker's floor (each driving clip shifted by a sub-pixel amount and re-tracked:
what the gaze, blink and lip measures give a renderer that changed nothing), speed per 640x480 frame on top of
tracking, and zoomed grids
``driving | personal | landmark | real`` of the mouth and eyes. W009 is the actor the renderer is tuned on,
M030 is held out. Writes ``results.json``, ``results.md`` and ``grid_{mouth,eyes}_<actor>.png`` into --out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
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
FROM_ANY = ("angry", "sad", "surprised", "fear")
TUNED = {"W009": "tuned-on", "M030": "held-out"}
JUDGE_STEP = 2  # the emotion judges read every 2nd frame (50 of a 4 s clip)
SEAM_STEP = 2  # and the seam measure (a median over frames)
STARTS = (4, 8, 12)  # the static rows' first pass also started this many frames in (start_spread)
# the issue's thresholds
SHARP_MEDIAN, SHARP_LOW, GAZE, LIP, FACEX_RATIO, FROM_ANY_RATIO, SELF_SHARP, MS_640 = (
    0.85, 0.05, 0.9, 0.95, 0.9, 0.6, 0.95, 10.0)  # fmt: skip


def clip(actor: str, emotion: str) -> Path:
    level = 1 if emotion == "neutral" else 3
    return MEAD / f"{actor}_front_{emotion}_level{level}_001.mp4"


def frames_of(path: Path) -> list:
    from w2le_live.io.video import iter_frames

    return [f for _, _, f in iter_frames(path)]


def tracked(frames: list) -> list:
    """The live tracker's observations (smoothed, as the live loop has them) of (H, W, 3) uint8 BGR frames."""
    from w2le_live.face.tracker import FaceTracker

    with FaceTracker() as tr:
        return [tr.process(f, i / 25.0) for i, f in enumerate(frames)]


def moving_matrices(n: int, shape: tuple, scale: float = 0.6, degrees: float = 15.0) -> list:
    """The (2, 3) float64 affine maps of :func:`moving_head` for a clip of n frames of ``shape`` (h, w, ...)."""
    import cv2

    h, w = shape[:2]
    out = []
    for k in range(n):
        ang = degrees * math.sin(2 * math.pi * k / max(n, 2))
        m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, scale * 480 / h)
        m[:, 2] += (320 + 40 * math.sin(math.pi * k / max(n, 2)) - w / 2, 240 - h / 2)
        out.append(m)
    return out


def moving_head(frames: list, scale: float = 0.6, degrees: float = 15.0) -> list:
    """The clip placed in a 640x480 frame at ``scale`` of its height, rotating +-``degrees`` (one full swing
    over the clip) and drifting +-40 px sideways. frames: (h, w, 3) uint8 BGR each -> (480, 640, 3) each."""
    import cv2

    if not frames:
        return []
    ms = moving_matrices(len(frames), frames[0].shape, scale, degrees)
    return [cv2.warpAffine(f, m, (640, 480), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            for f, m in zip(frames, ms)]  # fmt: skip


def moved_faces(faces: list, shape: tuple) -> list:
    """The live tracker's observations of the static clip (frames of ``shape``) carried exactly as
    :func:`moving_head` moves the frames: landmarks (x, y by the affine map, z by its scale) and box (centre
    mapped, side scaled); None stays None. What the moving-head clip's tracker would see with no error."""
    from w2le_live.face.types import FaceObservation

    out = []
    for o, m in zip(faces, moving_matrices(len(faces), shape)):
        if o is None:
            out.append(None)
            continue
        s = math.hypot(m[0, 0], m[0, 1])
        lm = o.landmarks.astype(np.float64)
        lm[:, :2] = lm[:, :2] @ m[:, :2].T + m[:, 2]
        lm[:, 2] *= s
        x0, y0, x1, y1 = o.box
        cx, cy = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) @ m[:, :2].T + m[:, 2]
        half = (x1 - x0) * s / 2
        box = tuple(int(round(v)) for v in (cx - half, cy - half, cx + half, cy + half))
        out.append(FaceObservation(lm.astype(np.float32), box, o.face_id, o.n_faces))
    return out


class Ctx:
    """Caches (frames, live observations, fresh landmarks) per clip variant, the judges and the banks."""

    def __init__(self, judges: dict):
        self.judges = judges
        self._clips: dict = {}
        self._profiles: dict = {}
        self._judged: dict = {}

    def frames(self, actor: str, emotion: str, moving: bool = False) -> list:
        """The clip's frames [(H, W, 3) uint8 BGR] at 25 fps (moving: placed in the moving head); the other
        benches' contexts override this and :meth:`bank`, and share the caching."""
        fr = frames_of(clip(actor, emotion))
        return moving_head(fr) if moving else fr

    def clip(self, actor: str, emotion: str, moving: bool = False) -> tuple:
        from w2le_live.personal import metrics as M

        key = (actor, emotion, moving)
        if key not in self._clips:
            fr = self.frames(actor, emotion, moving)
            self._clips[key] = (fr, tracked(fr), M.track_landmarks(fr))
        return self._clips[key]

    def judged(self, key: tuple, judge, frames: list, faces: list, target: str, size: int) -> float:
        """judge_mean of a clip that several rows share (the driving and the real clips), computed once."""
        if key not in self._judged:
            self._judged[key] = judge_mean(judge, frames, faces, target, size)
        return self._judged[key]

    def bank(self, actor: str, target: str):
        """The EmotionBank enrolled through the API: the actor's target clip, the neutral clip as reference."""
        from w2le_live.personal.enroll import enroll_file

        neutral = None if target == "neutral" else str(clip(actor, "neutral"))
        return enroll_file(target, str(clip(actor, target)), neutral=neutral)

    def profile_name(self, actor: str, target: str) -> str:
        return f"{actor}-{target}"

    def translator(self, actor: str, target: str):
        """The personal translator from a profile enrolled through the API and stored on disk (JPEG bank), and the
        seconds its enrolment took."""
        from w2le_live.personal.profiles import save_bank
        from w2le_live.translators.personal import PersonalTranslator

        key = (actor, target)
        if key not in self._profiles:
            t0 = time.perf_counter()
            save_bank(self.profile_name(actor, target), self.bank(actor, target))
            self._profiles[key] = time.perf_counter() - t0
        return PersonalTranslator.from_profile(self.profile_name(actor, target)), self._profiles[key]


def judge_mean(judge, frames: list, faces: list, target: str, size: int) -> float:
    from w2le_live.face.masks import crop_face

    crops = [crop_face(f, o.box, size)[0] for f, o in zip(frames, faces) if o is not None]
    if not crops:
        return float("nan")
    if hasattr(judge, "prob_batch"):  # FER: batched (one crop at a time is 20x slower on a loaded machine)
        return float(np.mean(judge.prob_batch(crops, target)))
    return float(np.mean([judge.prob(c, target) for c in crops]))


def judges_on(ctx: Ctx, out: list, faces: list, target: str) -> dict:
    """{judge name: :func:`judge_mean` p(target)} of every judge of ``ctx`` on every JUDGE_STEP-th output frame
    ((H, W, 3) uint8 BGR each) with its live observation."""
    j = JUDGE_STEP
    return {
        jn: judge_mean(judge, out[::j], faces[::j], target, size) for jn, (judge, size) in ctx.judges.items()
    }


def translate_clip(pt, frames: list, faces: list, target: str) -> list:
    """The translator ``pt``'s outputs for the frames ((H, W, 3) uint8 BGR each) and their live observations,
    asked for ``target`` at intensity 1 (pt keeps its state: a second call continues the stream)."""
    from w2le_live.translators.base import Controls

    c = Controls(target, 1.0)
    return [pt.translate(f, o, None, c) for f, o in zip(frames, faces)]


def follow(lm_a: np.ndarray, lm_b: np.ndarray) -> dict:
    """How a re-tracked clip follows another, frame for frame: {gaze_corr, eye_corr (the eye opening: blinks),
    lip_corr (the inner-lip opening), width_corr (the lip corners' distance: rounded and spread lips)}.
    lm_a, lm_b: (F, 478, 3) float32 re-tracks (NaN rows where no face)."""
    from w2le_live.personal import metrics as M

    return {
        "gaze_corr": M.correlation(M.gaze(lm_a), M.gaze(lm_b)),
        "eye_corr": M.correlation(M.eye_opening(lm_a), M.eye_opening(lm_b)),
        "lip_corr": M.correlation(M.lip_opening(lm_a), M.lip_opening(lm_b)),
        "width_corr": M.correlation(M.mouth_width(lm_a), M.mouth_width(lm_b)),
    }


def measure(drive: list, lm_drive: np.ndarray, out: list, reference: np.ndarray | None = None) -> dict:
    """The re-tracked measures of one output clip against its driving clip (lists of (H, W, 3) uint8 BGR);
    reference: :func:`metrics.reference_texture` of the actor's real target clip, (S, Ty, Tx) float64, or None
    (then no ``seam_ref``)."""
    from w2le_live.personal import metrics as M

    lm_out = M.track_landmarks(out)
    sharp = M.mouth_sharpness(drive, out, lm_drive)
    ok = np.isfinite(sharp)
    eo_d, eo_o = M.eye_opening(lm_drive), M.eye_opening(lm_out)
    both = np.isfinite(eo_d) & np.isfinite(eo_o)
    s = SEAM_STEP
    seam = M.seam_score(M.seam_map(drive[::s], out[::s], lm_drive[::s], lm_out[::s]))
    ref = {}
    if reference is not None:
        r = M.seam_score(M.seam_map(drive[::s], out[::s], lm_drive[::s], lm_out[::s], reference=reference))
        ref = {
            "seam_ref": round(r["score"], 3),
            "seam_ref_row": r["row"],
            "seam_ref_rows_over": r["rows_over"],
        }
    return ref | follow(lm_drive, lm_out) | {
        "sharp_median": float(np.median(sharp[ok])) if ok.any() else float("nan"),
        "sharp_low": float(np.mean(sharp[ok] < 0.5)) if ok.any() else float("nan"),
        "eye_std_ratio": float(np.std(eo_o[both]) / max(np.std(eo_d[both]), 1e-9)) if both.any() else float("nan"),
        "seam": round(seam["score"], 3), "seam_row": seam["row"], "seam_rows_over": seam["rows_over"],
        "faces_found": int(np.isfinite(lm_out[:, 0, 0]).sum()), "frames": len(out),
    }  # fmt: skip


def run_case(ctx: Ctx, actor: str, target: str, driving: str, moving: bool, landmark: bool = True,
             steady: bool = False) -> tuple:  # fmt: skip
    """One row: personal (and landmark) outputs of ``driving`` clip asked for ``target``; returns (row, clips).
    steady: also the clip's second pass through the same translator (``row["steady"]``, :func:`steady_state`) and,
    for a static head, its first pass from the other start frames STARTS (``row["starts"]``, :func:`start_spread`)."""
    from w2le_live.face.masks import face_oval_mask
    from w2le_live.personal import metrics as M
    from w2le_live.translators.base import Controls
    from w2le_live.translators.landmark import LandmarkTranslator

    frames, faces, lm_drive = ctx.clip(actor, driving, moving)
    real_frames, real_faces, real_lm = ctx.clip(actor, target)
    pt, enroll_s = ctx.translator(actor, target)
    # how textured the person really is in the target emotion (the seam's second reference)
    ref = M.reference_texture(real_frames[::SEAM_STEP], real_lm[::SEAM_STEP])
    lt = LandmarkTranslator()
    c = Controls(target, 1.0)
    outs_p, outs_l, ms = [], [], []
    for f, o in zip(frames, faces):
        t1 = time.perf_counter()
        outs_p.append(pt.translate(f, o, None, c))
        ms.append((time.perf_counter() - t1) * 1e3)
        if landmark:
            outs_l.append(lt.translate(f, o, None, c))
    row = {"actor": actor, "tuning": TUNED.get(actor, ""), "target": target, "driving": driving,
           "moving": moving, "enroll_s": round(enroll_s, 2), "ms_median": round(float(np.median(ms)), 2),
           "personal": measure(frames, lm_drive, outs_p, ref)}  # fmt: skip
    if landmark:
        row["landmark"] = measure(frames, lm_drive, outs_l, ref)
    j = JUDGE_STEP
    for jn, (judge, size) in ctx.judges.items():
        row[f"{jn}_input"] = ctx.judged(
            (jn, actor, driving, moving, target), judge, frames[::j], faces[::j], target, size
        )
        row[f"{jn}_personal"] = judge_mean(judge, outs_p[::j], faces[::j], target, size)
        if landmark:
            row[f"{jn}_landmark"] = judge_mean(judge, outs_l[::j], faces[::j], target, size)
        row[f"{jn}_real"] = ctx.judged(
            (jn, actor, target), judge, real_frames[::j], real_faces[::j], target, size
        )
        if moving:  # the judge on the actor's own target clip moved the same way: its drop is the judge's
            mv_frames, mv_faces, _ = ctx.clip(actor, target, True)
            row[f"{jn}_real_moving"] = ctx.judged(
                (jn, actor, target, True), judge, mv_frames[::j], mv_faces[::j], target, size
            )
    if steady:
        row["steady"] = steady_state(ctx, pt, frames, faces, lm_drive, target)
        if not moving and STARTS:
            row["starts"] = start_spread(ctx, actor, target, driving, STARTS)
    masks = [face_oval_mask(f.shape, o.landmarks) if o else np.zeros(f.shape[:2], np.uint8)
             for f, o in zip(frames, faces)]  # fmt: skip
    row["flicker_ratio"] = M.flicker(outs_p, masks) / max(M.flicker(frames, masks), 1e-9)
    g = np.array([M.boundary_gradient(a, b) for a, b in zip(frames[::5], outs_p[::5])])
    row["old_seam_grad_ratio"] = float(np.nanmean(g[:, 1]) / np.nanmean(g[:, 0])) if len(g) else float("nan")
    return row, {"drive": frames, "lm": lm_drive, "personal": outs_p, "landmark": outs_l,
                 "real": real_frames, "real_lm": real_lm}  # fmt: skip


def steady_state(ctx: Ctx, pt, frames: list, faces: list, lm_drive: np.ndarray, target: str) -> dict:
    """The clip's second pass through the translator ``pt`` that has just rendered it once: the judges, lips and
    gaze with the live face's running references (the upper face's recent mean, the lower face's, the lids') and
    the bank choices past their start. A 4-s clip is mostly the first seconds after a stream starts, where those
    references are still settling (their first frame weighs for seconds); a meeting is mostly this. The pass
    starts where the first ended (a cut, as a clip looping in a file source). frames: (H, W, 3) uint8 BGR each."""
    from w2le_live.personal import metrics as M

    out = translate_clip(pt, frames, faces, target)
    f = follow(lm_drive, M.track_landmarks(out))
    return {k: f[k] for k in ("lip_corr", "gaze_corr")} | judges_on(ctx, out, faces, target)


def start_spread(ctx: Ctx, actor: str, target: str, driving: str, starts: tuple) -> dict:
    """The judges on the clip's first pass started ``starts`` frames in (a fresh translator each): the start frame
    sets the running references and the bank frames first chosen among near-ties, so a row is one draw of these
    (``docs/personal/start.md``). Returns {judge name: [p per start]}."""
    frames, faces, _ = ctx.clip(actor, driving)
    res: dict = {jn: [] for jn in ctx.judges}
    for s0 in starts:
        pt, _ = ctx.translator(actor, target)
        out = translate_clip(pt, frames[s0:], faces[s0:], target)
        for jn, p in judges_on(ctx, out, faces[s0:], target).items():
            res[jn].append(p)
    return res


def moved_reference(ctx: Ctx, actor: str, target: str, driving: str, static_out: list) -> dict:
    """The personal output of the STATIC driving clip moved afterwards exactly as the moving-head clip is
    (:func:`moving_head`), measured against the moving driving clip like a moving row: what the measures and
    judges lose to the motion itself, for a renderer that would be exactly invariant to it. static_out: the
    static row's outputs, (h, w, 3) uint8 BGR each."""
    frames, faces, lm_drive = ctx.clip(actor, driving, True)
    moved = moving_head(static_out)
    return measure(frames, lm_drive, moved) | judges_on(ctx, moved, faces, target)


def exact_landmarks(ctx: Ctx, actor: str, target: str, driving: str) -> dict:
    """The personal output of the moving-head clip rendered from the STATIC clip's live observations moved exactly
    (:func:`moved_faces`) instead of its own tracker's, measured like a moving row: against ``static output moved``
    it is the renderer's own loss to the motion (the frames' resampling, scale and tilt); against the moving row,
    the loss to the tracker's landmarks on the moved frames (other bank frames chosen from near-ties)."""
    st_frames, st_faces, _ = ctx.clip(actor, driving)
    frames, faces, lm_drive = ctx.clip(actor, driving, True)
    pt, _ = ctx.translator(actor, target)
    out = translate_clip(pt, frames, moved_faces(st_faces, st_frames[0].shape), target)
    return measure(frames, lm_drive, out) | judges_on(ctx, out, faces, target)


def floor(ctx: Ctx, actor: str, driving: str, moving: bool, seeds: tuple = (0, 1)) -> dict:
    """What the re-tracked measures give a renderer that changes nothing: the driving clip itself, each frame moved
    by a random sub-pixel shift (``metrics.shifted``, one resampling, as every rendered frame has), re-tracked and
    compared with the unshifted clip's re-track; the mean over ``seeds``. {gaze_corr, eye_corr, lip_corr}."""
    from w2le_live.personal import metrics as M

    fr, _, lm = ctx.clip(actor, driving, moving)
    got = [follow(lm, M.track_landmarks(M.shifted(fr, seed))) for seed in seeds]
    return {k: float(np.mean([g[k] for g in got])) for k in got[0]}


def checks(row: dict, kind: str) -> list[str]:
    """The issue's thresholds this row misses (names)."""
    p = row["personal"]
    miss = []
    if kind == "self":
        return [] if p["sharp_median"] >= SELF_SHARP else ["self-sharp"]
    if not (p["sharp_median"] >= SHARP_MEDIAN and p["sharp_low"] <= SHARP_LOW):
        miss.append("sharp")
    if not p["gaze_corr"] >= GAZE:
        miss.append("gaze")
    if not p["lip_corr"] >= LIP:
        miss.append("lips")
    # the bar stays on the driving-frame reference; seam_ref is a diagnostic (seam_measure.md)
    if p["seam"] > 0.5:
        miss.append("seam")
    if kind == "from_any":
        if not row["facex_personal"] >= FROM_ANY_RATIO * row["facex_real"]:
            miss.append("p(happy)")
    elif (
        row["target"] in ("happy", "surprised")
        and not row["facex_personal"] >= FACEX_RATIO * row["facex_real"]
    ):
        miss.append("facex")
    return miss


# -- grids ---------------------------------------------------------------------------------------------------
def _boxes(lm: np.ndarray, shape) -> dict:
    from w2le_live.face.landmarks import face_width
    from w2le_live.personal import metrics as M

    h, w = shape[:2]
    if not np.isfinite(lm).all():
        return {}
    fw = face_width(lm)
    x0, x1 = min(lm[33, 0], lm[263, 0]) - 0.08 * fw, max(lm[33, 0], lm[263, 0]) + 0.08 * fw
    y0, y1 = min(lm[105, 1], lm[334, 1]) - 0.06 * fw, max(lm[145, 1], lm[374, 1]) + 0.24 * fw  # + under-eye
    mb = M.mouth_box(lm, shape)
    out = {"eyes": (int(max(x0, 0)), int(max(y0, 0)), int(min(x1, w)), int(min(y1, h)))}
    if mb:
        out["mouth"] = mb
    return out


def grid_row(c: dict, label: str, k: int, zoom: str, cell: tuple) -> np.ndarray:
    """driving | personal | landmark | real at frame k, each zoomed on ``zoom`` (mouth or eyes)."""
    import cv2

    cells = []
    kr = min(k, len(c["real"]) - 1)
    for _name, img, lm in (("driving", c["drive"][k], c["lm"][k]), ("personal", c["personal"][k], c["lm"][k]),
                          ("landmark", c["landmark"][k] if c["landmark"] else None, c["lm"][k]),
                          ("real", c["real"][kr], c["real_lm"][kr])):  # fmt: skip
        box = _boxes(lm, img.shape).get(zoom) if img is not None else None
        if box is None:
            cells.append(np.zeros((cell[1], cell[0], 3), np.uint8))
            continue
        x0, y0, x1, y1 = box
        cells.append(cv2.resize(img[y0:y1, x0:x1], cell, interpolation=cv2.INTER_NEAREST))
    strip = np.hstack(cells)
    cv2.putText(
        strip, f"{label} f{k}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA
    )
    return strip


def write_grids(out: Path, actor: str, cases: list) -> list[str]:
    """grid_mouth_<actor>.png and grid_eyes_<actor>.png: per case the middle frame and the least sharp one."""
    import cv2

    names = []
    for zoom, cell in (("mouth", (200, 160)), ("eyes", (260, 130))):
        rows = []
        for label, c, sharp in cases:
            k_mid = len(c["drive"]) // 2
            k_bad = int(np.nanargmin(sharp)) if np.isfinite(sharp).any() else k_mid
            rows.append(
                np.hstack(
                    [grid_row(c, label, k_mid, zoom, cell), grid_row(c, label + " worst", k_bad, zoom, cell)]
                )
            )
        head = np.zeros((22, rows[0].shape[1], 3), np.uint8)
        for j, t in enumerate(["driving", "personal", "landmark", "real"] * 2):
            cv2.putText(
                head, t, (j * cell[0] + 4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA
            )
        name = f"grid_{zoom}_{actor}.png"
        cv2.imwrite(str(out / name), np.vstack([head] + rows))
        names.append(name)
    return names


# -- speed ---------------------------------------------------------------------------------------------------
def speed(ctx: Ctx, actor: str, frames: int, targets: tuple) -> dict:
    """ms per 640x480 frame on top of tracking (the moving-head clip, looped), median and p95."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.translators.base import Controls

    src, _, _ = ctx.clip(actor, "neutral", moving=True)
    res = {}
    for emo in targets:
        pt, _ = ctx.translator(actor, emo)
        ms, track_ms = [], []
        with FaceTracker() as tr:
            for i in range(frames):
                f = src[i % len(src)]
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


def live(ctx: Ctx, actor: str, seconds: float) -> dict:
    """The live loop (null sink) with the personal translator (happy), on two file sources played as a 25 fps
    640x480 camera: ``live_*`` the 256-px clip stretched to fill the frame (a ~380x280-px face, a harsh case) and
    ``live_cam_*`` the moving-head clip (the speed figure's ~135-px face, as a webcam at arm's length)."""
    import cv2

    from w2le_live.io.sinks import NullSink
    from w2le_live.io.sources import FileSource
    from w2le_live.pipeline import Pipeline
    from w2le_live.translators.base import Controls

    pt, _ = ctx.translator(actor, "happy")
    res: dict = {}
    with tempfile.TemporaryDirectory(prefix="w2le-live-") as tmp:
        cam = Path(tmp) / "moving.mp4"
        vw = cv2.VideoWriter(str(cam), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (640, 480))
        for f in ctx.clip(actor, "neutral", moving=True)[0]:
            vw.write(f)
        vw.release()
        for key, path, size in (("live", clip(actor, "neutral"), (640, 480)), ("live_cam", cam, None)):
            st = Pipeline(FileSource(str(path), loop=True, size=size), NullSink(), pt,
                          controls=Controls("happy", 1.0)).run_for(seconds)  # fmt: skip
            res.update({f"{key}_fps_out": round(st.fps_out, 2), f"{key}_latency_p50_ms": round(st.latency_ms_p50, 1),
                        f"{key}_latency_p95_ms": round(st.latency_ms_p95, 1), f"{key}_dropped": st.dropped,
                        f"{key}_translate_ms": round(st.stage_ms["translate"][0], 1)})  # fmt: skip
    return res


# -- report --------------------------------------------------------------------------------------------------
def _f(v, nd=2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    s = f"{v:.{nd}f}"  # a tiny negative step prints as 0.00, not -0.00
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def _pct(v) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.0%}"


def markdown(res: dict) -> str:
    """results.md: the tables of ``res`` against the issue's thresholds (miss = which ones this row misses)."""
    head = ("| actor | target (driving) | mouth sharp median / <0.5 personal (landmark) | gaze corr p (l) | "
            "blink corr / std ratio | lip corr p (l) | seam vs driving p (l) @row | seam vs min(driving, real) p (l) "
            "@row | facex in / p / l / real (p/real) | "
            "FER in / p / l / real | ms/frame | misses |\n|" + "---|" * 12 + "\n")  # fmt: skip

    def line(r: dict, kind: str) -> str:
        p, lm = r["personal"], r.get("landmark", {})
        fx = r["facex_personal"] / max(r["facex_real"], 1e-9)
        return (f"| {r['actor']} ({r['tuning']}) | {r['target']} ({r['driving']}) | "
                f"{_f(p['sharp_median'])} / {_pct(p['sharp_low'])} ({_f(lm.get('sharp_median'))} / "
                f"{_pct(lm.get('sharp_low'))}) | {_f(p['gaze_corr'])} ({_f(lm.get('gaze_corr'))}) | "
                f"{_f(p['eye_corr'])} / {_f(p['eye_std_ratio'])} | {_f(p['lip_corr'], 3)} ({_f(lm.get('lip_corr'), 3)}) | "
                f"{_f(p['seam'])} ({_f(lm.get('seam'))}) @{_f(p['seam_row'])} | "
                f"{_f(p.get('seam_ref'))} ({_f(lm.get('seam_ref'))}) @{_f(p.get('seam_ref_row'))} | "
                f"{_f(r['facex_input'])} / **{_f(r['facex_personal'])}** / {_f(r.get('facex_landmark'))} / "
                f"{_f(r['facex_real'])} ({_f(fx)}) | {_f(r['fer_input'])} / **{_f(r['fer_personal'])}** / "
                f"{_f(r.get('fer_landmark'))} / {_f(r['fer_real'])} | {_f(r['ms_median'], 1)} | "
                f"{', '.join(checks(r, kind)) or 'none'} |\n")  # fmt: skip

    s = [f"# Personal emotion (issue 18): measured results\n\nGenerated by `{res['command']}` in "
         f"{res['runtime_s']:.0f} s on {res['machine']}. W009 is the actor the renderer is tuned on, M030 is "
         "held out. The definitions are in the docstring of `benchmarks/bench_personal.py` and in "
         "`w2le_live/personal/metrics.py`.\n\nThresholds (issue 18): mouth sharpness median >= 0.85 and <= 5 % of "
         "frames below 0.5; gaze corr >= 0.9; lip corr >= 0.95; seam step vs driving <= 0.5 px of equivalent blur "
         "(the column vs min(driving, real), against the less textured of the driving frame and the actor's own "
         "real target clip, is a diagnostic, not the bar: `docs/personal/seam_measure.md`); facex "
         "p(target) >= 0.9 x the actor's own clip (happy, surprised); from any emotion p(happy) >= 0.6 x own "
         "happy clip; self-render sharpness >= 0.95; <= 10 ms per 640x480 frame on top of tracking.\n"]  # fmt: skip
    for title, key, kind in (("Static head", "rows", "static"), ("From any emotion (target happy)", "from_any", "from_any"),
                             ("Moving head (640x480, 0.6 of the height, +-15 degrees)", "moving", "static"),
                             ("Self-render (bank driven by its own enrolment clip)", "self", "self")):  # fmt: skip
        if res.get(key):
            s.append(f"\n## {title}\n\n" + head + "".join(line(r, kind) for r in res[key]))
    steady = [r for key in ("rows", "from_any") for r in res.get(key, []) if "steady" in r]
    if steady:
        s.append("\n## Steady state: the same clip's second pass\n\nNot the bar (issue 18 drives each clip once). "
                 "The translator that has just rendered the clip renders it again, so the live face's running "
                 "references (the upper face's recent mean, the lower face's, the lids') and the bank choices are "
                 "past their start: a 4-s clip is mostly the first seconds after a stream starts, a meeting mostly "
                 "this. The pass starts where the first ended (a cut). `first pass from other starts`: facex of "
                 f"the first pass started 0, {', '.join(map(str, STARTS))} frames in, min-max (one draw each: "
                 "`docs/personal/start.md`).\n\n| actor | target (driving) | facex first pass / second / own clip "
                 "(second/own) | facex first pass from other starts | FER first / second / own | lips first / second | "
                 "gaze first / second |\n|" + "---|" * 7 + "\n")  # fmt: skip
        for r in steady:
            q = r["steady"]
            every = [r["facex_personal"], *r.get("starts", {}).get("facex", [])]
            spread = f"{_f(min(every))}-{_f(max(every))}" if len(every) > 1 else "-"
            s.append(f"| {r['actor']} ({r['tuning']}) | {r['target']} ({r['driving']}) | {_f(r['facex_personal'])} / "
                     f"**{_f(q.get('facex'))}** / {_f(r['facex_real'])} ({_f(q.get('facex', float('nan')) / max(r['facex_real'], 1e-9))}) | "
                     f"{spread} | "
                     f"{_f(r['fer_personal'])} / **{_f(q.get('fer'))}** / {_f(r['fer_real'])} | "
                     f"{_f(r['personal']['lip_corr'], 3)} / {_f(q.get('lip_corr'), 3)} | {_f(r['personal']['gaze_corr'])} / "
                     f"{_f(q.get('gaze_corr'))} |\n")  # fmt: skip
    if any("facex_real_moving" in r for r in res.get("moving", [])):
        s.append("\n## Moving head: what the motion costs the measures themselves\n\nNot the bar (the bar above "
                 "compares with the STATIC own clip, as issue 18 states it). `own clip moved`: the judges on the "
                 "actor's own target clip moved exactly as the driving clip is; `static output moved`: the personal "
                 "output of the static driving clip moved afterwards, measured like a moving row (what a renderer "
                 "exactly invariant to the motion would score). `exact landmarks`: the moving clip rendered from the "
                 "static clip's live landmarks moved exactly, not its own tracker's. Moving row vs exact landmarks: "
                 "the loss to the tracker on the moved frames; exact landmarks vs static output moved: the "
                 "renderer's own; static output moved vs the static row: the re-tracker's or judge's.\n\n"
                 "| actor | target (driving) | facex own clip static / moved | FER own clip static / moved | "
                 "personal moving: gaze / blink std / lip / seam / facex | exact landmarks: gaze / blink std / lip / "
                 "seam / facex | static output moved: gaze / blink std / lip / seam / facex |\n|"
                 + "---|" * 7 + "\n")  # fmt: skip

        def five(q: dict) -> str:
            return (f"{_f(q.get('gaze_corr'))} / {_f(q.get('eye_std_ratio'))} / {_f(q.get('lip_corr'), 3)} / "
                    f"{_f(q.get('seam'))} / {_f(q.get('facex'))}")  # fmt: skip

        for r in res["moving"]:
            p = dict(r["personal"], facex=r["facex_personal"])
            s.append(f"| {r['actor']} ({r['tuning']}) | {r['target']} ({r['driving']}) | {_f(r['facex_real'])} / "
                     f"{_f(r.get('facex_real_moving'))} | {_f(r['fer_real'])} / {_f(r.get('fer_real_moving'))} | "
                     f"{five(p)} | {five(r.get('exact_landmarks', {}))} | {five(r.get('static_moved', {}))} |\n")  # fmt: skip
    if res.get("floors"):
        s.append("\n## The re-tracker's floor: the unchanged driving clip\n\nNot the bar. Each driving clip, every "
                 "frame moved by a random sub-pixel shift (one resampling, as every rendered frame has; "
                 "`metrics.shifted`, mean of two seeds), re-tracked by the same fresh tracker and compared with its "
                 "unshifted re-track: what the gaze, blink and lip measures give a renderer that changed nothing. A "
                 "row above that reads near this floor has lost little or nothing to the renderer; the landmark "
                 "translator's column can read above it (one draw of the re-tracker's noise).\n\n| actor | driving "
                 "clip | gaze corr | blink corr | lip corr |\n|" + "---|" * 5 + "\n")  # fmt: skip
        for f in res["floors"]:
            s.append(f"| {f['actor']} ({TUNED.get(f['actor'], '-')}) | {f['driving']}{' (moving head)' if f['moving'] else ''} | "
                     f"{_f(f['gaze_corr'])} | {_f(f['eye_corr'])} | {_f(f['lip_corr'], 3)} |\n")  # fmt: skip
    if res.get("speed"):
        s.append("\n## Speed (medians, ms)\n\n")
        if res.get("speed_source"):
            s.append(f"Carried over from an earlier run (`--speed-from`): {res['speed_source']}.\n\n")
        s.append("| what | value |\n|---|---|\n")
        s.append("".join(f"| {k} | {v} |\n" for k, v in res["speed"].items()))
    if res.get("grids"):
        s.append("\n## Grids\n\n" + "".join(f"- `{g}`\n" for g in res["grids"]) +
                 "\nColumns `driving | personal | landmark | real` for the middle frame, then the frame with the "
                 "least sharp mouth; rows: targets (static head) and from-any cases.\n")  # fmt: skip
    return "".join(s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actors", nargs="+", default=["M030", "W009"])
    ap.add_argument("--targets", nargs="+", default=list(TARGETS))
    ap.add_argument(
        "--out", default=None, help="default docs/personal; with --quick <temp dir>/w2le_bench_personal_quick"
    )
    ap.add_argument("--quick", action="store_true",
                    help="happy and surprised only, one moving-head and one from-any case per actor, 40 speed frames, no live loop")  # fmt: skip
    ap.add_argument("--speed-frames", type=int, default=100)
    ap.add_argument("--live-seconds", type=float, default=10.0)
    ap.add_argument("--no-moving", action="store_true")
    ap.add_argument(
        "--from-any",
        nargs="*",
        default=None,
        metavar="EMOTION",
        help=f"driving emotions of the from-any cases (default {' '.join(FROM_ANY)}; the flag alone or 'none': skip)",
    )
    ap.add_argument("--no-self", action="store_true", help="skip the self-render check")
    ap.add_argument("--no-grids", action="store_true", help="write no grid images")
    ap.add_argument("--speed-from", type=Path, default=None, metavar="RESULTS_JSON",
                    help="with --speed-frames 0 --live-seconds 0: carry the speed table of an earlier run over "
                         "(a loaded machine's timings are not the product's); results.md names its source")  # fmt: skip
    args = ap.parse_args()
    t_start = time.perf_counter()
    import torch

    torch.set_num_threads(1)  # the FER judge: threads fight on a shared 2-core machine
    from w2le_live.models.facex_judge import FacexJudge
    from w2le_live.personal.metrics import FerJudge

    targets = ("happy", "surprised") if args.quick else tuple(args.targets)
    from_any = ("angry",) if args.quick else FROM_ANY
    if args.from_any is not None:
        from_any = tuple(e for e in args.from_any if e != "none")
    moving_targets = ("happy",) if args.quick else targets
    speed_frames = 40 if args.quick else args.speed_frames
    live_s = 0.0 if args.quick else args.live_seconds
    out = Path(
        args.out
        or (Path(tempfile.gettempdir()) / "w2le_bench_personal_quick" if args.quick else "docs/personal")
    )
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="w2le-bench-")
    os.environ["W2LE_DATA_DIR"] = tmp.name  # profiles go through the real store, never the user's
    judges = {"facex": (FacexJudge(MEAD.parent / "models" / "facex" / "model_optimized.tflite"), 200),
              "fer": (FerJudge(), 96)}  # fmt: skip
    ctx = Ctx(judges)
    res: dict = {"rows": [], "from_any": [], "moving": [], "self": [], "grids": [], "floors": []}

    def log(r: dict) -> None:
        p = r["personal"]
        print(f"{r['actor']} {r['target']:9s} <- {r['driving']:9s}{' moving' if r['moving'] else ''}: "
              f"sharp {p['sharp_median']:.2f} ({p['sharp_low']:.0%} < 0.5) gaze {p['gaze_corr']:.2f} "
              f"lip {p['lip_corr']:.3f} seam {p['seam']:.2f}@{p['seam_row']} seam_ref {p.get('seam_ref', float('nan')):.2f}@"
              f"{p.get('seam_ref_row')} facex {r['facex_personal']:.2f}/"
              f"{r['facex_real']:.2f}"
              + (f" (own clip moved {r['facex_real_moving']:.2f})" if "facex_real_moving" in r else "")
              + (f"; static output moved: gaze {r['static_moved']['gaze_corr']:.2f} blink std "
                 f"{r['static_moved']['eye_std_ratio']:.2f} lip {r['static_moved']['lip_corr']:.3f} seam "
                 f"{r['static_moved']['seam']:.2f} facex {r['static_moved']['facex']:.2f}" if "static_moved" in r else "")
              + (f"; second pass: facex {r['steady']['facex']:.2f} lip {r['steady']['lip_corr']:.3f}"
                 if "steady" in r else "")
              + (f"; other starts facex {' '.join(f'{v:.2f}' for v in r['starts']['facex'])}" if "starts" in r else "")
              + (f"; exact landmarks: gaze {r['exact_landmarks']['gaze_corr']:.2f} lip "
                 f"{r['exact_landmarks']['lip_corr']:.3f} facex {r['exact_landmarks']['facex']:.2f}"
                 if "exact_landmarks" in r else ""),
              flush=True)  # fmt: skip

    for actor in args.actors:
        cases = []
        for target in targets:
            driving = "sad" if target == "neutral" else "neutral"
            row, c = run_case(ctx, actor, target, driving, False, steady=True)
            res["rows"].append(row)
            log(row)
            cases.append((target, c, _sharp(c)))
        for driving in from_any:
            row, c = run_case(ctx, actor, "happy", driving, False, steady=True)
            res["from_any"].append(row)
            log(row)
            cases.append((f"happy<-{driving}", c, _sharp(c)))
        if not args.no_moving:
            static = {label: c for label, c, _ in cases}
            for target in moving_targets:
                driving = "sad" if target == "neutral" else "neutral"
                row, _ = run_case(ctx, actor, target, driving, True, landmark=False)
                if target in static:
                    row["static_moved"] = moved_reference(
                        ctx, actor, target, driving, static[target]["personal"]
                    )
                    row["exact_landmarks"] = exact_landmarks(ctx, actor, target, driving)
                res["moving"].append(row)
                log(row)
        if not args.no_self:
            row, _ = run_case(ctx, actor, "happy", "happy", False, landmark=False)
            res["self"].append(row)
            log(row)
        if not args.no_grids:
            res["grids"] += write_grids(out, actor, cases)
        drivings = {(r["driving"], r["moving"]) for key in ("rows", "from_any", "moving") for r in res[key]
                    if r["actor"] == actor}  # fmt: skip
        for driving, moving in sorted(drivings):
            res["floors"].append(
                dict(floor(ctx, actor, driving, moving), actor=actor, driving=driving, moving=moving)
            )
    sp = speed(ctx, args.actors[0], speed_frames, ("happy", "surprised")) if speed_frames else {}
    if live_s:
        sp.update(live(ctx, args.actors[0], live_s))
    if args.speed_from is not None and not sp:
        earlier = json.loads(args.speed_from.read_text())
        sp = dict(earlier.get("speed", {}))
        res["speed_source"] = f"{earlier.get('command', '?')}, {earlier.get('machine', '?')}"
    res["speed"] = sp
    print(json.dumps(sp))
    res["runtime_s"] = round(time.perf_counter() - t_start, 1)
    res["command"] = " ".join(["python benchmarks/bench_personal.py", *sys.argv[1:]])
    res["machine"] = (
        f"{os.cpu_count()} CPU cores (shared with other jobs), load average {os.getloadavg()[0]:.1f} at the end"
    )
    (out / "results.json").write_text(json.dumps(res, indent=1, default=float))
    (out / "results.md").write_text(markdown(res))
    tmp.cleanup()
    print(f"{res['runtime_s']:.0f} s; wrote {out / 'results.md'}")


def _sharp(c: dict) -> np.ndarray:
    from w2le_live.personal import metrics as M

    return M.mouth_sharpness(c["drive"], c["personal"], c["lm"])


if __name__ == "__main__":
    main()
