"""``w2le-live translate`` end to end on real clips, and its one-sentence refusals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from w2le_live.cli import main
from w2le_live.io import video


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    lines = [ln for ln in err if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in "\n".join(err)
    return lines[0]


def test_demo_translates_with_audio_kept(tmp_path: Path, capsys, monkeypatch):
    from w2le_live.demo import demo_clip_path

    monkeypatch.setenv("W2LE_DATA_DIR", str(tmp_path / "data"))  # a first run: no personal profile
    out = tmp_path / "happy.mp4"
    assert main(["translate", "--demo", "-o", str(out), "--target", "happy", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "frames: 75 (75 with a face" in err and "median ms/frame" in err
    # one line, after the work and before the summary, on teaching your own face (the landmark translator is subtle)
    lines = err.strip().splitlines()
    hint = [i for i, line in enumerate(lines) if "subtle" in line]
    assert len(hint) == 1 and "w2le-live enroll --profile me --emotion happy" in lines[hint[0]]
    assert hint[0] < next(i for i, line in enumerate(lines) if line.startswith("frames: 75"))
    assert lines[-1].startswith("wrote ")
    src_info, out_info = video.probe(demo_clip_path()), video.probe(out)
    assert out_info.has_audio and abs(out_info.duration - src_info.duration) < 0.1
    a, b = video.read_audio(demo_clip_path()), video.read_audio(out)
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.9  # the ORIGINAL audio, in place
    src_frames = [f for _, _, f in video.iter_frames(demo_clip_path())]
    out_frames = [f for _, _, f in video.iter_frames(out)]
    assert len(out_frames) == len(src_frames) == 75
    from w2le_live.face.tracker import FaceTracker

    with FaceTracker(static_image_mode=True) as tr:
        x0, y0, x1, y1 = tr.process_image(src_frames[40]).box
    d = np.abs(out_frames[40].astype(int) - src_frames[40].astype(int)).sum(axis=2)
    in_box = np.zeros(d.shape, bool)
    in_box[max(y0, 0) : y1, max(x0, 0) : x1] = True
    assert (d[in_box] > 45).sum() > 100  # the face changed visibly...
    assert (d[~in_box] > 45).mean() < 0.001  # ...and outside the face box there is only codec noise


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory) -> Path:
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    m = Wav2LipGenerator(GeneratorDims(width=0.25))
    meta = ModelMeta(dims=m.dims, source_emotion="neutral", target_emotion="happy")
    return save_generator(tmp_path_factory.mktemp("ck") / "tiny.safetensors", m, meta)


def test_neural_model_on_real_clip(shared_data, tiny_ckpt, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("W2LE_CACHE_DIR", str(tmp_path / "cache"))
    src = shared_data / "talking" / "lrs3" / "00002.mp4"
    out = tmp_path / "n.mp4"
    args = [
        "translate",
        str(src),
        "-o",
        str(out),
        "--model",
        str(tiny_ckpt),
        "--backend",
        "torch",
        "--no-progress",
    ]
    assert main(args) == 0
    assert "neural neutral->happy" in capsys.readouterr().err
    assert video.probe(out).has_audio and sum(1 for _ in video.iter_frames(out)) == 48


def test_no_audio_is_refused_unless_allowed(shared_data, tiny_ckpt, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("W2LE_CACHE_DIR", str(tmp_path / "cache"))
    src = shared_data / "mead" / "W009_front_neutral_level1_001.mp4"  # no audio track
    out = tmp_path / "o.mp4"
    base = [
        "translate",
        str(src),
        "-o",
        str(out),
        "--model",
        str(tiny_ckpt),
        "--backend",
        "torch",
        "--no-progress",
    ]
    assert main(base) == 2
    assert "--allow-silence" in _err_line(capsys)
    assert list(tmp_path.glob("*.mp4")) == [] and not list(tmp_path.glob(".*partial*"))
    assert main(base + ["--allow-silence"]) == 0 and out.exists()


def test_bad_inputs_one_sentence(tmp_path: Path, capsys, shared_data):
    assert main(["translate", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o.mp4")]) == 2
    assert "does not exist" in _err_line(capsys)
    assert main(["translate", "--demo", "-o", str(tmp_path / "o.mp4"), "--target", "bored"]) == 2
    assert "choose --target from" in _err_line(capsys)
    assert main(["translate", "--demo", "-o", str(tmp_path / "nodir" / "o.mp4")]) == 2
    assert "does not exist" in _err_line(capsys)
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x80\x04garbage")
    assert main(["translate", "--demo", "-o", str(tmp_path / "o.mp4"), "--model", str(bad)]) == 2
    assert "checkpoint" in _err_line(capsys)
    assert main(["translate", "--demo", "-o", str(tmp_path / "o.mp4"), "--intensity", "3"]) == 2
    assert "--intensity" in _err_line(capsys)
    assert list(tmp_path.glob("*.mp4")) == []


def test_cli_process_prints_no_traceback(tmp_path: Path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "w2le_live",
            "translate",
            str(tmp_path / "x.mp4"),
            "-o",
            str(tmp_path / "y.mp4"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.strip().startswith("error:")


def test_original_wav2lip_checkpoint_translates_without_a_target(
    shared_data, tmp_path: Path, capsys, monkeypatch
):
    """An original Wav2Lip .pth makes lip sync, not an emotion: with no --target the job runs and says so."""
    import torch

    from w2le_live.models.generator import Wav2LipGenerator

    monkeypatch.setenv("W2LE_CACHE_DIR", str(tmp_path / "cache"))
    ck = tmp_path / "wav2lip.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in Wav2LipGenerator().state_dict().items()}}, ck)
    src = shared_data / "talking" / "lrs3" / "00002.mp4"
    out = tmp_path / "sync.mp4"
    assert (
        main(
            ["translate", str(src), "-o", str(out), "--model", str(ck), "--backend", "torch", "--no-progress"]
        )
        == 0
    )
    assert "lip-sync re-render" in capsys.readouterr().err
    assert (
        main(
            ["translate", str(src), "-o", str(out), "--model", str(ck), "--target", "happy", "--no-progress"]
        )
        == 2
    )
    assert "cannot produce 'happy'" in _err_line(capsys)
