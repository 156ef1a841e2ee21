"""The MEAD clips in ../shared/data/mead the personal-emotion tests use, and tracking one the way the live loop does."""

from __future__ import annotations

from pathlib import Path


def mead_clip(root: Path, actor: str, emotion: str) -> Path:
    """The actor's frontal clip of an emotion: level 1 for neutral, level 3 otherwise. root: the shared data dir."""
    level = 1 if emotion == "neutral" else 3
    return root / "mead" / f"{actor}_front_{emotion}_level{level}_001.mp4"


def track_clip(path: Path) -> list:
    """[(frame (H, W, 3) uint8 BGR, FaceObservation or None)] for every frame, by one smoothed live tracker."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames

    with FaceTracker() as tr:
        return [(f, tr.process(f, t)) for _, t, f in iter_frames(path)]


def w009_happy_bank_and_neutral(root: Path) -> tuple:
    """(W009's happy bank, enrolled with her neutral clip as reference; her neutral clip's frames, (H, W, 3) uint8
    BGR), the pair the robustness tests wear; skips the test when the clips are not in ../shared/data."""
    import pytest

    from w2le_live.io.video import iter_frames
    from w2le_live.personal.enroll import enroll_file

    neutral = mead_clip(root, "W009", "neutral")
    if not neutral.is_file():
        pytest.skip("the W009 MEAD clips are not in ../shared/data/mead")
    bank = enroll_file("happy", str(mead_clip(root, "W009", "happy")), str(neutral))
    return bank, [f for _, _, f in iter_frames(neutral)]
