"""Finding sound devices through sounddevice/PortAudio, with one-sentence errors."""

from __future__ import annotations

from typing import Optional

from w2le_live.errors import DeviceError


def import_sounddevice(purpose: str):
    """The sounddevice module, or a DeviceError saying how to install it."""
    try:
        import sounddevice as sd
    except (ImportError, OSError):
        raise DeviceError(
            f"{purpose} needs sounddevice and PortAudio; run: pip install sounddevice (and install libportaudio2)."
        ) from None
    return sd


def list_devices(kind: str) -> list[str]:
    """``"index: name"`` of every input (``kind="input"``) or output device."""
    sd = import_sounddevice("listing sound devices")
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    return [f"{i}: {d['name']}" for i, d in enumerate(sd.query_devices()) if d[key] > 0]


def find_device(device: Optional[int | str], kind: str, purpose: str, hint: str) -> tuple[object, dict]:
    """(device id for sounddevice, its info dict); a missing device raises one sentence listing the ones that exist."""
    sd = import_sounddevice(purpose)
    dev = int(device) if isinstance(device, str) and device.isdigit() else device
    try:
        return dev, sd.query_devices(dev, kind)
    except (ValueError, sd.PortAudioError):
        have = "; ".join(list_devices(kind)) or "none"
        label = "microphone" if kind == "input" else "audio output"
        raise DeviceError(f"{label} {device!r} was not found; {label}s: {have} ({hint}).") from None
