"""engines/: everything about TensorRT that does not need a GPU — ONNX graph checks, the engine header, the
cache, the selection order and the refusals. GPU builds live in test_tensorrt_gpu.py (requires_cuda)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from engines.cache import cache_key, engine_path, get_or_build
from engines.header import (
    EngineMeta,
    EngineMismatchError,
    check_compatible,
    read_engine_bytes,
    read_header,
    write_engine,
)
from engines.onnx_check import TRT10_SUPPORTED_OPS, check_for_tensorrt, graph_report
from w2le_live.backends.cuda_select import choose_gpu_path
from w2le_live.errors import BackendUnavailableError, CheckpointError, UserError


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    m = Wav2LipGenerator(GeneratorDims(width=0.25))
    return save_generator(
        tmp_path_factory.mktemp("ck") / "g.safetensors", m, ModelMeta(dims=m.dims, target_emotion="happy")
    )


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("W2LE_CACHE_DIR", str(tmp_path / "cache"))


def _meta(**kw) -> EngineMeta:
    d = dict(
        checkpoint_sha256="ab" * 32,
        tensorrt_version="10.3.0",
        gpu_name="NVIDIA GeForce RTX 3060",
        compute_capability="8.6",
    )
    d.update(kw)
    return EngineMeta(**d)


@pytest.mark.parametrize("dynamic", [False, True])
def test_export_is_tensorrt_ready(ckpt, tmp_path, dynamic):
    from engines.onnx_export import export_onnx
    from w2le_live.models.checkpoint import load_generator

    p = export_onnx(load_generator(ckpt)[0], tmp_path / "g.onnx", dynamic_batch=dynamic)
    rep = check_for_tensorrt(p)
    assert rep["opset"] == 17 and set(rep["ops"]) <= TRT10_SUPPORTED_OPS
    assert rep["inputs"]["faces"][1:] == [6, 96, 96] and rep["inputs"]["mel"][1:] == [1, 80, 16]
    assert rep["inputs"]["faces"][0] == ("B" if dynamic else 1)


def test_int8_qdq_graph_is_tensorrt_ready(ckpt, tmp_path, shared_data):
    from engines.onnx_export import export_onnx
    from engines.quantize import calibration_batches, quantize_int8
    from w2le_live.models.checkpoint import load_generator

    fp32 = export_onnx(load_generator(ckpt)[0], tmp_path / "g.onnx")
    q = quantize_int8(
        fp32,
        tmp_path / "q.onnx",
        list(calibration_batches([shared_data / "talking" / "lrs3" / "00002.mp4"], 8)),
    )
    ops = graph_report(q)["ops"]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    check_for_tensorrt(q)


def test_unsupported_graph_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("faces", TensorProto.FLOAT, [1, 6, 96, 96])
    m = helper.make_tensor_value_info("mel", TensorProto.FLOAT, [1, 1, 80, 16])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 6, 96, 96])
    g = helper.make_graph(
        [helper.make_node("NonZero", ["faces"], ["nz"]), helper.make_node("Identity", ["faces"], ["out"])],
        "g",
        [x, m],
        [y],
    )
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    with pytest.raises(UserError, match="NonZero"):
        check_for_tensorrt(path)


def test_header_round_trip(tmp_path):
    meta = _meta(precision="int8", model_meta={"mask_mode": "full", "target_emotion": "happy"})
    path = write_engine(tmp_path / "e.engine", meta, b"\x01\x02engine-bytes")
    back, offset = read_header(path)
    assert back == meta and offset == 8 + struct.unpack("<I", path.read_bytes()[4:8])[0]
    assert read_engine_bytes(path)[1] == b"\x01\x02engine-bytes"


@pytest.mark.parametrize(
    "content,match",
    [(b"", "no W2LE engine header"), (b"PLAN-from-trtexec", "no W2LE engine header"),
     (b"W2LE" + struct.pack("<I", 500) + b"{}", "truncated"), (b"W2LE" + struct.pack("<I", 5) + b"{notj" + b"E", "corrupt header"),
     (b"W2LE" + struct.pack("<I", 2) + b"{}", "corrupt header")],
)  # fmt: skip
def test_malformed_engines_are_refused(tmp_path, content, match):
    path = tmp_path / "e.engine"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        read_header(path)


def test_mismatches_are_refused_in_one_sentence():
    meta = _meta()
    ok = dict(
        tensorrt_version="10.3.0",
        gpu_name="NVIDIA GeForce RTX 3060",
        compute_capability="8.6",
        checkpoint_sha256="ab" * 32,
    )
    check_compatible(meta, **ok)
    for change, match in (({"tensorrt_version": "10.5.0"}, "TensorRT 10.3.0"), ({"gpu_name": "NVIDIA A100", "compute_capability": "8.0"}, "sm 8.6"),
                          ({"checkpoint_sha256": "cd" * 32}, "different checkpoint")):  # fmt: skip
        with pytest.raises(EngineMismatchError, match=match) as e:
            check_compatible(meta, **{**ok, **change})
        assert "\n" not in str(e.value) and str(e.value).endswith(".")


def test_cache_keys_separate_everything_that_matters():
    base = cache_key("ab" * 32, "RTX 3060", "8.6", "10.3.0", "fp16", 1)
    others = {cache_key("cd" * 32, "RTX 3060", "8.6", "10.3.0", "fp16", 1), cache_key("ab" * 32, "A100", "8.0", "10.3.0", "fp16", 1),
              cache_key("ab" * 32, "RTX 3060", "8.6", "10.5.0", "fp16", 1), cache_key("ab" * 32, "RTX 3060", "8.6", "10.3.0", "int8", 1),
              cache_key("ab" * 32, "RTX 3060", "8.6", "10.3.0", "fp16", 4)}  # fmt: skip
    assert base not in others and len(others) == 5
    assert cache_key("ab" * 32, "RTX 3060", "8.6", "10.3.0") == base  # deterministic
    assert "/" not in base and " " not in base


def test_cache_builds_once_then_reuses_and_rebuilds_mismatches(ckpt):
    from w2le_live.paths import file_sha256

    builds, msgs = [], []

    def build(path):
        builds.append(path)
        return write_engine(path, _meta(checkpoint_sha256=file_sha256(ckpt)), b"engine")

    kw = dict(gpu_name="NVIDIA GeForce RTX 3060", compute_capability="8.6", tensorrt_version="10.3.0", precision="fp16", batch=1,
              build=build, progress=msgs.append)  # fmt: skip
    first = get_or_build(ckpt, **kw)
    assert len(builds) == 1 and "building" in msgs[-1]
    assert get_or_build(ckpt, **kw) == first and len(builds) == 1  # reused
    # a stale engine under the same key (e.g. copied from another machine) is refused and rebuilt, never run
    write_engine(
        first,
        _meta(checkpoint_sha256=file_sha256(ckpt), gpu_name="NVIDIA A100", compute_capability="8.0"),
        b"x",
    )
    get_or_build(ckpt, **kw)
    assert len(builds) == 2 and any("refusing cached engine" in m for m in msgs)
    assert engine_path("k").parent.name == "engines"


def test_selection_order():
    assert (
        choose_gpu_path(
            cuda_available=True, tensorrt_version="10.3.0", ort_providers=("CUDAExecutionProvider",)
        )[0]
        == "tensorrt"
    )
    name, why = choose_gpu_path(
        cuda_available=True,
        tensorrt_version=None,
        ort_providers=("TensorrtExecutionProvider", "CUDAExecutionProvider"),
    )
    assert name == "onnxruntime-trt" and "TensorRT is not installed" in why[0]
    assert (
        choose_gpu_path(cuda_available=True, tensorrt_version=None, ort_providers=("CUDAExecutionProvider",))[
            0
        ]
        == "onnxruntime-cuda"
    )
    name, why = choose_gpu_path(
        cuda_available=True, tensorrt_version=None, ort_providers=("CPUExecutionProvider",)
    )
    assert name == "torch-cuda" and len(why) == 3
    assert choose_gpu_path(cuda_available=False, tensorrt_version="10.3.0", openvino=True)[0] == "openvino"
    assert (
        choose_gpu_path(cuda_available=False, tensorrt_version=None, ort_providers=("CPUExecutionProvider",))[
            0
        ]
        == "onnxruntime"
    )
    assert choose_gpu_path(cuda_available=False, tensorrt_version=None)[0] == "torch"


def test_this_machine_falls_back_with_reasons(caplog):
    import logging

    from w2le_live.backends.select import auto_choice

    with caplog.at_level(logging.INFO, logger="w2le_live.backends.select"):
        assert auto_choice(".safetensors") == "openvino"
    assert "no CUDA GPU is available" in caplog.text


def test_tensorrt_paths_refuse_clearly_without_a_gpu(ckpt, tmp_path, capsys):
    from engines.trt_build import TORCH2TRT_HELP, build_via_torch2trt
    from w2le_live.cli import main

    with pytest.raises(BackendUnavailableError, match="torch2trt is not installed and is not on PyPI"):
        build_via_torch2trt(ckpt, tmp_path / "e.engine", modules=("torch2trt_definitely_absent",))
    assert "git clone https://github.com/NVIDIA-AI-IOT/torch2trt" in TORCH2TRT_HELP
    assert main(["build-engine", str(ckpt)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("error:")
        and ("TensorRT is not installed" in err or "no CUDA GPU" in err)
        and "Traceback" not in err
    )
    path = write_engine(tmp_path / "e.engine", _meta(), b"engine")
    with pytest.raises(BackendUnavailableError):
        from w2le_live.backends.select import open_backend

        open_backend(path, "openvino")
