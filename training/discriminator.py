"""The visual-quality discriminator on the WHOLE 96x96 face, with residual connections (the paper's change:
Wav2Lip's looks at the lower half only; residual skips were added against vanishing gradients)."""

from __future__ import annotations

import torch
from torch import nn

from w2le_live.models.blocks import ConvNoBNReLU


class QualityDiscriminator(nn.Module):
    """faces: (B, 3, 96, 96) float32 in [0, 1] -> probability of being real, (B, 1)."""

    def __init__(self, width: float = 1.0):
        super().__init__()

        def c(n: int) -> int:
            return max(4, int(round(n * width)))

        def block(cin: int, cout: int, k: int, s: int, p: int) -> nn.Sequential:
            return nn.Sequential(
                ConvNoBNReLU(cin, cout, k, s, p), ConvNoBNReLU(cout, cout, k, 1, p, residual=True)
            )

        self.face_encoder_blocks = nn.ModuleList([
            nn.Sequential(ConvNoBNReLU(3, c(32), 7, 1, 3)),  # 96
            block(c(32), c(64), 5, 2, 2),  # 48
            block(c(64), c(128), 5, 2, 2),  # 24
            block(c(128), c(256), 5, 2, 2),  # 12
            block(c(256), c(512), 3, 2, 1),  # 6
            block(c(512), c(512), 3, 2, 1),  # 3
            nn.Sequential(ConvNoBNReLU(c(512), c(512), 3, 1, 0), ConvNoBNReLU(c(512), c(512), 1, 1, 0)),  # 1
        ])  # fmt: skip
        self.binary_pred = nn.Sequential(nn.Conv2d(c(512), 1, 1), nn.Sigmoid())

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        x = faces
        for b in self.face_encoder_blocks:
            x = b(x)
        return self.binary_pred(x).view(len(x), -1)
