"""PyTorch eager backend (CPU, or CUDA where present), with optional BN folding + channels_last."""

from __future__ import annotations

import logging

import numpy as np

from w2le_live.backends.base import Backend

log = logging.getLogger(__name__)


def fuse_conv_bn(model):
    """Fold every BatchNorm that follows a Conv2d in a ``conv_block`` into the conv (eval mode only)."""
    import torch
    from torch import nn

    for mod in model.modules():
        seq = getattr(mod, "conv_block", None)
        if isinstance(seq, nn.Sequential) and len(seq) == 2 and isinstance(seq[1], nn.BatchNorm2d):
            conv, bn = seq[0], seq[1]
            if isinstance(conv, nn.Conv2d):
                fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
            elif isinstance(conv, nn.ConvTranspose2d):
                fused = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn, transpose=True)
            else:
                continue
            mod.conv_block = nn.Sequential(fused, nn.Identity())
    return model


class TorchBackend(Backend):
    """torch eager; on CUDA: fp32 or fp16 weights, pinned host buffers with non-blocking copies on the current
    stream, one synchronisation per batch (when ``run`` returns, the output is on the host)."""

    name = "torch"

    def __init__(self, model_path: str, *, fuse: bool = True, **kw):
        super().__init__(model_path, **kw)
        self.fuse = fuse

    def load(self) -> TorchBackend:
        import torch

        from w2le_live.models.checkpoint import load_generator

        model, self.meta = load_generator(self.model_path)
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            log.warning("torch sees no CUDA GPU; the torch backend runs on the CPU")
            self.device = "cpu"
        self.cuda = self.device.startswith("cuda")
        if self.precision == "fp16" and not self.cuda:
            log.warning("fp16 needs CUDA here; the torch backend runs fp32 on the CPU")
            self.precision = "fp32"
        if self.fuse:
            model = fuse_conv_bn(model)  # in fp32, before any cast
        self._fmt = torch.channels_last if self.fuse else torch.contiguous_format
        self._dtype = torch.float16 if self.precision == "fp16" else torch.float32
        self.model = model.to(self.device, dtype=self._dtype, memory_format=self._fmt).eval()
        self._pinned: dict = {}
        if self.cuda:
            torch.backends.cudnn.benchmark = True  # static shapes: pick the fastest conv algorithms once
        return self

    def _staged(self, key: str, arr: np.ndarray):
        """A pinned host copy of ``arr`` (float32, any shape), reused between calls of the same shape."""
        import torch

        buf = self._pinned.get(key)
        if buf is None or tuple(buf.shape) != arr.shape:
            buf = self._pinned[key] = torch.empty(arr.shape, dtype=torch.float32, pin_memory=True)
        buf.copy_(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)))
        return buf

    def run(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        """faces: (B, 6, 96, 96) float32 in [0, 1]; mels: (B, 1, 80, 16) float32 -> (B, 3, 96, 96) float32 in [0, 1]."""
        import torch

        with torch.inference_mode():
            if not self.cuda:
                f = torch.from_numpy(np.ascontiguousarray(faces, dtype=np.float32)).contiguous(
                    memory_format=self._fmt
                )
                m = torch.from_numpy(np.ascontiguousarray(mels, dtype=np.float32))
                return self.model(m, f).float().numpy()
            # pinned -> device copies overlap nothing else but skip the pageable bounce buffer; the cast to fp16
            # happens on the GPU, the output comes back as float32 into a pinned buffer, then ONE synchronise
            f = self._staged("faces", faces).to(self.device, non_blocking=True)
            m = self._staged("mels", mels).to(self.device, non_blocking=True)
            f = f.to(self._dtype).contiguous(memory_format=self._fmt)
            out = self.model(m.to(self._dtype), f).float()
            host = self._pinned.get("out")
            if host is None or host.shape != out.shape:
                host = self._pinned["out"] = torch.empty(out.shape, dtype=torch.float32, pin_memory=True)
            host.copy_(out, non_blocking=True)
            torch.cuda.current_stream(out.device).synchronize()  # the non-blocking copy has landed
            return host.numpy().copy()

    def describe(self) -> str:
        return f"torch {self.device} {self.precision}{' fused+channels_last' if self.fuse else ''}"
