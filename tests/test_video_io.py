"""PyAV decode at 25 fps, audio extraction and muxing, and one-sentence errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from w2le_live.errors import InputFileError, NoAudioError
from w2le_live.io import video


def test_30fps_clip_is_resampled_to_25(shared_data):
    p = shared_data / "mead" / "M030_level_3_sad_001.mp4"
    info = video.probe(p)
    assert abs(info.fps - 30) < 0.1 and info.has_audio and info.audio_rate == 48000
    n = sum(1 for _ in video.iter_frames(p, fps=25))
    assert abs(n - info.duration * 25) <= 1


def test_grid_mpg_and_times(shared_data):
    frames = list(video.iter_frames(shared_data / "talking" / "grid" / "lbax4n.mpg"))
    assert len(frames) in (74, 75, 76)
    assert [f[0] for f in frames] == list(range(len(frames)))
    assert frames[0][2].shape == (288, 360, 3) and frames[0][2].dtype == np.uint8


def test_write_then_read_keeps_audio(shared_data, tmp_path: Path):
    src = shared_data / "talking" / "lrs3" / "00002.mp4"
    pcm, rate = video.read_audio_native(src)
    info = video.probe(src)
    out = tmp_path / "out.mp4"
    with video.VideoWriter(out, 25, (info.width, info.height), audio=pcm, audio_rate=rate) as w:
        for _, _, f in video.iter_frames(src):
            w.write(f)
    back = video.probe(out)
    assert back.has_audio and abs(back.duration - info.duration) < 0.1
    a, b = video.read_audio(src), video.read_audio(out)
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.9  # same speech, in place (AAC is lossy)
    assert len(list(tmp_path.iterdir())) == 1  # no temp file left behind


def test_abort_leaves_nothing(tmp_path: Path):
    w = video.VideoWriter(tmp_path / "x.mp4", 25, (64, 64))
    w.write(np.zeros((64, 64, 3), np.uint8))
    w.abort()
    assert list(tmp_path.iterdir()) == []


def _one_sentence(err: Exception) -> str:
    msg = str(err)
    assert "\n" not in msg and msg.endswith(".")
    return msg


def test_bad_files(tmp_path: Path, shared_data):
    with pytest.raises(InputFileError) as e:
        video.probe(tmp_path / "nope.mp4")
    assert "does not exist" in _one_sentence(e.value)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError) as e:
        video.probe(empty)
    assert "empty" in _one_sentence(e.value)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x01garbage" * 1000)
    with pytest.raises(InputFileError) as e:
        video.probe(corrupt)
    assert "not a readable video" in _one_sentence(e.value)
    with pytest.raises(InputFileError) as e:
        video.probe(shared_data / "talking" / "web" / "styletalk_Obama_clip1.wav")
    assert "no video stream" in _one_sentence(e.value)
    with pytest.raises(NoAudioError) as e:
        video.read_audio(shared_data / "mead" / "W009_front_happy_level3_001.mp4")
    assert "no audio" in _one_sentence(e.value)
    with pytest.raises(InputFileError) as e:
        video.VideoWriter(tmp_path / "missing_dir" / "o.mp4", 25, (64, 64))
    assert "does not exist" in _one_sentence(e.value)


def test_duration_is_the_pictures_not_a_longer_audio_track(tmp_path: Path):
    """2 s of video muxed with 4 s of audio: the file holds 2 s of frames (enroll's "stopped decoding early" note
    and translate's progress bar read this), while the container says 4 s."""
    import av

    path = tmp_path / "long_audio.mp4"
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = 64, 64, "yuv420p"
        a_s = c.add_stream("aac", rate=16000)
        for i in range(50):
            img = np.full((64, 64, 3), 4 * i, np.uint8)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
        t = np.arange(4 * 16000) / 16000
        samples = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        for k in range(0, len(samples), 1024):
            af = av.AudioFrame.from_ndarray(samples[None, k : k + 1024], format="flt", layout="mono")
            af.sample_rate, af.pts = 16000, k
            for pkt in a_s.encode(af):
                c.mux(pkt)
        for pkt in a_s.encode():
            c.mux(pkt)
    with av.open(str(path)) as c:
        assert c.duration / 1e6 > 3.5  # the container really says ~4 s
    info = video.probe(path)
    assert abs(info.duration - 2.0) < 0.1 and info.has_audio
