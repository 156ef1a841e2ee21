"""Pick and open a backend from the model file's suffix and what is installed; every fallback is logged."""

from __future__ import annotations

import logging
from pathlib import Path

from w2le_live.backends.base import Backend
from w2le_live.config import BACKENDS
from w2le_live.errors import BackendUnavailableError, CheckpointError
from w2le_live.paths import cache_dir, file_sha256, make_cache_folder

log = logging.getLogger(__name__)
TORCH_SUFFIXES = (".safetensors", ".pth", ".pt", ".tar")


def cached_onnx(checkpoint: str | Path, batch: int = 1) -> Path:
    """Export a torch checkpoint to ONNX once, cached by its content hash."""
    from engines.onnx_export import export_onnx
    from w2le_live.models.checkpoint import load_generator

    out = cache_dir() / "onnx" / f"{file_sha256(checkpoint)[:16]}_b{batch}.onnx"
    if out.exists():
        return out
    make_cache_folder(out.parent)
    model, meta = load_generator(checkpoint)
    log.info("exporting %s to ONNX (once; cached at %s)", checkpoint, out)
    return export_onnx(model, out, batch=batch, meta_json=meta.to_json())


def auto_choice(suffix: str, env: dict | None = None) -> str:
    """The backend 'auto' picks for a file suffix: on CUDA machines TensorRT > ORT TensorRT/CUDA EP > torch CUDA
    (see :mod:`w2le_live.backends.cuda_select`); on CPUs OpenVINO > ONNX Runtime > torch. Skips are logged."""
    from w2le_live.backends.cuda_select import choose_gpu_path, probe_environment

    if suffix == ".engine":
        return "tensorrt"
    env = env if env is not None else probe_environment()
    name, skipped = choose_gpu_path(**env)
    for reason in skipped:
        log.info("backend selection: %s", reason)
    if name.startswith("onnxruntime"):
        return "onnxruntime"
    if name == "torch-cuda":
        return "torch"
    if name == "tensorrt" and suffix == ".onnx":
        return "onnxruntime"
    if suffix == ".onnx" and name == "torch":
        raise BackendUnavailableError("no ONNX runtime is installed; run: pip install 'w2le-live[cpu]'.")
    return name


def open_backend(
    model_path: str | Path, backend: str = "auto", *, batch: int = 1, device: str = "auto"
) -> Backend:
    """Open, load and warm up a backend for ``model_path``.

    ``.safetensors``/``.pth``: torch directly, or exported once to a cached ONNX for ONNX Runtime/OpenVINO.
    ``.onnx``: ONNX Runtime or OpenVINO. ``.engine``: TensorRT (NVIDIA only). ``device="auto"`` runs torch and
    ONNX Runtime on the CUDA GPU where torch sees one (what the CUDA selection order picked), else on the CPU.
    """
    path = Path(model_path)
    if not path.is_file():
        raise CheckpointError(f"the model file {path} does not exist; check the --model path.")
    if backend not in BACKENDS:
        raise BackendUnavailableError(f"unknown backend '{backend}'; choose one of {', '.join(BACKENDS)}.")
    suffix = path.suffix.lower()
    name = auto_choice(suffix) if backend == "auto" else backend
    if suffix == ".onnx" and name == "torch":
        raise BackendUnavailableError(f"{path.name} is an ONNX file; use --backend onnxruntime or openvino.")
    if name == "tensorrt":
        from w2le_live.backends.tensorrt_backend import TensorRTBackend

        if suffix in TORCH_SUFFIXES:  # build into the engine cache on first use, reuse after
            from engines.trt_build import BuildConfig, build_engine

            path = build_engine(path, None, BuildConfig(batch=batch))
        elif suffix != ".engine":
            raise BackendUnavailableError(
                f"{path.name} is not a TensorRT engine; pass a checkpoint or a .engine file."
            )
        try:
            return _loaded(TensorRTBackend(str(path), batch=batch, device="cuda"))
        except BackendUnavailableError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken GPU stack falls back to the CPU paths
            if suffix == ".engine":
                raise BackendUnavailableError(
                    f"the TensorRT engine {path.name} could not run ({exc}); pass the checkpoint instead."
                ) from None
            from w2le_live.backends.cuda_select import default_device

            fallback = default_device() if device == "auto" else device
            log.warning("TensorRT failed (%s); falling back to torch on %s", exc, fallback)
            # never "auto" here: on this machine auto picks TensorRT again, which would recurse
            return open_backend(model_path, "torch", batch=batch, device=fallback)
    if name in ("onnxruntime", "openvino") and suffix == ".engine":
        raise BackendUnavailableError(
            f"{path.name} is a TensorRT engine; it runs only with --backend tensorrt on NVIDIA GPUs."
        )
    if name in ("onnxruntime", "openvino") and suffix in TORCH_SUFFIXES:
        path = cached_onnx(path, batch)
    if device == "auto":
        from w2le_live.backends.cuda_select import default_device

        device = default_device() if name in ("torch", "onnxruntime") else "cpu"
    if name == "torch":
        from w2le_live.backends.torch_backend import TorchBackend

        return _loaded(TorchBackend(str(path), batch=batch, device=device))
    if name == "onnxruntime":
        from w2le_live.backends.onnxruntime_backend import OnnxRuntimeBackend

        return _loaded(
            OnnxRuntimeBackend(str(path), batch=batch, device=device, precision=onnx_precision(path))
        )
    from w2le_live.backends.openvino_backend import OpenVinoBackend

    return _loaded(OpenVinoBackend(str(path), batch=batch, device=device, precision=onnx_precision(path)))


def onnx_precision(path: str | Path) -> str:
    """``int8`` for a quantised (QDQ / QOperator) ONNX graph, else ``fp32`` — read off the graph's op names."""
    data = Path(path).read_bytes()
    return "int8" if (b"QuantizeLinear" in data or b"QLinearConv" in data) else "fp32"


def _loaded(b: Backend) -> Backend:
    from w2le_live.errors import UserError

    b.load()
    try:
        b.warmup(1)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - a model with other inputs/outputs than the generator's
        raise CheckpointError(
            f"{Path(b.model_path).name} loads but does not run as a Wav2Lip generator ({type(exc).__name__}); "
            "it must take mel (B, 1, 80, 16) and faces (B, 6, 96, 96) and return out (B, 3, 96, 96)."
        ) from None
    return b
