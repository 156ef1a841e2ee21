"""Pick and open a backend from the model file's suffix and what is installed; every fallback is logged."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from w2le_live.backends.base import Backend
from w2le_live.errors import BackendUnavailableError, CheckpointError

log = logging.getLogger(__name__)
TORCH_SUFFIXES = (".safetensors", ".pth", ".pt", ".tar")
BACKENDS = ("auto", "torch", "onnxruntime", "openvino", "tensorrt")


def cache_dir() -> Path:
    """Where exported ONNX files and engines are cached (``$W2LE_CACHE_DIR`` overrides)."""
    env = os.environ.get("W2LE_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("w2le-live"))


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cached_onnx(checkpoint: str | Path, batch: int = 1) -> Path:
    """Export a torch checkpoint to ONNX once, cached by its content hash."""
    from engines.onnx_export import export_onnx
    from w2le_live.models.checkpoint import load_generator

    out = cache_dir() / "onnx" / f"{file_sha256(checkpoint)[:16]}_b{batch}.onnx"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    model, meta = load_generator(checkpoint)
    log.info("exporting %s to ONNX (once; cached at %s)", checkpoint, out)
    return export_onnx(model, out, batch=batch, meta_json=meta.to_json())


def _importable(mod: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(mod) is not None


def auto_choice(suffix: str) -> str:
    """The backend 'auto' picks for a file suffix on this machine (CPU: OpenVINO > ONNX Runtime > torch)."""
    if suffix == ".engine":
        return "tensorrt"
    try:
        import torch

        if torch.cuda.is_available():
            return "onnxruntime" if suffix == ".onnx" else "torch"
    except ImportError:
        pass
    for name, mod in (("openvino", "openvino"), ("onnxruntime", "onnxruntime")):
        if _importable(mod):
            return name
    if suffix == ".onnx":
        raise BackendUnavailableError("no ONNX runtime is installed; run: pip install 'w2le-live[cpu]'.")
    return "torch"


def open_backend(
    model_path: str | Path, backend: str = "auto", *, batch: int = 1, device: str = "cpu"
) -> Backend:
    """Open, load and warm up a backend for ``model_path``.

    ``.safetensors``/``.pth``: torch directly, or exported once to a cached ONNX for ONNX Runtime/OpenVINO.
    ``.onnx``: ONNX Runtime or OpenVINO. ``.engine``: TensorRT (NVIDIA only).
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
        try:
            from w2le_live.backends.tensorrt_backend import TensorRTBackend
        except ImportError:
            raise BackendUnavailableError(
                "the TensorRT backend is not available in this install; use --backend onnxruntime or torch."
            ) from None
        return _loaded(TensorRTBackend(str(path), batch=batch, device="cuda"))
    if name in ("onnxruntime", "openvino") and suffix in TORCH_SUFFIXES:
        path = cached_onnx(path, batch)
    if name == "torch":
        from w2le_live.backends.torch_backend import TorchBackend

        return _loaded(TorchBackend(str(path), batch=batch, device=device))
    if name == "onnxruntime":
        from w2le_live.backends.onnxruntime_backend import OnnxRuntimeBackend

        return _loaded(OnnxRuntimeBackend(str(path), batch=batch, device=device))
    from w2le_live.backends.openvino_backend import OpenVinoBackend

    return _loaded(OpenVinoBackend(str(path), batch=batch, device=device))


def _loaded(b: Backend) -> Backend:
    b.load()
    b.warmup(1)
    return b
