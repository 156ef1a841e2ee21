"""Which inference path to use on a CUDA machine, as a pure function of what is available (testable anywhere),
and the runtime's TensorRT/CUDA identity checks (which CUDA torch and TensorRT were built for).

Order: TensorRT engine > ONNX Runtime TensorRT EP > ONNX Runtime CUDA EP > torch CUDA > CPU paths. Every
skipped path comes with the reason, which callers log. TensorRT counts as absent when it is built for another
CUDA major than torch (the pairs are the ``gpu-cu12`` / ``gpu-cu13`` extras).
"""

from __future__ import annotations

from typing import Optional, Sequence

from w2le_live.errors import BackendUnavailableError

# pip distributions that carry the TensorRT Python bindings, by the CUDA major they are built for
TENSORRT_DISTS = {"tensorrt-cu13": 13, "tensorrt-cu12": 12, "tensorrt-cu11": 11}
SUPPORTED_CUDA_MAJORS = (12, 13)


def install_hint(torch_cuda: Optional[str]) -> str:
    """The pip command that installs TensorRT built for the same CUDA major as torch (``torch.version.cuda``)."""
    major = cuda_major(torch_cuda)
    if major in SUPPORTED_CUDA_MAJORS:
        return f"pip install 'w2le-live[gpu-cu{major}]'"
    return "pip install 'w2le-live[gpu-cu12]' (CUDA-12 torch) or 'w2le-live[gpu-cu13]' (CUDA-13 torch)"


def cuda_major(version: Optional[str]) -> Optional[int]:
    """12 for "12.4"; None for None/"" or anything unparsable."""
    try:
        return int(str(version).split(".")[0]) if version else None
    except ValueError:
        return None


def cuda_pair_problem(
    torch_cuda: Optional[str], tensorrt_cuda: Optional[int], tensorrt_version: str = "?"
) -> Optional[str]:
    """One sentence when torch and TensorRT are built for different CUDA majors (they cannot share a process), else
    None. Unknown builds (a CPU torch, TensorRT not from pip) give None: nothing to compare."""
    tm = cuda_major(torch_cuda)
    if tm is None or tensorrt_cuda is None or tm == tensorrt_cuda:
        return None
    return (
        f"TensorRT {tensorrt_version} is built for CUDA {tensorrt_cuda} but torch is built for CUDA {torch_cuda}; "
        f"install the matching pair with: pip uninstall -y tensorrt {' '.join(f'tensorrt-cu{tensorrt_cuda}{p}' for p in ('', '-bindings', '-libs'))} && {install_hint(torch_cuda)}."
    )


def tensorrt_cuda_major(installed=None) -> Optional[int]:
    """The CUDA major the installed TensorRT wheels are built for (from their pip distribution names), or None when
    that is unknown (TensorRT not from pip) or ambiguous (wheels for two majors side by side).

    ``installed``: distribution names to judge instead of this environment's (tests).
    """
    if installed is None:
        from importlib import metadata

        installed = [d.metadata["Name"] or "" for d in metadata.distributions()]
    majors = set()
    for name in installed:
        norm = name.lower().replace("_", "-")
        for dist, major in TENSORRT_DISTS.items():
            if norm in (dist, f"{dist}-bindings"):
                majors.add(major)
    return majors.pop() if len(majors) == 1 else None


def tensorrt_identity(trt) -> str:
    """``"11.4.0.106+cu13"``: the TensorRT version and the CUDA major of its build (engines are tied to both)."""
    major = tensorrt_cuda_major()
    return f"{trt.__version__}+cu{major}" if major else str(trt.__version__)


def import_tensorrt():
    """``import tensorrt``, refusing in one sentence when it is absent or built for another CUDA than torch."""
    try:
        import tensorrt as trt
    except ImportError:
        raise BackendUnavailableError(
            f"TensorRT is not installed; on an NVIDIA machine run: {install_hint(_torch_cuda())}, "
            "or use --backend onnxruntime/openvino."
        ) from None
    problem = cuda_pair_problem(_torch_cuda(), tensorrt_cuda_major(), trt.__version__)
    if problem:
        raise BackendUnavailableError(problem)
    return trt


def gpu_identity() -> tuple[str, str]:
    """(GPU name, compute capability "major.minor") of CUDA device 0."""
    import torch

    if not torch.cuda.is_available():
        raise BackendUnavailableError(
            "no CUDA GPU is available; TensorRT engines need an NVIDIA GPU with a working driver."
        )
    major, minor = torch.cuda.get_device_capability(0)
    return torch.cuda.get_device_name(0), f"{major}.{minor}"


def default_device() -> str:
    """ "cuda" where torch sees a CUDA GPU, else "cpu" (what ``--backend auto`` runs torch / ONNX Runtime on)."""
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


def _torch_cuda() -> Optional[str]:
    try:
        import torch

        return torch.version.cuda
    except ImportError:
        return None


def choose_gpu_path(
    *,
    cuda_available: bool,
    tensorrt_version: Optional[str],
    ort_providers: Sequence[str] = (),
    openvino: bool = False,
    tensorrt_problem: Optional[str] = None,
) -> tuple[str, list[str]]:
    """Return (backend name, reasons for each path skipped before it).

    ``tensorrt_problem``: why an installed TensorRT cannot be used (e.g. :func:`cuda_pair_problem`), or None.
    """
    skipped: list[str] = []
    if cuda_available:
        if tensorrt_version and not tensorrt_problem:
            return "tensorrt", skipped
        skipped.append(
            tensorrt_problem
            or "TensorRT is not installed (pip install 'w2le-live[gpu-cu12]' or '[gpu-cu13]', matching torch's CUDA)"
        )
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

    env = {"cuda_available": False, "tensorrt_version": None, "ort_providers": (), "openvino": False,
           "tensorrt_problem": None}  # fmt: skip
    try:
        import torch

        env["cuda_available"] = bool(torch.cuda.is_available())
    except ImportError:
        pass
    if importlib.util.find_spec("tensorrt") is not None:
        try:
            import tensorrt

            env["tensorrt_version"] = tensorrt.__version__
            env["tensorrt_problem"] = cuda_pair_problem(
                _torch_cuda(), tensorrt_cuda_major(), tensorrt.__version__
            )
        except Exception:  # noqa: BLE001 - a broken TensorRT install counts as absent
            env["tensorrt_version"] = None
    if importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime

        env["ort_providers"] = tuple(onnxruntime.get_available_providers())
    env["openvino"] = importlib.util.find_spec("openvino") is not None
    return env
