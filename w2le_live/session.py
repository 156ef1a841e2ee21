"""A live session: the pipeline plus the microphone and the delayed virtual microphone, started, switched and
stopped in ONE place. ``w2le-live run``, its preview window and the tray all drive a :class:`LiveSession`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Optional

from w2le_live.errors import UserError
from w2le_live.translators.base import Translator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveOptions:
    """What a live session is made of (the ``run``/``tray`` options; see ``w2le_live.cli_args``)."""

    source: str = "0"  # camera index, /dev/videoN, or a video file played in real time
    sink: str = "vcam"  # vcam[:DEVICE], file:PATH.mp4, preview, null
    model: Optional[str] = None  # generator checkpoint
    backend: str = "auto"
    translator: str = "auto"  # auto | personal | landmark | neural
    profile: Optional[str] = None  # personal-emotion profile name
    target: Optional[str] = None  # None: happy, or what the checkpoint makes
    intensity: float = 1.0
    mic: str = "default"  # microphone for the neural model's audio, or "none"
    width: int = 640
    height: int = 480
    fps: float = 25.0
    loop: bool = False
    ease: float = 0.4  # seconds the effect fades in/out over (PipelineConfig.ease_s); 0: instant
    virtual_mic: Optional[str] = None  # output device the delayed mic is re-played to
    av_offset_ms: Optional[float] = None  # fixed delay for the virtual mic instead of the measured latency

    @classmethod
    def from_namespace(cls, ns) -> LiveOptions:
        """Pick the fields this class knows from an argparse Namespace (missing ones keep their defaults)."""
        return cls(**{f.name: getattr(ns, f.name) for f in fields(cls) if hasattr(ns, f.name)})


def _translator(options: LiveOptions, target: Optional[str] = None) -> Translator:
    """The translator the options ask for, from the one builder (landmark, neural checkpoint, personal profile)."""
    from w2le_live.translators import make_translator

    return make_translator(
        options.model,
        backend=options.backend,
        kind=options.translator,
        profile=options.profile,
        target=target or options.target,
    )


class LiveSession:
    """Builds source, sink, translator, audio ring and microphones from :class:`LiveOptions`; not started.

    ``start``/``stop`` are idempotent; ``switch_mic`` replaces the microphone feeding the ring (the old one is
    stopped only after the new one runs); ``load_translator``/``open_camera`` build replacements off the video
    thread so the tray can swap them in without stalling.
    """

    def __init__(self, options: LiveOptions):
        from w2le_live.audio.ring import AudioRing
        from w2le_live.io.sinks import open_sink
        from w2le_live.pipeline import Pipeline, PipelineConfig
        from w2le_live.translators.base import Controls

        self.options = options
        from w2le_live.personal.first_run import check_teachable
        from w2le_live.translators import resolve_target

        translator = _translator(options)
        check_teachable(options, translator.emotions)  # a target the profile lacks and nothing else makes
        target = resolve_target(translator, options.target)
        self.ring = AudioRing(capacity_s=30.0)
        source = self._open_source(options.source)
        self.mic = None
        if (
            not self.source_is_file
            and options.mic != "none"
            and (translator.needs_audio or options.virtual_mic)
        ):
            from w2le_live.audio.sources import MicSource

            self.mic = MicSource(None if options.mic == "default" else options.mic, self.ring)
        sink = open_sink(options.sink, audio_ring=self.ring, inputs=(options.source, options.model))
        cfg = PipelineConfig(fps=options.fps, alignment=translator.alignment, ease_s=options.ease)
        self.pipeline = Pipeline(
            source, sink, translator, config=cfg, audio_ring=self.ring,
            controls=Controls(target, options.intensity),
        )  # fmt: skip
        self.vmic = None
        self._lock = threading.Lock()
        self._started = False

    # ---- building parts ---------------------------------------------------------------------------
    def _open_source(self, src: str):
        from w2le_live.io.sources import FileSource

        self.source_is_file = Path(src).is_file()
        if self.source_is_file:
            o = self.options
            return FileSource(src, audio_ring=self.ring, loop=o.loop, fps=o.fps, size=None)
        if src.isdigit() or src.startswith("/dev/video"):
            return self.open_camera(src)
        raise UserError(
            f"--source {src} is neither a camera index, a /dev/video device nor an existing file."
        )

    def open_camera(self, device: str):
        """A (not started) camera source at the session's size and rate. device: index or /dev/videoN."""
        from w2le_live.io.sources import CameraSource

        o = self.options
        return CameraSource(int(device) if str(device).isdigit() else device, o.width, o.height, o.fps)

    def load_translator(self, model: Optional[str]) -> Translator:
        """Build a translator for a checkpoint (None: the options' default kind). Heavy: call off the Qt thread."""
        from dataclasses import replace

        return _translator(replace(self.options, model=model), self.pipeline.controls.target)

    def use_profile(self, name: str, target: Optional[str] = None) -> Translator:
        """From now on build translators with profile ``name``; returns one for the current model (not swapped
        in: the caller does that with ``pipeline.set_translator``). Heavy: call off the Qt thread."""
        from dataclasses import replace

        self.options = replace(self.options, profile=name)
        return _translator(self.options, target or self.pipeline.controls.target)

    def record(self, seconds: float, stop=None):
        """Every new camera frame ((H, W, 3) uint8 BGR) of the next ``seconds``, from the running source (the
        stream keeps going). See :func:`w2le_live.live.frames.record_frames`."""
        from w2le_live.live.frames import record_frames

        return record_frames(self.pipeline.source, seconds, stop)

    # ---- lifecycle --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.pipeline.stats().running

    def start(self) -> None:
        with self._lock:
            if self.mic is not None:
                self.mic.start()
            elif (
                self.mic is None
                and self.pipeline.emotions
                and self._needs_audio()
                and not self.source_is_file
            ):
                log.warning(
                    "running without a microphone: the neural model gets silence and loses lip guidance."
                )
            if self.options.virtual_mic and self.vmic is None:
                from w2le_live.io.virtual_mic import VirtualMic

                o = self.options
                self.vmic = VirtualMic(
                    self.ring, o.virtual_mic,
                    delay_s=None if o.av_offset_ms is None else o.av_offset_ms / 1000.0,
                    delay_source=lambda: self.pipeline.stats().latency_ms_p50 / 1000.0,
                )  # fmt: skip
                self.vmic.start()
            self.pipeline.start()
            self._started = True

    def stop(self) -> None:
        """Stop the video, then the microphones; safe to call twice and from Qt's aboutToQuit."""
        with self._lock:
            try:
                self.pipeline.stop()
            finally:
                for dev in (self.mic, self.vmic):
                    if dev is not None:
                        try:
                            dev.stop()
                        except Exception as exc:  # noqa: BLE001 - stopping must finish
                            log.warning("could not stop %s: %s", dev, exc)
                self.vmic = None
                self._started = False

    def stop_video(self) -> None:
        """Pause the camera/output only (the tray's Stop); microphones keep their state."""
        self.pipeline.stop()

    def _needs_audio(self) -> bool:
        return self.pipeline.translator.needs_audio

    def switch_mic(self, device: str) -> None:
        """Feed the ring from another microphone. Raises UserError (the old mic keeps running) when it fails."""
        from w2le_live.audio.sources import MicSource

        new = MicSource(None if device == "default" else device, self.ring)
        new.start()
        with self._lock:
            old, self.mic = self.mic, new
        if old is not None:
            old.stop()
