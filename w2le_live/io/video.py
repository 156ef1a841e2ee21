"""Video files with PyAV: probe, 25 fps frame iteration, audio extraction, and atomic mp4 writing with audio.

Every failure a user can cause (missing, empty, corrupt, no video, no audio, unwritable output) raises an
:class:`~w2le_live.errors.InputFileError` whose message is one sentence naming the file and the fix.
"""

from __future__ import annotations

import os
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
    rotation: int = (
        0  # degrees counter-clockwise the display matrix turns the coded picture (width/height are upright)
    )


def _open(path: Path):
    import av

    from w2le_live.files import check_input_file

    check_input_file(path, InputFileError, name=str(path), kind="video file", missing_fix="check the path",
                     folder_fix="pass a video file", empty_fix="re-export or re-download the video")  # fmt: skip
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
        duration = 0.0  # the picture's own length: an audio track running on past it is not frames to read
        if v.duration and v.time_base:
            duration = float(v.duration * v.time_base)
        elif c.duration:
            duration = c.duration / 1e6
        elif v.frames:
            duration = v.frames / fps
        a = c.streams.audio[0] if c.streams.audio else None
        rotation = _first_rotation(c, v)
        width, height = v.codec_context.width, v.codec_context.height
        if rotation % 180:
            width, height = height, width
        return VideoInfo(
            path=str(path),
            fps=fps,
            width=width,
            height=height,
            rotation=rotation,
            duration=duration,
            has_audio=a is not None,
            audio_rate=a.codec_context.sample_rate if a is not None else 0,
            audio_channels=a.codec_context.channels if a is not None else 0,
            codec=v.codec_context.name,
        )


@dataclass
class DecodeStats:
    """What could not be decoded while iterating a file (filled in by :func:`iter_frames`)."""

    damaged_packets: int = 0  # packets the demuxer or decoder rejected
    lost_seconds: float = (
        0.0  # input time inside the clip with no decodable picture (filled with the last good frame)
    )
    missing_end_seconds: float = (
        0.0  # a truncated file: time after the last decodable frame (not in the output)
    )
    native_fps: float = 25.0

    @property
    def lost_frames(self) -> int:
        return int(round(self.lost_seconds * self.native_fps))

    def line(self) -> str:
        """One summary line, or '' when nothing was lost."""
        parts = []
        if self.damaged_packets or self.lost_frames:
            parts.append(
                f"{self.lost_frames} frames ({self.lost_seconds:.2f} s) could not be decoded "
                f"({self.damaged_packets} damaged packets) and were filled with the last good frame"
            )
        if self.missing_end_seconds > 0:
            n = int(round(self.missing_end_seconds * self.native_fps))
            parts.append(
                f"the file is truncated: its last {self.missing_end_seconds:.2f} s ({n} frames) are missing"
            )
        return f"damaged input: {'; '.join(parts)}" if parts else ""


def _rotation(frame) -> int:
    """The display-matrix rotation of a decoded frame in degrees (0, 90, 180, 270), counter-clockwise."""
    try:
        return int(round(float(frame.rotation or 0) / 90.0)) * 90 % 360
    except (AttributeError, TypeError, ValueError):
        return 0


def upright(img: np.ndarray, rotation: int) -> np.ndarray:
    """img: (H, W, 3) uint8 as coded -> as displayed (phone videos store a rotation instead of turning pixels)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(img, k=k)) if k else img


def _first_rotation(container, stream) -> int:
    """Rotation of the first decodable frame (0 when none decodes); rewinds the container afterwards."""
    try:
        for frame in _decoded(container, stream, DecodeStats()):
            return _rotation(frame)
    except Exception:  # noqa: BLE001 - probing only; decoding errors are reported by iter_frames
        return 0
    return 0


def _decoded(container, stream, stats: DecodeStats, max_failures: int = 200):
    """Decode packet by packet so that a damaged packet costs only its own frames, not the rest of the clip."""
    import av

    failures = 0
    while True:
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.EOFError:
                    return
                except av.error.FFmpegError:
                    stats.damaged_packets += 1
                    continue
                yield from frames
            return
        except av.error.FFmpegError:  # the demuxer itself hit damaged data: skip on from where it stopped
            stats.damaged_packets += 1
            failures += 1
            if failures > max_failures:
                return


def iter_frames(
    path: str | Path, fps: float = 25.0, stats: Optional[DecodeStats] = None
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Decode frames resampled to ``fps`` by timestamp (like ffmpeg's fps filter: drop or repeat).

    Yields (index, t_seconds, frame) with frame (H, W, 3) uint8 BGR; output frame i is the input frame
    shown at time i / fps. Damaged packets are skipped (their time is filled with the last good frame) and
    counted in ``stats`` with the input time that was lost, including a truncated end.
    """
    path = Path(path)
    stats = stats if stats is not None else DecodeStats()
    with _open(path) as c:
        if not c.streams.video:
            raise InputFileError(f"{path} has no video stream; pass a video, not an audio-only file.")
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        native = float(stream.average_rate or stream.guessed_rate or fps)
        stats.native_fps = native
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else 0.0
        index = 0
        prev = None
        t_first = None
        t_last = None
        t = 0.0
        for frame in _decoded(c, stream, stats):
            t = float(frame.pts * frame.time_base) if frame.pts is not None else index / fps
            if t_first is None:
                t_first = t
            t -= t_first
            if t_last is not None and t - t_last > 1.5 / native:
                stats.lost_seconds += t - t_last - 1.0 / native
            t_last = t
            img = upright(frame.to_ndarray(format="bgr24"), _rotation(frame))
            # emit every output slot whose time falls before this frame's time, using the previous frame
            while prev is not None and index / fps < t - 0.5 / fps + 1e-9:
                yield index, index / fps, prev
                index += 1
            prev = img
        if prev is None:
            raise InputFileError(
                f"{path} contains no decodable video frame; check that the file plays, or re-encode it to H.264 mp4."
            )
        end = t + 1.0 / native  # the last decoded frame covers one input frame duration
        if duration and duration - end > 1.5 / native:
            stats.missing_end_seconds = duration - end  # truncated: the rest of the clip is missing
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

        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if self.path.exists() and not self.path.is_dir() and not self.path.is_file():
            raise InputFileError(
                f"the output {self.path} is a device or special file, not a regular file; choose another path."
            )
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
        from w2le_live.files import temp_beside

        self._tmp = temp_beside(self.path, ".partial.mp4")
        try:
            self._setup(fps, size, audio, audio_rate, crf)
        except BaseException:  # a signal or an FFmpeg error here must not leave the temp file behind
            self._tmp.unlink(missing_ok=True)
            raise
        self.frames = 0
        self._closed = False

    def _setup(self, fps: float, size: tuple[int, int], audio, audio_rate, crf: int) -> None:
        import av

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

    def _named(self, exc: OSError) -> OSError:
        """An error about the hidden temp file, re-made to name the output path the user gave."""
        name = getattr(exc, "filename", None)
        if not name or Path(str(name)).name == self._tmp.name:
            return OSError(exc.errno, exc.strerror or str(exc), str(self.path))
        return exc

    def write(self, frame: np.ndarray) -> None:
        """frame: (H, W, 3) uint8 BGR of the size given at construction (odd sizes are cropped to even)."""
        import av

        img = np.ascontiguousarray(frame[: self.height, : self.width])
        vf = av.VideoFrame.from_ndarray(img, format="bgr24")
        try:
            for pkt in self._v.encode(vf):
                self._c.mux(pkt)
        except OSError as exc:
            raise self._named(exc) from None
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
            from w2le_live.files import commit

            commit(self._tmp, self.path)
        except (
            BaseException
        ) as exc:  # disk full, target became a folder, SIGTERM: no temp file is left behind
            self.abort()
            if isinstance(exc, OSError):
                raise self._named(exc) from None
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
