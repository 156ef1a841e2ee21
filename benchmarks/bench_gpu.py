"""The GPU path on a real NVIDIA GPU, in one run (< 8 minutes), written to ONE JSON under benchmarks/results/.

    python benchmarks/bench_gpu.py                          # on a CUDA machine: everything below
    python benchmarks/bench_gpu.py --device cpu --quick     # dry run of every part on the CPU (what the tests run)

Parts, each recorded even when another one fails (a failing part is an ``{"error": ...}`` entry, exit code 1):
1. machine: GPU name, driver, CUDA and cuDNN of torch, torch and TensorRT versions (and TensorRT's CUDA build).
2. auto: what ``--backend auto`` picks here, every skip reason it logs, and what it opens (``describe()``).
3. generator: width 1.0 and 0.5, fp32 and fp16 (fp16 on CUDA only), batch 1, through the torch backend: median
   ms/frame over >= 200 timed runs after warm-up (each run ends with the output on the host, so it includes both
   copies and the synchronisation), and the max abs difference against CPU fp32 (plain eager torch) on real face
   crops from a shared/data clip, cut by the runtime's own crop path (frame step + face/generator_input.py).
4. live: the live pipeline for 30 s with a clip looping as a 640x480 25 fps camera and the neural translator on the
   GPU (``--backend torch``; auto puts torch on CUDA): fps, capture-to-output latency p50/p95, stage times.
5. pytest: ``pytest -m requires_cuda tests`` (TensorRT tests skip with their reason where TensorRT is absent).

Weights are initialised (seeded): speed does not depend on values and no trained checkpoint is shipped; parity is
numerical agreement between devices/precisions on real inputs, not output quality.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
DATA = Path(os.environ.get("W2LE_SHARED_DATA") or REPO.parent / "shared" / "data")  # as tests/conftest.py
DEFAULT_CLIP = DATA / "talking" / "lrs3" / "00002.mp4"
LIVE_CLIP = DATA / "talking" / "web" / "retalking_1.mp4"
PARTS = ("machine", "auto", "generator", "live", "pytest")
SCHEMA = "w2le-bench-gpu/1"
WIDTHS = (1.0, 0.5)
# agreement with CPU fp32 that counts as "same model": fp32 kernels differ in summation order only; fp16 (10-bit
# mantissa) through ~20 layers stays within the TensorRT test's 2e-2 on outputs in [0, 1]
PARITY_LIMITS = {"fp32": 1e-3, "fp16": 2e-2}
TOP_KEYS = ("schema", "date_utc", "command", "device", "dry_run", "machine", "auto", "generator", "live", "pytest",
            "elapsed_s", "errors")  # fmt: skip
MACHINE_KEYS = ("gpu_name", "driver", "cuda_torch", "cudnn", "torch", "tensorrt", "tensorrt_cuda",
                "compute_capability", "python", "platform", "cpu_count")  # fmt: skip
GENERATOR_KEYS = ("width", "precision", "device", "batch", "runs", "warmup", "median_ms", "p10_ms", "p90_ms",
                  "min_ms", "max_ms", "crops", "max_abs_diff_vs_cpu_fp32", "parity_limit", "parity_ok", "describe")  # fmt: skip
LIVE_KEYS = ("clip", "seconds", "translator", "fps_out", "latency_ms_p50", "latency_ms_p95", "stage_ms",
             "frames_in", "frames_out", "dropped", "passthrough", "errors")  # fmt: skip
PYTEST_KEYS = ("command", "rc", "passed", "failed", "skipped", "errors", "skip_reasons", "seconds")

log = logging.getLogger("bench_gpu")


def no_cuda_sentence(torch_version: str, torch_cuda: Optional[str]) -> str:
    """The one sentence printed when there is no CUDA GPU."""
    build = f"a CUDA {torch_cuda} build" if torch_cuda else "a CPU-only build"
    return (
        f"no CUDA GPU is visible to torch {torch_version} ({build}); run this on an NVIDIA machine with a CUDA "
        "torch, or pass --device cpu for a dry run of the CPU-side parts."
    )


# ---- timing ------------------------------------------------------------------------------------------------------


def time_runs(fn: Callable[[], object], runs: int, warmup: int, sync: Callable[[], None] = lambda: None,
              clock: Callable[[], float] = time.perf_counter) -> list[float]:  # fmt: skip
    """Call ``fn`` ``warmup`` times untimed, then ``runs`` times timed; returns ms per call.

    ``sync`` runs before the clock starts and after ``fn`` returns (a device synchronisation), so queued GPU work is
    never credited to the wrong run.
    """
    if runs < 1 or warmup < 0:
        raise ValueError(f"runs must be >= 1 and warmup >= 0, got runs={runs} warmup={warmup}")
    for _ in range(warmup):
        fn()
    sync()
    out = []
    for _ in range(runs):
        t0 = clock()
        fn()
        sync()
        out.append((clock() - t0) * 1000.0)
    return out


def summarize(times_ms: Sequence[float]) -> dict:
    """median / p10 / p90 / min / max (ms) and the count; the median is the figure quoted."""
    if not times_ms:
        raise ValueError("no timings to summarise")
    xs = sorted(times_ms)

    def pct(q: float) -> float:  # nearest rank
        return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]

    return {"median_ms": statistics.median(xs), "p10_ms": pct(0.10), "p90_ms": pct(0.90), "min_ms": xs[0],
            "max_ms": xs[-1], "runs": len(xs)}  # fmt: skip


# ---- real crops and parity ---------------------------------------------------------------------------------------


def real_crops(clip: Path, n: int, mask_mode: str = "half") -> list[tuple]:
    """``n`` generator inputs from a real clip through the runtime's crop path (FrameStep tracking + the clip's mel
    window + face/generator_input.py): [(faces (1, 6, 96, 96) float32 in [0, 1], mels (1, 1, 80, 16) float32)]."""
    from engines.quantize import (
        calibration_batches,
    )  # the frame step + generator-input contract, nothing else

    crops = list(calibration_batches([clip], n, mask_mode=mask_mode))
    if not crops:
        raise RuntimeError(f"no face was found in {clip}")
    return crops


def max_abs_diff(run: Callable, reference: Callable, crops: Sequence[tuple]) -> float:
    """Largest |run(faces, mels) - reference(faces, mels)| over all crops; both return (B, 3, 96, 96) float32."""
    import numpy as np

    worst = 0.0
    for faces, mels in crops:
        a, b = np.asarray(run(faces, mels), np.float32), np.asarray(reference(faces, mels), np.float32)
        if a.shape != b.shape:
            raise ValueError(f"output shapes differ: {a.shape} vs {b.shape}")
        worst = max(worst, float(np.abs(a - b).max()))
    return worst


def cpu_fp32_reference(ckpt: Path) -> Callable:
    """Plain eager torch on the CPU in fp32 (no folding, no channels_last): the reference every path is held to."""
    import torch

    from w2le_live.models.checkpoint import load_generator

    model = load_generator(ckpt)[0].eval()

    def ref(faces, mels):
        with torch.inference_mode():
            return model(torch.from_numpy(mels), torch.from_numpy(faces)).numpy()

    return ref


def make_checkpoint(width: float, work: Path) -> Path:
    """A seeded, initialised generator of ``width`` saved the way users' checkpoints are."""
    import torch

    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    torch.manual_seed(0)
    m = Wav2LipGenerator(GeneratorDims(width=width)).eval()
    return save_generator(work / f"g_w{width}.safetensors", m, ModelMeta(dims=m.dims, target_emotion="happy"))


def bench_generator(ckpt: Path, width: float, device: str, precision: str, crops, reference, runs: int,
                    warmup: int) -> dict:  # fmt: skip
    from w2le_live.backends.torch_backend import TorchBackend

    be = TorchBackend(str(ckpt), device=device, precision=precision).load()
    sync = _cuda_sync if be.cuda else (lambda: None)
    faces, mels = crops[0]
    row = {"width": width, "precision": be.precision, "device": be.device, "batch": 1, "warmup": warmup,
           "crops": len(crops), "describe": be.describe()}  # fmt: skip
    row.update(summarize(time_runs(lambda: be.run(faces, mels), runs, warmup, sync)))
    row["max_abs_diff_vs_cpu_fp32"] = max_abs_diff(be.run, reference, crops)
    row["parity_limit"] = PARITY_LIMITS[be.precision]
    row["parity_ok"] = row["max_abs_diff_vs_cpu_fp32"] <= row["parity_limit"]
    return row


def _cuda_sync() -> None:
    import torch

    torch.cuda.synchronize()


# ---- the other parts ---------------------------------------------------------------------------------------------


def machine_info(device: str) -> dict:
    import torch

    info = dict.fromkeys(MACHINE_KEYS)
    info.update(torch=torch.__version__, cuda_torch=torch.version.cuda, python=platform.python_version(),
                platform=platform.platform(), cpu_count=os.cpu_count())  # fmt: skip
    if torch.backends.cudnn.is_available():
        info["cudnn"] = torch.backends.cudnn.version()
    try:
        import tensorrt

        from w2le_live.backends.cuda_select import tensorrt_cuda_major

        info["tensorrt"], info["tensorrt_cuda"] = tensorrt.__version__, tensorrt_cuda_major()
    except Exception as exc:  # noqa: BLE001 - absent or broken: say which
        info["tensorrt"] = f"not importable ({type(exc).__name__}: {str(exc)[:120]})"
    if device == "cuda":
        major, minor = torch.cuda.get_device_capability(0)
        info["gpu_name"], info["compute_capability"] = torch.cuda.get_device_name(0), f"{major}.{minor}"
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=20)  # fmt: skip
            info["driver"] = (
                out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
            )
        except (OSError, subprocess.TimeoutExpired):
            info["driver"] = None
    return info


def auto_selection(ckpt: Path, open_it: bool = True) -> dict:
    """What ``--backend auto`` picks for a checkpoint here, the reasons it logs, and (``open_it``) what it opens."""
    from w2le_live.backends.cuda_select import choose_gpu_path, probe_environment
    from w2le_live.backends.select import auto_choice, open_backend

    lines: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record):
            lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    handler, logger = _Keep(logging.INFO), logging.getLogger("w2le_live.backends")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        env = probe_environment()
        path, skipped = choose_gpu_path(**env)
        choice = auto_choice(".safetensors", env)
        if choice == "tensorrt":  # opening would build an engine (minutes); the pytest part builds one
            opened = "not opened here: auto would build a TensorRT engine on first use (see the pytest part)"
        elif not open_it:
            opened = "not opened (--quick)"
        else:
            opened = open_backend(ckpt, "auto").describe()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return {"path": path, "choice": choice, "skipped": skipped, "opened": opened, "log": lines,
            "env": {k: list(v) if isinstance(v, tuple) else v for k, v in env.items()}}  # fmt: skip


def live_run(clip: Path, seconds: float, ckpt: Path) -> dict:
    """The live loop: ``clip`` looping as a 640x480 25 fps camera, the neural translator on torch (CUDA when there
    is one), a null sink; stats after ``seconds``."""
    from w2le_live.audio.ring import AudioRing
    from w2le_live.io.sinks import NullSink
    from w2le_live.io.sources import FileSource
    from w2le_live.pipeline import Pipeline
    from w2le_live.translators.neural import NeuralTranslator

    translator = NeuralTranslator(str(ckpt), backend="torch")
    ring = AudioRing(capacity_s=10)
    st = Pipeline(FileSource(str(clip), audio_ring=ring, loop=True, size=(640, 480)), NullSink(), translator,
                  audio_ring=ring).run_for(seconds)  # fmt: skip
    return {"clip": str(clip), "seconds": seconds, "translator": translator.describe(), "fps_out": st.fps_out,
            "latency_ms_p50": st.latency_ms_p50, "latency_ms_p95": st.latency_ms_p95,
            "stage_ms": {k: list(v) for k, v in st.stage_ms.items()}, "frames_in": st.frames_in,
            "frames_out": st.frames_out, "dropped": st.dropped, "passthrough": st.passthrough, "errors": st.errors}  # fmt: skip


def parse_pytest(output: str) -> dict:
    """Counts from pytest's closing line and the ``-rs`` skip reasons."""
    tail = output.strip().splitlines()[-1] if output.strip() else ""
    counts = {k: int(m.group(1)) if (m := re.search(rf"(\d+) {k}", tail)) else 0
              for k in ("passed", "failed", "skipped", "errors", "deselected")}  # fmt: skip
    counts["errors"] += int(m.group(1)) if (m := re.search(r"(\d+) error\b", tail)) else 0
    counts["skip_reasons"] = sorted({m.group(1).strip() for m in re.finditer(r"^SKIPPED \[\d+\] [^:]+(?::\d+)?: (.+)$",
                                                                         output, re.M)})  # fmt: skip
    return counts


def run_cuda_tests(targets: Sequence[str], timeout: float) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "requires_cuda",
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        *targets,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        out, rc = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired as exc:
        out, rc = (
            (exc.stdout or b"").decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else (exc.stdout or ""),
            124,
        )
    res = {"command": " ".join(["python", *cmd[1:]]), "rc": rc, "seconds": round(time.monotonic() - t0, 1)}
    res.update(parse_pytest(out))
    res["tail"] = out.strip().splitlines()[-15:]
    return res


# ---- the result file ---------------------------------------------------------------------------------------------


def validate(result: dict) -> list[str]:
    """Problems with a result's shape (empty when it follows the schema); a part may be {"error": ...} instead."""
    probs = [f"missing key {k}" for k in TOP_KEYS if k not in result]
    if result.get("schema") != SCHEMA:
        probs.append(f"schema is {result.get('schema')!r}, not {SCHEMA!r}")

    def check(part, keys, where):
        if isinstance(part, dict) and "error" in part:
            return
        if not isinstance(part, dict):
            probs.append(f"{where} is not an object")
            return
        probs.extend(f"{where} lacks {k}" for k in keys if k not in part)

    check(result.get("machine"), MACHINE_KEYS, "machine")
    check(result.get("live"), LIVE_KEYS, "live")
    check(result.get("pytest"), PYTEST_KEYS, "pytest")
    gen = result.get("generator")
    if isinstance(gen, dict) and "error" in gen:
        pass
    elif not isinstance(gen, list) or not gen:
        probs.append("generator is not a non-empty list")
    else:
        for i, row in enumerate(gen):
            check(row, GENERATOR_KEYS, f"generator[{i}]")
    return probs


def default_out(device: str, machine: dict) -> Path:
    if device == "cpu":
        return REPO / "out" / "bench_gpu_cpu_dry_run.json"
    slug = re.sub(r"[^a-z0-9]+", "-", (machine.get("gpu_name") or "gpu").lower()).strip("-")
    return RESULTS / f"gpu_{slug}_{dt.datetime.now(dt.timezone.utc):%Y%m%d}.json"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                    help="cuda (default; exits with one sentence when there is none) or cpu for a dry run")  # fmt: skip
    ap.add_argument(
        "--quick", action="store_true", help="few runs/crops, 4 s live, only tests/test_tensorrt_gpu.py"
    )
    ap.add_argument(
        "--runs", type=int, default=None, help="timed runs per configuration (default 200; quick 5)"
    )
    ap.add_argument("--clip", default=str(DEFAULT_CLIP), help="clip the parity crops come from")
    ap.add_argument("--live-clip", default=str(LIVE_CLIP))
    ap.add_argument("--live-seconds", type=float, default=None, help="default 30 (quick 4)")
    ap.add_argument("--live-width", type=float, default=1.0)
    ap.add_argument(
        "--widths", default=",".join(map(str, WIDTHS)), help="generator widths to time (comma-separated)"
    )
    ap.add_argument(
        "--budget-s", type=float, default=460.0, help="the whole run stays under this (8 min incl. start)"
    )
    ap.add_argument(
        "--parts", default=",".join(PARTS), help="parts to run, e.g. generator,live (machine always)"
    )
    ap.add_argument(
        "--out", default=None, help="JSON path (default benchmarks/results/gpu_<gpu>_<date>.json)"
    )
    args = ap.parse_args(argv)
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch initialises CUDA: every part stays on the CPU
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print(no_cuda_sentence(torch.__version__, torch.version.cuda), file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    t_start = time.monotonic()
    runs = args.runs or (5 if args.quick else 200)
    warmup = 1 if args.quick else 30
    n_crops = 4 if args.quick else 16
    live_s = args.live_seconds or (4.0 if args.quick else 30.0)
    result = {"schema": SCHEMA, "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "command": " ".join(["python", "benchmarks/bench_gpu.py", *(argv if argv is not None else sys.argv[1:])]),
              "device": args.device, "dry_run": args.device == "cpu", "errors": []}  # fmt: skip
    out: Optional[Path] = Path(args.out) if args.out else None

    wanted = {"machine", *args.parts.split(",")}
    unknown = wanted - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")

    def part(name: str, fn: Callable):
        if name not in wanted:
            result[name] = {"error": "not run (--parts)"}
            return None
        t0 = time.monotonic()
        print(f"[{time.monotonic() - t_start:5.0f} s] {name} ...", flush=True)
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - one broken part must not lose the others' figures
            log.exception("%s failed", name)
            value = {"error": f"{type(exc).__name__}: {str(exc)[:400]}"}
            result["errors"].append(f"{name}: {value['error']}")
        result[name] = value
        result["elapsed_s"] = round(time.monotonic() - t_start, 1)
        save()
        print(
            f"[{time.monotonic() - t_start:5.0f} s] {name} done in {time.monotonic() - t0:.0f} s", flush=True
        )
        return value

    def save():
        nonlocal out
        if out is None:
            out = default_out(args.device, result.get("machine") or {})
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")

    with tempfile.TemporaryDirectory() as td:
        work = Path(td)
        part("machine", lambda: machine_info(args.device))
        widths = tuple(float(w) for w in args.widths.split(","))
        ckpts = {w: make_checkpoint(w, work) for w in widths}
        part("auto", lambda: auto_selection(ckpts[widths[-1]], open_it=not args.quick))

        def generator_rows():
            crops = real_crops(Path(args.clip), n_crops)
            rows = []
            for w in widths:
                ref = cpu_fp32_reference(ckpts[w])
                for prec in ("fp32", "fp16") if args.device == "cuda" else ("fp32",):
                    try:
                        rows.append(bench_generator(ckpts[w], w, args.device, prec, crops, ref, runs, warmup))
                    except Exception as exc:  # noqa: BLE001 - keep the other configurations
                        log.exception("width %s %s failed", w, prec)
                        rows.append(
                            {"width": w, "precision": prec, "error": f"{type(exc).__name__}: {exc}"[:400]}
                        )
                        result["errors"].append(f"generator width {w} {prec}: {rows[-1]['error']}")
                    print(f"    width {w} {prec}: {json.dumps(rows[-1], default=str)}", flush=True)
            return rows

        part("generator", generator_rows)
        live_ckpt = ckpts.get(args.live_width) or make_checkpoint(args.live_width, work)
        part("live", lambda: live_run(Path(args.live_clip), live_s, live_ckpt))
        left = args.budget_s - (time.monotonic() - t_start)
        targets = ["tests/test_tensorrt_gpu.py"] if args.quick else ["tests"]
        part("pytest", lambda: run_cuda_tests(targets, timeout=max(30.0, left)))
    if "pytest" in wanted and (result["pytest"].get("failed") or result["pytest"].get("rc") not in (0, 5)):
        result["errors"].append(f"pytest -m requires_cuda: rc {result['pytest'].get('rc')}")
    problems = validate(result)
    result["errors"].extend(f"schema: {p}" for p in problems)
    save()
    print(f"wrote {out} in {time.monotonic() - t_start:.0f} s; {len(result['errors'])} problem(s)")
    for e in result["errors"]:
        print(f"  - {e}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
