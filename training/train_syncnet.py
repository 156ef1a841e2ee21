"""Train the colour SyncNet lip-sync expert (cosine similarity -> BCE on in-sync / off-sync pairs)."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from training.checkpointing import (
    StopRequest,
    config_entry,
    interrupted,
    latest_checkpoint,
    load_checkpoint,
    resume_mismatch,
    rng_state,
    save_checkpoint,
)
from training.config import TrainConfig
from training.distributed import init_distributed, unwrap, wrap

log = logging.getLogger(__name__)


def train(cfg: TrainConfig, resume: bool = False, max_steps: Optional[int] = None) -> list[dict]:
    from training.datasets import SyncDataset
    from training.preprocess import read_manifest
    from training.syncnet import SyncNet, sync_probability
    from training.train_generator import _split_actors, pick_device

    dist = init_distributed()
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    ds = SyncDataset(cfg.data, read_manifest(cfg.data), _split_actors(cfg))
    model = SyncNet(cfg.syncnet_width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step = 0
    if resume and (ck := latest_checkpoint(out, "syncnet")) is not None:
        st = load_checkpoint(ck)
        try:
            model.load_state_dict(st["model"])
            opt.load_state_dict(st["optimizer"])
            step = st["step"]
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise resume_mismatch(ck, exc) from None
    model_d = wrap(model, dist)
    end = cfg.steps if max_steps is None else min(cfg.steps, step + max_steps)
    history = []

    def save() -> Path:
        return save_checkpoint(out / "syncnet_latest.pt", {"model": unwrap(model_d).state_dict(), "optimizer": opt.state_dict(), "step": step,
                                                           "width": cfg.syncnet_width, "config_json": config_entry(asdict(cfg)), "rng": rng_state()})  # fmt: skip

    stop = StopRequest(enabled=not dist.enabled)
    with stop:
        while step < end:
            if stop.requested:
                raise interrupted("syncnet", step, save() if dist.is_main else out / "syncnet_latest.pt")
            rng = np.random.default_rng([cfg.seed, step, dist.rank])
            b = {k: torch.from_numpy(v).to(device) for k, v in ds.batch(rng, cfg.batch_size).items()}
            a, v = model_d(b["mel"], b["faces"])
            loss = F.binary_cross_entropy(sync_probability(a, v), b["label"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            history.append({"step": step, "loss": float(loss)})
            if dist.is_main and (step % cfg.save_every == 0 or step == end):
                save()
    return history
