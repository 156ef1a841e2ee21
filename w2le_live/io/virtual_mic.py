"""A delayed virtual microphone: the mic audio re-played to an output device (a PulseAudio/PipeWire null sink,
VB-Cable, BlackHole) later by the video's latency, so the meeting app gets audio and video in sync.

The meeting app then uses that device's monitor/loopback as its microphone instead of the real mic.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np


class DelayedAudio:
    """Reads the audio ring ``delay_s`` behind real time: what a device plays at time t was captured at t - delay."""

    def __init__(self, ring, delay_s: float = 0.05):
        self.ring = ring
        self.delay_s = delay_s

    def pull(self, t_play: float, n: int, sample_rate: int = 16000) -> np.ndarray:
        """(n,) float32 in [-1, 1] of audio to be heard at monotonic time ``t_play`` (silence where missing)."""
        t0 = t_play - self.delay_s
        pcm = self.ring.read(t0, t0 + n / 16000.0 * (16000.0 / sample_rate))
        if sample_rate != 16000 or len(pcm) != n:  # linear resampling per block (speech band only)
            x = np.linspace(0, max(len(pcm) - 1, 0), n)
            pcm = (
                np.interp(x, np.arange(len(pcm)), pcm).astype(np.float32)
                if len(pcm)
                else np.zeros(n, np.float32)
            )
        return pcm


class VirtualMic:
    """Plays :class:`DelayedAudio` to an output device through sounddevice.

    ``delay_source`` (e.g. ``lambda: pipeline.stats().latency_ms_p50 / 1000``) is polled to follow the measured
    video latency unless a fixed ``delay_s`` override is given.
    """

    def __init__(self, ring, device: Optional[int | str], delay_s: Optional[float] = None,
                 delay_source: Optional[Callable[[], float]] = None):  # fmt: skip
        self.audio = DelayedAudio(ring, delay_s if delay_s is not None else 0.05)
        self.device, self.fixed = device, delay_s is not None
        self.delay_source = delay_source
        self.stream = None
        self.blocks = 0

    def start(self) -> None:
        from w2le_live.audio.devices import find_device, import_sounddevice

        sd = import_sounddevice("the virtual microphone")
        dev, info = find_device(
            self.device,
            "output",
            "the virtual microphone",
            "create a virtual cable, e.g. pactl load-module module-null-sink sink_name=w2le",
        )
        rate = 16000
        try:
            sd.check_output_settings(device=dev, samplerate=rate, channels=1)
        except Exception:  # noqa: BLE001 - the device wants its own rate
            rate = int(info["default_samplerate"])

        def callback(outdata, frames, time_info, status):
            if not self.fixed and self.delay_source is not None:
                self.audio.delay_s = max(0.0, float(self.delay_source()))
            t_play = time.monotonic() + (self.stream.latency if self.stream else 0.0)
            outdata[:, 0] = self.audio.pull(t_play, frames, rate)
            self.blocks += 1

        self.stream = sd.OutputStream(
            device=dev, channels=1, samplerate=rate, dtype="float32", callback=callback
        )
        self.stream.start()

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.stream.close()
            self.stream = None
