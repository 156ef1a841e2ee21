"""Argument validation shared by every command (``translate``, ``run``, ``tray``, ``export``, ``eval``,
``w2le-train``): argparse ``type=`` helpers and output-path checks, each failing with one sentence.

The ``type=`` helpers raise ``argparse.ArgumentTypeError``; :class:`Parser` prints that as
``error: argument --fps: <sentence>`` on the last line and exits 2. The same checks are available as plain
functions (:func:`check_range`, :func:`check_output_path`) that raise ``UserError`` for values that do not
come from argparse (config files, ``key=value`` overrides, the tray's settings).
"""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Optional

from w2le_live.errors import OutputPathError, UserError

INTENSITY_RANGE = (0.0, 1.5)
OPSET_RANGE = (11, 20)  # what torch's TorchScript exporter and ONNX Runtime/OpenVINO all support
MAX_FPS = 240.0


class Parser(argparse.ArgumentParser):
    """argparse with the house error format: usage, then ``error: <sentence>`` as the last line, exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        msg = message.strip()
        if not msg.endswith("."):
            msg += "."
        self.exit(2, f"error: {msg}\n")


def _number(text: str, kind: type, what: str):
    try:
        value = kind(text)
    except (TypeError, ValueError):
        noun = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"'{text}' is not {noun}; {what}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number; {what}")
    return value


def number_in(
    lo: Optional[float] = None,
    hi: Optional[float] = None,
    *,
    kind: type = float,
    lo_open: bool = False,
    example: str = "",
) -> Callable[[str], float]:
    """A ``type=`` that parses ``kind`` and requires lo <= x <= hi (lo < x with ``lo_open``)."""
    if lo is not None and hi is not None:
        what = (
            f"use a value greater than {lo:g} and at most {hi:g}"
            if lo_open
            else f"use a value from {lo:g} to {hi:g}"
        )
    elif lo is not None:
        what = f"use a value {'greater than' if lo_open else 'of at least'} {lo:g}"
    else:
        what = f"use a value of at most {hi:g}"
    if example:
        what += f", e.g. {example}"

    def parse(text: str):
        value = _number(text, kind, what)
        if lo is not None and (value <= lo if lo_open else value < lo):
            raise argparse.ArgumentTypeError(f"{text} is out of range; {what}")
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"{text} is out of range; {what}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


intensity = number_in(*INTENSITY_RANGE, example="1.0")
fps = number_in(0.0, MAX_FPS, lo_open=True, example="25")
batch = number_in(1, 1024, kind=int, example="1")
opset = number_in(*OPSET_RANGE, kind=int, example="17")
positive_int = number_in(1, kind=int)
positive_float = number_in(0.0, lo_open=True)
non_negative_float = number_in(0.0)
frame_size = number_in(16, 7680, kind=int, example="640")


def check_range(name: str, value, parse: Callable[[str], object]) -> None:
    """Apply a ``type=`` helper to a value from elsewhere (a config file, the GUI); raises UserError."""
    try:
        parse(str(value))
    except argparse.ArgumentTypeError as exc:
        raise UserError(f"{name}: {exc}.") from None


def _another(option: str) -> str:
    return f"choose another {option} path" if option else "choose another path"


def _named(option: str, p: Path) -> str:
    return f"{option} {p}" if option else str(p)


def check_output_path(
    path: str | Path, *, inputs: Iterable[str | Path] = (), option: str = "-o", probe: bool = True
) -> Path:
    """Refuse, before any work starts, an output path that cannot be written; returns it as a Path.

    Refused: an existing folder or non-regular file (device, /proc entry), a missing parent folder, a parent
    that is not a folder, the same file as one of ``inputs``, and a folder where creating a file fails
    (read-only, /proc, /sys, permissions; checked by creating and deleting an empty temp file).
    """
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError(f"{option or 'the path'} is empty; pass an output file path.")
    if p.exists():
        if p.is_dir():
            raise OutputPathError(f"{_named(option, p)} is a folder; pass a file path inside that folder.")
        if not stat.S_ISREG(p.stat().st_mode):
            raise OutputPathError(
                f"{_named(option, p)} is not a regular file (a device or special file); choose another path."
            )
    for inp in inputs:
        if inp is None:
            continue
        try:
            same = Path(inp).exists() and p.exists() and os.path.samefile(inp, p)
        except OSError:
            same = False
        if same or Path(inp).resolve() == p.resolve():
            raise OutputPathError(f"{_named(option, p)} is the input file; choose a different output path.")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError(f"the output folder {parent} does not exist; create it or {_another(option)}.")
    if not parent.is_dir():
        raise OutputPathError(f"{parent} is not a folder; {_another(option)}.")
    if probe:
        try:
            fd, tmp = tempfile.mkstemp(prefix=".w2le-write-test.", dir=parent)
        except OSError as exc:
            raise OutputPathError(
                f"the output folder {parent} is not writable ({exc.strerror}); {_another(option)}."
            ) from None
        os.close(fd)
        os.unlink(tmp)
    return p


def _path_type(check: Callable[..., Path], doc: str) -> Callable[[str], str]:
    """An argparse ``type=`` running ``check(text, option="")``; its OutputPathError becomes argparse's error."""

    def parse(text: str) -> str:
        try:
            check(text, option="")
        except OutputPathError as exc:
            raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
        return text

    parse.__doc__, parse.__name__ = doc, "path"
    return parse


def existing_folder(text: str) -> str:
    """``type=`` for an input folder that must exist."""
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"the folder {text} does not exist; check the path")
    if not p.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text} is a file, not a folder; pass the folder that holds the clips"
        )
    return text


def existing_file(text: str) -> str:
    """``type=`` for an input file that must exist (content is checked by whoever reads it)."""
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist; check the path")
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file; pass a file")
    return text


def check_output_folder(path: str | Path, option: str = "--out") -> Path:
    """An output folder: an existing folder must be writable; a new one needs a writable parent (made later)."""
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError(f"{option or 'the path'} is empty; pass an output folder.")
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{_named(option, p)} is a file, not a folder; choose a folder path.")
    probe_in = p if p.is_dir() else p.parent if str(p.parent) else Path(".")
    if not probe_in.is_dir():
        raise OutputPathError(f"the folder {probe_in} does not exist; create it or {_another(option)}.")
    check_output_path(probe_in / ".w2le-probe", option=option)
    return p


output_file = _path_type(
    check_output_path, "``type=`` for an output file: the checks of check_output_path except the input comparison."
)
output_folder = _path_type(check_output_folder, "``type=`` for an output folder (see check_output_folder).")
