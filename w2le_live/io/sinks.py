"""Where translated frames go: a virtual camera (pyvirtualcam), an mp4 file with the input audio, or nowhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from w2le_live.errors import DeviceError, UserError


class Sink:
    """``open(width, height, fps)`` once the first frame's size is known, then ``send`` per frame, ``close``.

    ``frames`` counts the frames sent; a file sink keeps at most ``limit`` of them (``run --duration``).
    """

    frames = 0
    limit: Optional[int] = None

    def open(self, width: int, height: int, fps: float) -> None:
        self.width, self.height, self.fps = width, height, fps

    def send(self, frame: np.ndarray, t_capture: float) -> None:
        """frame: (H, W, 3) uint8 BGR; t_capture: monotonic capture time of the camera frame it shows."""

    def close(self) -> None:
        return None

    def describe(self) -> str:
        return type(self).__name__


class NullSink(Sink):
    """Discards frames (benchmarks); counts them."""

    def __init__(self) -> None:
        self.frames = 0

    def send(self, frame: np.ndarray, t_capture: float) -> None:
        self.frames += 1

    def describe(self) -> str:
        return "null"


class PreviewSink(NullSink):
    """A preview window: frames are read from the pipeline by a Qt window on the main thread (see commands/run)."""

    def describe(self) -> str:
        return "preview window"


def _first_sentence(exc: BaseException) -> str:
    """The first sentence of an exception's message, whole (never cut mid-word), without its final period."""
    import re

    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.split(r"(?<=[.!?])\s", text)[0].rstrip(".").replace("'", "")


def virtual_camera_hint() -> str:
    """How to get a virtual camera device on this OS, in one clause."""
    if sys.platform.startswith("linux"):
        return (
            "install v4l2loopback and load it with: sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
            'card_label="W2LE Live"'
        )
    return "install OBS Studio and start its Virtual Camera once (OBS 26+ on Windows, OBS 30+ on macOS)"


class VirtualCamSink(Sink):
    """pyvirtualcam: v4l2loopback on Linux, OBS Virtual Camera on Windows/macOS, or a registered backend."""

    def __init__(self, device: Optional[str] = None, backend: Optional[str] = None):
        self.device, self.backend = device, backend
        self.cam = None
        self.frames = 0

    def open(self, width: int, height: int, fps: float) -> None:
        super().open(width, height, fps)
        try:
            import pyvirtualcam
        except ImportError:
            raise UserError(
                "the virtual camera needs pyvirtualcam; run: pip install 'w2le-live[live]'."
            ) from None
        try:
            self.cam = pyvirtualcam.Camera(
                width, height, fps, fmt=pyvirtualcam.PixelFormat.BGR, device=self.device, backend=self.backend
            )
        except Exception as exc:  # noqa: BLE001 - pyvirtualcam raises RuntimeError/ValueError by platform
            raise DeviceError(
                f"no virtual camera is available ({_first_sentence(exc)}); "
                f"{virtual_camera_hint()}, or run with --sink file:out.mp4."
            ) from None

    def send(self, frame: np.ndarray, t_capture: float) -> None:
        self.cam.send(frame)
        self.frames += 1

    def close(self) -> None:
        if self.cam is not None:
            self.cam.close()
            self.cam = None

    def describe(self) -> str:
        return f"virtual camera {self.cam.device if self.cam else self.device or ''}".strip()


class FileSink(Sink):
    """An mp4 recording of the output with the input audio (from the pipeline's audio ring) muxed in sync.

    Audio is taken from the ring incrementally: for each frame, the samples between the previous frame's capture
    time and this one's, so the audio lines up with the capture times of the frames shown.
    """

    def __init__(self, path: str | Path, audio_ring=None, inputs: Iterable[str | Path] = ()):
        from w2le_live.validation import check_outputs

        # the output rule, before streaming (run checks it before any work too; the tray builds sinks here)
        (self.path,) = check_outputs(files=[("--sink file:", path)], reads=[("the input", i) for i in inputs])
        self.audio_ring = audio_ring
        self.writer = None
        self._t_audio: Optional[float] = None
        self.frames = 0
        self.failed: Optional[UserError] = None

    def open(self, width: int, height: int, fps: float) -> None:
        from w2le_live.io.video import VideoWriter

        super().open(width, height, fps)
        rate = 16000 if self.audio_ring is not None else None
        self.writer = VideoWriter(self.path, fps, (width, height), audio_rate=rate)

    def send(self, frame: np.ndarray, t_capture: float) -> None:
        """Write one frame; the first write error (disk full, ...) discards the recording and raises one
        UserError, after which frames are ignored (no error per frame)."""
        if self.failed is not None or self.writer is None:
            return
        if self.limit is not None and self.frames >= self.limit:
            return  # --duration reached: the recording is exactly `limit` frames long
        try:
            self.writer.write(frame)
            if self.audio_ring is not None:
                if self._t_audio is None:
                    self._t_audio = t_capture
                end = t_capture + 1.0 / self.fps
                if end > self._t_audio:
                    self.writer.write_audio(self.audio_ring.read(self._t_audio, end))
                    self._t_audio = end
        except Exception as exc:  # noqa: BLE001 - any write failure ends the recording once
            self._fail(exc)
            raise self.failed from None
        self.frames += 1

    def _fail(self, exc: BaseException) -> None:
        from w2le_live.errors import as_user_error

        writer, self.writer = self.writer, None
        if writer is not None:
            writer.abort()  # removes the temp file
        err = as_user_error(exc)
        reason = str(err).rstrip(".") if err is not None else f"{type(exc).__name__}: {exc}"
        self.failed = UserError(f"the recording to {self.path} stopped and was discarded: {reason}.")

    def close(self) -> None:
        writer, self.writer = self.writer, None
        if writer is None:
            return
        if not self.frames:
            writer.abort()
            return
        try:
            writer.close()  # removes its temp file itself when finalising fails
        except Exception as exc:  # noqa: BLE001 - finalising failed (disk full, target became a folder)
            self._fail(exc)
            raise self.failed from None

    def describe(self) -> str:
        return f"file {self.path}"


def open_sink(spec: str, audio_ring=None, inputs: Iterable[str | Path] = ()) -> Sink:
    """``vcam[:DEVICE]``, ``file:PATH``, ``null`` -> a Sink; ``inputs`` are paths a file sink must not overwrite."""
    if spec == "null":
        return NullSink()
    if spec == "vcam" or spec.startswith("vcam:"):
        return VirtualCamSink(device=spec[5:] or None)
    if spec.startswith("file:") and len(spec) > 5:
        return FileSink(spec[5:], audio_ring=audio_ring, inputs=inputs)
    if spec == "preview":
        return PreviewSink()
    raise UserError(f"unknown sink '{spec}'; use vcam, vcam:/dev/videoN, file:PATH.mp4 or null.")
