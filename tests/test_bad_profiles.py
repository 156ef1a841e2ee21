"""Hostile and damaged profiles through the REAL command line: ``python -m w2le_live`` in a subprocess whose
interpreter carries an audit hook that logs every open/remove/rename of a victim file outside the profile.

Each row: a data dir with a real enrolled profile ``me`` (M030 happy + neutral), a victim file beside it, a setup
that damages the profile, a command; then the expected exit code, ``error: <one sentence>`` naming the problem
and the fix, no traceback, the victim never opened or removed (audit log) and its bytes unchanged, and nothing
else created, changed or removed outside the paths the row allows.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest
from test_bad_inputs import DEMO, NATIVE_NOISE, _env, _execute, is_one_sentence, last_line

HAPPY = "mead/M030_front_happy_level3_001.mp4"
NEUTRAL = "mead/M030_front_neutral_level1_001.mp4"
VICTIM = b"the user's own file: must never be read, replaced or removed\n"

# python -c HOOK OUT CLI-ARGS...: W2LE_DATA_DIR=OUT/data; every open of OUT/victim.txt (through any path or link)
# and every remove/rename/rmtree naming it is appended to OUT.audit; then the CLI runs as `python -m w2le_live`.
HOOK = r"""
import os, runpy, sys
out = sys.argv[1]
os.environ["W2LE_DATA_DIR"] = os.environ.get("W2LE_TEST_DATA_DIR") or os.path.join(out, "data")
victim = os.path.realpath(os.path.join(out, "victim.txt"))
log = out + ".audit"
busy = []
def hook(event, args):
    if busy or not (event == "open" or event in ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree",
                                                 "os.truncate", "os.chmod", "os.link", "os.symlink")):
        return
    busy.append(1)
    try:
        for a in args[:2]:
            if isinstance(a, (str, bytes, os.PathLike)):
                p = os.path.join(os.getcwd(), os.fsdecode(a))
                hit = os.path.realpath(p) if event == "open" else os.path.normpath(p)
                if hit == victim:
                    with open(log, "a") as f:
                        f.write(event + " " + os.fsdecode(a) + "\n")
    finally:
        busy.pop()
sys.addaudithook(hook)
sys.argv = ["w2le-live", *sys.argv[2:]]
runpy.run_module("w2le_live", run_name="__main__", alter_sys=True)
"""

MADE: dict[
    str, Path
] = {}  # "profile": an enrolled profile folder every row copies; clips made from real ones


def _snapshot(out: Path) -> dict[str, str]:
    """relative path -> what it is: a file's sha256, 'dir', 'link->target' or 'special'."""
    tree = {}
    for p in sorted(out.rglob("*")):
        st = p.lstat()
        rel = str(p.relative_to(out))
        if stat.S_ISLNK(st.st_mode):
            tree[rel] = "link->" + os.readlink(p)
        elif stat.S_ISDIR(st.st_mode):
            tree[rel] = "dir"
        elif stat.S_ISREG(st.st_mode):
            tree[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            tree[rel] = "special"
    return tree


@dataclass(frozen=True)
class PCase:
    id: str
    cli: Callable[[Path], list]  # output folder -> w2le-live arguments
    code: int
    says: tuple[str, ...]  # substrings of the last stderr line (case-insensitive)
    damage: Optional[Callable[[Path], None]] = None  # (profile folder data/profiles/me) -> None
    gone: tuple[str, ...] = ()  # paths (relative to the output folder) that must be gone afterwards
    may_change: tuple[str, ...] = ()  # path prefixes that may change (besides `gone`)
    shows: tuple[str, ...] = ()  # substrings of stdout
    env: dict = field(default_factory=dict)
    fsize_limit: Optional[int] = None
    # the shared harness's (test_bad_inputs._execute) per-case hooks, unused here: this table checks its victim
    # through the audit hook and the tree snapshot
    prepare: Optional[Callable[[Path, dict], None]] = None
    victims: tuple[str, ...] = ()

    def argv(self, f: dict, o: Path) -> list:
        return ["-c", HOOK, str(o), *self.cli(o)]

    def setup(self, o: Path) -> None:
        (o / "victim.txt").write_bytes(VICTIM)
        me = o / "data" / "profiles" / "me"
        shutil.copytree(MADE["profile"], me)
        if self.damage:
            self.damage(me)
        (o.parent / f"{o.name}.tree.json").write_text(json.dumps(_snapshot(o)))


# ---- damage -------------------------------------------------------------------------------------------
def meta(fn: Callable[[dict, Path], object]) -> Callable[[Path], None]:
    """Edit profile.json: fn(meta dict, profile folder) edits in place or returns a replacement (any JSON)."""

    def damage(me: Path) -> None:
        m = json.loads((me / "profile.json").read_text())
        got = fn(m, me)
        (me / "profile.json").write_text(
            got if isinstance(got, str) else json.dumps(m if got is None else got)
        )

    return damage


def point_happy_at(target: Callable[[Path], str]):
    return meta(lambda m, me: m["emotions"]["happy"].__setitem__("file", target(me)))


def link_happy_to_victim(me: Path) -> None:
    (me / "happy.npz").unlink()
    (me / "happy.npz").symlink_to(me.parents[2] / "victim.txt")


def bank(fn: Callable[[dict], object]) -> Callable[[Path], None]:
    """Rewrite happy.npz as a valid npz after fn(arrays) edits its arrays in place."""

    def damage(me: Path) -> None:
        with np.load(me / "happy.npz") as z:
            a = {k: z[k] for k in z.files}
        fn(a)
        buf = io.BytesIO()
        np.savez_compressed(buf, **a)
        (me / "happy.npz").write_bytes(buf.getvalue())

    return damage


def put(key: str, index: tuple, value) -> Callable[[dict], None]:
    return lambda a: a[key].__setitem__(index, value)


def tiny_crops(a: dict) -> None:
    import cv2

    blobs = [cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))[1].ravel() for _ in a["jpeg_ends"]]
    a["jpeg"], a["jpeg_ends"] = np.concatenate(blobs), np.cumsum([len(b) for b in blobs]).astype(np.int64)


def npz_member(me: Path, name: str, header: dict, payload: bytes = b"", zeros: int = 0) -> None:
    """Replace one member of happy.npz by an .npy header plus payload (and ``zeros`` zero bytes, streamed)."""
    from numpy.lib import format as npf

    src = me / "happy.npz"
    tmp = me / "tmp.zip"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            if info.filename != name:
                zo.writestr(info.filename, zi.read(info))
        with zo.open(name, "w", force_zip64=True) as f:
            hdr = io.BytesIO()
            npf.write_array_header_1_0(hdr, header)
            f.write(hdr.getvalue() + payload)
            chunk = bytes(1 << 24)
            for i in range(0, zeros, len(chunk)):
                f.write(chunk[: min(len(chunk), zeros - i)])
    tmp.replace(src)


def bomb(me: Path) -> None:  # 300 MB of zeros declared honestly: the file is ~0.3 MB
    npz_member(
        me, "jpeg.npy", {"descr": "|u1", "fortran_order": False, "shape": (300 << 20,)}, zeros=300 << 20
    )


def lying_header(me: Path) -> None:  # claims 2.9 GB of float16 rows, holds 16 bytes
    npz_member(
        me, "tracked.npy", {"descr": "<f2", "fortran_order": False, "shape": (10**6, 478, 3)}, bytes(16)
    )


def fifo_bank(me: Path) -> None:
    (me / "happy.npz").unlink()
    os.mkfifo(me / "happy.npz")


def link_to_fifo(me: Path) -> None:
    os.mkfifo(me.parents[2] / "fifo")
    (me / "happy.npz").unlink()
    (me / "happy.npz").symlink_to(me.parents[2] / "fifo")


def with_other(damage: Callable[[Path], None]) -> Callable[[Path], None]:
    """A second, intact profile 'ok' beside the damaged 'me'."""

    def both(me: Path) -> None:
        shutil.copytree(me, me.parent / "ok")
        damage(me)

    return both


def write_meta(text: str) -> Callable[[Path], None]:
    return lambda me: (me / "profile.json").write_text(text)


def fifo_meta(me: Path) -> None:
    (me / "profile.json").unlink()
    os.mkfifo(me / "profile.json")


def photos(me: Path) -> None:
    (me.parent / "photos").mkdir()
    (me.parent / "photos" / "holiday.jpg").write_bytes(b"\xff\xd8 a user's photo")


def alias(me: Path) -> None:
    (me.parent / "alias").symlink_to(me)


def data_dir_is_file(me: Path) -> None:
    shutil.rmtree(me.parents[1])
    me.parents[1].write_text("a file where the data folder should be\n")


# ---- commands -----------------------------------------------------------------------------------------
def translate(*extra) -> Callable[[Path], list]:
    return lambda o: ["translate", "--demo", "-o", str(o / "o.mp4"), "--no-progress", "--profile", "me",
                      "--target", "happy", *extra]  # fmt: skip


def run_live(o: Path) -> list:
    return ["run", "--source", str(DEMO), "--sink", "null", "--quiet", "--duration", "1", "--profile", "me",
            "--target", "happy"]  # fmt: skip


def cmd(*a) -> Callable[[Path], list]:
    return lambda o: list(a)


def enroll(*a, profile: str = "me", emotion: str = "happy") -> Callable[[Path], list]:
    """enroll; arguments that name a clip in MADE become its path."""
    return lambda o: ["enroll", "--profile", profile, "--emotion", emotion,
                      *[str(MADE[x]) if x in MADE else x for x in a]]  # fmt: skip


ME = "data/profiles/me"
BANK = ("happy.npz is unusable", "enroll --profile me --emotion happy")
DAMAGED = ("profile.json is damaged", "profile delete me")
NEWER = ("newer w2le-live", "format version 2", "update w2le-live", "profile delete me")
REFUSED = ("profile 'me' is refused", "may only use happy.npz in its own folder", "profile delete me")
ABS = point_happy_at(lambda me: str(me.parents[2] / "victim.txt"))
DOTDOT = point_happy_at(lambda me: "../../../victim.txt")

CASES = [
    # the security rule: a profile may only use <emotion>.npz in its own folder
    PCase("path-absolute-delete-emotion", cmd("profile", "delete", "me", "--emotion", "happy", "--yes"), 2, REFUSED,
          damage=ABS),
    PCase("path-dotdot-delete-emotion", cmd("profile", "delete", "me", "--emotion", "happy", "--yes"), 2, REFUSED,
          damage=DOTDOT),
    PCase("path-absolute-translate", translate(), 2, REFUSED, damage=ABS),
    PCase("path-dotdot-translate", translate(), 2, REFUSED, damage=DOTDOT),
    PCase("path-absolute-run", run_live, 2, REFUSED, damage=ABS),
    PCase("path-dotdot-show", cmd("profile", "show", "me"), 2, REFUSED, damage=DOTDOT),
    PCase("path-hostile-whole-delete", cmd("profile", "delete", "me", "--yes"), 0, ("deleted profile 'me'",),
          damage=ABS, gone=(ME,)),
    PCase("bank-link-out-translate", translate(), 2, ("happy.npz", "is a link", "enroll --profile me"),
          damage=link_happy_to_victim),
    PCase("bank-link-out-run", run_live, 2, ("happy.npz", "is a link"), damage=link_happy_to_victim),
    PCase("bank-link-out-delete-emotion", cmd("profile", "delete", "me", "--emotion", "happy", "--yes"), 0,
          ("deleted the happy",), damage=link_happy_to_victim, gone=(f"{ME}/happy.npz",), may_change=(ME,)),
    # one loader checks every array of a bank before use (names, dtypes, shapes, sizes, values, crops)
    PCase("bank-nan-landmarks", translate(), 2, BANK + ("crop_landmarks", "not finite"),
          damage=bank(put("crop_landmarks", (3, 10, 0), np.nan))),
    PCase("bank-nan-template", translate(), 2, BANK + ("template",), damage=bank(put("template", (5, 1), np.nan))),
    PCase("bank-nan-template-run", run_live, 2, BANK + ("template",),
          damage=bank(put("template", (5, 1), np.nan))),
    PCase("bank-wrong-shape", translate(), 2, BANK + ("norm array has shape",),
          damage=bank(lambda a: a.__setitem__("norm", a["norm"][..., :2].copy()))),
    PCase("bank-rows-disagree", translate(), 2, BANK + ("crop_landmarks", "rows"),
          damage=bank(lambda a: a.__setitem__("crop_landmarks", a["crop_landmarks"][:-1].copy()))),
    PCase("bank-8x8-crops", translate(), 2, BANK + ("8x8 pixels",), damage=bank(tiny_crops)),
    PCase("bank-8x8-crops-run", run_live, 2, BANK + ("8x8 pixels",), damage=bank(tiny_crops)),
    PCase("bank-corrupt-jpeg", translate(), 2, BANK + ("crop 0 is not a jpeg image",),
          damage=bank(lambda a: a.__setitem__("jpeg", np.random.default_rng(0).integers(0, 256, len(a["jpeg"]),
                                                                                        dtype=np.uint8)))),
    PCase("bank-extra-array", translate(), 2, BANK + ("unexpected entries (evil)",),
          damage=bank(lambda a: a.__setitem__("evil", np.zeros(3)))),
    PCase("bank-missing-array", translate(), 2, BANK + ("lacks the template",),
          damage=bank(lambda a: a.pop("template"))),
    PCase("bank-truncated", translate(), 2, BANK + ("not a valid npz",),
          damage=lambda me: (me / "happy.npz").write_bytes((me / "happy.npz").read_bytes()[:5000])),
    PCase("bank-inflates-300mb", translate(), 2, BANK + ("jpeg", "larger than an enrolment writes"), damage=bomb),
    PCase("bank-header-claims-3gb", translate(), 2, BANK + ("tracked", "outside what an enrolment writes"),
          damage=lying_header),
    PCase("bank-fifo-translate", translate(), 2, BANK + ("not a regular file",), damage=fifo_bank),
    PCase("bank-fifo-run", run_live, 2, BANK + ("not a regular file",), damage=fifo_bank),
    PCase("bank-link-to-fifo", translate(), 2, BANK + ("is a link",), damage=link_to_fifo),
    # profile.json: field types, size, depth, special files
    PCase("meta-emotion-is-number", cmd("profile", "show", "me"), 2, DAMAGED + ("happy entry is 5",),
          damage=meta(lambda m, me: m["emotions"].__setitem__("happy", 5))),
    PCase("meta-created-1e300", cmd("profile", "show", "me"), 2, DAMAGED + ("created time",),
          damage=meta(lambda m, me: m.__setitem__("created", 1e300))),
    PCase("meta-entry-created-1e300", cmd("profile", "show", "me"), 2, DAMAGED + ("created time of its happy",),
          damage=meta(lambda m, me: m["emotions"]["happy"].__setitem__("created", 1e300))),
    PCase("meta-unknown-emotion", cmd("profile", "show", "me"), 2, DAMAGED + ("unknown emotion 'joy'",),
          damage=meta(lambda m, me: m["emotions"].__setitem__("joy", {}))),
    PCase("meta-nested-list", cmd("profile", "list"), 0, ("ok: happy",),
          damage=with_other(write_meta("[" * 100_000 + "]" * 100_000)), shows=("me: unusable", "not valid JSON")),
    PCase("meta-nested-show", cmd("profile", "show", "me"), 2, DAMAGED + ("not valid json",),
          damage=write_meta("[" * 100_000 + "]" * 100_000)),
    PCase("meta-fifo-list", cmd("profile", "list"), 0, ("ok: happy",), damage=with_other(fifo_meta),
          shows=("me: unusable", "not a regular file")),
    PCase("meta-version-string", cmd("profile", "show", "me"), 2, DAMAGED + ("format version '1', not a number",),
          damage=meta(lambda m, me: m.__setitem__("version", "1"))),
    PCase("meta-version-missing", cmd("profile", "show", "me"), 2, DAMAGED + ("has no format version",),
          damage=meta(lambda m, me: m.pop("version") and None)),
    PCase("meta-version-newer", translate(), 2, NEWER, damage=meta(lambda m, me: m.__setitem__("version", 2))),
    PCase("meta-version-newer-enroll", enroll("--source", "far"), 2, NEWER,
          damage=meta(lambda m, me: m.__setitem__("version", 2))),
    PCase("meta-version-newer-delete", cmd("profile", "delete", "me", "--yes"), 0, ("deleted profile 'me'",),
          damage=meta(lambda m, me: m.__setitem__("version", 2)), gone=(ME,)),
    # delete: only what is provably a profile, only its own files, in an order that keeps it usable
    PCase("delete-photos-folder", cmd("profile", "delete", "photos", "--yes"), 2, ("photos is not a w2le-live profile",
          "nothing was deleted"), damage=photos),
    PCase("delete-foreign-file", cmd("profile", "delete", "me", "--yes"), 2, ("holds files w2le-live did not make",
          "notes.txt"), damage=lambda me: (me / "notes.txt").write_text("mine\n")),
    PCase("delete-symlinked-profile", cmd("profile", "delete", "alias", "--yes"), 2, ("'alias'", "is a link",
          "nothing was deleted"), damage=alias),
    PCase("show-symlinked-profile", cmd("profile", "show", "alias"), 2, ("'alias'", "is a link"), damage=alias),
    PCase("delete-damaged-profile", cmd("profile", "delete", "me", "--yes"), 0, ("deleted profile 'me'",),
          damage=write_meta("{not json"), gone=(ME,)),
    PCase("delete-emotion-meta-write-fails", cmd("profile", "delete", "me", "--emotion", "happy", "--yes"), 2,
          ("profile folder", "cannot be written (file too large)", "free some disk space", "W2LE_DATA_DIR"), fsize_limit=64),
    PCase("delete-emotion-ok", cmd("profile", "delete", "me", "--emotion", "happy", "--yes"), 0, ("deleted the happy",),
          gone=(f"{ME}/happy.npz",), may_change=(f"{ME}/profile.json",)),
    # names
    PCase("name-trailing-newline-enroll", enroll("--source", "far", profile="me\n"), 2,
          ("'me\\n' is not a usable profile name",)),
    PCase("name-trailing-newline-delete", cmd("profile", "delete", "me\n", "--yes"), 2, ("not a usable profile name",)),
    PCase("name-control-char-show", cmd("profile", "show", "m\x1be"), 2, ("not a usable profile name",)),
    # enrolment: refused before recording, identity, size
    PCase("enroll-seconds-1.5", enroll("--source", "happy", "--seconds", "1.5"), 2, ("--seconds 1.5", "2 to 120")),
    PCase("enroll-neutral-of-another-person", enroll("--source", "happy", "--neutral", "other-neutral",
          profile="new"), 2, ("neutral recording shows another face", "same person")),
    PCase("enroll-two-people-in-one-take", enroll("--source", "two", profile="new"), 2,
          ("changes at 2 s", "another person", "only yourself")),
    PCase("enroll-own-clip-as-neutral", enroll("--source", "happy", "--neutral", "happy", profile="new"), 2,
          ("is the emotion recording itself", "zero expression offset")),
    PCase("enroll-copy-as-neutral", enroll("--source", "happy", "--neutral", "copy", profile="new"), 2,
          ("same expression", "zero offset")),
    PCase("enroll-face-too-small", enroll("--source", "far", profile="new"), 2, ("too small", "move closer")),
    # enrolment: the profile folder is checked before the take is processed (far would say "too small")
    PCase("enroll-data-dir-is-file", enroll("--source", "far", profile="new"), 2, ("is a file, not a folder",
          "W2LE_DATA_DIR"), damage=data_dir_is_file),
    PCase("enroll-data-dir-unwritable", enroll("--source", "far", profile="new"), 2, ("/proc/w2le_nowhere/profiles/new",
          "cannot be created in /proc", "fix its permissions", "W2LE_DATA_DIR"), env={"W2LE_TEST_DATA_DIR": "/proc/w2le_nowhere"}),
    PCase("enroll-damaged-profile", enroll("--source", "far"), 2, DAMAGED + ("not valid json",),
          damage=write_meta("{not json")),
    PCase("enroll-neutral-missing", enroll("--source", "far", "--neutral", "/nonexistent/n.mp4", profile="new"), 2,
          ("/nonexistent/n.mp4 does not exist",)),
    # the --model cache (ONNX export) names the variable that moves it
    PCase("model-cache-unwritable", lambda o: ["translate", "--demo", "-o", str(o / "o.mp4"), "--no-progress",
          "--model", str(MADE["model"]), "--backend", "onnxruntime"], 2, ("/proc/w2le_nowhere/onnx",
          "cannot be written", "W2LE_CACHE_DIR"), env={"W2LE_CACHE_DIR": "/proc/w2le_nowhere"}),
]  # fmt: skip


def tiny_model(path: Path) -> Path:
    import torch

    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    torch.manual_seed(0)
    dims = GeneratorDims(width=0.25)
    return save_generator(path, Wav2LipGenerator(dims), ModelMeta(dims=dims, source_emotion="neutral",
                                                                   target_emotion="happy"))  # fmt: skip


def make_clips(shared_data: Path, d: Path) -> dict[str, Path]:
    """Clips made from real ones: two actors one after the other, a re-encoded copy, a far-away face."""
    import cv2

    from w2le_live.io import video

    m030 = [f for _, _, f in video.iter_frames(shared_data / HAPPY)]
    w009 = [f for _, _, f in video.iter_frames(shared_data / "mead/W009_front_happy_level3_001.mp4")]
    clips = {"two": m030[:60] + w009[:60], "copy": m030}
    far = []
    for f in m030[:75]:  # the actor 4 m away: a 100 px crop in a 720p frame
        big = np.full((720, 1280, 3), 60, np.uint8)
        big[300:400, 600:700] = cv2.resize(f, (100, 100), interpolation=cv2.INTER_AREA)
        far.append(big)
    clips["far"] = far
    out = {}
    for name, frames in clips.items():
        out[name] = d / f"{name}.mp4"
        with video.VideoWriter(out[name], 25, frames[0].shape[1::-1]) as w:
            for f in frames:
                w.write(f)
    out["model"] = tiny_model(d / "tiny.safetensors")
    out["happy"] = shared_data / HAPPY
    out["other-neutral"] = shared_data / "mead/W009_front_neutral_level1_001.mp4"
    return out


# ---- running the table --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def results(shared_data, request, tmp_path_factory) -> dict:
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.personal.profiles import save_bank

    lib = tmp_path_factory.mktemp("template")
    bank = enroll_file("happy", str(shared_data / HAPPY), neutral=str(shared_data / NEUTRAL))
    MADE["profile"] = save_bank("me", bank, root=lib)
    MADE.update(make_clips(shared_data, lib))
    wanted = {it.callspec.params["case"].id for it in request.session.items
              if getattr(it, "callspec", None) and isinstance(it.callspec.params.get("case"), PCase)}  # fmt: skip
    root = tmp_path_factory.mktemp("cases")
    todo = [c for c in CASES if c.id in wanted]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip((c.id for c in todo), pool.map(lambda c: _execute(c, {}, root), todo)))


def test_table_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_profile(case: PCase, results):
    r, out = results[case.id]
    err = r.stderr
    assert "Traceback" not in err, err[-3000:]
    assert not NATIVE_NOISE.search(err), err[-2000:]
    line = last_line(err if case.code else r.stdout + "\n" + err)  # success sentences go to stdout
    assert r.returncode == case.code, (r.returncode, err[-2000:])
    for s in case.says:
        assert s.lower() in line.lower(), f"expected {s!r} in the last line: {line!r}"
    for s in case.shows:
        assert s in r.stdout, f"expected {s!r} in stdout:\n{r.stdout[-2000:]}"
    if case.code != 0:
        assert line.startswith("error: ") and is_one_sentence(line[len("error: ") :]), line
        assert err.count(line[len("error: ") :]) == 1, err[-2000:]
    audit = out.parent / f"{out.name}.audit"
    assert not audit.exists(), f"the victim file was touched:\n{audit.read_text()}"
    assert (out / "victim.txt").read_bytes() == VICTIM
    (out / ".before").unlink()
    before = json.loads((out.parent / f"{out.name}.tree.json").read_text())
    after = _snapshot(out)
    for g in case.gone:
        assert g not in after, f"{g} is still there"

    def allowed(p: str) -> bool:
        return any(p == a or p.startswith(a + "/") for a in case.gone + case.may_change)

    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p) and not allowed(p))
    assert changed == [], f"created, changed or removed: {changed}"


def test_the_audit_hook_sees_a_read_of_the_victim(tmp_path):
    """The table's proof can fail: a command that does read the victim (as a --model file) is logged."""
    out = tmp_path / "case"
    out.mkdir()
    victim = out / "victim.pth"
    victim.write_bytes(VICTIM)
    (out / "victim.txt").symlink_to(victim)  # the hook watches victim.txt's real file
    r = subprocess.run([sys.executable, "-c", HOOK, str(out), "translate", "--demo", "-o", str(out / "o.mp4"),
                        "--model", str(victim), "--backend", "torch", "--no-progress"], capture_output=True,
                       text=True, env=_env({}, tmp_path), timeout=150)  # fmt: skip
    assert r.returncode == 2, r.stderr[-2000:]
    log = (tmp_path / "case.audit").read_text()
    assert "open " in log and "victim.pth" in log, log
