"""Generator checkpoints: our safetensors format with metadata, and the original Wav2Lip ``.pth`` files.

Loading never executes code: safetensors holds only tensors, and ``.pth`` files go through
``torch.load(weights_only=True)``; a pickle that needs anything more is refused with one sentence.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

from w2le_live.config import MelConfig
from w2le_live.errors import CheckpointError
from w2le_live.models.generator import GeneratorDims

FORMAT_VERSION = 1
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt", ".tar", ".onnx", ".engine")
META_KEY = "w2le_meta"


@dataclass(frozen=True)
class ModelMeta:
    """Everything the runtime must know about a generator besides its weights."""

    dims: GeneratorDims = field(default_factory=GeneratorDims)
    mask_mode: str = "half"  # half | full
    source_emotion: Optional[str] = None
    target_emotion: Optional[str] = None
    alignment: str = "wav2lip"  # wav2lip | centered | causal
    mel: MelConfig = field(default_factory=MelConfig)
    version: int = FORMAT_VERSION
    notes: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelMeta:
        try:
            d = json.loads(text)
            ok = isinstance(d, dict)
        except ValueError:
            ok = False
        if not ok:
            raise CheckpointError(
                "the checkpoint's w2le metadata is damaged (not a JSON object); export it again."
            )
        if not isinstance(d.get("version", 0), int) or d.get("version", 0) > FORMAT_VERSION:
            raise CheckpointError(
                f"the checkpoint uses format version {d['version']}, newer than this w2le-live understands; "
                "upgrade w2le-live."
            )
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        try:
            d["dims"] = GeneratorDims(**d.get("dims", {}))
            d["mel"] = MelConfig(**d.get("mel", {}))
            return cls(**d)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(
                f"the checkpoint's w2le metadata is damaged ({type(exc).__name__}); export it again."
            ) from None


def _check_file(path: Path, option: str = "--model") -> None:
    from w2le_live.files import check_input_file

    check_input_file(path, CheckpointError, name=f"the checkpoint {path}", kind="checkpoint file",
                     missing_fix=f"check the {option} path", folder_fix="pass the .safetensors or .pth file",
                     empty_fix="download or export it again")  # fmt: skip


def save_generator(path: str | Path, model, meta: ModelMeta) -> Path:
    """Write weights + metadata as safetensors, atomically (temp file, then rename)."""
    from safetensors.torch import save_file

    from w2le_live.files import atomic_path

    path = Path(path)
    sd = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(sd, str(tmp), metadata={META_KEY: meta.to_json()})
    return path


def _wants_code(path: Path, message: str) -> bool:
    """Whether a checkpoint that weights_only refused asks for globals/callables (code) or is just corrupt."""
    import pickletools
    import zipfile

    if zipfile.is_zipfile(path):  # torch.save's zip format: torch names the refused global
        return "Unsupported global" in message or "GLOBAL" in message
    code_ops = {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX"}
    try:
        with open(path, "rb") as f:
            return any(op.name in code_ops for op, _, _ in pickletools.genops(f))
    except Exception:  # noqa: BLE001 - not even a well-formed pickle: corrupt
        return False


def safe_torch_load(path: str | Path, option: str = "--model", safe_globals: tuple = ()) -> Any:
    """``torch.load(weights_only=True)`` of a user file, every failure turned into one CheckpointError sentence.

    Only tensors and plain containers/numbers/strings are unpickled (plus ``safe_globals``, which callers keep to
    data-only types); a pickle that asks for any other global (code) is refused before anything runs.
    """
    import pickle

    import torch

    path = Path(path)
    _check_file(path, option)
    try:
        with torch.serialization.safe_globals(list(safe_globals)):
            return torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not _wants_code(path, str(exc)):
            raise CheckpointError(
                f"{path} is a corrupt or truncated checkpoint; download or export it again."
            ) from None
        raise CheckpointError(
            f"{path} is a pickle that needs more than plain tensors to load, "
            "and loading it could run code; re-save only its state_dict, or convert it with a trusted script."
        ) from None
    except (
        RuntimeError,
        EOFError,
        ValueError,
        OSError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
    ) as exc:
        # a text or random file makes the unpickler fail with whatever opcode byte it meets (e.g. KeyError: 101)
        what = "it is a text file" if _is_text(path) else exc.__class__.__name__
        raise CheckpointError(
            f"{path} is not a readable PyTorch checkpoint ({what}); pass the checkpoint file itself, "
            "or download it again."
        ) from None


def _is_text(path: Path, probe: int = 4096) -> bool:
    """Whether a file starts with UTF-8 text without NUL bytes (a config, a README, an HTML error page...)."""
    try:
        with open(path, "rb") as f:
            head = f.read(probe)
        if not head or b"\0" in head:
            return False
        head.decode("utf-8")
        return True
    except (OSError, UnicodeDecodeError):
        return False


def _load_pickle_state(path: Path) -> dict[str, Any]:
    obj = safe_torch_load(path)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(k, str) for k in obj):
        raise CheckpointError(f"{path} holds no state_dict of tensors; pass a generator checkpoint.")
    if "model" in obj and "optimizer" in obj and isinstance(obj["model"], dict):
        raise CheckpointError(
            f"{path} is a w2le-train training checkpoint; convert it first with: w2le-train export {path} -o "
            "model.safetensors."
        )
    import torch

    bad = next((k for k, v in obj.items() if not isinstance(v, torch.Tensor)), None)
    if bad is not None:
        raise CheckpointError(f"{path} holds '{bad}', which is not a tensor; pass a generator checkpoint.")
    return {(k[7:] if k.startswith("module.") else k): v for k, v in obj.items()}


def _infer_dims(sd: dict[str, Any]) -> GeneratorDims:
    w = sd.get("face_encoder_blocks.0.0.conv_block.0.weight")
    if w is None:
        raise CheckpointError(
            "the checkpoint has no 'face_encoder_blocks.0.0.conv_block.0.weight' tensor, so it is not a Wav2Lip "
            "generator (SyncNet or discriminator weights?); pass the generator checkpoint."
        )
    return GeneratorDims(width=round(w.shape[0] / 16.0, 4))


def read_state(path: str | Path) -> tuple[dict[str, Any], ModelMeta]:
    """(state_dict of CPU tensors without ``module.`` prefixes, metadata) of any supported checkpoint."""
    path = Path(path)
    _check_file(path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                raw = (f.metadata() or {}).get(META_KEY)
            sd = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(
                f"{path} is not a valid safetensors file ({exc}); export it again."
            ) from None
        meta = ModelMeta.from_json(raw) if raw else ModelMeta(dims=_infer_dims(sd))
        return sd, meta
    sd = _load_pickle_state(path)
    return sd, ModelMeta(dims=_infer_dims(sd), notes=f"original Wav2Lip-format checkpoint {path.name}")


def read_meta(path: str | Path) -> ModelMeta:
    """Metadata only (reads the safetensors header; ``.pth`` files are loaded to infer their dims)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        _check_file(path)
        raise CheckpointError(
            f"{path} has an unknown model file type '{path.suffix}'; pass a {', '.join(MODEL_SUFFIXES)} file."
        )
    if suffix == ".onnx":
        import onnx

        _check_file(path)
        try:
            m = onnx.load(str(path), load_external_data=False)
        except Exception:  # noqa: BLE001 - protobuf DecodeError, truncated files, ...: not an ONNX model
            raise CheckpointError(
                f"{path} is not a valid ONNX model; export it again with: w2le-live export."
            ) from None
        props = {p.key: p.value for p in m.metadata_props}
        return ModelMeta.from_json(props[META_KEY]) if META_KEY in props else ModelMeta()
    return read_state(path)[1]


def load_generator(path: str | Path, map_location: str = "cpu"):
    """Build the generator a checkpoint describes and load its weights strictly.

    Returns (model in eval mode, ModelMeta). Any missing, unexpected or mis-shaped tensor raises
    CheckpointError naming the first one.
    """
    from w2le_live.models.generator import Wav2LipGenerator

    sd, meta = read_state(path)
    model = Wav2LipGenerator(meta.dims)
    own = model.state_dict()
    for k, v in own.items():
        if k not in sd:
            raise CheckpointError(
                f"the checkpoint lacks tensor '{k}'; it is not a width-{meta.dims.width} Wav2Lip generator."
            )
        if tuple(sd[k].shape) != tuple(v.shape):
            raise CheckpointError(
                f"tensor '{k}' has shape {tuple(sd[k].shape)} in the checkpoint but {tuple(v.shape)} in a "
                f"width-{meta.dims.width} generator; the checkpoint is of another architecture."
            )
    extra = [k for k in sd if k not in own]
    if extra:
        raise CheckpointError(
            f"the checkpoint has unexpected tensor '{extra[0]}'; it is not a Wav2Lip generator."
        )
    model.load_state_dict(sd, strict=True)
    return model.to(map_location).eval(), meta
