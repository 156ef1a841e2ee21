"""ONNX Runtime backend: TensorRT / CUDA execution providers where present, else CPU, with a warning."""

from __future__ import annotations

import logging

import numpy as np

from w2le_live.backends.base import Backend
from w2le_live.errors import BackendUnavailableError, CheckpointError

log = logging.getLogger(__name__)
PREFERRED = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def load(self) -> OnnxRuntimeBackend:
        try:
            import onnxruntime as ort
        except ImportError:
            raise BackendUnavailableError(
                "ONNX Runtime is not installed; run: pip install 'w2le-live[cpu]' (or onnxruntime-gpu on NVIDIA)."
            ) from None
        available = ort.get_available_providers()
        wanted = [p for p in PREFERRED if p in available]
        if self.device == "cpu":
            wanted = ["CPUExecutionProvider"]
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(self.model_path, sess_options=opts, providers=wanted)
        except Exception as exc:  # noqa: BLE001 - InvalidProtobuf, Fail, ...: a file ORT cannot load
            raise CheckpointError(
                f"ONNX Runtime cannot load {self.model_path} ({type(exc).__name__}); "
                "pass a model exported with: w2le-live export."
            ) from None
        used = self.session.get_providers()
        if used[0] != wanted[0]:
            log.warning("ONNX Runtime could not use %s; running on %s instead", wanted[0], used[0])
        self.provider = used[0]
        return self

    def run(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        """faces: (B, 6, 96, 96) float32 in [0, 1]; mels: (B, 1, 80, 16) float32 -> (B, 3, 96, 96) float32 in [0, 1]."""
        return self.session.run(["out"], {"mel": mels.astype(np.float32), "faces": faces.astype(np.float32)})[
            0
        ]

    def describe(self) -> str:
        return f"onnxruntime {getattr(self, 'provider', '?')} {self.precision}"
