"""The one atomic-write helper and the one input-file check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from w2le_live.errors import InputFileError
from w2le_live.files import atomic_path, check_input_file, write_bytes_atomic


def test_atomic_write_replaces_only_when_complete(tmp_path: Path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["model.bin"]
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["model.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_input_file_check_names_the_problem(tmp_path: Path):
    kw = dict(name="the clip", kind="video file", missing_fix="check the path", folder_fix="pass a file",
              empty_fix="record it again")  # fmt: skip
    for path, sentence in ((tmp_path / "no.mp4", "the clip does not exist; check the path."),
                           (tmp_path, f"{tmp_path} is a folder, not a video file; pass a file."),
                           (tmp_path / "empty.mp4", "the clip is empty (0 bytes); record it again.")):  # fmt: skip
        if path.name == "empty.mp4":
            path.touch()
        with pytest.raises(InputFileError) as e:
            check_input_file(path, InputFileError, **kw)
        assert str(e.value) == sentence
