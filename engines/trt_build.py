"""Build TensorRT engines (10.x and 11.x) from a checkpoint through the ``tensorrt`` Python API (no trtexec needed).

checkpoint -> ONNX (static 1x1x80x16 + 1x6x96x96 by default, or a dynamic batch profile) -> ONNX parser ->
builder config (workspace, a timing cache reused across builds) -> serialized engine -> engine file with the W2LE
metadata header. Precision lives in the graph, never in builder flags: TensorRT 11 removed the weak-typing flags
(``BuilderFlag.FP16``/``INT8``, implicit int8 calibrators), so every network is strongly typed (the
``STRONGLY_TYPED`` creation flag on 10.x, always on in 11.x). fp16 is an ONNX graph with fp16 weights and fp32
inputs/outputs (Casts at both ends); int8 is explicit quantisation, the QDQ ONNX from :mod:`engines.quantize`
calibrated on real face crops.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from w2le_live.backends.cuda_select import (  # noqa: F401 - import_tensorrt is part of this module's API
    gpu_identity,
    import_tensorrt,
    tensorrt_identity,
)
from w2le_live.errors import BackendUnavailableError, UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildConfig:
    precision: str = "fp16"  # fp32 | fp16 | int8
    batch: int = 1
    dynamic_batch: bool = False
    max_batch: int = 8
    workspace_mb: int = 1024
    opset: int = 17
    calib_videos: tuple[str, ...] = ()
    calib_frames: int = 128


def timing_cache_path() -> Path:
    from w2le_live.paths import cache_dir

    return cache_dir() / "engines" / "timing.cache"


def profile_shapes(cfg: BuildConfig) -> dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]:
    """(min, opt, max) shapes per input for the optimisation profile."""
    if not cfg.dynamic_batch:
        b = cfg.batch
        return {"mel": ((b, 1, 80, 16),) * 3, "faces": ((b, 6, 96, 96),) * 3}
    return {
        "mel": ((1, 1, 80, 16), (cfg.batch, 1, 80, 16), (cfg.max_batch, 1, 80, 16)),
        "faces": ((1, 6, 96, 96), (cfg.batch, 6, 96, 96), (cfg.max_batch, 6, 96, 96)),
    }


def trt_major(trt) -> int:
    """10 for "10.3.0", 11 for "11.4.0.106"."""
    return int(str(trt.__version__).split(".")[0])


def network_flags(trt) -> int:
    """``create_network`` flags: strongly typed on 10.x (precision comes from the graph); 0 on 11.x, where every
    network is strongly typed and the flag is deprecated."""
    flag = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    if trt_major(trt) >= 11 or flag is None:
        return 0
    return 1 << int(flag)


def build_serialized(onnx_path: Path, cfg: BuildConfig, trt=None) -> bytes:
    """ONNX (already in the wanted precision: fp32, fp16 graph or QDQ int8) -> serialized TensorRT engine bytes."""
    trt = trt or import_tensorrt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(network_flags(trt))  # explicit batch is the only mode since 10.0
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(onnx_path).read_bytes()):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise UserError(
            f"TensorRT could not parse the ONNX model ({errors[:300]}); re-export it with opset 17."
        )
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, cfg.workspace_mb << 20)
    profile = builder.create_optimization_profile()
    for name, (mn, opt, mx) in profile_shapes(cfg).items():
        profile.set_shape(name, mn, opt, mx)
    config.add_optimization_profile(profile)
    tc_path = timing_cache_path()
    cache = config.create_timing_cache(tc_path.read_bytes() if tc_path.exists() else b"")
    config.set_timing_cache(cache, ignore_mismatch=False)
    engine = builder.build_serialized_network(network, config)
    if engine is None:
        raise UserError(
            "TensorRT failed to build the engine (see the TensorRT log above); try --workspace 2048 or fp32."
        )
    tc_path.parent.mkdir(parents=True, exist_ok=True)
    tc_path.write_bytes(bytes(config.get_timing_cache().serialize()))
    return bytes(engine)


def fp16_graph(model):
    """``model`` in fp16 behind fp32 inputs/outputs: exported, its ONNX holds fp16 weights and a Cast at each end,
    which a strongly typed TensorRT network runs in fp16 (what ``BuilderFlag.FP16`` did before TensorRT 11)."""
    import copy

    import torch

    class _Fp16(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, mel, faces):
            return self.inner(mel.half(), faces.half()).float()

    return _Fp16(copy.deepcopy(model).eval().half())


def export_for_trt(checkpoint: str | Path, work: Path, cfg: BuildConfig) -> tuple[Path, dict]:
    """Checkpoint -> ONNX ready for TensorRT (QDQ int8 when asked); returns (path, ModelMeta as dict)."""
    from dataclasses import asdict

    from engines.onnx_check import check_for_tensorrt
    from engines.onnx_export import export_onnx
    from w2le_live.models.checkpoint import load_generator

    model, meta = load_generator(checkpoint)
    if cfg.precision == "fp16":
        model = fp16_graph(model)
    onnx_path = export_onnx(model, work / "model.onnx", batch=cfg.batch, dynamic_batch=cfg.dynamic_batch, opset=cfg.opset,
                            meta_json=meta.to_json())  # fmt: skip
    check_for_tensorrt(onnx_path)
    if cfg.precision == "int8":
        if not cfg.calib_videos:
            raise UserError("--int8 needs --calib videos with real faces to calibrate on.")
        from engines.quantize import calibration_batches, quantize_int8

        batches = list(calibration_batches(cfg.calib_videos, cfg.calib_frames, mask_mode=meta.mask_mode))
        if not batches:
            raise UserError("no face was found in the --calib videos; pass videos that show a face.")
        onnx_path = quantize_int8(onnx_path, work / "model.int8.onnx", batches)
    return onnx_path, asdict(meta)


def build_engine(
    checkpoint: str | Path, out: Optional[str | Path], cfg: BuildConfig = BuildConfig(), progress=log.warning
) -> Path:
    """Build (or reuse from the cache) an engine for ``checkpoint`` on this GPU; ``out`` copies it there too."""
    import shutil

    from engines.cache import get_or_build
    from engines.header import EngineMeta, write_engine
    from w2le_live.paths import file_sha256

    trt = import_tensorrt()
    gpu, cc = gpu_identity()
    version = tensorrt_identity(trt)

    def build(path: Path) -> Path:
        with tempfile.TemporaryDirectory() as td:
            onnx_path, model_meta = export_for_trt(checkpoint, Path(td), cfg)
            data = build_serialized(onnx_path, cfg, trt)
        shapes = {k: list(v[1]) for k, v in profile_shapes(cfg).items()}
        meta = EngineMeta(checkpoint_sha256=file_sha256(checkpoint), tensorrt_version=version, gpu_name=gpu,
                          compute_capability=cc, precision=cfg.precision, batch=cfg.batch, dynamic_batch=cfg.dynamic_batch,
                          max_batch=cfg.max_batch if cfg.dynamic_batch else cfg.batch, input_shapes=shapes,
                          model_meta=model_meta)  # fmt: skip
        return write_engine(path, meta, data)

    path = get_or_build(checkpoint, gpu_name=gpu, compute_capability=cc, tensorrt_version=version,
                        precision=cfg.precision, batch=cfg.batch, build=build, progress=progress)  # fmt: skip
    if out is not None:
        out = Path(out)
        dst = out / path.name if out.is_dir() else out
        shutil.copyfile(path, dst)
        return dst
    return path


TORCH2TRT_HELP = (
    "torch2trt is not installed and is not on PyPI; install it from source on your NVIDIA machine: "
    "git clone https://github.com/NVIDIA-AI-IOT/torch2trt && cd torch2trt && pip install . "
    "(or use the default --via tensorrt path)."
)


def build_via_torch2trt(checkpoint: str | Path, out: str | Path, cfg: BuildConfig = BuildConfig(),
                        modules: Sequence[str] = ("torch2trt",)) -> Path:  # fmt: skip
    """The alternative path for users who have torch2trt: trace the module straight to TensorRT."""
    import importlib

    try:
        t2t = importlib.import_module(modules[0])
    except ImportError:
        raise BackendUnavailableError(TORCH2TRT_HELP) from None
    import torch

    from engines.header import EngineMeta, write_engine
    from w2le_live.models.checkpoint import load_generator
    from w2le_live.paths import file_sha256

    trt = import_tensorrt()
    if trt_major(trt) >= 11 and cfg.precision != "fp32":
        raise BackendUnavailableError(
            f"torch2trt sets the {cfg.precision} builder flag that TensorRT {trt.__version__} removed; "
            "build with the default --via tensorrt path (or --fp32)."
        )
    gpu, cc = gpu_identity()
    model, meta = load_generator(checkpoint)
    model = model.cuda().eval()
    mel = torch.zeros(cfg.batch, 1, 80, 16, device="cuda")
    faces = torch.zeros(cfg.batch, 6, 96, 96, device="cuda")
    trt_model = t2t.torch2trt(model, [mel, faces], fp16_mode=cfg.precision == "fp16",
                              max_workspace_size=cfg.workspace_mb << 20, input_names=["mel", "faces"], output_names=["out"])  # fmt: skip
    data = bytes(trt_model.engine.serialize())
    from dataclasses import asdict

    em = EngineMeta(checkpoint_sha256=file_sha256(checkpoint), tensorrt_version=tensorrt_identity(trt), gpu_name=gpu,
                    compute_capability=cc, precision=cfg.precision, batch=cfg.batch, model_meta=asdict(meta), built_via="torch2trt")  # fmt: skip
    return write_engine(out, em, data)
