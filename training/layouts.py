"""Find clips in MEAD's distributed layout or a plain ``<person>/<emotion>/<clip>.mp4`` layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

VIDEO_EXT = (".mp4", ".mov", ".mkv", ".avi", ".mpg", ".webm")


@dataclass(frozen=True)
class ClipInfo:
    actor: str
    emotion: str
    level: int
    utterance: str
    video: str
    audio: Optional[str] = None  # separate audio file (MEAD .m4a); None: the video's own track

    @property
    def key(self) -> str:
        return f"{self.actor}/{self.emotion}/level_{self.level}/{self.utterance}"


def find_clips(root: str | Path) -> list[ClipInfo]:
    """MEAD: ``<actor>/video/front/<emotion>/level_<n>/<id>.mp4`` (+ ``<actor>/audio/<emotion>/level_<n>/<id>.m4a``);
    plain: ``<person>/<emotion>/<clip>.mp4`` (audio inside). Both can be mixed under one root."""
    root = Path(root)
    clips: list[ClipInfo] = []
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in VIDEO_EXT or not p.is_file():
            continue
        rel = p.relative_to(root).parts
        if len(rel) >= 6 and rel[1] == "video":
            actor, _, _view, emotion, level = rel[:5]
            if _view != "front":
                continue
            lv = int(re.sub(r"\D", "", level) or 1)
            audio = root / actor / "audio" / emotion / level / (p.stem + ".m4a")
            clips.append(ClipInfo(actor, emotion, lv, p.stem, str(p), str(audio) if audio.exists() else None))
        elif len(rel) == 3:
            person, emotion, _ = rel
            clips.append(ClipInfo(person, emotion, 1, p.stem, str(p)))
    return clips
