"""The bundled demo clip, so the first run needs no webcam and no weights."""

from __future__ import annotations

from pathlib import Path

from w2le_live.errors import InputFileError

DEMO_CLIP = "demo_grid_lbax4n.mp4"  # GRID corpus, CC BY 4.0: see assets/ATTRIBUTION.md


def demo_clip_path() -> Path:
    """Path of the bundled real talking clip (360x288, 25 fps, 3 s, with speech)."""
    path = Path(__file__).resolve().parent / "assets" / DEMO_CLIP
    if not path.is_file():
        raise InputFileError(f"the demo clip {path} is missing from this install; reinstall w2le-live.")
    return path
