"""A talking-head clip of ../shared/data/talking cut into a bank part and a driving part, and a personal translator
run over the driving part the way the live loop does (one smoothed tracker, 25 fps) — the "self cases" of
docs/personal/wild.md."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import pytest


def clip_parts(root: Path, clip: str, bank: tuple[int, int], drive: tuple[int, int]) -> tuple[list, list]:
    """(bank frames, driving frames), each [(H, W, 3) uint8 BGR] at 25 fps, frames [a, b) of ``clip`` (a path
    under the shared data dir ``root``); skips the test with the reason when the clip is absent."""
    from w2le_live.io.video import iter_frames

    path = root / clip
    if not path.is_file():
        pytest.skip(f"the talking-head clip is not in {path}")
    keep = {}
    for i, (_, _, f) in zip(range(max(bank[1], drive[1])), iter_frames(path)):
        if bank[0] <= i < bank[1] or drive[0] <= i < drive[1]:
            keep[i] = f
    return [keep[i] for i in range(*bank) if i in keep], [keep[i] for i in range(*drive) if i in keep]


def translate_all(translator, frames: list, emotion: str = "happy",
                  after: Optional[Callable[[], None]] = None) -> list:  # fmt: skip
    """``translator`` (a PersonalTranslator) over frames [(H, W, 3) uint8 BGR], tracked by one smoothed tracker at
    25 fps, target ``emotion`` at full intensity: the output frames. after: called after each frame (to read the
    translator's state)."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.translators.base import Controls

    with FaceTracker() as tr:
        faces = [tr.process(f, i / 25) for i, f in enumerate(frames)]
    out = []
    for f, o in zip(frames, faces):
        out.append(translator.translate(f, o, None, Controls(emotion, 1.0)))
        if after is not None:
            after()
    return out


def self_case(root: Path, clip: str, bank: tuple[int, int], drive: tuple[int, int], name: str) -> dict:
    """A self case without a neutral reference: a happy bank enrolled (as ``name``) from frames [bank) of ``clip``,
    the personal translator over frames [drive) (:func:`translate_all`). Returns {"drive", "out": [(H, W, 3) uint8
    BGR], "lm_drive", "lm_out": (F, 478, 3) float32 fresh re-tracks, "changed": mean grey change per pixel, output
    against driving (> 0 where the face was rendered, not passed through)}."""
    import numpy as np

    from w2le_live.personal import metrics as M
    from w2le_live.personal.enroll import enroll_frames
    from w2le_live.translators.personal import PersonalTranslator

    bank_frames, frames = clip_parts(root, clip, bank, drive)
    out = translate_all(PersonalTranslator({"happy": enroll_frames("happy", bank_frames, name, neutral_frames=None)}),
                        frames)  # fmt: skip
    return {"drive": frames, "out": out, "lm_drive": M.track_landmarks(frames), "lm_out": M.track_landmarks(out),
            "changed": float(np.mean([np.abs(o.astype(int) - f).mean() for f, o in zip(frames, out)]))}  # fmt: skip
