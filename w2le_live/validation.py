"""Argument validation shared by every command (``translate``, ``run``, ``tray``, ``export``, ``eval``,
``w2le-train``): argparse ``type=`` helpers and output-path checks, each failing with one sentence.

:func:`check_outputs` is THE output rule: every command that writes declares what it writes and reads and calls
it before any work, so no output can replace an input, another output, or a personal profile.

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
ease_seconds = number_in(0.0, 10.0, example="0.4")


def check_range(name: str, value, parse: Callable[[str], object]) -> None:
    """Apply a ``type=`` helper to a value from elsewhere (a config file, the GUI); raises UserError."""
    try:
        parse(str(value))
    except argparse.ArgumentTypeError as exc:
        raise UserError(f"{name}: {exc}.") from None


def _another(option: str) -> str:
    return f"choose another {option} path" if option else "choose another path"


def _probe_writable(folder: Path, label: str, option: str) -> None:
    """Create and remove a temp file in ``folder``: OutputPathError in one sentence when that fails."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".w2le-write-test.", dir=folder)
    except OSError as exc:
        raise OutputPathError(
            f"{label} {folder} is not writable ({exc.strerror}); {_another(option)}."
        ) from None
    os.close(fd)
    os.unlink(tmp)


def _named(option: str, p: Path) -> str:
    if not option:
        return str(p)
    return f"{option}{p}" if option.endswith(("=", ":")) else f"{option} {p}"


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
        if inp is not None and same_path(inp, p):
            raise OutputPathError(f"{_named(option, p)} is the input file; choose a different output path.")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError(f"the output folder {parent} does not exist; create it or {_another(option)}.")
    if not parent.is_dir():
        raise OutputPathError(f"{parent} is not a folder; {_another(option)}.")
    if probe:
        _probe_writable(parent, "the output folder", option)
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


def _nearest_existing(p: Path) -> Path:
    """``p`` or its closest ancestor that exists (``.`` for a relative path with no existing part)."""
    q = p
    while not q.exists() and not q.is_symlink():
        if q.parent == q or str(q.parent) in ("", "."):
            return q.parent if q.parent.exists() else Path(".")
        q = q.parent
    return q


def check_output_folder(path: str | Path, option: str = "--out") -> Path:
    """An output folder: an existing one must be a writable folder; a new one is created later (with its missing
    parents, as every training tool does), so its closest existing ancestor must be a writable folder."""
    p = Path(path)
    if str(path).strip() == "":
        raise OutputPathError(f"{option or 'the path'} is empty; pass an output folder.")
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{_named(option, p)} is a file, not a folder; choose a folder path.")
    base = _nearest_existing(p)
    if not base.is_dir():
        kind = "a file" if base.is_file() else "not a folder (a device or special file)"
        raise OutputPathError(
            f"{base} is {kind}, so {_named(option, p)} cannot be a folder; {_another(option)}."
        )
    _probe_writable(base, "the folder", option)
    return p


# (how the user named it: "-o", "--model", "the input video"; the path, or None when not given)
PathArg = tuple[str, "str | Path | None"]


def _real(p: str | Path) -> str:
    return os.path.realpath(os.path.abspath(os.path.expanduser(str(p))))


def same_path(a: str | Path, b: str | Path) -> bool:
    """True when two paths are, or resolve to, the same file or folder: relative paths and symlinks (realpath),
    hard links and bind mounts (same device and inode)."""
    if _real(a) == _real(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def _inside(path: str | Path, folder: str | Path) -> bool:
    real, top = _real(path), _real(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _linked_into(path: Path, folder: Path) -> bool:
    """True when an existing file ``path`` is a hard link to a file inside ``folder`` (a small tree: profiles)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_nlink < 2 or not folder.is_dir():
        return False
    for root, _dirs, names in os.walk(folder):
        for name in names:
            try:
                other = os.stat(os.path.join(root, name), follow_symlinks=False)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return True
    return False


def _profiles_folder() -> Path:
    from w2le_live.personal.profiles import profiles_dir

    return profiles_dir()


def check_outputs(
    files: Iterable[PathArg] = (),
    folders: Iterable[PathArg] = (),
    reads: Iterable[PathArg] = (),
    *,
    own_profile: Optional[str | Path] = None,
) -> list[Path]:
    """THE output-path rule, applied by every command that writes, before any work; returns the checked paths.

    ``files``/``folders`` are what the command writes, ``reads`` what it reads, each as (option, path); None paths
    are skipped. Refused, one sentence each: an output that cannot be written (:func:`check_output_path`,
    :func:`check_output_folder`); an output that is, or resolves to (relative path, symlink, hard link), a path the
    command reads or another of its outputs; an output inside the personal-profile folder
    (``w2le_live.personal.profiles.profiles_dir()``) except within ``own_profile``, the one profile folder
    ``enroll`` writes its bank into.
    """
    outs = [(o, p, False) for o, p in files if p is not None] + [
        (o, p, True) for o, p in folders if p is not None
    ]
    for opt, p, is_folder in outs:
        if str(p).strip() == "":
            raise OutputPathError(
                f"{opt or 'the path'} is empty; pass an output {'folder' if is_folder else 'file'} path."
            )
    outs = [(o, Path(p), f) for o, p, f in outs]
    reads = [(o, p) for o, p in reads if p is not None and str(p).strip()]
    profiles = _profiles_folder()
    for i, (opt, p, _) in enumerate(outs):
        for r_opt, r in reads:
            if same_path(p, r):
                kind = "folder" if os.path.isdir(r) else "file"
                chosen = opt.startswith("-") or opt.endswith(
                    ("=", ":")
                )  # else a fixed place, e.g. enroll's bank
                fix = "choose a different output path" if chosen else f"pass another {r_opt}"
                raise OutputPathError(
                    f"{_named(opt, p)} is the same {kind} as {_named(r_opt, Path(r))}, which this command reads; "
                    f"{fix}."
                )
        for o2, p2, _ in outs[:i]:
            if same_path(p, p2):
                raise OutputPathError(
                    f"{_named(opt, p)} is the same path as {_named(o2, p2)}; give each output its own path."
                )
        if (_inside(p, profiles) or _linked_into(p, profiles)) and not (
            own_profile is not None and _inside(p, own_profile)
        ):
            raise OutputPathError(
                f"{_named(opt, p)} is inside (or linked into) the personal-profile folder {profiles}, which only "
                "w2le-live enroll writes; choose a path outside it."
            )
    for opt, p, is_folder in outs:
        (check_output_folder if is_folder else check_output_path)(p, option=opt)
    return [p for _, p, _ in outs]


output_file = _path_type(
    check_output_path,
    "``type=`` for an output file: the checks of check_output_path except the input comparison.",
)
output_folder = _path_type(check_output_folder, "``type=`` for an output folder (see check_output_folder).")
