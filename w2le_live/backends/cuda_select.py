"""Which inference path to use on a CUDA machine, as a pure function of what is available (testable anywhere).

Order: TensorRT engine > ONNX Runtime TensorRT EP > ONNX Runtime CUDA EP > torch CUDA > CPU paths. Every
skipped path comes with the reason, which callers log.
"""

from __future__ import annotations

from typing import Optional, Sequence


def choose_gpu_path(
    *,
    cuda_available: bool,
    tensorrt_version: Optional[str],
    ort_providers: Sequence[str] = (),
    openvino: bool = False,
) -> tuple[str, list[str]]:
    """Return (backend name, reasons for each path skipped before it)."""
    skipped: list[str] = []
    if cuda_available:
        if tensorrt_version:
            return "tensorrt", skipped
        skipped.append("TensorRT is not installed (pip install 'w2le-live[gpu]')")
        if "TensorrtExecutionProvider" in ort_providers:
            return "onnxruntime-trt", skipped
        skipped.append("ONNX Runtime has no TensorRT execution provider (onnxruntime-gpu)")
        if "CUDAExecutionProvider" in ort_providers:
            return "onnxruntime-cuda", skipped
        skipped.append("ONNX Runtime has no CUDA execution provider")
        return "torch-cuda", skipped
    skipped.append("no CUDA GPU is available")
    if openvino:
        return "openvino", skipped
    if "CPUExecutionProvider" in ort_providers:
        skipped.append("OpenVINO is not installed")
        return "onnxruntime", skipped
    skipped.append("neither OpenVINO nor ONNX Runtime is installed")
    return "torch", skipped


def probe_environment() -> dict:
    """What this machine offers, for :func:`choose_gpu_path`."""
    import importlib.util

    env = {"cuda_available": False, "tensorrt_version": None, "ort_providers": (), "openvino": False}
    try:
        import torch

        env["cuda_available"] = bool(torch.cuda.is_available())
    except ImportError:
        pass
    if importlib.util.find_spec("tensorrt") is not None:
        try:
            import tensorrt

            env["tensorrt_version"] = tensorrt.__version__
        except Exception:  # noqa: BLE001 - a broken TensorRT install counts as absent
            env["tensorrt_version"] = None
    if importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime

        env["ort_providers"] = tuple(onnxruntime.get_available_providers())
    env["openvino"] = importlib.util.find_spec("openvino") is not None
    return env
