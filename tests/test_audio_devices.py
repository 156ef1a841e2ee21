"""Real sounddevice/PortAudio streams through ALSA `file` PCM devices (no sound card needed), and the delayed
virtual microphone's timing logic."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from w2le_live.audio.ring import AudioRing
from w2le_live.io.virtual_mic import DelayedAudio


def _alsa_home(tmp_path: Path, infile: Path, outfile: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(
        textwrap.dedent(f"""
        pcm.w2le_file {{
            type file
            slave.pcm "null"
            file "{outfile}"
            infile "{infile}"
            format "raw"
        }}
        pcm.!default w2le_file
        """)
    )
    return home


@pytest.fixture
def speech_raw(shared_data, tmp_path: Path):
    """16 kHz mono int16 raw PCM of real speech (the ALSA file plugin reads raw samples bit-exactly)."""
    from w2le_live.io.video import read_audio

    if shutil.which("aplay") is None and not Path("/usr/lib/x86_64-linux-gnu/libasound.so.2").exists():
        pytest.skip("ALSA (libasound2) is not installed")
    wav = read_audio(shared_data / "talking" / "web" / "styletalk_feifeili_clip1.wav")
    pcm = np.clip(np.round(wav * 32767), -32768, 32767).astype("<i2")
    raw = tmp_path / "speech.raw"
    raw.write_bytes(pcm.tobytes())
    return raw, pcm


def _run(home: Path, code: str) -> dict:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    if r.returncode != 0 and "PortAudio library not found" in r.stderr:
        pytest.skip("PortAudio (libportaudio2) is not installed")
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_mic_source_delivers_the_wav_bit_exactly(speech_raw, tmp_path: Path):
    raw, pcm = speech_raw
    home = _alsa_home(tmp_path, raw, tmp_path / "played.raw")
    res = _run(
        home,
        textwrap.dedent("""
        import json, time, numpy as np
        from w2le_live.audio.ring import AudioRing
        from w2le_live.audio.sources import MicSource
        ring = AudioRing(capacity_s=3600)  # the file device has no clock: it may deliver faster than real time
        mic = MicSource(None, ring)
        mic.start()
        t_end = time.monotonic() + 5
        while ring.end_index < 16000 and time.monotonic() < t_end:
            time.sleep(0.005)
        mic.stop()
        got = ring.read_index(0, 16000)
        print(json.dumps({"rate": mic.rate, "blocks": mic.blocks, "got": (got * 32768).round().astype(int).tolist()}))
    """),
    )
    assert res["blocks"] > 0
    assert res["rate"] == 16000  # the device offers 16 kHz, so no resampling stands between mic and model
    got = np.array(res["got"])
    assert np.array_equal(got[:16000], pcm[:16000].astype(int))


def test_missing_microphone_lists_devices(speech_raw, tmp_path: Path):
    raw, _ = speech_raw
    home = _alsa_home(tmp_path, raw, tmp_path / "played.raw")
    res = _run(
        home,
        textwrap.dedent("""
        import json
        from w2le_live.audio.ring import AudioRing
        from w2le_live.audio.sources import MicSource
        from w2le_live.errors import DeviceError
        try:
            MicSource("no such mic", AudioRing()).start()
            print(json.dumps({"msg": None}))
        except DeviceError as e:
            print(json.dumps({"msg": str(e)}))
    """),
    )
    assert res["msg"] and "was not found; microphones:" in res["msg"] and "\\n" not in res["msg"]


def test_virtual_mic_plays_into_an_output_device(speech_raw, tmp_path: Path):
    raw, _ = speech_raw
    out = tmp_path / "played.raw"
    home = _alsa_home(tmp_path, raw, out)
    res = _run(
        home,
        textwrap.dedent("""
        import json, time, numpy as np
        from w2le_live.audio.ring import AudioRing
        from w2le_live.io.virtual_mic import VirtualMic
        ring = AudioRing(capacity_s=60)
        t = np.arange(16000 * 5) / 16000
        ring.push((0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), time.monotonic() - 2.0)
        vm = VirtualMic(ring, None, delay_s=0.1)
        vm.start(); time.sleep(0.5); vm.stop()
        print(json.dumps({"blocks": vm.blocks}))
    """),
    )
    assert res["blocks"] > 0
    played = np.frombuffer(out.read_bytes(), dtype="<f4") if out.exists() else np.zeros(0)
    assert played.size > 0 or out.stat().st_size > 0


def test_delayed_audio_is_the_audio_captured_delay_earlier():
    ring = AudioRing(capacity_s=10)
    pcm = np.random.default_rng(0).uniform(-1, 1, 16000 * 3).astype(np.float32)
    ring.push(pcm, 100.0)
    d = DelayedAudio(ring, delay_s=0.08)
    got = d.pull(101.08, 320)  # heard at 101.08 -> captured at 101.00 = sample 16000
    assert np.array_equal(got, pcm[16000:16320])
    assert np.all(d.pull(200.0, 160) == 0)  # long gone: silence, not garbage


def test_session_mic_switch_stops_the_old_microphone(speech_raw, tmp_path: Path):
    """The tray's microphone switch goes through LiveSession: the old stream stops once the new one runs, a
    missing device keeps the old one, and stopping the session stops whichever mic is current."""
    raw, _ = speech_raw
    home = _alsa_home(tmp_path, raw, tmp_path / "played.raw")
    demo = Path(__file__).resolve().parents[1] / "w2le_live" / "assets" / "demo_grid_lbax4n.mp4"
    res = _run(
        home,
        textwrap.dedent(f"""
        import json
        from w2le_live.errors import DeviceError
        from w2le_live.session import LiveOptions, LiveSession
        s = LiveSession(LiveOptions(source={str(demo)!r}, sink="null", mic="none"))
        s.switch_mic("default")
        first = s.mic
        s.switch_mic("w2le_file")
        second = s.mic
        try:
            s.switch_mic("no such mic")
            refused = False
        except DeviceError:
            refused = True
        kept = s.mic is second and second.running
        s.stop()
        print(json.dumps({{"first_running": first.running, "different": first is not second, "refused": refused,
                          "kept": kept, "second_running_after_stop": second.running}}))
    """),
    )
    assert res == {"first_running": False, "different": True, "refused": True, "kept": True,
                   "second_running_after_stop": False}  # fmt: skip
