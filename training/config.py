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
    # audio window vs frame: wav2lip (future 200 ms) | centered | causal (live, no wait)
    alignment: str = "wav2lip"
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


# (low, high) for numeric fields; low is exclusive for the ones in _OPEN_LOW
_RANGES: dict[str, tuple[float, float]] = {
    "width": (0.0, 4.0), "syncnet_width": (0.0, 4.0), "disc_width": (0.0, 4.0), "batch_size": (1, 4096),
    "frames": (5, 64), "lr": (0.0, 1.0), "disc_lr": (0.0, 1.0), "steps": (1, 10**9), "save_every": (1, 10**9),
    "log_every": (1, 10**9), "sample_every": (1, 10**9), "num_workers": (0, 256), "s_r": (0.0, 100.0),
    "s_w": (0.0, 100.0), "s_g": (0.0, 100.0), "s_e": (0.0, 100.0), "grad_norm_min": (0.0, 1e30),
    "grad_norm_max": (0.0, 1e30),
}  # fmt: skip
_OPEN_LOW = {"width", "syncnet_width", "disc_width", "lr", "disc_lr", "grad_norm_max"}
_CHOICES = {"mask": ("half", "full"), "strategy": tuple(PAPER_WEIGHTS), "split": ("train", "val", "test")}


def _field_type(name: str) -> type:
    """bool, int, float or str: the type a field's value must have (from the dataclass default)."""
    default = TrainConfig.__dataclass_fields__[name].default
    if default is None:
        return float if name.startswith("s_") else str
    return type(default)


def _coerce(value: str, current: Any, name: str) -> Any:
    """A ``key=value`` override's text -> the field's type; bad text raises one UserError sentence."""
    from w2le_live.errors import UserError

    if value.lower() in ("none", "null"):
        return None
    typ = _field_type(name)
    if typ is bool:
        if value.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise UserError(f"{name}={value} is not true or false; use e.g. {name}=false.")
        return value.lower() in ("1", "true", "yes", "on")
    if typ in (int, float):
        try:
            return typ(value)
        except ValueError:
            noun = "a whole number" if typ is int else "a number"
            raise UserError(
                f"{name}={value} is not {noun}; use e.g. {name}={TrainConfig.__dataclass_fields__[name].default or 1}."
            ) from None
    return value


def validate(cfg: TrainConfig, where: str = "") -> TrainConfig:
    """Check every field's type and range; the first bad one raises a UserError naming it and the fix."""
    import math

    from w2le_live.errors import UserError

    src = f" in {where}" if where else ""
    for f in fields(TrainConfig):
        v, typ = getattr(cfg, f.name), _field_type(f.name)
        if v is None:
            if TrainConfig.__dataclass_fields__[f.name].default is None:
                continue
            raise UserError(f"{f.name}{src} cannot be empty; give it a value or leave it out.")
        ok = isinstance(v, typ) and not (typ is not bool and isinstance(v, bool))
        if typ is float and isinstance(v, int) and not isinstance(v, bool):
            ok = True
        if not ok:
            kind = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}[typ]
            raise UserError(f"{f.name}{src} is {v!r}, which is not {kind}; fix the value.")
        if f.name in _RANGES:
            lo, hi = _RANGES[f.name]
            low_bad = v <= lo if f.name in _OPEN_LOW else v < lo
            if (isinstance(v, float) and not math.isfinite(v)) or low_bad or v > hi:
                rel = "greater than" if f.name in _OPEN_LOW else "at least"
                raise UserError(
                    f"{f.name}{src} is {v!r}, out of range; use a value {rel} {lo:g} and at most {hi:g}."
                )
        if f.name in _CHOICES and v not in _CHOICES[f.name]:
            raise UserError(f"{f.name}{src} is {v!r}; choose one of {', '.join(_CHOICES[f.name])}.")
    if cfg.grad_norm_min > cfg.grad_norm_max:
        raise UserError(f"grad_norm_min{src} is larger than grad_norm_max; swap or fix them.")
    return cfg


def _read_file(path: str | Path) -> dict[str, Any]:
    from w2le_live.errors import UserError

    p = Path(path)
    if not p.is_file():
        what = "is a folder, not a file" if p.is_dir() else "does not exist"
        raise UserError(f"the config file {p} {what}; check the --config path.")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"the config file {p} cannot be read ({type(exc).__name__}); pass a JSON or YAML text file."
        ) from None
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise UserError(
                "YAML configs need PyYAML; run: pip install pyyaml, or use a JSON config."
            ) from None
        try:
            d = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}" if mark is not None else ""
            raise UserError(f"the config file {p} is not valid YAML{at}; fix the syntax.") from None
        d = {} if d is None else d
    else:
        try:
            d = json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            at = f" at line {line}" if line else ""
            raise UserError(f"the config file {p} is not valid JSON{at}; fix the syntax.") from None
    if not isinstance(d, dict):
        raise UserError(
            f"the config file {p} must hold a mapping of key: value pairs, not a {type(d).__name__}."
        )
    return d


def load_config(
    path: Optional[str | Path] = None, overrides: Sequence[str] = (), base: TrainConfig = TrainConfig()
) -> TrainConfig:
    """File (JSON, or YAML when PyYAML is installed) then ``key=value`` overrides; unknown keys, wrong types and
    out-of-range values are refused with one sentence."""
    from w2le_live.errors import UserError

    cfg = base
    known = {f.name: f for f in fields(TrainConfig)}
    if path:
        d = _read_file(path)
        bad = [k for k in d if k not in known]
        if bad:
            raise UserError(f"unknown config key '{bad[0]}' in {path}; known keys: {', '.join(known)}.")
        cfg = validate(replace(cfg, **d), str(path))
    for ov in overrides:
        if "=" not in ov:
            raise UserError(f"override '{ov}' is not key=value; e.g. lr=3e-4.")
        k, v = ov.split("=", 1)
        if k not in known:
            raise UserError(f"unknown config key '{k}'; known keys: {', '.join(known)}.")
        cfg = replace(cfg, **{k: _coerce(v, getattr(cfg, k), k)})
    return validate(cfg)
