"""The one per-frame step: track -> audio window for the frame's time -> translate (the translator pastes back).

Every consumer runs frames through this module — the live pipeline, file translation, evaluation, int8
calibration, training preprocessing and the benchmarks — so what is measured is what runs. Audio comes from a
:class:`MelFeed`: a whole-clip mel (files) or the live :class:`~w2le_live.audio.ring.AudioRing`, under the model's
alignment. A translator that ``needs_audio`` always gets a window when a feed exists.
"""

from __future__ import annotations

import abc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from w2le_live.config import FPS, MelConfig
from w2le_live.errors import InputFileError, NoAudioError
from w2le_live.face.types import FaceObservation
from w2le_live.translators.base import Controls, Translator

log = logging.getLogger(__name__)
STEP_STAGES = ("track", "audio", "translate")


class MelFeed(abc.ABC):
    """Where the (80, 16) mel window for a frame comes from."""

    alignment: str = "wav2lip"

    @abc.abstractmethod
    def window(self, t: float, index: int) -> np.ndarray:
        """(80, 16) float32 in [-4, 4] for the frame captured at time ``t`` (seconds) with number ``index``."""


class ClipMel(MelFeed):
    """A whole clip's mel spectrogram; frames are looked up by index at ``fps``."""

    def __init__(self, mel: np.ndarray, alignment: str = "wav2lip", fps: float = FPS):
        """mel: (80, T) float32 in [-4, 4] of the whole clip (80 mel frames per second)."""
        self.mel, self.alignment, self.fps = mel, alignment, fps

    def window(self, t: float, index: int) -> np.ndarray:
        from w2le_live.audio.windows import mel_window_for_frame

        return mel_window_for_frame(self.mel, index, self.fps, self.alignment)


class RingMel(MelFeed):
    """The live microphone/file audio ring; waits up to ``wait_s`` for audio the window needs, then reads."""

    def __init__(self, ring, alignment: str = "wav2lip", wait_s: float = 0.0):
        self.ring, self.alignment, self.wait_s = ring, alignment, wait_s

    def window(self, t: float, index: int) -> np.ndarray:
        from w2le_live.audio.windows import alignment_lookahead_s, mel_window_at

        if self.wait_s > 0:
            need = t + alignment_lookahead_s(self.alignment)
            deadline = time.monotonic() + self.wait_s
            while (self.ring.latest_time() or 0) < need and time.monotonic() < deadline:
                time.sleep(0.002)
        return mel_window_at(self.ring, t, self.alignment)


class SilentMel(MelFeed):
    """Silence (a clip with no audio track, translated with ``--allow-silence``)."""

    def __init__(self, alignment: str = "wav2lip", cfg: MelConfig = MelConfig()):
        self.alignment = alignment
        self._w = np.full((cfg.n_mels, cfg.window_frames), -cfg.max_abs_value, np.float32)

    def window(self, t: float, index: int) -> np.ndarray:
        return self._w


@dataclass
class Observation:
    """What tracking and the audio feed give for one frame (``mel`` only when the translator needs it)."""

    face: Optional[FaceObservation]
    mel: Optional[np.ndarray]  # (80, 16) float32 in [-4, 4]
    ms: dict[str, float] = field(default_factory=dict)


@dataclass
class StepResult:
    """One frame through the step. ``out`` is ``frame`` itself when nothing was changed."""

    out: np.ndarray  # (H, W, 3) uint8 BGR
    face: Optional[FaceObservation]
    mel: Optional[np.ndarray]
    translated: bool
    error: Optional[BaseException] = None
    ms: dict[str, float] = field(default_factory=dict)


class FrameStep:
    """Track -> mel -> translate for one frame; ``translator`` may be swapped between frames (live controls).

    ``catch_errors`` (live): a translator exception passes the frame through and is returned in
    ``StepResult.error``; otherwise (files) it propagates. ``need_audio`` forces the mel window even for a
    translator that does not need it (calibration, preprocessing).
    """

    def __init__(
        self,
        tracker,
        translator: Optional[Translator] = None,
        mel_feed: Optional[MelFeed] = None,
        *,
        catch_errors: bool = False,
        need_audio: bool = False,
    ):
        self.tracker, self.translator, self.mel_feed = tracker, translator, mel_feed
        self.catch_errors, self.need_audio = catch_errors, need_audio

    def wants_audio(self) -> bool:
        return self.need_audio or bool(self.translator is not None and self.translator.needs_audio)

    def observe(self, frame: np.ndarray, t: float, index: int = 0) -> Observation:
        """Track the face and read its audio window. frame: (H, W, 3) uint8 BGR; t: capture time (s)."""
        t0 = time.perf_counter()
        face = self.tracker.process(frame, t)
        t1 = time.perf_counter()
        mel = None
        if face is not None and self.mel_feed is not None and self.wants_audio():
            mel = self.mel_feed.window(t, index)
        t2 = time.perf_counter()
        return Observation(face, mel, {"track": (t1 - t0) * 1000.0, "audio": (t2 - t1) * 1000.0})

    def finish(self, frame: np.ndarray, obs: Observation, controls: Controls) -> StepResult:
        """Translate an observed frame. frame: (H, W, 3) uint8 BGR (never modified in place)."""
        t0 = time.perf_counter()
        out, error = frame, None
        if obs.face is not None and self.translator is not None:
            try:
                out = self.translator.translate(frame, obs.face, obs.mel, controls)
            except Exception as exc:  # noqa: BLE001 - live: one bad frame must not end the stream
                if not self.catch_errors:
                    raise
                out, error = frame, exc
        ms = dict(obs.ms, translate=(time.perf_counter() - t0) * 1000.0)
        return StepResult(out, obs.face, obs.mel, out is not frame, error, ms)

    def __call__(self, frame: np.ndarray, t: float, controls: Controls, index: int = 0) -> StepResult:
        """observe + finish. frame: (H, W, 3) uint8 BGR."""
        return self.finish(frame, self.observe(frame, t, index), controls)


def clip_mel_feed(
    path: str | Path,
    *,
    alignment: str = "wav2lip",
    required: bool = False,
    allow_silence: bool = False,
    model_name: str = "neural",
    fps: float = FPS,
) -> Optional[MelFeed]:
    """The mel feed for a video file's own audio track.

    ``required`` (a translator needs audio): a clip without audio raises :class:`NoAudioError` unless
    ``allow_silence``; a clip shorter than one 200 ms window raises :class:`InputFileError`.
    Without ``required``, a clip without audio gives None.
    """
    from w2le_live.audio.mel import melspectrogram
    from w2le_live.io import video

    info = video.probe(path)
    if not info.has_audio:
        if not required:
            return None
        if not allow_silence:
            raise NoAudioError(
                f"{path} has no audio track, so the {model_name} model has no lip-sync guidance; "
                "add --allow-silence to translate it with silent audio anyway."
            )
        if info.duration < 0.2:
            raise InputFileError(
                f"{path} is shorter than one 200 ms audio window; use a clip of at least a fifth of a second."
            )
        return SilentMel(alignment)
    audio16 = video.read_audio(path, sr=16000)
    if required and len(audio16) < int(0.2 * 16000):
        raise InputFileError(
            f"{path} is shorter than one 200 ms audio window; use a clip of at least a fifth of a second."
        )
    return ClipMel(melspectrogram(audio16), alignment, fps)


def iter_clip(
    path: str | Path,
    step: FrameStep,
    controls: Optional[Controls] = None,
    *,
    fps: float = FPS,
    max_frames: Optional[int] = None,
    decode_stats=None,
) -> Iterator[tuple[int, float, np.ndarray, StepResult]]:
    """Run every frame of a file (resampled to ``fps``) through ``step``.

    Yields (index, t seconds, frame (H, W, 3) uint8 BGR, StepResult). With ``controls`` None only tracking and
    audio run (``out`` is the frame). The decode time of each frame is in ``StepResult.ms["decode"]``;
    damaged packets skipped by the decoder are counted in ``decode_stats`` (:class:`w2le_live.io.video.DecodeStats`).
    """
    from w2le_live.io import video

    t_prev = time.perf_counter()
    for index, t, frame in video.iter_frames(path, fps=fps, stats=decode_stats):
        if max_frames is not None and index >= max_frames:
            return
        decode_ms = (time.perf_counter() - t_prev) * 1000.0
        obs = step.observe(frame, t, index)
        if controls is None:
            res = StepResult(frame, obs.face, obs.mel, False, None, dict(obs.ms))
        else:
            res = step.finish(frame, obs, controls)
        res.ms["decode"] = decode_ms
        yield index, t, frame, res
        t_prev = time.perf_counter()
