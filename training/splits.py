"""Actor-level splits (the paper's 37/5/5 style): no identity is in two splits."""

from __future__ import annotations

import json
import random
from pathlib import Path


def split_actors(
    actors: list[str], fractions: tuple[float, float, float] = (37 / 47, 5 / 47, 5 / 47), seed: int = 0
) -> dict[str, list[str]]:
    """Seeded shuffle of the distinct actors into train/val/test (each non-empty when there are >= 3 actors)."""
    uniq = sorted(set(actors))
    rng = random.Random(seed)
    rng.shuffle(uniq)
    n = len(uniq)
    n_val = max(1, round(fractions[1] * n)) if n >= 3 else 0
    n_test = max(1, round(fractions[2] * n)) if n >= 3 else 0
    return {
        "train": sorted(uniq[: n - n_val - n_test]),
        "val": sorted(uniq[n - n_val - n_test : n - n_test]),
        "test": sorted(uniq[n - n_test :]),
    }


def write_splits(manifest: list[dict], out: str | Path, seed: int = 0) -> dict[str, list[str]]:
    s = split_actors([r["actor"] for r in manifest], seed=seed)
    Path(out).write_text(json.dumps(s, indent=2))
    return s
