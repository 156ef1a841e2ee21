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
