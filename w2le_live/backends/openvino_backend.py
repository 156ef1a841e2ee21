"""OpenVINO backend (CPU) for fp32 or QDQ-int8 ONNX models."""

from __future__ import annotations

import numpy as np

from w2le_live.backends.base import Backend
from w2le_live.errors import BackendUnavailableError, CheckpointError


class OpenVinoBackend(Backend):
    name = "openvino"

    def load(self) -> OpenVinoBackend:
        try:
            import openvino as ov
        except ImportError:
            raise BackendUnavailableError(
                "OpenVINO is not installed; run: pip install 'w2le-live[cpu]'."
            ) from None
        core = ov.Core()
        try:
            model = core.read_model(self.model_path)
            config = {"PERFORMANCE_HINT": "LATENCY"}
            if self.precision == "fp32":
                # CPUs with AMX/AVX512-BF16 default to bf16 inference (~4e-3 off): an fp32 model runs in fp32
                config["INFERENCE_PRECISION_HINT"] = "f32"
            self.compiled = core.compile_model(model, "CPU", config)
        except Exception as exc:  # noqa: BLE001 - OpenVINO raises RuntimeError for unreadable models
            raise CheckpointError(
                f"OpenVINO cannot load {self.model_path} ({type(exc).__name__}); "
                "pass a model exported with: w2le-live export."
            ) from None
        self.request = self.compiled.create_infer_request()
        return self

    def run(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        """faces: (B, 6, 96, 96) float32 in [0, 1]; mels: (B, 1, 80, 16) float32 -> (B, 3, 96, 96) float32 in [0, 1]."""
        res = self.request.infer({"mel": mels.astype(np.float32), "faces": faces.astype(np.float32)})
        return np.asarray(next(iter(res.values())), dtype=np.float32).copy()
