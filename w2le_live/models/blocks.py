"""Conv building blocks whose parameter names match the original Wav2Lip (``conv_block.0``/``.1``)."""

from __future__ import annotations

import torch
from torch import nn


class ConvBNReLU(nn.Module):
    """Conv2d + BatchNorm (+ identity residual) + ReLU; Wav2Lip's ``Conv2d`` block.

    x: (B, cin, H, W) float32 -> (B, cout, H', W') float32, non-negative.
    """

    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0, residual: bool = False):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.Conv2d(cin, cout, kernel_size, stride, padding), nn.BatchNorm2d(cout)
        )
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        if self.residual:
            out = out + x
        return self.act(out)


class DeconvBNReLU(nn.Module):
    """ConvTranspose2d + BatchNorm + ReLU; Wav2Lip's ``Conv2dTranspose`` block.

    x: (B, cin, H, W) float32 -> (B, cout, H', W') float32, non-negative.
    """

    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0, output_padding=0):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel_size, stride, padding, output_padding), nn.BatchNorm2d(cout)
        )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv_block(x))


class ConvNoBNReLU(nn.Module):
    """Conv2d + LeakyReLU(0.01) (+ residual); Wav2Lip's ``nonorm_Conv2d`` used by the quality discriminator.

    x: (B, cin, H, W) float32 -> (B, cout, H', W') float32.
    """

    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0, residual: bool = False):
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride, padding))
        self.act = nn.LeakyReLU(0.01, inplace=False)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        if self.residual:
            out = out + x
        return self.act(out)
