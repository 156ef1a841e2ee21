"""Preprocess clips into 96x96 face crops, full-face masks, 16 kHz audio and mel, with a manifest.

Parallel over processes, resumable (a clip whose ``meta.json`` exists is skipped), and a corrupt or unreadable
clip is logged and skipped — it never stops the run.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import numpy as np

from training.layouts import ClipInfo, find_clips

log = logging.getLogger(__name__)


def preprocess_clip(clip: ClipInfo, out_root: str | Path) -> Optional[dict]:
    """Write frames.npy (N, 96, 96, 3) uint8 BGR, masks.npy (N, 96, 96) uint8 full-face hull, audio.npy (16 kHz
    float32), mel.npy (80, T) and meta.json into ``out_root/<clip.key>``; returns the manifest row (None: skipped)."""
    from w2le_live.audio.mel import melspectrogram
    from w2le_live.errors import UserError
    from w2le_live.face.generator_input import prior_mask
    from w2le_live.face.masks import crop_face, landmarks_to_crop
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.frame_step import FrameStep, iter_clip
    from w2le_live.io import video

    out = Path(out_root) / clip.key
    if (out / "meta.json").exists():
        return json.loads((out / "meta.json").read_text())
    try:
        info = video.probe(clip.video)
        src_audio = clip.audio or (clip.video if info.has_audio else None)
        audio = video.read_audio(src_audio) if src_audio else np.zeros(int(info.duration * 16000), np.float32)
        frames, masks, last = [], [], None
        with FaceTracker() as tr:
            for _i, _t, frame, res in iter_clip(clip.video, FrameStep(tr)):  # the runtime's frame step
                face = res.face
                if face is None:
                    if last is None:
                        continue  # no face yet: the clip starts at the first face
                    face = last  # keep timing: reuse the last box for a short dropout
                last = face
                crop, aff = crop_face(frame, face.box)
                frames.append(crop)
                masks.append(prior_mask("full", landmarks_to_crop(face.landmarks, aff)).astype(np.uint8))
    except (UserError, OSError, ValueError) as exc:
        log.warning("skipping %s: %s", clip.video, exc)
        return None
    if len(frames) < 5:
        log.warning("skipping %s: fewer than 5 frames with a face", clip.video)
        return None
    tmp = out.with_name(out.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    np.save(tmp / "frames.npy", np.stack(frames))
    np.save(tmp / "masks.npy", np.stack(masks))
    np.save(tmp / "audio.npy", audio.astype(np.float32))
    np.save(tmp / "mel.npy", melspectrogram(audio) if len(audio) else np.full((80, 16), -4, np.float32))
    row = {
        **asdict(clip),
        "frames": len(frames),
        "audio_seconds": round(len(audio) / 16000, 3),
        "has_audio": bool(src_audio),
        "dir": clip.key,
    }
    (tmp / "meta.json").write_text(json.dumps(row))
    if out.exists():
        import shutil

        shutil.rmtree(out)
    os.replace(tmp, out)  # atomic: a killed run leaves only .partial folders, redone next time
    return row


def _work(args):
    clip, out = args
    try:
        return preprocess_clip(clip, out)
    except Exception as exc:  # noqa: BLE001 - one bad clip never stops the run
        log.warning("skipping %s: %s: %s", clip.video, exc.__class__.__name__, exc)
        return None


def preprocess(root: str | Path, out: str | Path, workers: int = 2, progress: bool = True) -> list[dict]:
    """Preprocess every clip under ``root`` into ``out`` and write ``out/manifest.jsonl``."""
    clips = find_clips(root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(c, out) for c in clips]
    rows: list[dict] = []
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            it = pool.imap_unordered(_work, jobs)
            rows = _collect(it, len(jobs), progress)
    else:
        rows = _collect(map(_work, jobs), len(jobs), progress)
    done = len([r for r in rows if r])
    # the manifest lists every finished clip in ``out`` (this run's and earlier runs'), so runs can be resumed/extended
    rows = sorted(
        (json.loads(m.read_text()) for m in out.rglob("meta.json") if ".partial" not in str(m)),
        key=lambda r: r["dir"],
    )
    with open(out / "manifest.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    log.info("%d of %d clips ready in this run; %d in %s", done, len(clips), len(rows), out)
    return rows


def _collect(it, total: int, progress: bool) -> list:
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=total, unit="clip", desc="preprocess")
    return list(it)


def read_manifest(data: str | Path) -> list[dict]:
    path = Path(data) / "manifest.jsonl"
    if not path.exists():
        from w2le_live.errors import UserError

        raise UserError(f"{path} does not exist; run: w2le-train preprocess SRC --out {data}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
