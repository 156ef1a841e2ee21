"""The four generator objectives of Wav2Lip-Emotion (paper eq. 1-8) and the discriminator's."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def recon_loss(gen: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 reconstruction (eq. 1). gen, target: (B, 3, T, 96, 96) in [0, 1]."""
    return F.l1_loss(gen, target)


def sync_loss(syncnet, mel: torch.Tensor, gen: torch.Tensor) -> torch.Tensor:
    """-log P_sync of generated lower halves vs the audio (eq. 2-3). mel: (B, 1, 80, 16); gen: (B, 3, 5, 96, 96)."""
    from training.syncnet import lower_halves, sync_probability

    a, v = syncnet(mel, lower_halves(gen))
    return F.binary_cross_entropy(sync_probability(a, v), torch.ones(len(a), device=a.device))


def frames_2d(x: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B*T, C, H, W)."""
    b, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)


def gan_gen_loss(disc, gen: torch.Tensor) -> torch.Tensor:
    """Generator side of the visual-quality GAN (eq. 4): -log D(G)."""
    p = disc(frames_2d(gen))
    return F.binary_cross_entropy(p, torch.ones_like(p))


def disc_loss(disc, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator (eq. 5): real -> 1, generated -> 0."""
    pr, pf = disc(frames_2d(real)), disc(frames_2d(fake.detach()))
    return F.binary_cross_entropy(pr, torch.ones_like(pr)) + F.binary_cross_entropy(pf, torch.zeros_like(pf))


def emotion_loss(classifier, gen: torch.Tensor, target_index: int) -> torch.Tensor:
    """mean(1 - p[destination]) over generated frames (eq. 6-7), through the frozen FER classifier."""
    from w2le_live.models.emotion import preprocess_faces

    p = torch.softmax(classifier(preprocess_faces(frames_2d(gen))), dim=1)[:, target_index]
    return (1.0 - p).mean()


def clamp_grad_norm(parameters, lo: float = 1e-2, hi: float = 1e10) -> float:
    """Clamp the total gradient norm into [lo, hi] (the paper's vanishing-gradient guard); returns the norm before."""
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
    norm = float(torch.nn.utils.clip_grad_norm_(params, hi))
    if 0.0 < norm < lo:
        for p in params:
            p.grad.mul_(lo / norm)
    return norm
