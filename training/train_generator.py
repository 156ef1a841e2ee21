"""Wav2Lip-Emotion generator training: L1 + frozen SyncNet + whole-face GAN + frozen emotion objective.

w2le-train generator --config cfg.json data=DATA out=runs/n2h target_emotion=happy width=0.5 [--resume]
torchrun --nproc_per_node 4 -m training.cli generator ...        # multi-GPU / multi-node, same code
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from training.checkpointing import (
    StopRequest,
    config_entry,
    interrupted,
    latest_checkpoint,
    load_checkpoint,
    load_syncnet,
    resume_mismatch,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from training.config import TrainConfig
from training.distributed import init_distributed, unwrap, wrap

log = logging.getLogger(__name__)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build(cfg: TrainConfig, device: torch.device):
    """(generator, discriminator | None, syncnet | None, emotion classifier | None) for the config."""
    from training.discriminator import QualityDiscriminator
    from w2le_live.models.checkpoint import load_generator
    from w2le_live.models.emotion import load_fer_classifier
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    s_r, s_w, s_g, s_e = cfg.weights()
    if cfg.init_checkpoint:
        gen, _ = load_generator(cfg.init_checkpoint)
        gen.train()
    else:
        gen = Wav2LipGenerator(GeneratorDims(width=cfg.width))
    disc = QualityDiscriminator(cfg.disc_width).to(device) if s_g > 0 else None
    sync = None
    if s_w > 0 and cfg.syncnet_checkpoint:
        sync = load_syncnet(cfg.syncnet_checkpoint, cfg.syncnet_width, option="syncnet_checkpoint")
        sync.requires_grad_(False).to(device)
    elif s_w > 0:
        log.warning(
            "no syncnet_checkpoint given: the lip-sync loss is off (train one with: w2le-train syncnet)"
        )
    emo = load_fer_classifier(device=str(device)) if s_e > 0 else None
    return gen.to(device), disc, sync, emo


def emotion_index(name: str) -> int:
    from w2le_live.models.emotion import FER_LABELS, TARGET_TO_FER

    return FER_LABELS.index(TARGET_TO_FER.get(name, name))


def train(cfg: TrainConfig, resume: bool = False, max_steps: Optional[int] = None, on_end=None) -> list[dict]:
    """Run (or continue) training; returns the logged loss history of this call.

    ``on_end(generator)`` is called with the trained (unwrapped) generator on every rank (tests, notebooks).
    """
    from training.datasets import PairDataset
    from training.losses import clamp_grad_norm, disc_loss, emotion_loss, gan_gen_loss, recon_loss, sync_loss
    from training.preprocess import read_manifest

    dist = init_distributed()
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    gen, disc, sync, emo = build(cfg, device)  # first: a bad checkpoint is reported before the data is read
    manifest = read_manifest(cfg.data)
    actors = _split_actors(cfg)
    ds = PairDataset(
        cfg.data,
        manifest,
        cfg.source_emotion,
        cfg.target_emotion,
        cfg.mask,
        cfg.strategy,
        cfg.frames,
        actors,
        alignment=cfg.alignment,
    )
    s_r, s_w, s_g, s_e = cfg.weights()
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = (
        torch.optim.Adam(disc.parameters(), lr=cfg.disc_lr, betas=(0.5, 0.999)) if disc is not None else None
    )
    use_amp = cfg.amp and device.type == "cuda"  # fp16 autocast on CUDA only; never bf16 on CPUs
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    step = 0
    if resume and (ck := latest_checkpoint(out, "generator")) is not None:
        st = load_checkpoint(ck)
        try:
            gen.load_state_dict(st["model"])
            opt_g.load_state_dict(st["optimizer"])
            if disc is not None and st.get("disc") is not None:
                disc.load_state_dict(st["disc"])
                opt_d.load_state_dict(st["disc_optimizer"])
            scaler.load_state_dict(st["scaler"])
            step = st["step"]
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise resume_mismatch(ck, exc) from None
        set_rng_state(st["rng"])
        log.info("resumed from %s at step %d", ck, step)
    gen_d = wrap(gen, dist)
    disc_d = wrap(disc, dist) if disc is not None else None
    writer = _writer(out) if dist.is_main else None
    target_idx = emotion_index(cfg.target_emotion if cfg.strategy != "l1" else cfg.target_emotion)
    end = cfg.steps if max_steps is None else min(cfg.steps, step + max_steps)
    history: list[dict] = []
    bar = _bar(step, end, dist.is_main)

    def save() -> Path:
        return save_checkpoint(out / "generator_latest.pt", {
            "model": unwrap(gen_d).state_dict(), "optimizer": opt_g.state_dict(),
            "disc": disc.state_dict() if disc is not None else None,
            "disc_optimizer": opt_d.state_dict() if opt_d is not None else None,
            "scaler": scaler.state_dict(), "step": step, "config_json": config_entry(asdict(cfg)),
            "rng": rng_state(),
            "dims": unwrap(gen_d).dims.to_dict(),
        })  # fmt: skip

    stop = StopRequest(enabled=not dist.enabled)
    with stop:
        while step < end:
            if stop.requested:
                for closable in (bar, writer):
                    if closable is not None:
                        closable.close()
                raise interrupted("generator", step, save() if dist.is_main else out / "generator_latest.pt")
            rng = np.random.default_rng(
                [cfg.seed, step, dist.rank]
            )  # per-step RNG: resume is exact, ranks differ
            b = {k: torch.from_numpy(v).to(device) for k, v in ds.batch(rng, cfg.batch_size).items()}
            gen_d.train()
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                g = gen_d(b["mels"], b["faces"])  # (B, 3, T, 96, 96)
                losses = {"l1": recon_loss(g, b["target"])}
                if sync is not None:
                    losses["sync"] = sync_loss(sync, b["sync_mel"], g[:, :, :5])
                if disc_d is not None:
                    losses["gan"] = gan_gen_loss(disc_d, g)
                if emo is not None:
                    losses["emotion"] = emotion_loss(emo, g.float(), target_idx)
                weights = {"l1": s_r, "sync": s_w, "gan": s_g, "emotion": s_e}
                total = sum(weights[k] * v for k, v in losses.items())
            opt_g.zero_grad(set_to_none=True)
            scaler.scale(total).backward()
            scaler.unscale_(opt_g)
            gnorm = clamp_grad_norm(gen.parameters(), cfg.grad_norm_min, cfg.grad_norm_max)
            scaler.step(opt_g)
            if disc_d is not None:
                with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                    ld = disc_loss(disc_d, b["target"], g)
                opt_d.zero_grad(set_to_none=True)
                scaler.scale(ld).backward()
                scaler.step(opt_d)
                losses["disc"] = ld
            scaler.update()
            step += 1
            rec = {
                "step": step,
                "total": total.item(),
                "grad_norm": gnorm,
                **{k: v.item() for k, v in losses.items()},
            }
            history.append(rec)
            if writer is not None and (step % cfg.log_every == 0 or step == end):
                for k, v in rec.items():
                    if k != "step":
                        writer.add_scalar(f"generator/{k}", v, step)
            if writer is not None and (step % cfg.sample_every == 0 or step == end):
                writer.add_image("samples/input|generated|target", sample_grid(b, g), step)
            if dist.is_main and (step % cfg.save_every == 0 or step == end):
                save()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(total=f"{rec['total']:.4f}")
    if bar is not None:
        bar.close()
    if writer is not None:
        writer.close()
    if on_end is not None:
        on_end(unwrap(gen_d))
    return history


def sample_grid(b: dict, g: torch.Tensor, n: int = 4) -> torch.Tensor:
    """(3, H, W) RGB image: rows of reference input | generated | target, like the paper's Figure 3."""
    ref = b["faces"][:n, 3:6, 0]
    gen = g[:n, :, 0].detach().float()
    tgt = b["target"][:n, :, 0]
    rows = [torch.cat([r, x, t], dim=2) for r, x, t in zip(ref, gen, tgt)]
    return torch.cat(rows, dim=1).flip(0).clamp(0, 1).cpu()  # BGR -> RGB


def export(checkpoint: str | Path, out: str | Path) -> Path:
    """Training checkpoint -> runtime checkpoint (safetensors + ModelMeta, or ONNX for an .onnx ``out``)."""
    from training.checkpointing import export_generator

    return export_generator(checkpoint, out)


def _split_actors(cfg: TrainConfig):
    import json

    p = Path(cfg.data) / "splits.json"
    if not p.exists():
        return None
    return set(json.loads(p.read_text())[cfg.split])


def _writer(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log.warning("tensorboard is not installed; no TensorBoard logs (pip install tensorboard)")
        return None
    return SummaryWriter(str(out / "tb"))


def _bar(start: int, end: int, main: bool):
    if not main:
        return None
    from tqdm import tqdm

    return tqdm(total=end - start, initial=0, unit="step", desc="generator", leave=False, mininterval=1.0)
