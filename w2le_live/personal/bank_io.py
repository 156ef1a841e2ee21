"""Reading a bank file a user may have received from anyone: every byte is checked before it is used.

One rule for every array of an ``<emotion>.npz`` (written by :func:`w2le_live.personal.profiles.encode_bank`):
its name, dtype and shape are known in advance, its sizes are bounded by what an enrolment can write, and the
zip's declared sizes plus each .npy header are checked BEFORE any array data is decompressed (a small file
cannot inflate to gigabytes). Then shapes are checked against each other, values must be finite and in range,
and each JPEG crop's declared size is checked before it is decoded. Anything else raises :class:`BankDamaged`
with a short reason; :mod:`profiles` turns it into the one-sentence refusal.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from w2le_live.face.landmarks import face_width


class BankDamaged(Exception):
    """A bank file that is not what an enrolment writes; ``str()`` is a short reason (no sentence end)."""


@dataclass(frozen=True)
class BankLimits:
    """What an enrolment can produce (see personal.enroll.EnrollConfig), with generous margins."""

    max_file_bytes: int = 64 << 20  # a 300-frame bank of 256-px crops is ~8 MB
    max_frames: int = 300  # EnrollConfig.max_bank
    max_tracked: int = 3000  # 120 s (enroll --seconds at most) at 25 fps
    min_crop: int = 64  # crop side, pixels (enrolment writes 256)
    max_crop: int = 512  # EnrollConfig.max_crop_size
    max_jpeg_bytes: int = 512 << 10  # per crop
    max_norm: float = 10.0  # |normalised coordinate| in face widths
    max_offset: float = 1.0  # |expression offset| in face widths


LIMITS = BankLimits()
N_POINTS = 478
# name -> (little-endian dtype, shape; letters are sizes shared between arrays), in reading order. Every array
# encode_bank writes has its line here (a new one is refused until added: test_profile_round_trip shows it).
SPEC = {
    "jpeg_ends": ("<i8", ("B",)),
    "template": ("<f4", (N_POINTS, 3)),
    "crop_landmarks": ("<f4", ("B", N_POINTS, 2)),
    "norm": ("<f2", ("B", N_POINTS, 3)),
    "tracked": ("<f2", ("F", N_POINTS, 3)),
    "offset": ("<f4", (N_POINTS, 3)),
    "angles": ("<f4", ("B", 2)),
    "jpeg": ("|u1", ("J",)),
}
OPTIONAL = ("offset", "angles")
# what zipfile/zlib raise for damaged archives (bad headers, CRC, unknown versions or methods, truncation)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, ValueError, RuntimeError,
               NotImplementedError)  # fmt: skip


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` when it is a regular file (not a link, FIFO, device or folder) of at most ``limit``
    bytes. Opened without following links and without blocking, so a FIFO cannot hang the reader."""
    if path.is_symlink():
        raise BankDamaged("it is a link, and a profile may only use its own files")
    flags = (
        os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise BankDamaged("it is missing") from None
    except OSError as exc:
        raise BankDamaged(f"it cannot be opened ({exc.strerror or exc.__class__.__name__})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BankDamaged("it is not a regular file")
        if st.st_size > limit:
            raise BankDamaged(f"it is {st.st_size / 1e6:.0f} MB, more than an enrolment writes")
        chunks, total = [], 0
        while total <= limit:
            b = os.read(fd, min(1 << 20, limit + 1 - total))
            if not b:
                break
            chunks.append(b)
            total += len(b)
        if total > limit:
            raise BankDamaged("it grew while being read")
        return b"".join(chunks)
    except OSError as exc:
        raise BankDamaged(f"it cannot be read ({exc.strerror or exc.__class__.__name__})") from None
    finally:
        os.close(fd)


def _bounds(limits: BankLimits) -> dict[str, tuple[int, int]]:
    return {"B": (1, limits.max_frames), "F": (1, limits.max_tracked),
            "J": (1, limits.max_frames * limits.max_jpeg_bytes)}  # fmt: skip


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, sizes: dict, limits: BankLimits):
    """One .npy member: header checked (dtype, shape, sizes bound so far), then exactly its bytes read."""
    from numpy.lib import format as npf

    want_dtype, want_shape = SPEC[key]
    with zf.open(info) as f:
        try:
            version = npf.read_magic(f)
            read_header = {(1, 0): npf.read_array_header_1_0, (2, 0): npf.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError
            try:
                shape, fortran, dtype = read_header(f, max_header_size=1000)
            except TypeError:  # numpy < 1.24 has no max_header_size (the member size cap bounds it)
                shape, fortran, dtype = read_header(f)
        except Exception:  # noqa: BLE001 - numpy parses the header text; any failure means it is not valid
            raise BankDamaged(f"its {key} array has no valid header") from None
        if dtype != np.dtype(want_dtype) or fortran:
            raise BankDamaged(f"its {key} array is {dtype}, not {np.dtype(want_dtype)}")
        if len(shape) != len(want_shape):
            raise BankDamaged(f"its {key} array has shape {shape}, not {len(want_shape)}-dimensional")
        for got, want in zip(shape, want_shape):
            if isinstance(want, int):
                if got != want:
                    raise BankDamaged(f"its {key} array has shape {shape}")
            elif want in sizes:
                if got != sizes[want]:
                    raise BankDamaged(
                        f"its {key} array has {got} rows where the other arrays have {sizes[want]}"
                    )
            else:
                lo, hi = _bounds(limits)[want]
                if not lo <= got <= hi:
                    raise BankDamaged(f"its {key} array has {got} rows, outside what an enrolment writes")
                sizes[want] = got
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if info.file_size != f.tell() + nbytes:
            raise BankDamaged(f"its {key} array's declared size does not match its header")
        data = f.read(nbytes + 1)  # reaches the end, so the zip checks the CRC
    if len(data) != nbytes:
        raise BankDamaged(f"its {key} array is truncated")
    return np.frombuffer(data, dtype).reshape(shape)


def read_arrays(data: bytes, limits: BankLimits = LIMITS) -> dict[str, np.ndarray]:
    """The named arrays of a bank npz (``data``: its bytes), every size checked before it is decompressed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise BankDamaged("it is not a bank file (not a valid npz archive)") from None
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        extra = sorted(set(n[:-4] if n.endswith(".npy") else n for n in names) - set(SPEC))
        if extra or len(names) != len(set(names)):
            shown = ", ".join(x.encode("unicode_escape").decode("ascii")[:40] for x in extra[:3])
            raise BankDamaged(f"it holds unexpected entries ({shown or 'duplicates'})")
        missing = [k for k in SPEC if k not in OPTIONAL and f"{k}.npy" not in names]
        if missing:
            raise BankDamaged(f"it lacks the {', '.join(missing)} array")
        by_name = {i.filename: i for i in infos}
        cap = limits.max_frames * limits.max_jpeg_bytes + 4096  # the largest member an enrolment can write
        for i in infos:
            if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or i.file_size > cap:
                raise BankDamaged(f"its {i.filename[:-4]} array is larger than an enrolment writes")
        sizes: dict[str, int] = {}
        out = {}
        try:
            for key in SPEC:
                if f"{key}.npy" in by_name:
                    out[key] = _read_member(zf, by_name[f"{key}.npy"], key, sizes, limits)
        except _ZIP_ERRORS:
            raise BankDamaged("its archive is corrupt (a checksum or data error)") from None
    return out


def jpeg_size(buf: np.ndarray, what: str = "a crop") -> tuple[int, int, int]:
    """(height, width, components) declared by a baseline/progressive JPEG's frame header, read before decoding.
    buf: (N,) uint8 bytes of one JPEG."""
    b = buf.tobytes()
    if b[:2] != b"\xff\xd8":
        raise BankDamaged(f"{what} is not a JPEG image")
    i = 2
    while i + 4 <= len(b):
        if b[i] != 0xFF:
            raise BankDamaged(f"{what}'s JPEG bytes are corrupt")
        marker = b[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        seg = int.from_bytes(b[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 10 > len(b):
                break
            return (
                int.from_bytes(b[i + 5 : i + 7], "big"),
                int.from_bytes(b[i + 7 : i + 9], "big"),
                b[i + 9],
            )
        if marker == 0xDA or seg < 2:  # image data before any frame header
            break
        i += 2 + seg
    raise BankDamaged(f"{what}'s JPEG bytes are corrupt (no frame header)")


def decode_crops(jpeg: np.ndarray, ends: np.ndarray, limits: BankLimits = LIMITS) -> np.ndarray:
    """(B, S, S, 3) uint8 BGR crops from concatenated JPEGs: jpeg (J,) uint8, ends (B,) int64 end offsets."""
    import cv2

    starts = np.r_[0, ends[:-1]]
    if ends[-1] != len(jpeg) or np.any(ends - starts <= 0) or np.any(ends - starts > limits.max_jpeg_bytes):
        raise BankDamaged("its crop offsets do not match its JPEG bytes")
    crops = None
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        h, w, comps = jpeg_size(jpeg[a:b], f"crop {k}")
        if h != w or comps != 3 or not limits.min_crop <= h <= limits.max_crop:
            raise BankDamaged(f"crop {k} is {w}x{h} pixels, not a square colour crop an enrolment writes")
        if crops is None:
            crops = np.empty((len(ends), h, h, 3), np.uint8)
        elif h != crops.shape[1]:
            raise BankDamaged(f"crop {k} is {w}x{h} pixels where the others are {crops.shape[1]}")
        img = cv2.imdecode(jpeg[a:b], cv2.IMREAD_COLOR)
        if img is None or img.shape != crops.shape[1:]:
            raise BankDamaged(f"crop {k} is not a readable JPEG image")
        crops[k] = img
    return crops


def _check_values(a: dict[str, np.ndarray], side: int, limits: BankLimits) -> None:
    ranges = {"template": limits.max_norm, "norm": limits.max_norm, "tracked": limits.max_norm,
              "offset": limits.max_offset, "angles": np.pi / 2}  # fmt: skip
    for key, bound in ranges.items():
        if key in a and not (np.isfinite(a[key]).all() and np.abs(a[key]).max() <= bound):
            raise BankDamaged(f"its {key} array holds values that are not finite or out of range")
    cl = a["crop_landmarks"]
    if not (np.isfinite(cl).all() and cl.min() >= -side and cl.max() <= 2 * side):
        raise BankDamaged("its crop_landmarks array holds values that are not finite or outside the crops")
    width = face_width(a["template"])
    if not 0.5 <= width <= 2.0:
        raise BankDamaged(f"its template is not a normalised face (face width {width:.2g}, not 1)")


def read_bank_file(path: Path, limits: BankLimits = LIMITS) -> dict[str, np.ndarray]:
    """Every array of a bank file, validated; crops decoded. Keys: template (478, 3) float32, crops (B, S, S, 3)
    uint8, crop_landmarks (B, 478, 2) float32, norm (B, 478, 3) float32, tracked (F, 478, 3) float32 with
    F >= B, and when present offset (478, 3) float32, angles (B, 2) float32. Raises :class:`BankDamaged`."""
    a = read_arrays(read_regular_file(path, limits.max_file_bytes), limits)
    if len(a["tracked"]) < len(a["jpeg_ends"]):
        raise BankDamaged("it keeps more crops than it tracked frames")
    crops = decode_crops(a.pop("jpeg"), a.pop("jpeg_ends"), limits)
    _check_values(a, crops.shape[1], limits)
    out = {k: v.astype(np.float32) for k, v in a.items()}
    out["crops"] = crops
    return out
