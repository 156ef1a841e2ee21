"""Atomic training checkpoints (temp file + rename) with everything ``--resume`` needs to continue exactly."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch


def rng_state() -> dict[str, Any]:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """torch.save to a temp file in the same folder, then rename: a kill at any moment leaves the old file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def latest_checkpoint(out: str | Path, prefix: str) -> Optional[Path]:
    path = Path(out) / f"{prefix}_latest.pt"
    return path if path.exists() else None


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Our own training checkpoints (trusted: written by this code); the config and RNG states need full unpickling."""
    return torch.load(str(path), map_location="cpu", weights_only=False)
