"""Engine files with a metadata header: b"W2LE" + uint32 little-endian JSON length + JSON + engine bytes.

The format, the reader and the compatibility check live in :mod:`w2le_live.backends.engine_file` (the runtime
reads engines without importing ``engines/``); this module writes them and re-exports the reader for the builder.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import asdict
from pathlib import Path

from w2le_live.backends.engine_file import (  # noqa: F401 - re-exported for engines/ and its tests
    HEADER_VERSION,
    MAGIC,
    EngineMeta,
    EngineMismatchError,
    check_compatible,
    read_engine_bytes,
    read_header,
)


def write_engine(path: str | Path, meta: EngineMeta, engine_bytes: bytes) -> Path:
    """Write header + engine atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = json.dumps(asdict(meta), sort_keys=True).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(blob)) + blob)
        f.write(engine_bytes)
    os.replace(tmp, path)
    return path
