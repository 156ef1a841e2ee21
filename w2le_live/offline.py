"""File-to-file translation: decode, track, translate every frame at 25 fps, mux the original audio back."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from w2le_live.config import FPS
from w2le_live.errors import InputFileError, NoAudioError
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
            f"translator: {self.translator}",
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
    from w2le_live.audio.mel import melspectrogram
    from w2le_live.audio.windows import frame_mel_windows
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io import video

    src, dst = Path(src), Path(dst)
    info = video.probe(src)
    mel_windows = None
    audio_native = None
    if info.has_audio:
        audio16 = video.read_audio(src, sr=16000)
        audio_native = video.read_audio_native(src)
    elif translator.needs_audio and not allow_silence:
        raise NoAudioError(
            f"{src} has no audio track, so the {translator.name} model has no lip-sync guidance; "
            "add --allow-silence to translate it with silent audio anyway."
        )
    else:
        audio16 = None
    n_frames_est = max(1, int(round(info.duration * FPS)))
    if translator.needs_audio:
        if audio16 is None:
            audio16 = np.zeros(int(info.duration * 16000), dtype=np.float32)
        if len(audio16) < int(0.2 * 16000):
            raise InputFileError(
                f"{src} is shorter than one 200 ms audio window; use a clip of at least a fifth of a second."
            )
        mel_windows = frame_mel_windows(melspectrogram(audio16), n_frames_est, fps=FPS, alignment=alignment)

    summary = TranslateSummary(translator=translator.describe())
    translator.reset()
    writer = video.VideoWriter(
        dst,
        fps=FPS,
        size=(info.width, info.height),
        audio=audio_native[0] if audio_native is not None else None,
        audio_rate=audio_native[1] if audio_native is not None else None,
    )
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_frames_est, unit="frame", desc=f"translate {src.name}", leave=False)
    t_start = time.perf_counter()
    decode_stats = video.DecodeStats()
    try:
        with FaceTracker() as tracker:
            t_prev = time.perf_counter()
            for index, t, frame in video.iter_frames(src, fps=FPS, stats=decode_stats):
                t0 = time.perf_counter()
                face = tracker.process(frame, t)
                t1 = time.perf_counter()
                mel = None
                if mel_windows is not None:
                    mel = mel_windows[min(index, len(mel_windows) - 1)]
                out = translator.translate(frame, face, mel, controls)
                t2 = time.perf_counter()
                writer.write(out)
                t3 = time.perf_counter()
                if on_frame is not None:
                    on_frame(index, frame, out)
                for stage, dt in zip(STAGES, (t0 - t_prev, t1 - t0, t2 - t1, t3 - t2)):
                    summary.stage_ms[stage].append(dt * 1000.0)
                summary.frames += 1
                summary.frames_with_face += face is not None
                if bar is not None:
                    bar.update(1)
                t_prev = time.perf_counter()
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
