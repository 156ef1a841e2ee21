"""benchmarks/bench_gpu.py, its CPU-side parts: the timing and median logic, the parity function on real face crops,
the result schema, the one-sentence refusal without CUDA, and a --device cpu dry run of every part end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "bench_gpu.py"


@pytest.fixture(scope="module")
def bench():
    from bench_scripts import load

    return load("bench_gpu")


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "W2LE_CACHE_DIR": str(tmp_path / "cache")}


def test_summary_takes_the_median_and_nearest_rank_percentiles(bench):
    s = bench.summarize([5.0, 1.0, 3.0])
    assert (s["median_ms"], s["min_ms"], s["max_ms"], s["runs"]) == (3.0, 1.0, 5.0, 3)
    assert bench.summarize([4.0, 1.0, 2.0, 3.0])["median_ms"] == 2.5  # even count: mean of the middle two
    s = bench.summarize([float(i) for i in range(1, 12)])  # 1..11
    assert (s["p10_ms"], s["p90_ms"]) == (2.0, 10.0)
    with pytest.raises(ValueError):
        bench.summarize([])


def test_time_runs_warms_up_untimed_and_synchronises_around_each_run(bench):
    calls, syncs = [], []
    ticks = iter([10.0, 10.002, 20.0, 20.005])  # only the timed runs read the clock
    times = bench.time_runs(lambda: calls.append(1), runs=2, warmup=3, sync=lambda: syncs.append(1),
                            clock=lambda: next(ticks))  # fmt: skip
    assert len(calls) == 5 and len(syncs) == 3  # once after warm-up, once after each timed run
    assert times == pytest.approx([2.0, 5.0])
    with pytest.raises(ValueError):
        bench.time_runs(lambda: None, runs=0, warmup=0)


def test_parity_on_real_crops_on_the_cpu(bench, shared_data, tmp_path):
    from w2le_live.backends.torch_backend import TorchBackend

    crops = bench.real_crops(shared_data / "talking" / "lrs3" / "00002.mp4", 2)
    assert len(crops) == 2
    faces, mels = crops[0]
    assert (
        faces.shape == (1, 6, 96, 96)
        and faces.dtype == np.float32
        and 0.0 <= faces.min() <= faces.max() <= 1.0
    )
    assert mels.shape == (1, 1, 80, 16) and faces.std() > 0.05  # a real face, not a blank frame
    ckpt = bench.make_checkpoint(0.25, tmp_path)
    ref = bench.cpu_fp32_reference(ckpt)
    fused = TorchBackend(str(ckpt)).load()  # BN folded + channels_last: same numbers up to summation order
    assert bench.max_abs_diff(fused.run, ref, crops) <= 1e-4
    # the function really measures: an output off by 0.05 somewhere is reported as such
    off = bench.max_abs_diff(lambda f, m: ref(f, m) + np.where(np.arange(96) == 7, 0.05, 0.0), ref, crops)
    assert off == pytest.approx(0.05, abs=1e-6)
    half = TorchBackend(str(ckpt), precision="fp16").load()  # fp16 needs CUDA: falls back to fp32 on the CPU
    assert half.precision == "fp32" and half.describe().startswith("torch cpu fp32")


def test_schema_validation_names_what_is_missing(bench):
    assert "missing key machine" in bench.validate({"schema": bench.SCHEMA})
    ok_parts = {k: {"error": "x"} for k in ("machine", "auto", "live", "pytest")}
    result = {
        **dict.fromkeys(bench.TOP_KEYS),
        **ok_parts,
        "schema": bench.SCHEMA,
        "generator": [{"width": 1.0}],
    }
    probs = bench.validate(result)
    assert probs and all(
        p.startswith("generator[0] lacks") for p in probs
    )  # failed parts are allowed as errors


def test_pytest_summary_is_parsed(bench):
    out = (
        "SKIPPED [1] tests/test_tensorrt_gpu.py:28: TensorRT is not installed (pip install 'w2le-live[gpu-cu12]')\n"
        "SKIPPED [2] tests/test_x.py: needs an NVIDIA GPU with CUDA; none on this machine\n"
        "1 failed, 4 passed, 3 skipped, 120 deselected, 1 error in 9.1s\n"
    )
    r = bench.parse_pytest(out)
    assert (r["passed"], r["failed"], r["skipped"], r["deselected"], r["errors"]) == (4, 1, 3, 120, 1)
    assert r["skip_reasons"] == [
        "TensorRT is not installed (pip install 'w2le-live[gpu-cu12]')",
        "needs an NVIDIA GPU with CUDA; none on this machine",
    ]


def test_without_cuda_it_says_so_in_one_sentence(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the refusal is for machines without one")
    r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, env=_env(tmp_path),
                       cwd=tmp_path)  # fmt: skip
    err = r.stderr.strip()
    assert r.returncode == 2 and r.stdout == ""
    assert "\n" not in err and err.startswith("no CUDA GPU is visible to torch") and err.endswith(".")
    assert "--device cpu" in err and "Traceback" not in err


def test_cpu_dry_run_exercises_every_part_end_to_end(bench, shared_data, tmp_path):
    out = tmp_path / "r.json"
    cmd = [sys.executable, str(SCRIPT), "--device", "cpu", "--quick", "--widths", "0.25", "--live-width", "0.25",
           "--runs", "2", "--live-seconds", "2", "--out", str(out)]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=_env(tmp_path), cwd=REPO)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert bench.validate(res) == [] and res["errors"] == [] and res["dry_run"] is True
    (row,) = res["generator"]
    assert (row["width"], row["precision"], row["device"], row["runs"]) == (0.25, "fp32", "cpu", 2)
    assert row["parity_ok"] and row["max_abs_diff_vs_cpu_fp32"] <= 1e-4 and row["median_ms"] > 0
    assert "no CUDA GPU is available" in res["auto"]["skipped"] and res["auto"]["choice"] in (
        "openvino",
        "onnxruntime",
        "torch",
    )
    assert any(
        "no CUDA GPU is available" in line for line in res["auto"]["log"]
    )  # what auto logs is recorded
    assert res["live"]["frames_out"] > 0 and "on torch cpu" in res["live"]["translator"]
    py = res["pytest"]
    assert py["rc"] == 0 and py["skipped"] >= 1 and py["failed"] == 0
    assert any("NVIDIA GPU" in s for s in py["skip_reasons"])
    assert res["machine"]["torch"] and res["machine"]["gpu_name"] is None


def test_device_script_parses_and_refuses_outside_the_device(tmp_path):
    script = REPO / "benchmarks" / "bench_gpu_device.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    env = {k: v for k, v in _env(tmp_path).items() if k != "OUT"}
    r = subprocess.run(["bash", str(script), "run"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode != 0 and "run this on the device machine" in r.stderr
    r = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "usage:" in r.stderr
