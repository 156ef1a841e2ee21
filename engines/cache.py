"""The engine cache: one engine per (checkpoint, GPU, TensorRT version, precision, batch), built on first use."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Callable

from engines.header import EngineMismatchError, check_compatible, read_header
from w2le_live.paths import cache_dir, file_sha256, make_cache_folder

log = logging.getLogger(__name__)


def cache_key(checkpoint_sha256: str, gpu_name: str, compute_capability: str, tensorrt_version: str,
              precision: str = "fp16", batch: int = 1) -> str:  # fmt: skip
    """A readable, filesystem-safe key; any field changing gives a different engine file."""
    gpu = re.sub(r"[^A-Za-z0-9]+", "-", gpu_name).strip("-").lower()
    digest = hashlib.sha256(
        f"{checkpoint_sha256}|{gpu_name}|{compute_capability}|{tensorrt_version}|{precision}|{batch}".encode()
    ).hexdigest()[:12]
    return f"{checkpoint_sha256[:12]}_{gpu}_sm{compute_capability.replace('.', '')}_trt{tensorrt_version}_{precision}_b{batch}_{digest}"


def engine_path(key: str) -> Path:
    return cache_dir() / "engines" / f"{key}.engine"


def get_or_build(
    checkpoint: str | Path,
    *,
    gpu_name: str,
    compute_capability: str,
    tensorrt_version: str,
    precision: str,
    batch: int,
    build: Callable[[Path], Path],
    progress: Callable[[str], None] = log.warning,
) -> Path:
    """Return a compatible cached engine, building it (``build(out_path)``) when absent or mismatched."""
    sha = file_sha256(checkpoint)
    path = engine_path(cache_key(sha, gpu_name, compute_capability, tensorrt_version, precision, batch))
    if path.exists():
        try:
            meta, _ = read_header(path)
            check_compatible(meta, tensorrt_version=tensorrt_version, gpu_name=gpu_name,
                             compute_capability=compute_capability, checkpoint_sha256=sha, path=path)  # fmt: skip
            return path
        except (EngineMismatchError, Exception) as exc:  # noqa: BLE001 - any bad cache entry is rebuilt
            progress(f"refusing cached engine: {exc}")
            path.unlink(missing_ok=True)
    progress(
        f"building a TensorRT {precision} engine for {gpu_name} (first run only, a few minutes); cached at {path}"
    )
    make_cache_folder(path.parent)
    return build(path)
