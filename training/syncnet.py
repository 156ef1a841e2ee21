"""Wav2Lip's colour SyncNet lip-sync expert: 5 lower-half face frames vs a 16-frame mel window.

Layer names follow the original ``SyncNet_color`` (``face_encoder.N.conv_block.*``, ``audio_encoder.N...``) so
its released checkpoint loads at width 1.0. The generator sees it frozen; it also scores LSE-D/LSE-C style sync.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from w2le_live.models.blocks import ConvBNReLU


class SyncNet(nn.Module):
    """faces: (B, 15, 48, 96) float32 in [0, 1] (5 lower halves, BGR, stacked on channels); mel: (B, 1, 80, 16).

    ``forward`` returns L2-normalised (audio, face) embeddings, each (B, 512 * width).
    """

    def __init__(self, width: float = 1.0):
        super().__init__()

        def c(n: int) -> int:
            return max(4, int(round(n * width)))

        def res(ch: int, k: int = 3) -> ConvBNReLU:
            return ConvBNReLU(ch, ch, k, 1, k // 2, residual=True)

        self.face_encoder = nn.Sequential(
            ConvBNReLU(15, c(32), (7, 7), 1, 3),
            ConvBNReLU(c(32), c(64), 5, (1, 2), 1), res(c(64)), res(c(64)),
            ConvBNReLU(c(64), c(128), 3, 2, 1), res(c(128)), res(c(128)), res(c(128)),
            ConvBNReLU(c(128), c(256), 3, 2, 1), res(c(256)), res(c(256)),
            ConvBNReLU(c(256), c(512), 3, 2, 1), res(c(512)), res(c(512)),
            ConvBNReLU(c(512), c(512), 3, 2, 1),
            ConvBNReLU(c(512), c(512), 3, 1, 0),
            ConvBNReLU(c(512), c(512), 1, 1, 0),
        )  # fmt: skip
        self.audio_encoder = nn.Sequential(
            ConvBNReLU(1, c(32), 3, 1, 1), res(c(32)), res(c(32)),
            ConvBNReLU(c(32), c(64), 3, (3, 1), 1), res(c(64)), res(c(64)),
            ConvBNReLU(c(64), c(128), 3, 3, 1), res(c(128)), res(c(128)),
            ConvBNReLU(c(128), c(256), 3, (3, 2), 1), res(c(256)), res(c(256)),
            ConvBNReLU(c(256), c(512), 3, 1, 0),
            ConvBNReLU(c(512), c(512), 1, 1, 0),
        )  # fmt: skip

    def forward(self, mel: torch.Tensor, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.audio_encoder(mel).flatten(1)
        v = self.face_encoder(faces).flatten(1)
        return F.normalize(a, p=2, dim=1), F.normalize(v, p=2, dim=1)


def sync_probability(audio_emb: torch.Tensor, face_emb: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of normalised embeddings clamped into (0, 1): (B,) — the paper's P_sync."""
    return F.cosine_similarity(audio_emb, face_emb).clamp(1e-7, 1 - 1e-7)


def lower_halves(frames: torch.Tensor) -> torch.Tensor:
    """frames: (B, 3, T=5, 96, 96) float32 in [0, 1] -> (B, 15, 48, 96) lower halves stacked on channels."""
    b, ch, t, h, w = frames.shape
    return frames[:, :, :, h // 2 :, :].permute(0, 2, 1, 3, 4).reshape(b, t * ch, h - h // 2, w)
