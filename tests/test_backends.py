"""torch vs ONNX Runtime vs OpenVINO on real face crops, the int8 path, and backend selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from w2le_live.errors import BackendUnavailableError, CheckpointError
from w2le_live.models.checkpoint import ModelMeta, save_generator
from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    import torch

    torch.manual_seed(0)
    m = Wav2LipGenerator(GeneratorDims(width=0.5))
    for mod in m.modules():  # non-trivial BN statistics so folding/quantisation have something to get wrong
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
    with torch.no_grad():
        m.output_block[1].weight.mul_(30.0)  # spread the sigmoid so the output is an image, not flat grey
    return save_generator(tmp_path_factory.mktemp("m") / "g.safetensors", m, ModelMeta(dims=m.dims))


@pytest.fixture(scope="module")
def crops(shared_data):
    """Real generator inputs from two clips: (calibration list, held-out list) of (faces, mels)."""
    from engines.quantize import calibration_batches

    calib = list(calibration_batches([shared_data / "talking" / "lrs3" / "00002.mp4"], max_frames=24))
    held = list(
        calibration_batches([shared_data / "talking" / "lrs3" / "QoT0S2vu9m4_00002.mp4"], max_frames=6)
    )
    return calib, held


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("W2LE_CACHE_DIR", str(tmp_path / "cache"))


def test_fp32_parity_on_real_crops(ckpt, crops):
    import torch

    from w2le_live.backends.select import open_backend
    from w2le_live.models.checkpoint import load_generator

    ref_model, _ = load_generator(ckpt)
    faces = np.concatenate([f for f, _ in crops[1][:4]])
    mels = np.concatenate([m for _, m in crops[1][:4]])
    with torch.no_grad():
        ref = ref_model(torch.from_numpy(mels), torch.from_numpy(faces)).numpy()
    assert ref.std() > 0.01
    for name in ("torch", "onnxruntime", "openvino"):
        be = open_backend(ckpt, name)
        out = np.concatenate([be.run(faces[i : i + 1], mels[i : i + 1]) for i in range(len(faces))])
        assert out.shape == ref.shape
        assert np.abs(out - ref).max() <= 1e-4, (name, np.abs(out - ref).max())


def test_int8_psnr_on_held_out_real_crops(ckpt, crops, tmp_path):
    from engines.quantize import quantize_int8
    from w2le_live.backends.onnxruntime_backend import OnnxRuntimeBackend
    from w2le_live.backends.openvino_backend import OpenVinoBackend
    from w2le_live.backends.select import cached_onnx

    fp32 = cached_onnx(ckpt)
    q = quantize_int8(fp32, tmp_path / "q.onnx", crops[0])
    for cls in (OnnxRuntimeBackend, OpenVinoBackend):
        a, b = cls(str(fp32)).load(), cls(str(q)).load()
        for faces, mels in crops[1]:
            x, y = a.run(faces, mels), b.run(faces, mels)
            mse = float(np.mean((x - y) ** 2))
            assert 10 * np.log10(1.0 / mse) >= 30.0
            assert (
                10 * np.log10(x.var() / mse) >= 10.0
            )  # the error is small relative to the image's own variation
    # what the status line says about the model it runs: int8 graphs are int8, not fp32
    from w2le_live.backends.select import onnx_precision, open_backend

    assert onnx_precision(q) == "int8" and onnx_precision(fp32) == "fp32"
    assert open_backend(q, "openvino").describe().endswith("int8")


def test_selection_and_refusals(ckpt, tmp_path):
    from w2le_live.backends.select import auto_choice, open_backend

    assert auto_choice(".safetensors") in ("openvino", "onnxruntime", "torch")
    assert auto_choice(".engine") == "tensorrt"
    with pytest.raises(CheckpointError, match="does not exist"):
        open_backend(tmp_path / "none.safetensors")
    with pytest.raises(BackendUnavailableError, match="unknown backend"):
        open_backend(ckpt, "tpu")
    with pytest.raises(BackendUnavailableError):
        open_backend(ckpt, "tensorrt")  # no tensorrt here: one sentence, no traceback
