"""Hostile and damaged profiles through the REAL command line: ``python -m w2le_live`` in a subprocess whose
interpreter carries an audit hook that logs every open/remove/rename of a victim file outside the profile.

Each row: a data dir with a real enrolled profile ``me`` (M030 happy + neutral), a victim file beside it, a setup
that damages the profile, a command; then the expected exit code, ``error: <one sentence>`` naming the problem
and the fix, no traceback, the victim never opened or removed (audit log) and its bytes unchanged, and nothing
else created, changed or removed outside the paths the row allows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pytest
from test_bad_inputs import DEMO, NATIVE_NOISE, _execute, is_one_sentence, last_line

HAPPY = "mead/M030_front_happy_level3_001.mp4"
NEUTRAL = "mead/M030_front_neutral_level1_001.mp4"
VICTIM = b"the user's own file: must never be read, replaced or removed\n"

# python -c HOOK OUT CLI-ARGS...: W2LE_DATA_DIR=OUT/data; every open of OUT/victim.txt (through any path or link)
# and every remove/rename/rmtree naming it is appended to OUT.audit; then the CLI runs as `python -m w2le_live`.
HOOK = r"""
import os, runpy, sys
out = sys.argv[1]
os.environ["W2LE_DATA_DIR"] = os.path.join(out, "data")
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

_TEMPLATE: dict[str, Path] = {}  # "profile": an enrolled profile folder every row copies


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
    env: dict = field(default_factory=dict)
    fsize_limit: Optional[int] = None

    def argv(self, f: dict, o: Path) -> list:
        return ["-c", HOOK, str(o), *self.cli(o)]

    def setup(self, o: Path) -> None:
        (o / "victim.txt").write_bytes(VICTIM)
        me = o / "data" / "profiles" / "me"
        shutil.copytree(_TEMPLATE["profile"], me)
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


# ---- commands -----------------------------------------------------------------------------------------
def translate(*extra) -> Callable[[Path], list]:
    return lambda o: ["translate", "--demo", "-o", str(o / "o.mp4"), "--no-progress", "--profile", "me",
                      "--target", "happy", *extra]  # fmt: skip


def run_live(o: Path) -> list:
    return ["run", "--source", str(DEMO), "--sink", "null", "--quiet", "--duration", "1", "--profile", "me",
            "--target", "happy"]  # fmt: skip


def cmd(*a) -> Callable[[Path], list]:
    return lambda o: list(a)


ME = "data/profiles/me"
REFUSED = ("profile 'me' is refused", "may only use happy.npz in its own folder", "profile delete me")
ABS = point_happy_at(lambda me: str(me.parents[2] / "victim.txt"))
DOTDOT = point_happy_at(lambda me: "../../../victim.txt")

CASES = [
    # the security rule: a profile may only use <emotion>.npz in its own folder
    PCase("path-absolute-delete-emotion", cmd("profile", "delete", "me", "--emotion", "happy"), 2, REFUSED,
          damage=ABS),
    PCase("path-dotdot-delete-emotion", cmd("profile", "delete", "me", "--emotion", "happy"), 2, REFUSED,
          damage=DOTDOT),
    PCase("path-absolute-translate", translate(), 2, REFUSED, damage=ABS),
    PCase("path-dotdot-translate", translate(), 2, REFUSED, damage=DOTDOT),
    PCase("path-absolute-run", run_live, 2, REFUSED, damage=ABS),
    PCase("path-dotdot-show", cmd("profile", "show", "me"), 2, REFUSED, damage=DOTDOT),
    PCase("path-hostile-whole-delete", cmd("profile", "delete", "me"), 0, ("deleted profile 'me'",),
          damage=ABS, gone=(ME,)),
    PCase("bank-link-out-translate", translate(), 2, ("happy.npz", "is a link", "enroll --profile me"),
          damage=link_happy_to_victim),
    PCase("bank-link-out-run", run_live, 2, ("happy.npz", "is a link"), damage=link_happy_to_victim),
    PCase("bank-link-out-delete-emotion", cmd("profile", "delete", "me", "--emotion", "happy"), 0,
          ("deleted the happy",), damage=link_happy_to_victim, gone=(f"{ME}/happy.npz",), may_change=(ME,)),
]  # fmt: skip


# ---- running the table --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def results(shared_data, request, tmp_path_factory) -> dict:
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.personal.profiles import save_bank

    lib = tmp_path_factory.mktemp("template")
    bank = enroll_file("happy", str(shared_data / HAPPY), neutral=str(shared_data / NEUTRAL))
    _TEMPLATE["profile"] = save_bank("me", bank, root=lib)
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
