"""A checkpoint that would run code when unpickled is refused on every path that reads a user file, and never runs.

Each case goes through the real CLI in a subprocess; the payload would create a marker file if it ever ran.
"""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "w2le_live" / "assets" / "demo_grid_lbax4n.mp4"


class _Payload:
    """Unpickling this calls os.system (creates ``marker``)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _evil(tmp_path: Path, name: str, zip_format: bool) -> tuple[Path, Path]:
    import torch

    marker = tmp_path / f"PWNED_{name}"
    path = tmp_path / name
    state = {"model": {"x": _Payload(marker)}, "optimizer": {}, "config": {}, "state_dict": _Payload(marker)}
    if zip_format:
        torch.save(state, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(state, f, protocol=2)
    return path, marker


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), W2LE_CACHE_DIR=str(cwd / "cache"))
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


CASES = {
    "w2le-train eval --syncnet": lambda p, o: [
        "-m",
        "training.cli",
        "eval",
        "--pair",
        str(DEMO),
        str(DEMO),
        "neutral",
        "happy",
        "--syncnet",
        str(p),
        "-o",
        str(o / "report"),
    ],  # fmt: skip
    "w2le-train export": lambda p, o: [
        "-m",
        "training.cli",
        "export",
        str(p),
        "-o",
        str(o / "g.safetensors"),
    ],
    "w2le-train generator syncnet_checkpoint=": lambda p, o: [
        "-m",
        "training.cli",
        "generator",
        f"syncnet_checkpoint={p}",
        f"data={o / 'nodata'}",
        f"out={o / 'run'}",
        "strategy=l1",
        "s_g=0",
        "width=0.25",
        "syncnet_width=0.25",
    ],  # fmt: skip
    "w2le-train generator init_checkpoint=": lambda p, o: [
        "-m",
        "training.cli",
        "generator",
        f"init_checkpoint={p}",
        f"data={o / 'nodata'}",
        f"out={o / 'run'}",
        "strategy=l1",
        "s_g=0",
        "s_w=0",
    ],  # fmt: skip
    "translate --model": lambda p, o: [
        "-m",
        "w2le_live",
        "translate",
        "--demo",
        "--model",
        str(p),
        "-o",
        str(o / "out.mp4"),
        "--no-progress",
    ],  # fmt: skip
    "export --model": lambda p, o: ["-m", "w2le_live", "export", str(p), "-o", str(o / "g.onnx")],
}


# every path with torch's zip format; the raw (legacy) pickle format on two of them to keep the suite short
PARAMS = [(c, True) for c in sorted(CASES)] + [("w2le-train export", False), ("translate --model", False)]


@pytest.mark.parametrize("case,zip_format", PARAMS, ids=[f"{c}-{'zip' if z else 'raw'}" for c, z in PARAMS])
def test_code_running_pickle_is_refused_and_never_runs(tmp_path: Path, case: str, zip_format: bool):
    ckpt, marker = _evil(tmp_path, "evil.pth", zip_format)
    out = tmp_path / "out"
    out.mkdir()
    r = _cli(CASES[case](ckpt, out), tmp_path)
    assert not marker.exists(), f"{case}: the pickle's code ran"
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and str(ckpt) in last and "could run code" in last, last
    assert last.count(". ") == 0 and last.endswith("."), last  # one sentence
    assert not [p for p in out.rglob("*") if p.is_file()], "a file was left in the output folder"


def _torch_load_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load":
            base = node.func.value
            if isinstance(base, ast.Name) and base.id == "torch":
                yield node


def test_no_torch_load_without_weights_only_true():
    bad, seen = [], 0
    for pkg in ("w2le_live", "training", "engines"):
        for path in sorted((REPO / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for call in _torch_load_calls(tree):
                seen += 1
                kw = {k.arg: k.value for k in call.keywords}
                wo = kw.get("weights_only")
                if not (isinstance(wo, ast.Constant) and wo.value is True):
                    bad.append(f"{path.relative_to(REPO)}:{call.lineno}")
            for node in ast.walk(tree):  # no other unpickler either
                if isinstance(node, ast.Attribute) and node.attr in ("load", "loads", "Unpickler"):
                    if isinstance(node.value, ast.Name) and node.value.id in ("pickle", "dill", "joblib"):
                        bad.append(f"{path.relative_to(REPO)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert seen >= 1, "the scan found no torch.load at all; it is not looking at the package"
    assert not bad, f"torch.load without weights_only=True (or a raw unpickler) at: {bad}"


def test_checkpoints_of_earlier_versions_still_load_and_export(tmp_path: Path):
    """Before this fix the config was a dict and the numpy RNG state an ndarray: both load with weights_only."""
    import random
    from dataclasses import asdict

    import numpy as np
    import torch

    from training.checkpointing import load_checkpoint, rng_state, set_rng_state
    from training.config import TrainConfig
    from training.train_generator import export
    from w2le_live.models.checkpoint import load_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    gen = Wav2LipGenerator(GeneratorDims(width=0.25))
    old = {
        "model": gen.state_dict(), "optimizer": {}, "step": 7, "config": asdict(TrainConfig(width=0.25)),
        "dims": gen.dims.to_dict(),
        "rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
    }  # fmt: skip
    torch.save(old, tmp_path / "old.pt")
    st = load_checkpoint(tmp_path / "old.pt")
    set_rng_state(st["rng"])
    assert st["step"] == 7 and np.random.get_state()[2] == old["rng"]["numpy"][2]
    model, meta = load_generator(export(tmp_path / "old.pt", tmp_path / "g.safetensors"))
    assert meta.dims.width == 0.25 and "step=7" in meta.notes
    # the new format round-trips the RNG exactly
    np.random.seed(3)
    saved = rng_state()
    a = np.random.rand(3)
    set_rng_state(saved)
    assert np.array_equal(a, np.random.rand(3))
