"""Training configuration: frozen dataclasses, loaded from a JSON/YAML file plus ``key=value`` overrides, and
stored inside every checkpoint so a run can be reproduced or resumed exactly."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Optional, Sequence

# Loss weights from the paper (section 3.3.6): s_r, s_w, s_g, s_e
PAPER_WEIGHTS = {
    "l1": (0.8, 0.03, 0.07, 0.1),
    "l1+emotion": (0.8, 0.03, 0.07, 0.1),
    "emotion": (0.6, 0.03, 0.07, 0.3),
}


@dataclass(frozen=True)
class TrainConfig:
    data: str = "data/preprocessed"  # output of `w2le-train preprocess`
    out: str = "runs/w2le"
    source_emotion: str = "neutral"
    target_emotion: str = "happy"
    mask: str = "half"  # half | full
    alignment: str = "wav2lip"  # audio window vs frame: wav2lip (future 200 ms) | centered | causal (live, no wait)
    strategy: str = "l1+emotion"  # l1 | emotion | l1+emotion
    width: float = 1.0
    syncnet_width: float = 1.0
    disc_width: float = 1.0
    syncnet_checkpoint: Optional[str] = None  # frozen expert; without one the sync loss is off
    init_checkpoint: Optional[str] = None  # e.g. original wav2lip.pth for half-mask runs
    batch_size: int = 8
    frames: int = 5  # T frames per sample (SyncNet sees 5)
    lr: float = 1e-4
    disc_lr: float = 1e-4
    steps: int = 100000
    save_every: int = 1000
    log_every: int = 50
    sample_every: int = 500
    seed: int = 0
    num_workers: int = 2
    amp: bool = True  # CUDA only; never bf16 (CPUs here have no BF16: 100x slower)
    device: str = "auto"
    s_r: Optional[float] = None  # None: the paper's weights for the strategy
    s_w: Optional[float] = None
    s_g: Optional[float] = None
    s_e: Optional[float] = None
    grad_norm_min: float = 1e-2  # the paper clamps the generator gradient norm into [1e-2, 1e10]
    grad_norm_max: float = 1e10
    split: str = "train"

    def weights(self) -> tuple[float, float, float, float]:
        base = PAPER_WEIGHTS[self.strategy]
        given = (self.s_r, self.s_w, self.s_g, self.s_e)
        w = tuple(g if g is not None else b for g, b in zip(given, base))
        if self.strategy == "l1":
            w = (w[0], w[1], w[2], 0.0 if self.s_e is None else w[3])
        return w  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _coerce(value: str, current: Any, name: str) -> Any:
    if value.lower() in ("none", "null"):
        return None
    if isinstance(current, bool):
        return value.lower() in ("1", "true", "yes", "on")
    for typ in (int, float):
        if isinstance(current, typ):
            return typ(value)
    if current is None and name.startswith("s_"):
        return float(value)
    return value


def load_config(
    path: Optional[str | Path] = None, overrides: Sequence[str] = (), base: TrainConfig = TrainConfig()
) -> TrainConfig:
    """File (JSON, or YAML when PyYAML is installed) then ``key=value`` overrides; unknown keys are refused."""
    from w2le_live.errors import UserError

    cfg = base
    known = {f.name: f for f in fields(TrainConfig)}
    if path:
        text = Path(path).read_text()
        if str(path).endswith((".yaml", ".yml")):
            import yaml

            d = yaml.safe_load(text) or {}
        else:
            d = json.loads(text)
        bad = [k for k in d if k not in known]
        if bad:
            raise UserError(f"unknown config key '{bad[0]}' in {path}; known keys: {', '.join(known)}.")
        cfg = replace(cfg, **d)
    for ov in overrides:
        if "=" not in ov:
            raise UserError(f"override '{ov}' is not key=value; e.g. lr=3e-4.")
        k, v = ov.split("=", 1)
        if k not in known:
            raise UserError(f"unknown config key '{k}'; known keys: {', '.join(known)}.")
        cfg = replace(cfg, **{k: _coerce(v, getattr(cfg, k), k)})
    if cfg.mask not in ("half", "full") or cfg.strategy not in PAPER_WEIGHTS:
        raise UserError("mask must be half|full and strategy l1|emotion|l1+emotion.")
    return cfg
