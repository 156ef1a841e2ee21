"""GPU-only: build a TensorRT engine from a checkpoint, compare it with torch fp32 on real face crops, time it.

Runs on users' NVIDIA machines and GPU runners (``pytest -m requires_cuda``); skipped where there is no CUDA.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

pytestmark = pytest.mark.requires_cuda


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import Wav2LipGenerator

    m = Wav2LipGenerator()
    return save_generator(
        tmp_path_factory.mktemp("ck") / "g.safetensors", m, ModelMeta(dims=m.dims, target_emotion="happy")
    )


def test_fp16_engine_matches_torch_on_real_crops(ckpt, shared_data, tmp_path, monkeypatch):
    pytest.importorskip(
        "tensorrt", reason="TensorRT is not installed (pip install 'w2le-live[gpu-cu12]' or '[gpu-cu13]')"
    )
    import torch

    from engines.quantize import calibration_batches
    from engines.trt_build import BuildConfig, build_engine
    from w2le_live.backends.tensorrt_backend import TensorRTBackend
    from w2le_live.models.checkpoint import load_generator

    monkeypatch.setenv("W2LE_CACHE_DIR", str(tmp_path))
    engine = build_engine(ckpt, None, BuildConfig(precision="fp16"))
    be = TensorRTBackend(str(engine)).load()
    model, _ = load_generator(ckpt)
    worst = 0.0
    for faces, mels in calibration_batches([shared_data / "talking" / "lrs3" / "00002.mp4"], 16):
        with torch.no_grad():
            ref = model(torch.from_numpy(mels), torch.from_numpy(faces)).numpy()
        worst = max(worst, float(np.abs(be.run(faces, mels) - ref).max()))
    assert worst <= 2e-2
    times = []
    for _ in range(50):
        t = time.perf_counter()
        be.run(faces, mels)
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"TensorRT fp16 width 1.0 batch 1: median {np.median(times):.2f} ms/frame on {torch.cuda.get_device_name(0)}"
    )
