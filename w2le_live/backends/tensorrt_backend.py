"""TensorRT (10.x / 11.x) backend: the engine deserialised once, torch CUDA buffers bound by name
(``set_tensor_address``), ``execute_async_v3`` on a torch stream captured into a CUDA graph (static shapes), pinned
host buffers for the frame copies. Reading the engine file needs no ``engines/`` import (that is for building)."""

from __future__ import annotations

import logging

import numpy as np

from w2le_live.backends.base import Backend
from w2le_live.errors import CheckpointError

log = logging.getLogger(__name__)


class TensorRTBackend(Backend):
    name = "tensorrt"

    def __init__(self, model_path: str, *, use_cuda_graph: bool = True, **kw):
        kw.setdefault("device", "cuda")
        super().__init__(model_path, **kw)
        self.use_cuda_graph = use_cuda_graph
        self.graph = None

    def load(self) -> TensorRTBackend:
        import torch

        from w2le_live.backends.cuda_select import gpu_identity, import_tensorrt, tensorrt_identity
        from w2le_live.backends.engine_file import check_compatible, read_engine_bytes

        trt = import_tensorrt()  # refuses a TensorRT built for another CUDA major than torch
        gpu, cc = gpu_identity()
        meta, data = read_engine_bytes(self.model_path)
        check_compatible(
            meta,
            tensorrt_version=tensorrt_identity(trt),
            gpu_name=gpu,
            compute_capability=cc,
            path=self.model_path,
        )
        self.meta = meta
        self.precision = meta.precision
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        self.engine = self.runtime.deserialize_cuda_engine(data)
        if self.engine is None:
            raise CheckpointError(
                f"TensorRT could not deserialise {self.model_path} (see its log above); delete it and rebuild it."
            )
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream()
        to_torch = {trt.DataType.FLOAT: torch.float32, trt.DataType.HALF: torch.float16}
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.inputs = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        for name in self.inputs:  # a dynamic batch profile binds at the requested batch; inputs first, so the
            shape = list(self.engine.get_tensor_shape(name))  # outputs' shapes below are resolved
            if shape[0] == -1:
                self.context.set_input_shape(name, [self.batch, *shape[1:]])
        self.buffers, self.host = {}, {}
        for name in names:
            shape = list(self.context.get_tensor_shape(name))
            dtype = to_torch.get(self.engine.get_tensor_dtype(name))  # fp16 I/O where the engine is fp16
            if dtype is None or min(shape) < 1:
                raise CheckpointError(
                    f"{self.model_path} has tensor {name} of {self.engine.get_tensor_dtype(name)} {shape}; "
                    "rebuild it with w2le-live build-engine."
                )
            self.buffers[name] = torch.empty(shape, dtype=dtype, device="cuda")
            self.host[name] = torch.empty(shape, dtype=dtype, pin_memory=True)
            self.context.set_tensor_address(name, self.buffers[name].data_ptr())
        self.batch = self.buffers["faces"].shape[0]
        self._enqueue()  # one plain run before graph capture (TensorRT allocates lazily)
        self.stream.synchronize()
        if self.use_cuda_graph:
            try:
                self.graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(self.graph, stream=self.stream):
                    self._enqueue()
            except Exception as exc:  # noqa: BLE001 - graphs are an optimisation; plain enqueue still works
                log.warning("CUDA graph capture failed (%s); running TensorRT without a graph", exc)
                self.graph = None
        return self

    def _enqueue(self) -> None:
        self.context.execute_async_v3(self.stream.cuda_stream)

    def run(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        """faces: (B, 6, 96, 96) float32 in [0, 1]; mels: (B, 1, 80, 16) float32 -> (B, 3, 96, 96) float32 in [0, 1]."""
        import torch

        n = faces.shape[0]
        if n > self.batch:
            return np.concatenate(
                [
                    self.run(faces[i : i + self.batch], mels[i : i + self.batch])
                    for i in range(0, n, self.batch)
                ]
            )
        with torch.cuda.stream(self.stream):
            for name, arr in (("faces", faces), ("mel", mels)):
                h = self.host[name]
                h[:n].copy_(torch.from_numpy(np.ascontiguousarray(arr)))
                self.buffers[name].copy_(h, non_blocking=True)
            if self.graph is not None:
                self.graph.replay()
            else:
                self._enqueue()
            self.host["out"].copy_(self.buffers["out"], non_blocking=True)
        self.stream.synchronize()
        return self.host["out"][:n].float().numpy().copy()

    def describe(self) -> str:
        return f"tensorrt {getattr(self, 'meta', None) and self.meta.gpu_name} {self.precision}{' +cudagraph' if self.graph else ''}"
