"""Files in and out, one way each: an input file checked before it is opened, and an output written atomically
(a temp file beside it, renamed over it only when complete: a kill or an error never leaves half a file)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Optional


def check_input_file(path: Path, error: type, *, name: str, kind: str, missing_fix: str, folder_fix: str,
                     empty_fix: str) -> None:  # fmt: skip
    """Raise ``error`` (a UserError subclass) in one sentence when ``path`` is missing, a folder or empty.

    ``name`` is how the sentence names the file ("the checkpoint X"), ``kind`` what it should be ("video file").
    """
    if not path.exists():
        raise error(f"{name} does not exist; {missing_fix}.")
    if path.is_dir():
        raise error(f"{path} is a folder, not a {kind}; {folder_fix}.")
    if path.stat().st_size == 0:
        raise error(f"{name} is empty (0 bytes); {empty_fix}.")


def temp_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new empty temp file in ``path``'s folder, named ``.<name>.XXXX<suffix>`` (hidden, same filesystem)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def commit(tmp: Path, path: Path, mode: Optional[int] = None) -> None:
    """Give ``tmp`` the usual permissions (mkstemp makes 0600), or ``mode`` (0o600: private files such as
    profiles), and rename it over ``path``."""
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp", mode: Optional[int] = None) -> Iterator[Path]:
    """Yield a temp path to write ``path``'s new content to; it replaces ``path`` (with permissions ``mode``, default
    the umask's) when the block ends without an error, and is removed in every case otherwise."""
    path = Path(path)
    tmp = temp_beside(path, suffix)
    try:
        yield tmp
        commit(tmp, path, mode)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | Path, data: bytes, mode: Optional[int] = None) -> None:
    """``path.write_bytes(data)``, atomically (permissions ``mode``, default the umask's)."""
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(data)
