"""The Wav2Lip generator topology with a width multiplier.

At ``width=1.0`` parameter names and shapes equal the original ``wav2lip.pth`` / ``wav2lip_gan.pth``
and the Wav2Lip-Emotion checkpoints (which keep Wav2Lip's generator unchanged), so their state dicts
load directly once the ``module.`` prefix is stripped (see :mod:`w2le_live.models.checkpoint`).

Inputs follow the original's conventions: faces are BGR (OpenCV order) in [0, 1]; channels 0-2 are
the masked pose prior (the target frame with its lower half or face hull zeroed), channels 3-5 the
unmasked identity reference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from w2le_live.models.blocks import ConvBNReLU, DeconvBNReLU


@dataclass(frozen=True)
class GeneratorDims:
    """Architecture dims stored inside every checkpoint (``GeneratorDims(**ckpt["dims"])``)."""

    width: float = 1.0  # channel multiplier; 1.0 = original Wav2Lip (36.3 M params), 0.5 ~ 1/4 the FLOPs
    img_size: int = 96
    mel_bins: int = 80
    mel_steps: int = 16

    def ch(self, c: int) -> int:
        """Channels of a layer that has ``c`` channels in the original."""
        return max(4, int(round(c * self.width)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Wav2LipGenerator(nn.Module):
    """Face encoder (6x96x96) + audio encoder (1x80x16) + U-Net face decoder, sigmoid output."""

    def __init__(self, dims: GeneratorDims = GeneratorDims()):
        super().__init__()
        if dims.img_size != 96 or dims.mel_bins != 80 or dims.mel_steps != 16:
            raise ValueError("only the Wav2Lip input sizes (96x96 faces, 80x16 mel) are supported")
        self.dims = dims
        c = dims.ch
        R = dict(kernel_size=3, stride=1, padding=1, residual=True)  # noqa: N806 - residual 3x3 block

        def res(ch: int, n: int) -> list[nn.Module]:
            return [ConvBNReLU(ch, ch, **R) for _ in range(n)]

        # Face encoder: 96 -> 48 -> 24 -> 12 -> 6 -> 3 -> 1
        self.face_encoder_blocks = nn.ModuleList(
            [
                nn.Sequential(ConvBNReLU(6, c(16), 7, 1, 3)),
                nn.Sequential(ConvBNReLU(c(16), c(32), 3, 2, 1), *res(c(32), 2)),
                nn.Sequential(ConvBNReLU(c(32), c(64), 3, 2, 1), *res(c(64), 3)),
                nn.Sequential(ConvBNReLU(c(64), c(128), 3, 2, 1), *res(c(128), 2)),
                nn.Sequential(ConvBNReLU(c(128), c(256), 3, 2, 1), *res(c(256), 2)),
                nn.Sequential(ConvBNReLU(c(256), c(512), 3, 2, 1), *res(c(512), 1)),
                nn.Sequential(ConvBNReLU(c(512), c(512), 3, 1, 0), ConvBNReLU(c(512), c(512), 1, 1, 0)),
            ]
        )
        # Audio encoder: (1, 80, 16) -> (512, 1, 1)
        self.audio_encoder = nn.Sequential(
            ConvBNReLU(1, c(32), 3, 1, 1),
            *res(c(32), 2),
            ConvBNReLU(c(32), c(64), 3, (3, 1), 1),
            *res(c(64), 2),
            ConvBNReLU(c(64), c(128), 3, 3, 1),
            *res(c(128), 2),
            ConvBNReLU(c(128), c(256), 3, (3, 2), 1),
            *res(c(256), 1),
            ConvBNReLU(c(256), c(512), 3, 1, 0),
            ConvBNReLU(c(512), c(512), 1, 1, 0),
        )
        # Decoder: each block's output is concatenated with the matching encoder feature.
        up = dict(kernel_size=3, stride=2, padding=1, output_padding=1)
        self.face_decoder_blocks = nn.ModuleList(
            [
                nn.Sequential(ConvBNReLU(c(512), c(512), 1, 1, 0)),  # 1x1
                nn.Sequential(DeconvBNReLU(c(512) * 2, c(512), 3, 1, 0), *res(c(512), 1)),  # 3x3
                nn.Sequential(DeconvBNReLU(c(512) * 2, c(512), **up), *res(c(512), 2)),  # 6x6
                nn.Sequential(DeconvBNReLU(c(512) + c(256), c(384), **up), *res(c(384), 2)),  # 12x12
                nn.Sequential(DeconvBNReLU(c(384) + c(128), c(256), **up), *res(c(256), 2)),  # 24x24
                nn.Sequential(DeconvBNReLU(c(256) + c(64), c(128), **up), *res(c(128), 2)),  # 48x48
                nn.Sequential(DeconvBNReLU(c(128) + c(32), c(64), **up), *res(c(64), 2)),  # 96x96
            ]
        )
        self.output_block = nn.Sequential(
            ConvBNReLU(c(64) + c(16), c(32), 3, 1, 1), nn.Conv2d(c(32), 3, 1, 1, 0), nn.Sigmoid()
        )

    def forward(self, mel: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        """Generate faces.

        mel: (B, 1, 80, 16) float32 in [-4, 4] (or (B, T, 1, 80, 16));
        faces: (B, 6, 96, 96) float32 in [0, 1], BGR, masked prior then reference (or (B, 6, T, 96, 96)).
        Returns (B, 3, 96, 96) float32 in [0, 1] BGR (or (B, 3, T, 96, 96) for 5-D input).
        """
        seq = faces.dim() == 5
        if seq:  # the original's training layout: time folded into the batch
            b, t = mel.shape[0], mel.shape[1]
            mel = mel.reshape(b * t, *mel.shape[2:])
            faces = faces.permute(0, 2, 1, 3, 4).reshape(b * t, faces.shape[1], *faces.shape[3:])
        x = self.audio_encoder(mel)  # (B, 512w, 1, 1)
        feats = []
        h = faces
        for block in self.face_encoder_blocks:
            h = block(h)
            feats.append(h)
        for block in self.face_decoder_blocks:
            x = block(x)
            x = torch.cat((x, feats.pop()), dim=1)
        out = self.output_block(x)  # (B, 3, 96, 96)
        if seq:
            out = out.reshape(b, t, *out.shape[1:]).permute(0, 2, 1, 3, 4)
        return out
