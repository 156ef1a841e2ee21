"""Microphone input via sounddevice into an :class:`AudioRing`, stamped on the monotonic clock."""

from __future__ import annotations

import logging
import time
from typing import Optional

log = logging.getLogger(__name__)


class MicSource:
    """Captures a microphone at its native rate, converts to 16 kHz mono, and pushes blocks into ``ring``.

    Each block is stamped with the monotonic time of its first sample (arrival time minus the block's duration
    minus the stream's input latency).
    """

    def __init__(self, device: Optional[int | str], ring, blocksize_s: float = 0.02):
        self.device, self.ring, self.blocksize_s = device, ring, blocksize_s
        self.stream = None
        self.blocks = 0

    @property
    def running(self) -> bool:
        return self.stream is not None

    def start(self) -> None:
        """Open and start the input stream (no-op when running). Raises DeviceError for a missing device."""
        if self.stream is not None:
            return
        from w2le_live.audio.devices import find_device, import_sounddevice

        sd = import_sounddevice("microphone input")
        dev, info = find_device(self.device, "input", "microphone input", "or use --mic none")
        channels = 1  # speech: one channel (PortAudio/ALSA downmix when the device has more)
        rate = 16000  # what the model uses: no resampling when the device (or its driver) offers it
        try:
            sd.check_input_settings(device=dev, samplerate=rate, channels=channels, dtype="int16")
        except Exception:  # noqa: BLE001 - the device insists on its own rate: resample in the callback
            rate = int(info["default_samplerate"])
        self.rate = rate
        from w2le_live.audio.resample import to_16k_mono

        def callback(indata, frames, time_info, status):
            t_first = time.monotonic() - frames / rate - (self.stream.latency if self.stream else 0.0)
            self.ring.push(to_16k_mono(indata[:, 0] if channels == 1 else indata.copy(), rate), t_first)
            self.blocks += 1

        self.stream = sd.InputStream(
            device=dev, channels=channels, samplerate=rate,
            blocksize=int(rate * self.blocksize_s), dtype="int16", callback=callback,  # 16-bit, as mics deliver
        )  # fmt: skip
        self.stream.start()

    def stop(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.stream.close()
            self.stream = None
