"""Atomic training checkpoints (temp file + rename) with everything ``--resume`` needs to continue exactly.

Checkpoints hold only checkpoint-safe types, so they load with ``torch.load(weights_only=True)``: tensors,
optimizer/scaler state dicts (tensors, numbers, lists), the config as a JSON string and the RNG states as
ints/lists/tensors. A file that needs anything more is refused before any of its code can run.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Optional

import numpy as np

from w2le_live.files import atomic_path


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch RNG states as checkpoint-safe values (tuples/lists of ints, floats, a tensor)."""
    import torch

    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured (keys that are absent are left alone)."""
    if "python" in state:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
    if "numpy" in state:
        name, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state(
            (name, np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss), float(cached))
        )
    if "torch" in state:
        import torch

        torch.set_rng_state(state["torch"])


def config_entry(cfg_dict: dict[str, Any]) -> str:
    """The config as stored in a checkpoint: a JSON string."""
    return json.dumps(cfg_dict, sort_keys=True)


def checkpoint_config(state: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """The TrainConfig fields stored in a loaded checkpoint (``config_json``, or a plain dict in older files)."""
    from w2le_live.errors import CheckpointError

    if isinstance(state.get("config_json"), str):
        try:
            return json.loads(state["config_json"])
        except ValueError:
            pass
    elif isinstance(state.get("config"), dict):
        return state["config"]
    raise CheckpointError(
        f"{path} has no training config, so it is not a w2le-train checkpoint; pass OUT/generator_latest.pt."
    )


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """torch.save to a temp file in the same folder, then rename: a kill at any moment leaves the old file intact.

    Temp files left by an earlier kill (``.NAME.*`` beside it) are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*"):
        stale.unlink(missing_ok=True)
    with atomic_path(path) as tmp:
        import torch

        torch.save(state, tmp)
    return path


def latest_checkpoint(out: str | Path, prefix: str) -> Optional[Path]:
    path = Path(out) / f"{prefix}_latest.pt"
    return path if path.exists() else None


def _legacy_numpy_globals() -> tuple:
    """Data-only numpy types that checkpoints of earlier versions (numpy RNG state as an array) need."""
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return (_reconstruct, np.ndarray, np.dtype, type(np.dtype(np.uint32)))


def load_checkpoint(path: str | Path, option: str = "checkpoint") -> dict[str, Any]:
    """A training checkpoint, loaded with ``weights_only=True``; anything else raises one CheckpointError sentence."""
    from w2le_live.errors import CheckpointError
    from w2le_live.models.checkpoint import safe_torch_load

    st = safe_torch_load(path, option, safe_globals=_legacy_numpy_globals())
    if not isinstance(st, dict) or not isinstance(st.get("model"), dict):
        raise CheckpointError(
            f"{path} is not a w2le-train checkpoint (it has no 'model' state); pass a file that w2le-train wrote."
        )
    return st


def load_syncnet(path: str | Path, default_width: float = 1.0, option: str = "--syncnet"):
    """The SyncNet of a ``w2le-train syncnet`` checkpoint, in eval mode; wrong files raise a CheckpointError."""
    from training.syncnet import SyncNet
    from w2le_live.errors import CheckpointError

    st = load_checkpoint(path, option)
    width = st.get("width", default_width)
    if not isinstance(width, (int, float)) or not 0 < width <= 4:
        raise CheckpointError(f"{path} stores an invalid SyncNet width {width!r}; train the SyncNet again.")
    net = SyncNet(float(width))
    try:
        net.load_state_dict(st["model"])
    except (RuntimeError, KeyError, TypeError) as exc:
        first = str(exc).strip().splitlines()[-1].strip()[:120] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path} does not hold a width-{width} SyncNet ({first}); pass a checkpoint from w2le-train syncnet."
        ) from None
    return net.eval()


class StopRequest:
    """Ctrl-C / SIGTERM during training sets ``requested`` instead of interrupting a step half-way, so the loop
    can save a consistent checkpoint at the next step boundary; a second Ctrl-C stops at once.

    Used as a context manager in single-process runs (under torchrun the launcher handles signals).
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.requested = False
        self._old: dict = {}

    def _handler(self, signum, frame):
        import signal

        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopRequest:
        import signal
        import threading

        if self.enabled and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old = {}


def interrupted(what: str, step: int, path: Path):
    """The UserError to raise after saving on Ctrl-C/SIGTERM: where the checkpoint is and how to resume."""
    from w2le_live.errors import Interrupted

    return Interrupted(
        f"{what} training stopped at step {step} and was saved to {path}; "
        "continue exactly with the same command plus --resume."
    )


def resume_mismatch(path: Path, exc: BaseException):
    """The CheckpointError for a ``--resume`` checkpoint that does not fit the current config."""
    from w2le_live.errors import CheckpointError

    detail = str(exc).strip().splitlines()[0][:100] if str(exc).strip() else type(exc).__name__
    return CheckpointError(
        f"{path} does not match this config ({detail}); resume with the options it was trained with, "
        "or choose another out= folder."
    )


# ---- export: a generator training checkpoint -> what w2le-live runs ------------------------------------------
EXPORT_SUFFIXES = (".safetensors", ".onnx")


def generator_from_checkpoint(checkpoint: str | Path):
    """(Wav2LipGenerator in eval mode, ModelMeta) of a ``w2le-train generator`` checkpoint; wrong files raise one
    CheckpointError sentence."""
    from training.config import TrainConfig
    from w2le_live.errors import CheckpointError
    from w2le_live.models.checkpoint import ModelMeta
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    if Path(checkpoint).suffix.lower() == ".safetensors":
        raise CheckpointError(
            f"{checkpoint} is already a runtime checkpoint; pass it to w2le-live --model directly."
        )
    st = load_checkpoint(checkpoint)
    known = set(TrainConfig.__dataclass_fields__)
    cfg = TrainConfig(**{k: v for k, v in checkpoint_config(st, checkpoint).items() if k in known})
    if not isinstance(st.get("dims"), dict):
        raise CheckpointError(
            f"{checkpoint} is not a generator training checkpoint (no 'dims'; a SyncNet one?); "
            "pass OUT/generator_latest.pt."
        )
    try:
        dims = GeneratorDims(**st["dims"])
        m = Wav2LipGenerator(dims)
        m.load_state_dict(st["model"])
    except (RuntimeError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"{checkpoint} does not hold the generator its 'dims' describe ({type(exc).__name__}); "
            "pass an unmodified OUT/generator_latest.pt."
        ) from None
    meta = ModelMeta(dims=dims, mask_mode=cfg.mask, source_emotion=cfg.source_emotion, target_emotion=cfg.target_emotion,
                     alignment=cfg.alignment, notes=f"w2le-train strategy={cfg.strategy} step={st['step']}")  # fmt: skip
    return m.eval(), meta


def check_export_suffix(out: str | Path) -> str:
    """The format ``-o`` names (its suffix): ``.safetensors`` or ``.onnx``; anything else is one UserError."""
    from w2le_live.errors import UserError

    suffix = Path(out).suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise UserError(
            f"-o {out} names no export format; end it in .safetensors (for w2le-live --model) or .onnx, "
            f"e.g. {Path(out).with_suffix('.safetensors').name}."
        )
    return suffix


def export_generator(checkpoint: str | Path, out: str | Path, opset: int = 17) -> Path:
    """Training checkpoint -> the runtime file ``out``'s suffix names: safetensors + ModelMeta, or ONNX (static
    batch 1, the ModelMeta in its metadata), both written atomically."""
    suffix = check_export_suffix(out)
    model, meta = generator_from_checkpoint(checkpoint)
    if suffix == ".onnx":
        from engines.onnx_export import export_onnx

        return export_onnx(model, out, batch=1, opset=opset, meta_json=meta.to_json())
    from w2le_live.models.checkpoint import save_generator

    return save_generator(out, model, meta)
