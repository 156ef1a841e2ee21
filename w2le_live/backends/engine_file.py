"""Reading engine files (the runtime side): b"W2LE" + uint32 little-endian JSON length + JSON + engine bytes.

The header says what the engine was built from and for (checkpoint hash, dims, mask, emotions, alignment,
precision, input shapes, TensorRT version, GPU name and compute capability), so an engine built for another
GPU, TensorRT version or checkpoint is refused with one sentence instead of crashing or running wrong.
Writing (and building) lives in ``engines/``; the runtime reads here so loading an engine never imports
``engines/`` (only a first-use build does).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from w2le_live.errors import CheckpointError

MAGIC = b"W2LE"
HEADER_VERSION = 1


class EngineMismatchError(CheckpointError):
    """An engine that exists but was built for another GPU, TensorRT version or checkpoint."""


@dataclass(frozen=True)
class EngineMeta:
    checkpoint_sha256: str
    tensorrt_version: str
    gpu_name: str
    compute_capability: str  # "8.6"
    precision: str = "fp16"  # fp32 | fp16 | int8
    batch: int = 1
    dynamic_batch: bool = False
    max_batch: int = 1
    input_shapes: dict = field(default_factory=lambda: {"mel": [1, 1, 80, 16], "faces": [1, 6, 96, 96]})
    model_meta: dict = field(default_factory=dict)  # w2le_live.models.checkpoint.ModelMeta as a dict
    built_via: str = "tensorrt"  # tensorrt | torch2trt
    header_version: int = HEADER_VERSION


def read_header(path: str | Path) -> tuple[EngineMeta, int]:
    """(metadata, byte offset of the engine) of an engine file; one-sentence errors for anything malformed."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"the engine {path} does not exist; build it with: w2le-live build-engine CKPT."
        )
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8 or head[:4] != MAGIC:
            raise CheckpointError(
                f"{path} has no W2LE engine header (a plain trtexec engine?); rebuild it with w2le-live build-engine."
            )
        (n,) = struct.unpack("<I", head[4:])
        blob = f.read(n)
        if len(blob) != n:
            raise CheckpointError(
                f"the engine {path} is truncated; delete it and rebuild with w2le-live build-engine."
            )
        try:
            d = json.loads(blob)
            meta = EngineMeta(**d)
        except (ValueError, TypeError):
            raise CheckpointError(
                f"the engine {path} has a corrupt header; delete it and rebuild it."
            ) from None
        if f.read(1) == b"":
            raise CheckpointError(
                f"the engine {path} holds no engine after its header; delete it and rebuild it."
            )
    return meta, 8 + n


def read_engine_bytes(path: str | Path) -> tuple[EngineMeta, bytes]:
    meta, off = read_header(path)
    with open(path, "rb") as f:
        f.seek(off)
        return meta, f.read()


def check_compatible(
    meta: EngineMeta,
    *,
    tensorrt_version: str,
    gpu_name: str,
    compute_capability: str,
    checkpoint_sha256: Optional[str] = None,
    path: str | Path = "engine",
) -> None:
    """Refuse (EngineMismatchError, one sentence) an engine built for something else; TensorRT engines are not portable."""
    if meta.tensorrt_version != tensorrt_version:
        raise EngineMismatchError(
            f"{path} was built with TensorRT {meta.tensorrt_version} but TensorRT {tensorrt_version} is installed; "
            "it will be rebuilt (engines are not portable across TensorRT versions)."
        )
    if meta.compute_capability != compute_capability or meta.gpu_name != gpu_name:
        raise EngineMismatchError(
            f"{path} was built for {meta.gpu_name} (sm {meta.compute_capability}) but this GPU is {gpu_name} "
            f"(sm {compute_capability}); it will be rebuilt for this GPU."
        )
    if checkpoint_sha256 is not None and meta.checkpoint_sha256 != checkpoint_sha256:
        raise EngineMismatchError(
            f"{path} was built from a different checkpoint; it will be rebuilt from this one."
        )
