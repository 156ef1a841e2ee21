"""Profiles on disk: one folder per person under the user data dir, versioned JSON + one compact npz per emotion.

Layout: ``<data dir>/profiles/<name>/profile.json`` and ``<emotion>.npz`` (JPEG crops, landmarks, offsets).
``$W2LE_DATA_DIR`` replaces the platform's user data dir. Nothing is sent anywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from w2le_live.errors import UserError
from w2le_live.personal.bank import EmotionBank

FORMAT = "w2le-personal-profile"
VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ProfileError(UserError):
    """A profile that is missing, damaged, of another format version, or lacks an emotion."""


def profiles_dir() -> Path:
    """Where profiles live: ``<user data dir>/profiles`` (``$W2LE_DATA_DIR`` overrides the data dir)."""
    from w2le_live.paths import data_dir

    return data_dir() / "profiles"


def check_name(name: str) -> str:
    if not name or not _NAME.match(name):
        raise ProfileError(
            f"'{name}' is not a usable profile name; use letters, digits, '-', '_' or '.' (up to 64)."
        )
    return name


def _write_atomic(path: Path, data: bytes) -> None:
    from w2le_live.files import write_bytes_atomic

    write_bytes_atomic(path, data)


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


def decode_bank(path: Path, emotion: str, info: dict) -> EmotionBank:
    """Read one emotion's npz (see :func:`encode_bank`); a damaged file raises ProfileError."""
    import cv2

    try:
        with np.load(path, allow_pickle=False) as z:
            jpeg, ends = z["jpeg"], z["jpeg_ends"]
            starts = np.r_[0, ends[:-1]]
            crops = np.stack([cv2.imdecode(jpeg[a:b], cv2.IMREAD_COLOR) for a, b in zip(starts, ends)])
            bank = EmotionBank(
                emotion, z["template"].astype(np.float32), crops, z["crop_landmarks"].astype(np.float32),
                z["norm"].astype(np.float32), z["tracked"].astype(np.float32),
                z["offset"].astype(np.float32) if "offset" in z.files else None, dict(info),
                z["angles"].astype(np.float32) if "angles" in z.files else None,
            )  # fmt: skip
    except (OSError, ValueError, KeyError, EOFError, cv2.error, TypeError, zipfile.BadZipFile) as exc:
        raise ProfileError(
            f"the {emotion} bank {path} is damaged ({exc.__class__.__name__}); re-enrol it with w2le-live enroll."
        ) from None
    if len(bank.crops) != len(bank.crop_landmarks) or bank.template.shape != (478, 3):
        raise ProfileError(f"the {emotion} bank {path} is inconsistent; re-enrol it with w2le-live enroll.")
    return bank


class Profile:
    """One person's enrolled emotions (metadata loaded eagerly, banks on demand)."""

    def __init__(self, name: str, root: Optional[Path] = None):
        self.name = check_name(name)
        self.path = (root or profiles_dir()) / name
        self.meta = self._read_meta()

    def _read_meta(self) -> dict:
        f = self.path / "profile.json"
        if not f.is_file():
            raise ProfileError(
                f"there is no profile '{self.name}' in {self.path.parent}; create it with "
                f"w2le-live enroll --profile {self.name} --emotion happy."
            )
        try:
            meta = json.loads(f.read_text("utf-8"))
            fmt, ver = meta.get("format"), meta.get("version")
            emotions = meta["emotions"]
            if not isinstance(emotions, dict):
                raise TypeError("emotions")
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            raise ProfileError(
                f"the profile file {f} is damaged; delete it with w2le-live profile delete {self.name} "
                "and enrol again."
            ) from None
        if fmt != FORMAT or ver != VERSION:
            raise ProfileError(
                f"profile '{self.name}' was written in format version {ver}, this w2le-live reads version "
                f"{VERSION}; enrol it again (or use the w2le-live version that made it)."
            )
        return meta

    @property
    def emotions(self) -> tuple[str, ...]:
        return tuple(sorted(self.meta["emotions"]))

    def has(self, emotion: str) -> bool:
        return emotion in self.meta["emotions"]

    def load(self, emotion: str) -> EmotionBank:
        """The bank of one emotion; ProfileError when it is not enrolled or damaged."""
        entry = self.meta["emotions"].get(emotion)
        if entry is None:
            have = ", ".join(self.emotions) or "none"
            raise ProfileError(
                f"profile '{self.name}' has no {emotion} enrolled (it has: {have}); run "
                f"w2le-live enroll --profile {self.name} --emotion {emotion}."
            )
        return decode_bank(self.path / str(entry.get("file", f"{emotion}.npz")), emotion, entry.get("info", {}))

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


def save_bank(name: str, bank: EmotionBank, root: Optional[Path] = None) -> Path:
    """Add or replace one emotion in profile ``name`` (created when new). Returns the profile folder."""
    check_name(name)
    folder = (root or profiles_dir()) / name
    folder.mkdir(parents=True, exist_ok=True)
    meta_path = folder / "profile.json"
    meta = {"format": FORMAT, "version": VERSION, "name": name, "created": time.time(), "emotions": {}}
    if meta_path.exists():
        meta = Profile(name, root).meta  # refuses a damaged or foreign-version profile instead of clobbering
    fname = f"{bank.emotion}.npz"
    _write_atomic(folder / fname, encode_bank(bank))
    meta["emotions"][bank.emotion] = {"file": fname, "created": time.time(), "frames": len(bank),
                                      "info": bank.info}  # fmt: skip
    _write_atomic(meta_path, json.dumps(meta, indent=1).encode("utf-8"))
    return folder


def list_profiles(root: Optional[Path] = None) -> list[str]:
    """Names of the profile folders (valid or not) under the data dir, sorted."""
    base = root or profiles_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and (p / "profile.json").exists())


def delete_profile(name: str, emotion: Optional[str] = None, root: Optional[Path] = None) -> None:
    """Remove a whole profile folder, or one emotion of it."""
    check_name(name)
    folder = (root or profiles_dir()) / name
    if not folder.is_dir():
        raise ProfileError(f"there is no profile '{name}' in {folder.parent}; see w2le-live profile list.")
    if emotion is None:
        shutil.rmtree(folder)
        return
    prof = Profile(name, root)
    entry = prof.meta["emotions"].pop(emotion, None)
    if entry is None:
        raise ProfileError(f"profile '{name}' has no {emotion} enrolled; see w2le-live profile show {name}.")
    (folder / str(entry.get("file", f"{emotion}.npz"))).unlink(missing_ok=True)
    _write_atomic(folder / "profile.json", json.dumps(prof.meta, indent=1).encode("utf-8"))
