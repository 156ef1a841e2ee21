"""Mel front-end vs a librosa reference of Wav2Lip's audio.py, resampling, and streaming windows."""

from __future__ import annotations

import numpy as np
import pytest

from w2le_live.audio.mel import melspectrogram
from w2le_live.audio.resample import to_16k_mono
from w2le_live.audio.ring import AudioRing
from w2le_live.audio.windows import ALIGNMENTS, frame_mel_windows, mel_window_at, window_start


@pytest.fixture(scope="module")
def speech(shared_data):
    from w2le_live.io.video import read_audio

    return read_audio(shared_data / "talking" / "lrs3" / "0Fi83BHQsMA_00002.mp4", sr=16000)


def librosa_reference(wav: np.ndarray) -> np.ndarray:
    """Wav2Lip audio.py as it ran with librosa 0.7: reflect-padded centred STFT, Slaney mel, dB, symmetric norm."""
    librosa = pytest.importorskip("librosa")
    from scipy import signal

    y = signal.lfilter([1, -0.97], [1], wav)
    d = librosa.stft(y=y, n_fft=800, hop_length=200, win_length=800, pad_mode="reflect")
    basis = librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    s = 20 * np.log10(np.maximum(1e-5, basis @ np.abs(d))) - 20
    return np.clip(8 * ((s + 100) / 100) - 4, -4, 4)


def test_mel_equals_librosa_reference(speech):
    ours = melspectrogram(speech)
    ref = librosa_reference(speech)
    assert ours.shape == ref.shape == (80, 1 + len(speech) // 200)
    assert np.abs(ours - ref).max() <= 1e-3
    assert ours.std() > 0.5  # real speech, not a flat spectrogram


def test_constant_padding_would_differ(speech):
    """Guards the reflect-padding choice: librosa>=0.10's zero padding changes the edge frames."""
    librosa = pytest.importorskip("librosa")
    from scipy import signal

    y = signal.lfilter([1, -0.97], [1], speech)
    d = librosa.stft(y=y, n_fft=800, hop_length=200, win_length=800, pad_mode="constant")
    basis = librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    s = np.clip(8 * ((20 * np.log10(np.maximum(1e-5, basis @ np.abs(d))) - 20 + 100) / 100) - 4, -4, 4)
    assert np.abs(melspectrogram(speech)[:, 0] - s[:, 0]).max() > 1e-3


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 37800, 44100, 48000])
def test_resample_any_rate_stereo(rate):
    t = np.arange(int(rate * 0.5)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([tone, tone], axis=1).astype(np.float32)
    out = to_16k_mono(stereo, rate)
    assert out.dtype == np.float32 and abs(len(out) - 8000) <= 1
    spec = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spec) * 16000 / len(out) - 440) < 5


def test_int16_input_is_scaled():
    pcm = (np.ones(1600) * 16384).astype(np.int16)
    assert np.allclose(to_16k_mono(pcm, 16000), 0.5)


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_streaming_window_equals_whole_file_slice(speech, alignment):
    whole = melspectrogram(speech)
    ring = AudioRing(capacity_s=30)
    t0 = 1000.0
    for k in range(0, len(speech), 480):  # 30 ms blocks, as a microphone delivers them
        ring.push(speech[k : k + 480], t0 + k / 16000)
    n_frames = int(len(speech) / 16000 * 25)
    checked = 0
    for i in range(n_frames):
        s = window_start(i, 25, alignment)
        a, b = s * 200 - 401, (s + 15) * 200 + 400
        if a < 0 or b > len(speech):  # needs audio before the stream began / not yet spoken
            continue
        w = mel_window_at(ring, t0 + i / 25, alignment)
        assert np.abs(w - whole[:, s : s + 16]).max() <= 1e-4, i
        checked += 1
    assert checked >= n_frames - 12


def test_frame_windows_follow_wav2lip_indexing(speech):
    mel = melspectrogram(speech)
    wins = frame_mel_windows(mel, 10)
    for i in range(10):
        s = int(80.0 * (i / 25))
        assert np.array_equal(wins[i], mel[:, s : s + 16])
    last = frame_mel_windows(mel, mel.shape[1])[-1]  # past the end: clamped to the final 16 frames
    assert np.array_equal(last, mel[:, -16:])


def test_ring_missing_audio_is_silence_and_gaps_are_filled():
    ring = AudioRing(capacity_s=1)
    ring.push(np.ones(1600, np.float32), 10.0)
    ring.push(np.ones(1600, np.float32) * 2, 10.5)  # 0.4 s gap (dropped blocks)
    got = ring.read(10.0, 10.7)
    assert np.allclose(got[:1600], 1) and np.allclose(got[1600:8000], 0) and np.allclose(got[8000:9600], 2)
    assert np.allclose(ring.read(11.0, 11.1), 0)  # the future reads as silence
