"""PyTorch eager backend (CPU, or CUDA where present), with optional BN folding + channels_last."""

from __future__ import annotations

import numpy as np

from w2le_live.backends.base import Backend


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
    name = "torch"

    def __init__(self, model_path: str, *, fuse: bool = True, **kw):
        super().__init__(model_path, **kw)
        self.fuse = fuse

    def load(self) -> TorchBackend:
        import torch

        from w2le_live.models.checkpoint import load_generator

        model, self.meta = load_generator(self.model_path)
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            self.device = "cpu"
        if self.fuse:
            model = fuse_conv_bn(model)
        self._fmt = torch.channels_last if self.fuse else torch.contiguous_format
        self.model = model.to(self.device, memory_format=self._fmt).eval()
        return self

    def run(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        """faces: (B, 6, 96, 96) float32 in [0, 1]; mels: (B, 1, 80, 16) float32 -> (B, 3, 96, 96) float32 in [0, 1]."""
        import torch

        with torch.inference_mode():
            f = (
                torch.from_numpy(np.ascontiguousarray(faces))
                .to(self.device)
                .contiguous(memory_format=self._fmt)
            )
            m = torch.from_numpy(np.ascontiguousarray(mels)).to(self.device)
            return self.model(m, f).float().cpu().numpy()

    def describe(self) -> str:
        return f"torch {self.device} fp32{' fused+channels_last' if self.fuse else ''}"
