"""Where W2LE Live keeps files on the user's machine, and content hashes that key cached artefacts.

A leaf module (standard library + platformdirs only) so runtime, engines and training can all use it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """Exported ONNX files and TensorRT engines (``$W2LE_CACHE_DIR`` overrides the platform's user cache dir)."""
    env = os.environ.get("W2LE_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("w2le-live"))


def make_cache_folder(folder: Path) -> Path:
    """Create a folder under :func:`cache_dir`; a one-sentence OutputPathError naming ``W2LE_CACHE_DIR`` when it
    cannot be made or written."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        from w2le_live.errors import OutputPathError

        raise OutputPathError(
            f"the cache folder {folder} cannot be written ({exc.strerror or exc.__class__.__name__}); fix its "
            "permissions or set W2LE_CACHE_DIR to a folder you can write."
        ) from None
    return folder


def data_dir() -> Path:
    """Personal-emotion profiles and other user data (``$W2LE_DATA_DIR`` overrides the platform's user data dir)."""
    env = os.environ.get("W2LE_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("w2le-live"))


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
