"""File-to-file translation: decode, track, translate every frame at 25 fps, mux the original audio back."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from w2le_live.config import FPS
from w2le_live.errors import InputFileError
from w2le_live.translators.base import Controls, Translator

log = logging.getLogger(__name__)

STAGES = ("decode", "track", "translate", "encode")


@dataclass
class TranslateSummary:
    """What a file job did, printed at the end and returned to callers/tests."""

    frames: int = 0
    frames_with_face: int = 0
    seconds: float = 0.0
    translator: str = ""
    serving: str = (
        ""  # who made the target emotion (e.g. "personal happy", "neural neutral->happy openvino int8")
    )
    damaged: str = ""  # what could not be decoded (io.video.DecodeStats.line()), '' when nothing
    stage_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})

    def median_ms(self, stage: str) -> float:
        v = self.stage_ms.get(stage) or [0.0]
        return float(np.median(v))

    def lines(self) -> list[str]:
        per_stage = ", ".join(f"{s} {self.median_ms(s):.1f}" for s in STAGES)
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        return [
            f"frames: {self.frames} ({self.frames_with_face} with a face, "
            f"{self.frames - self.frames_with_face} passed through unchanged)",
            f"{self.serving or 'translator'}: {self.translator}",
            f"median ms/frame: {per_stage}; overall {fps:.1f} fps",
        ] + ([self.damaged] if self.damaged else [])


def translate_file(
    src: str | Path,
    dst: str | Path,
    translator: Translator,
    controls: Controls,
    *,
    allow_silence: bool = False,
    alignment: str = "wav2lip",
    progress: bool = True,
    on_frame: Optional[Callable[[int, np.ndarray, np.ndarray], None]] = None,
) -> TranslateSummary:
    """Translate every frame of ``src`` (resampled to 25 fps) into ``dst`` with the original audio.

    Raises a ``UserError`` (one sentence) for bad input; ``dst`` is never left half-written.
    ``on_frame(index, input_bgr, output_bgr)`` is called per frame (tests, previews).
    """
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.frame_step import FrameStep, clip_mel_feed, iter_clip
    from w2le_live.io import video

    src, dst = Path(src), Path(dst)
    info = video.probe(src)
    mel_feed = clip_mel_feed(
        src,
        alignment=alignment,
        required=translator.needs_audio,
        allow_silence=allow_silence,
        model_name=translator.name,
    )
    summary = TranslateSummary(
        translator=translator.describe(), serving=translator.serving_label(controls.target)
    )
    translator.reset()
    writer = _writer(src, dst, info)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=max(1, int(round(info.duration * FPS))), unit="frame", desc=f"translate {src.name}",
                   leave=False)  # fmt: skip
    t_start = time.perf_counter()
    decode_stats = video.DecodeStats()
    try:
        with FaceTracker() as tracker:
            frames = iter_clip(src, FrameStep(tracker, translator, mel_feed), controls, fps=FPS,
                               decode_stats=decode_stats)  # fmt: skip
            _write_frames(frames, writer, summary, bar, on_frame)
        if summary.frames == 0:
            raise InputFileError(f"{src} contains no decodable video frames; check that the file plays.")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    summary.seconds = time.perf_counter() - t_start
    summary.damaged = decode_stats.line()
    return summary


def _write_frames(frames, writer, summary: TranslateSummary, bar, on_frame) -> None:
    """Encode each (index, t, input frame, StepResult) of ``iter_clip``, timing it, counting into ``summary``."""
    for index, _t, frame, res in frames:
        t0 = time.perf_counter()
        writer.write(res.out)
        res.ms["encode"] = (time.perf_counter() - t0) * 1000.0
        if on_frame is not None:
            on_frame(index, frame, res.out)
        for stage in STAGES:
            summary.stage_ms[stage].append(res.ms.get(stage, 0.0))
        summary.frames += 1
        summary.frames_with_face += res.face is not None
        if bar is not None:
            bar.update(1)


def _writer(src: Path, dst: Path, info):
    """The (atomic) mp4 writer for ``dst``: 25 fps, the source's size, its audio track as it is."""
    from w2le_live.io import video

    audio = video.read_audio_native(src) if info.has_audio else None
    return video.VideoWriter(dst, fps=FPS, size=(info.width, info.height), audio=audio[0] if audio else None,
                             audio_rate=audio[1] if audio else None)  # fmt: skip
