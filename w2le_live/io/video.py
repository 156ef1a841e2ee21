"""Video files with PyAV: probe, 25 fps frame iteration, audio extraction, and atomic mp4 writing with audio.

Every failure a user can cause (missing, empty, corrupt, no video, no audio, unwritable output) raises an
:class:`~w2le_live.errors.InputFileError` whose message is one sentence naming the file and the fix.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from w2le_live.errors import InputFileError, NoAudioError


@dataclass(frozen=True)
class VideoInfo:
    """What a media file holds."""

    path: str
    fps: float
    width: int
    height: int
    duration: float  # seconds
    has_audio: bool
    audio_rate: int = 0
    audio_channels: int = 0
    codec: str = ""


def _open(path: Path):
    import av

    if not path.exists():
        raise InputFileError(f"{path} does not exist; check the path.")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder, not a video file; pass a video file.")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path} is empty (0 bytes); re-export or re-download the video.")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"{path} is not a readable video ({exc.__class__.__name__}); re-encode it, e.g. to H.264 mp4."
        ) from None


def probe(path: str | Path) -> VideoInfo:
    """Inspect a file; raises InputFileError when it has no video stream or cannot be read."""
    path = Path(path)
    with _open(path) as c:
        if not c.streams.video:
            raise InputFileError(f"{path} has no video stream; pass a video, not an audio-only file.")
        v = c.streams.video[0]
        fps = float(v.average_rate or v.guessed_rate or 25)
        duration = 0.0
        if c.duration:
            duration = c.duration / 1e6
        elif v.duration and v.time_base:
            duration = float(v.duration * v.time_base)
        elif v.frames:
            duration = v.frames / fps
        a = c.streams.audio[0] if c.streams.audio else None
        return VideoInfo(
            path=str(path),
            fps=fps,
            width=v.codec_context.width,
            height=v.codec_context.height,
            duration=duration,
            has_audio=a is not None,
            audio_rate=a.codec_context.sample_rate if a is not None else 0,
            audio_channels=a.codec_context.channels if a is not None else 0,
            codec=v.codec_context.name,
        )


def iter_frames(path: str | Path, fps: float = 25.0) -> Iterator[tuple[int, float, np.ndarray]]:
    """Decode frames resampled to ``fps`` by timestamp (like ffmpeg's fps filter: drop or repeat).

    Yields (index, t_seconds, frame) with frame (H, W, 3) uint8 BGR; output frame i is the input frame
    shown at time i / fps.
    """
    import av

    path = Path(path)
    with _open(path) as c:
        if not c.streams.video:
            raise InputFileError(f"{path} has no video stream; pass a video, not an audio-only file.")
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        index = 0
        prev = None
        t_first = None
        try:
            for frame in c.decode(stream):
                t = float(frame.pts * frame.time_base) if frame.pts is not None else index / fps
                if t_first is None:
                    t_first = t
                t -= t_first
                img = frame.to_ndarray(format="bgr24")
                # emit every output slot whose time falls before this frame's time, using the previous frame
                while prev is not None and index / fps < t - 0.5 / fps + 1e-9:
                    yield index, index / fps, prev
                    index += 1
                prev = img
        except av.error.FFmpegError as exc:
            if prev is None:
                raise InputFileError(
                    f"{path} could not be decoded ({exc}); re-encode it, e.g. to H.264 mp4."
                ) from None
        if prev is not None:
            # the last decoded frame covers one input frame duration
            end = (t + 1.0 / float(stream.average_rate or fps)) if t_first is not None else 0.0
            while index / fps < end - 0.5 / fps + 1e-9 or index == 0:
                yield index, index / fps, prev
                index += 1


def read_audio_native(path: str | Path) -> tuple[np.ndarray, int]:
    """The first audio track at its own rate: ((N, C) float32 in [-1, 1], sample_rate)."""
    import av

    path = Path(path)
    with _open(path) as c:
        if not c.streams.audio:
            raise NoAudioError(f"{path} has no audio track; add one, or pass --allow-silence.")
        stream = c.streams.audio[0]
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout.name, rate=rate)
        chunks = []
        try:
            for frame in c.decode(stream):
                for f in resampler.resample(frame):
                    chunks.append(f.to_ndarray())
            for f in resampler.resample(None):
                chunks.append(f.to_ndarray())
        except av.error.FFmpegError as exc:
            if not chunks:
                raise InputFileError(
                    f"the audio of {path} could not be decoded ({exc}); re-encode it."
                ) from None
    if not chunks:
        raise NoAudioError(f"{path} has an empty audio track; add audio, or pass --allow-silence.")
    pcm = np.concatenate(chunks, axis=1).T.astype(np.float32)  # (N, C)
    return pcm, rate


def read_audio(path: str | Path, sr: int = 16000) -> np.ndarray:
    """The first audio track as (N,) float32 mono at ``sr`` Hz in [-1, 1]."""
    from w2le_live.audio.resample import resample, to_mono

    pcm, rate = read_audio_native(path)
    return resample(to_mono(pcm), rate, sr)


class VideoWriter:
    """H.264 mp4 writer with an optional audio track, written to a temp file and renamed on ``close``.

    ``abort()`` (or an exception inside ``with``) deletes the temp file: no partial output is left behind.
    audio: (N, C) or (N,) float32 in [-1, 1] at ``audio_rate``; muxed as AAC, starting at t = 0.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float = 25.0,
        size: tuple[int, int] = (640, 480),
        audio: Optional[np.ndarray] = None,
        audio_rate: Optional[int] = None,
        crf: int = 18,
    ):
        import av

        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if self.path.is_dir():
            raise InputFileError(
                f"the output {self.path} is a folder; pass a file path such as {self.path / 'out.mp4'}."
            )
        if not parent.is_dir():
            raise InputFileError(
                f"the output folder {parent} does not exist; create it or choose another -o path."
            )
        if not os.access(parent, os.W_OK):
            raise InputFileError(f"the output folder {parent} is not writable; choose another -o path.")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".partial.mp4", dir=parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self.width, self.height = (int(size[0]) // 2) * 2, (int(size[1]) // 2) * 2
        self._c = av.open(str(self._tmp), mode="w", format="mp4")
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        self._v = self._c.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        self._v.width, self._v.height, self._v.pix_fmt = self.width, self.height, "yuv420p"
        if codec == "libx264":
            self._v.options = {"crf": str(crf), "preset": "veryfast"}
        self._audio = None  # whole-clip audio written at close
        self._a = None
        self._apts = 0
        if audio_rate:
            channels = 1
            if audio is not None:
                a = np.asarray(audio, dtype=np.float32)
                a = (a[:, None] if a.ndim == 1 else a)[:, :2]
                self._audio = a
                channels = a.shape[1]
            self._audio_rate = int(audio_rate)
            self._a = self._c.add_stream("aac", rate=int(audio_rate))
            self._a.layout = "stereo" if channels == 2 else "mono"
        self.frames = 0
        self._closed = False

    def write(self, frame: np.ndarray) -> None:
        """frame: (H, W, 3) uint8 BGR of the size given at construction (odd sizes are cropped to even)."""
        import av

        img = np.ascontiguousarray(frame[: self.height, : self.width])
        vf = av.VideoFrame.from_ndarray(img, format="bgr24")
        for pkt in self._v.encode(vf):
            self._c.mux(pkt)
        self.frames += 1

    def write_audio(self, pcm: np.ndarray) -> None:
        """Append audio incrementally. pcm: (N,) or (N, C) float32 in [-1, 1] at the writer's audio_rate."""
        import av

        if self._a is None:
            raise ValueError("this VideoWriter was created without audio_rate")
        a = np.asarray(pcm, dtype=np.float32)
        a = (a[:, None] if a.ndim == 1 else a)[:, : self._a.layout.nb_channels]
        for s in range(0, a.shape[0], 1024):
            chunk = np.ascontiguousarray(a[s : s + 1024].T)  # (C, n) planar
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=self._a.layout.name)
            af.sample_rate = self._audio_rate
            af.pts = self._apts
            self._apts += chunk.shape[1]
            for pkt in self._a.encode(af):
                self._c.mux(pkt)

    def close(self) -> Path:
        """Flush, finalise and atomically move the file into place; returns the final path."""
        if self._closed:
            return self.path
        try:
            for pkt in self._v.encode(None):
                self._c.mux(pkt)
            if self._audio is not None:
                self.write_audio(self._audio)
            if self._a is not None:
                for pkt in self._a.encode(None):
                    self._c.mux(pkt)
            self._c.close()
            self._closed = True
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self._tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file normal permissions
            os.replace(self._tmp, self.path)
        except BaseException:  # disk full, target became a folder, SIGTERM: no temp file is left behind
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Discard everything written so far."""
        if not self._closed:
            self._closed = True
            try:
                self._c.close()
            except Exception:  # noqa: BLE001 - closing a broken container must not mask the real error
                pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
