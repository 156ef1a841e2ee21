"""Profiles on disk: one folder per person under the user data dir, versioned JSON + one compact npz per emotion.

Layout: ``<data dir>/profiles/<name>/profile.json`` and ``<emotion>.npz`` (JPEG crops, landmarks, offsets).
``$W2LE_DATA_DIR`` replaces the platform's user data dir. Nothing is sent anywhere.

A profile is a file a user may receive from someone else, so it is never trusted: :func:`read_meta` checks every
field of profile.json, a profile may only use ``<emotion>.npz`` inside its own folder (no other name, no link,
no special file), and :mod:`bank_io` checks every array before use. Writes take the profiles folder's lock
and replace files atomically; deletion removes only the files a profile is made of.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from w2le_live.errors import UserError
from w2le_live.personal.bank import EmotionBank

FORMAT = "w2le-personal-profile"
VERSION = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # used with fullmatch: no trailing newline slips by
# what an interrupted write leaves (_write_atomic, check_writable's probe)
_TEMP = re.compile(r"\.(profile\.json|[a-z]+\.npz|write-test)\.[A-Za-z0-9_]+")
# names Windows keeps for devices: no file or folder may be called so, whatever follows the first dot
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?", re.IGNORECASE)
MAX_META_BYTES = 1 << 20
MAX_TIME = 1e10  # seconds since 1970 (year 2286): larger "created" values are damage


class ProfileError(UserError):
    """A profile that is missing, damaged, of another format version, or lacks an emotion."""


def profiles_dir() -> Path:
    """Where profiles live: ``<user data dir>/profiles`` (``$W2LE_DATA_DIR`` overrides the data dir)."""
    from w2le_live.paths import data_dir

    return data_dir() / "profiles"


def _show(value: object, limit: int = 60) -> str:
    """A value from a file or the command line, safe to print inside a sentence (escaped, shortened)."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ProfileError(
            f"'{_show(name)}' is not a usable profile name; use letters, digits, '-', '_' or '.' (up to 64, "
            "starting with a letter or digit)."
        )
    if _RESERVED.fullmatch(name):
        raise ProfileError(
            f"'{name}' is a device name Windows keeps, so it cannot be a profile name; pick another name such as "
            f"'my-{name}'."
        )
    return name


def _data_hint() -> str:
    return "set W2LE_DATA_DIR to a folder you can write"


def _write_atomic(path: Path, data: bytes) -> None:
    from w2le_live.files import write_bytes_atomic

    write_bytes_atomic(path, data, mode=0o600)  # a profile is the user's face: readable by them only


def encode_bank(bank: EmotionBank, quality: int = 92) -> bytes:
    """The bank as npz bytes: crops as concatenated JPEGs, landmarks float32, normalised frames float16."""
    import io

    import cv2

    blobs = []
    for c in bank.crops:
        ok, buf = cv2.imencode(".jpg", c, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ProfileError("a bank frame could not be JPEG-encoded; check the OpenCV installation.")
        blobs.append(buf.ravel())
    ends = np.cumsum([len(b) for b in blobs]).astype(np.int64)
    arrays = dict(
        jpeg=np.concatenate(blobs) if blobs else np.zeros(0, np.uint8), jpeg_ends=ends,
        template=bank.template.astype(np.float32), crop_landmarks=bank.crop_landmarks.astype(np.float32),
        norm=bank.norm.astype(np.float16), tracked=bank.tracked.astype(np.float16),
    )  # fmt: skip
    if bank.offset is not None:
        arrays["offset"] = bank.offset.astype(np.float32)
    if bank.angles is not None:
        arrays["angles"] = bank.angles.astype(np.float32)
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def bank_file(emotion: str) -> str:
    """The only file name a profile may use for an emotion's bank (inside its own folder)."""
    return f"{emotion}.npz"


def decode_bank(path: Path, emotion: str, info: dict, profile: str = "") -> EmotionBank:
    """Read one emotion's npz (see :func:`encode_bank`), every array validated by :mod:`bank_io` before use;
    a damaged, hostile or special file (link, FIFO) raises ProfileError in one sentence."""
    from w2le_live.personal.bank_io import BankDamaged, read_bank_file

    try:
        a = read_bank_file(path)
    except BankDamaged as why:
        fix = f"w2le-live enroll --profile {profile} --emotion {emotion}" if profile else "w2le-live enroll"
        raise ProfileError(f"the {emotion} bank {path} is unusable: {why}; re-enrol it with {fix}.") from None
    return EmotionBank(emotion, a["template"], a["crops"], a["crop_landmarks"], a["norm"], a["tracked"],
                       a.get("offset"), dict(info), a.get("angles"))  # fmt: skip


def _is_time(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= MAX_TIME


def _is_count(v: object, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= hi


def _is_plain(v: object, depth: int = 3) -> bool:
    """A JSON value an enrolment may write into ``info``: a finite number, bool, None, a short string, or (three
    levels deep at most, as ``info.coverage.covered``) a short list or string-keyed mapping of those."""
    if isinstance(v, float):
        return math.isfinite(v)
    if v is None or isinstance(v, (bool, int)) or (isinstance(v, str) and len(v) <= 200):
        return True
    if depth == 0 or not isinstance(v, (list, dict)) or len(v) > 64:
        return False
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_plain(x, depth - 1) for k, x in v.items())
    return all(_is_plain(x, depth - 1) for x in v)


def _meta_problem(meta: object) -> Optional[str]:
    """Why a parsed profile.json (of the current version) cannot be used, or None. Paths are checked elsewhere."""
    from w2le_live.config import EMOTIONS
    from w2le_live.personal.bank_io import LIMITS

    if "created" in meta and not _is_time(meta["created"]):
        return f"its created time {_show(meta['created'])} is not a time"
    emotions = meta.get("emotions")
    if not isinstance(emotions, dict):
        return "its emotions field is not a mapping of emotion to bank"
    for e, entry in emotions.items():
        if e not in EMOTIONS:
            return f"it lists an unknown emotion '{_show(e)}'"
        if not isinstance(entry, dict):
            return f"its {e} entry is {_show(entry)}, not a mapping"
        if "created" in entry and not _is_time(entry["created"]):
            return f"the created time of its {e} entry is not a time"
        if "frames" in entry and not _is_count(entry["frames"], LIMITS.max_frames):
            return f"the frame count of its {e} entry is not a count an enrolment writes"
        if not isinstance(entry.get("info", {}), dict) or not _is_plain(entry.get("info", {})):
            return f"the info of its {e} entry is not a mapping of plain values"
    return None


def read_meta(folder: Path, name: str) -> dict:
    """profile.json of the profile in ``folder``, every field checked; ProfileError in one sentence otherwise."""
    from w2le_live.personal.bank_io import BankDamaged, read_regular_file

    f = folder / "profile.json"
    damaged = f"delete the profile with w2le-live profile delete {name} and enrol again"
    try:
        text = read_regular_file(f, MAX_META_BYTES).decode("utf-8")
        meta = json.loads(text)
    except BankDamaged as why:
        raise ProfileError(f"the profile file {f} is unusable: {why}; {damaged}.") from None
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ProfileError(f"the profile file {f} is damaged (not valid JSON); {damaged}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ProfileError(f"the profile file {f} is not a w2le-live profile (no format marker); {damaged}.")
    ver = meta.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool):
        what = (
            "has no format version"
            if ver is None
            else f"has the format version {_show(repr(ver))}, not a number"
        )
        raise ProfileError(f"the profile file {f} is damaged (it {what}); {damaged}.")
    if ver > VERSION:
        raise ProfileError(
            f"profile '{name}' was written by a newer w2le-live (profile format version {ver}, this one reads "
            f"version {VERSION}); update w2le-live to use it, or delete it with w2le-live profile delete {name} "
            "and enrol again."
        )
    if ver < VERSION:
        raise ProfileError(
            f"profile '{name}' is in the old profile format version {ver}, which this w2le-live (version "
            f"{VERSION}) cannot read; delete it with w2le-live profile delete {name} and enrol again."
        )
    problem = _meta_problem(meta)
    if problem:
        raise ProfileError(f"the profile file {f} is damaged ({problem}); {damaged}.")
    for e, entry in meta["emotions"].items():  # the security rule: only <emotion>.npz in its own folder
        given = entry.get("file", bank_file(e))
        if given != bank_file(e):
            raise ProfileError(
                f"profile '{name}' is refused: its profile.json points {e} at '{_show(given)}', but a profile "
                f"may only use {bank_file(e)} in its own folder; {damaged}."
            )
    return meta


def _check_folder(folder: Path, name: str) -> None:
    """A profile folder must be a real folder (a link could lead anywhere)."""
    if folder.is_symlink():
        raise ProfileError(
            f"profile '{name}' in {folder.parent} is a link to {_show(os.readlink(folder), 120)}, not a profile "
            "folder; move the real folder there, or set W2LE_DATA_DIR to the data folder that holds it."
        )


class Profile:
    """One person's enrolled emotions (metadata loaded eagerly and checked, banks on demand and checked)."""

    def __init__(self, name: str, root: Optional[Path] = None):
        self.name = check_name(name)
        self.path = (root or profiles_dir()) / name
        self.meta = self._read_meta()

    def _read_meta(self) -> dict:
        _check_folder(self.path, self.name)
        if not os.path.lexists(self.path / "profile.json"):
            raise ProfileError(
                f"there is no profile '{self.name}' in {self.path.parent}; create it with "
                f"w2le-live enroll --profile {self.name} --emotion happy."
            )
        return read_meta(self.path, self.name)

    @property
    def emotions(self) -> tuple[str, ...]:
        return tuple(sorted(self.meta["emotions"]))

    def has(self, emotion: str) -> bool:
        return emotion in self.meta["emotions"]

    def load(self, emotion: str) -> EmotionBank:
        """The bank of one emotion; ProfileError when it is not enrolled, damaged or not the profile's own file."""
        entry = self.meta["emotions"].get(emotion)
        if entry is None:
            have = ", ".join(self.emotions) or "none"
            raise ProfileError(
                f"profile '{self.name}' has no {emotion} enrolled (it has: {have}); run "
                f"w2le-live enroll --profile {self.name} --emotion {emotion}."
            )
        return decode_bank(self.path / bank_file(emotion), emotion, entry.get("info", {}), self.name)

    def size_bytes(self) -> int:
        """Bytes of the profile's own files (links and special files are not followed)."""
        total = 0
        for p in self.path.iterdir():
            st = p.lstat()
            total += st.st_size if stat.S_ISREG(st.st_mode) else 0
        return total


@contextmanager
def _locked(base: Path) -> Iterator[None]:
    """Serialise profile writes across processes: an exclusive fcntl lock on the profiles folder itself (POSIX;
    no lock file is left behind), an msvcrt lock on ``<profiles>/.lock`` on Windows; where neither exists, writes
    are still atomic but not serialised."""
    base.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is not None:
        fd = os.open(base, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # a file system without locks (some network mounts): atomic, not serialised
                pass
            yield
        finally:
            os.close(fd)  # releases the lock
        return
    try:
        import msvcrt
    except ImportError:
        yield
        return
    fd = os.open(base / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s, then OSError: keep waiting
                break
            except OSError:
                continue
        yield
    finally:
        os.close(fd)


def _unwritable(folder: Path, exc: OSError, parent: Optional[Path] = None) -> ProfileError:
    """The one sentence for a profile folder that cannot be made (in ``parent``) or written."""
    import errno

    why = exc.strerror or exc.__class__.__name__
    full = exc.errno in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC))
    fix = "free some disk space" if full else "fix its permissions"
    where = (
        f"cannot be created in {parent}" if parent is not None and parent != folder else "cannot be written"
    )
    return ProfileError(f"the profile folder {folder} {where} ({why}); {fix}, or {_data_hint()}.")


def check_writable(name: str, root: Optional[Path] = None) -> Path:
    """Before an enrolment is recorded: the profile can be saved (its folder can be made and written, an existing
    profile.json is intact and of this version). Returns the profile folder; ProfileError in one sentence."""
    check_name(name)
    base = root or profiles_dir()
    folder = base / name
    _check_folder(folder, name)
    here = folder
    while not os.path.lexists(here) and here != here.parent:
        here = here.parent
    if not here.is_dir():
        raise ProfileError(f"{here} is a file, not a folder, so the profile cannot be saved in {folder}; move "
                           f"that file or {_data_hint()}.")  # fmt: skip
    if os.path.lexists(folder / "profile.json"):
        read_meta(folder, name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".write-test.", dir=here)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise _unwritable(folder, exc, here) from None
    return folder


def save_bank(name: str, bank: EmotionBank, root: Optional[Path] = None) -> Path:
    """Add or replace one emotion in profile ``name`` (created when new). Returns the profile folder.

    Under the profiles lock: profile.json is read again, the bank written, then profile.json replaced atomically,
    so concurrent enrolments into one profile all survive."""
    check_name(name)
    base = root or profiles_dir()
    folder = base / name
    data = encode_bank(bank)
    fname = bank_file(bank.emotion)
    try:
        with _locked(base):
            _check_folder(folder, name)
            folder.mkdir(mode=0o700, exist_ok=True)  # the user's face: theirs only
            meta = dict(format=FORMAT, version=VERSION, name=name, created=time.time(), emotions={})
            if os.path.lexists(folder / "profile.json"):  # a damaged or foreign one is refused, not clobbered
                meta = read_meta(folder, name)
            new = not os.path.lexists(folder / fname)
            _write_atomic(folder / fname, data)
            meta["emotions"][bank.emotion] = {"file": fname, "created": time.time(), "frames": len(bank),
                                              "info": bank.info}  # fmt: skip
            try:
                _write_atomic(folder / "profile.json", json.dumps(meta, indent=1).encode("utf-8"))
            except BaseException:
                if new:
                    (folder / fname).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise _unwritable(folder, exc) from None
    return folder


def readable_emotions(name: str) -> Optional[tuple[str, ...]]:
    """The emotions profile ``name`` holds, or None when there is no such profile or it cannot be used (a bad
    name, damaged, refused, unreadable): for hints, menus and checks that never fail on a profile."""
    try:
        return Profile(name).emotions
    except (UserError, OSError):
        return None


def list_profiles(root: Optional[Path] = None) -> list[str]:
    """Names of the profile folders (valid or not) under the data dir, sorted."""
    base = root or profiles_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and os.path.lexists(p / "profile.json"))


def _own_file(p: Path) -> bool:
    """A file a profile is made of: profile.json, an emotion's bank, or a temp file of an interrupted write
    (never a folder; a link counts, as removing it removes only the link)."""
    from w2le_live.config import EMOTIONS

    if stat.S_ISDIR(p.lstat().st_mode):
        return False
    return (
        p.name == "profile.json"
        or p.name in {bank_file(e) for e in EMOTIONS}
        or bool(_TEMP.fullmatch(p.name))
    )


def _deletable(name: str, root: Optional[Path] = None) -> Path:
    """The folder of profile ``name`` if it is one ``delete_profile`` may touch; ProfileError naming why not."""
    check_name(name)
    base = root or profiles_dir()
    folder = base / name
    if folder.is_symlink():
        raise ProfileError(
            f"profile '{name}' in {base} is a link to {_show(os.readlink(folder), 120)}, not a profile folder, so "
            f"nothing was deleted; remove the link itself if you no longer want it."
        )
    if not folder.is_dir():
        raise ProfileError(f"there is no profile '{name}' in {base}; see w2le-live profile list.")
    meta_st = (folder / "profile.json").lstat() if os.path.lexists(folder / "profile.json") else None
    if meta_st is None or not stat.S_ISREG(meta_st.st_mode):
        raise ProfileError(
            f"{folder} is not a w2le-live profile (it has no profile.json file), so nothing was deleted; remove it "
            "yourself if you no longer want it."
        )
    return folder


def describe_for_delete(name: str, emotion: Optional[str] = None, root: Optional[Path] = None) -> str:
    """What ``delete_profile(name, emotion)`` would remove, in words for a confirmation question ("profile 'me'
    (happy, sad; 3.1 MB)"); ProfileError where it would refuse before touching anything."""
    folder = _deletable(name, root)
    if emotion is not None:
        return f"the {emotion} of profile '{name}'"
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and not p.is_symlink())
    try:
        held = ", ".join(Profile(name, root).emotions) or "no emotions"
    except UserError:  # a damaged profile can still be deleted; say so instead of listing
        held = "damaged"
    return f"profile '{name}' ({held}; {size / 1e6:.1f} MB)"


def delete_profile(name: str, emotion: Optional[str] = None, root: Optional[Path] = None) -> None:
    """Remove a whole profile (only its own files, then its folder), or one emotion of it.

    Deleting an emotion rewrites profile.json first and removes the bank after, so a failure at any step leaves a
    usable profile."""
    folder = _deletable(name, root)
    base = folder.parent
    with _locked(base):
        if emotion is None:
            entries = sorted(folder.iterdir())
            foreign = [p.name for p in entries if not _own_file(p)]
            if foreign:
                more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
                raise ProfileError(
                    f"{folder} holds files w2le-live did not make ('{_show(foreign[0])}'{more}), so nothing was "
                    "deleted; move them out of it, then delete the profile again."
                )
            try:
                for p in sorted(entries, key=lambda p: p.name == "profile.json"):  # profile.json last
                    p.unlink()
                folder.rmdir()
            except OSError as exc:
                raise _unwritable(folder, exc) from None
            return
        prof = Profile(name, root)
        if not prof.has(emotion):
            raise ProfileError(
                f"profile '{name}' has no {emotion} enrolled; see w2le-live profile show {name}."
            )
        del prof.meta["emotions"][emotion]
        try:
            _write_atomic(folder / "profile.json", json.dumps(prof.meta, indent=1).encode("utf-8"))
        except OSError as exc:
            raise _unwritable(folder, exc) from None  # nothing changed: the profile is as it was
        try:
            (folder / bank_file(emotion)).unlink(missing_ok=True)
        except OSError as exc:
            raise ProfileError(
                f"the {emotion} emotion was removed from profile '{name}', but its file {folder / bank_file(emotion)} "
                f"could not be deleted ({exc.strerror or exc.__class__.__name__}); delete that file yourself."
            ) from None
