"""engines/: everything about TensorRT that does not need a GPU — ONNX graph checks, the engine header, the
cache, the selection order and the refusals. GPU builds live in test_tensorrt_gpu.py (requires_cuda)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
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


# ---- TensorRT 10 / 11 API differences, the CUDA pair, and the runtime's layering (all CPU-side) -----------------


class _FakeTRT:
    """Just enough of the ``tensorrt`` module for build_serialized, recording what the builder was asked.
    ``BuilderFlag`` has FP16/INT8 only for 10.x: TensorRT 11 removed them, so touching them there fails."""

    def __init__(self, version: str):
        from types import SimpleNamespace

        self.__version__ = version
        self.calls: dict = {"set_flag": [], "create_network": []}
        major = int(version.split(".")[0])
        self.BuilderFlag = SimpleNamespace(**({"FP16": 0, "INT8": 1} if major < 11 else {}))
        self.NetworkDefinitionCreationFlag = SimpleNamespace(STRONGLY_TYPED=5)
        self.MemoryPoolType = SimpleNamespace(WORKSPACE=0)
        calls = self.calls

        class Logger:
            WARNING = 2

            def __init__(self, level):
                pass

        class Config:
            def set_memory_pool_limit(self, pool, size):
                calls["workspace"] = size

            def set_flag(self, flag):
                calls["set_flag"].append(flag)

            def add_optimization_profile(self, profile):
                calls["profile"] = profile.shapes

            def create_timing_cache(self, data):
                return SimpleNamespace(serialize=lambda: b"timing")

            def set_timing_cache(self, cache, ignore_mismatch):
                self.cache = cache

            def get_timing_cache(self):
                return self.cache

        class Profile:
            def __init__(self):
                self.shapes = {}

            def set_shape(self, name, mn, opt, mx):
                self.shapes[name] = (mn, opt, mx)

        class Builder:
            def __init__(self, logger):
                pass

            def create_network(self, flags):
                calls["create_network"].append(flags)
                return "network"

            def create_builder_config(self):
                return Config()

            def create_optimization_profile(self):
                return Profile()

            def build_serialized_network(self, network, config):
                return b"ENGINE"

        class OnnxParser:
            num_errors = 0

            def __init__(self, network, logger):
                pass

            def parse(self, data):
                return data.startswith(b"onnx")

        self.Logger, self.Builder, self.OnnxParser = Logger, Builder, OnnxParser


@pytest.mark.parametrize("version,flags", [("10.3.0", 1 << 5), ("11.4.0.106", 0)])
@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_builds_are_strongly_typed_with_no_precision_flags(tmp_path, version, flags, precision):
    from engines.trt_build import BuildConfig, build_serialized, timing_cache_path

    trt = _FakeTRT(version)
    onnx_path = tmp_path / "m.onnx"
    onnx_path.write_bytes(b"onnx-bytes")
    assert build_serialized(onnx_path, BuildConfig(precision=precision), trt) == b"ENGINE"
    # 10.x: the STRONGLY_TYPED creation flag; 11.x: 0 (always strongly typed, the flag deprecated). No builder
    # precision flag on either: precision is in the graph (fp16 graph / QDQ), as TensorRT 11 requires.
    assert trt.calls["create_network"] == [flags] and trt.calls["set_flag"] == []
    assert trt.calls["profile"]["faces"][1] == (1, 6, 96, 96) and trt.calls["workspace"] == 1024 << 20
    assert timing_cache_path().read_bytes() == b"timing"
    onnx_path.write_bytes(b"garbage")
    with pytest.raises(UserError, match="could not parse"):
        build_serialized(onnx_path, BuildConfig(), trt)


def test_fp16_build_graph_holds_fp16_weights_behind_fp32_io_and_matches_on_real_crops(
    ckpt, tmp_path, shared_data
):
    import onnx
    import onnxruntime as ort
    import torch

    from engines.quantize import calibration_batches
    from engines.trt_build import BuildConfig, export_for_trt
    from w2le_live.models.checkpoint import load_generator

    path, meta = export_for_trt(
        ckpt, tmp_path, BuildConfig(precision="fp16")
    )  # also passes check_for_tensorrt
    m = onnx.load(str(path))
    f16, f32 = onnx.TensorProto.FLOAT16, onnx.TensorProto.FLOAT
    assert {i.data_type for i in m.graph.initializer if i.data_type in (f16, f32)} == {f16}
    assert all(v.type.tensor_type.elem_type == f32 for v in [*m.graph.input, *m.graph.output])
    assert "Cast" in {n.op_type for n in m.graph.node} and meta["target_emotion"] == "happy"
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model = load_generator(ckpt)[0].eval()
    for faces, mels in calibration_batches([shared_data / "talking" / "lrs3" / "00002.mp4"], 2):
        with torch.no_grad():
            ref = model(torch.from_numpy(mels), torch.from_numpy(faces)).numpy()
        out = sess.run(["out"], {"mel": mels, "faces": faces})[0]
        assert out.dtype == np.float32 and np.abs(out - ref).max() <= 2e-2
    (tmp_path / "f32").mkdir()
    fp32_path, _ = export_for_trt(ckpt, tmp_path / "f32", BuildConfig(precision="fp32"))
    assert all(i.data_type != f16 for i in onnx.load(str(fp32_path)).graph.initializer)


def test_cuda_pair_mismatch_is_one_sentence_naming_the_matching_extra():
    from w2le_live.backends.cuda_select import cuda_pair_problem, install_hint, tensorrt_cuda_major

    msg = cuda_pair_problem("12.8", 13, "11.4.0.106")
    assert msg.startswith("TensorRT 11.4.0.106 is built for CUDA 13 but torch is built for CUDA 12.8;")
    assert "'w2le-live[gpu-cu12]'" in msg and "tensorrt-cu13-bindings" in msg
    assert "\n" not in msg and msg.endswith(".") and msg.count(". ") == 0
    assert "[gpu-cu13]" in cuda_pair_problem("13.0", 12, "10.16.1.11")
    for ok in (("13.0", 13), (None, 13), ("12.4", None), ("", 12)):
        assert cuda_pair_problem(*ok) is None
    assert (
        tensorrt_cuda_major(["numpy", "tensorrt_cu12", "tensorrt-cu12-bindings", "tensorrt_cu12_libs"]) == 12
    )
    assert tensorrt_cuda_major(["tensorrt-cu13-bindings"]) == 13
    assert tensorrt_cuda_major(["tensorrt-cu12", "tensorrt-cu13"]) is None  # ambiguous: never a false refusal
    assert tensorrt_cuda_major(["tensorrt"]) is None  # the metapackage alone says nothing
    assert install_hint("12.1") == "pip install 'w2le-live[gpu-cu12]'"
    assert "gpu-cu12" in install_hint(None) and "gpu-cu13" in install_hint(None)


def test_mismatched_tensorrt_is_skipped_by_selection_and_refused_by_the_runtime(monkeypatch, ckpt, tmp_path):
    import types

    from w2le_live.backends import cuda_select

    why = cuda_select.cuda_pair_problem("12.8", 13, "11.4.0.106")
    name, skipped = choose_gpu_path(cuda_available=True, tensorrt_version="11.4.0.106", tensorrt_problem=why)
    assert name == "torch-cuda" and skipped[0] == why
    monkeypatch.setitem(sys.modules, "tensorrt", types.SimpleNamespace(__version__="11.4.0.106"))
    monkeypatch.setattr(cuda_select, "tensorrt_cuda_major", lambda installed=None: 13)
    monkeypatch.setattr(cuda_select, "_torch_cuda", lambda: "12.8")
    with pytest.raises(BackendUnavailableError) as e:
        cuda_select.import_tensorrt()
    assert str(e.value) == why
    monkeypatch.setattr(cuda_select, "_torch_cuda", lambda: "13.0")
    assert cuda_select.import_tensorrt().__version__ == "11.4.0.106"
    assert (
        cuda_select.tensorrt_identity(sys.modules["tensorrt"]) == "11.4.0.106+cu13"
    )  # engine cache / header key
    from engines.trt_build import BuildConfig, build_via_torch2trt

    with pytest.raises(
        BackendUnavailableError, match="torch2trt sets the fp16 builder flag that TensorRT 11"
    ):
        build_via_torch2trt(ckpt, tmp_path / "e.engine", BuildConfig(precision="fp16"), modules=("json",))


def test_runtime_imports_engines_only_where_first_use_builds():
    """w2le_live/ imports engines/ only in backends/select.py (lazy export/build) and the export/build commands;
    loading an engine (tensorrt_backend) reads it through w2le_live/backends/engine_file.py."""
    import ast

    repo = Path(__file__).resolve().parents[1]
    allowed = {
        "w2le_live/backends/select.py",
        "w2le_live/commands/export.py",
        "w2le_live/commands/build_engine.py",
    }
    hits = set()
    for f in (repo / "w2le_live").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            if any(m == "engines" or m.startswith("engines.") for m in mods):
                hits.add(f.relative_to(repo).as_posix())
    assert "w2le_live/backends/select.py" in hits  # the walk sees imports inside functions
    assert hits <= allowed, hits - allowed


def test_auto_runs_torch_on_cuda_where_torch_sees_one(monkeypatch, ckpt, caplog):
    import logging

    from w2le_live.backends import cuda_select
    from w2le_live.backends.select import open_backend

    assert open_backend(ckpt, "torch").describe().startswith("torch cpu")  # no GPU here
    monkeypatch.setattr(cuda_select, "default_device", lambda: "cuda")  # a CUDA machine, as selection sees it
    with caplog.at_level(logging.WARNING, logger="w2le_live.backends.torch_backend"):
        be = open_backend(ckpt, "torch")
    # the backend was asked for CUDA (it then finds none here and says so): before, auto always passed "cpu"
    assert "torch sees no CUDA GPU" in caplog.text and be.device == "cpu"


def test_tensorrt_failure_under_auto_falls_back_to_torch_without_recursing(monkeypatch, ckpt, tmp_path):
    import engines.trt_build as tb
    from w2le_live.backends import select
    from w2le_live.backends.tensorrt_backend import TensorRTBackend

    monkeypatch.setattr(
        select, "auto_choice", lambda suffix, env=None: "tensorrt"
    )  # a CUDA + TensorRT machine
    monkeypatch.setattr(
        tb, "build_engine", lambda *a, **k: write_engine(tmp_path / "x.engine", _meta(), b"e")
    )

    def broken(self):
        raise RuntimeError("driver too old")

    monkeypatch.setattr(TensorRTBackend, "load", broken)
    be = select.open_backend(ckpt, "auto")
    assert be.name == "torch"
