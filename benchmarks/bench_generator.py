"""Generator speed per backend, precision, batch and width: medians with min/max, GFLOPs, ratios to torch eager.

Each configuration runs in its own subprocess (torch, ONNX Runtime and OpenVINO slow each other down in one
process). Real face crops from a clip are the input when one is given; the timing does not depend on values.

    python benchmarks/bench_generator.py --out out/bench            # all configurations
    python benchmarks/bench_generator.py --quick                    # batch 1 only, fewer repeats
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CONFIGS = (  # (label, backend, precision)
    ("torch eager fp32", "torch-eager", "fp32"),
    ("torch fused+channels_last", "torch", "fp32"),
    ("onnxruntime fp32", "onnxruntime", "fp32"),
    ("onnxruntime int8", "onnxruntime", "int8"),
    ("openvino fp32", "openvino", "fp32"),
    ("openvino int8", "openvino", "int8"),
)


def gflops(width: float) -> float:
    """Multiply-accumulates x 2 of one generator forward at batch 1, counted with forward hooks."""
    import torch

    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    m = Wav2LipGenerator(GeneratorDims(width=width)).eval()
    total = [0]

    def hook(mod, inp, out):
        k = mod.weight.shape[2] * mod.weight.shape[3]
        if isinstance(mod, torch.nn.ConvTranspose2d):
            total[0] += inp[0].numel() * mod.out_channels * k
        else:
            total[0] += out.numel() * (mod.in_channels // mod.groups) * k

    for mod in m.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            mod.register_forward_hook(hook)
    with torch.no_grad():
        m(torch.zeros(1, 1, 80, 16), torch.zeros(1, 6, 96, 96))
    return 2 * total[0] / 1e9


def worker(args) -> None:
    """Time one configuration; prints one JSON line."""
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    work = Path(args.workdir)
    ck = work / f"w{args.width}.safetensors"
    if not ck.exists():
        m = Wav2LipGenerator(GeneratorDims(width=args.width))
        save_generator(ck, m, ModelMeta(dims=m.dims))
    faces = np.random.default_rng(0).random((args.batch, 6, 96, 96), dtype=np.float32)
    mels = np.random.default_rng(1).uniform(-4, 4, (args.batch, 1, 80, 16)).astype(np.float32)
    if args.backend.startswith("torch"):
        from w2le_live.backends.torch_backend import TorchBackend

        be = TorchBackend(str(ck), batch=args.batch, fuse=args.backend == "torch").load()
    else:
        from engines.onnx_export import export_onnx
        from w2le_live.models.checkpoint import load_generator

        onnx_path = work / f"w{args.width}_b{args.batch}.onnx"
        if not onnx_path.exists():
            export_onnx(load_generator(ck)[0], onnx_path, batch=args.batch)
        if args.precision == "int8":
            from engines.quantize import quantize_int8

            q = work / f"w{args.width}_b{args.batch}.int8.onnx"
            if not q.exists():
                calib = [(faces[:].copy(), mels[:].copy()) for _ in range(8)]
                quantize_int8(onnx_path, q, calib)
            onnx_path = q
        if args.backend == "onnxruntime":
            from w2le_live.backends.onnxruntime_backend import OnnxRuntimeBackend

            be = OnnxRuntimeBackend(str(onnx_path), batch=args.batch).load()
        else:
            from w2le_live.backends.openvino_backend import OpenVinoBackend

            be = OpenVinoBackend(str(onnx_path), batch=args.batch).load()
    for _ in range(3):
        be.run(faces, mels)
    per_frame = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        be.run(faces, mels)
        per_frame.append((time.perf_counter() - t) * 1000 / args.batch)
    print(json.dumps({"median": float(np.median(per_frame)), "min": min(per_frame), "max": max(per_frame)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="out/bench_generator")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--workdir", default="")
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    batches = (1,) if args.quick else (1, 4)
    repeats = 10 if args.quick else args.repeats
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for width in (1.0, 0.5):
            for batch in batches:
                for label, backend, precision in CONFIGS:
                    cmd = [sys.executable, __file__, "--worker", "--backend", backend, "--precision", precision,
                           "--batch", str(batch), "--width", str(width), "--workdir", work, "--repeats", str(repeats)]  # fmt: skip
                    r = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
                    if r.returncode != 0:
                        print(f"{label} w{width} b{batch}: FAILED {r.stderr.strip().splitlines()[-1:]}")
                        continue
                    res = json.loads(r.stdout.strip().splitlines()[-1])
                    rows.append({"config": label, "width": width, "batch": batch, **res})
                    print(f"{label:28s} width {width} batch {batch}: {res['median']:6.1f} ms/frame "
                          f"(min {res['min']:.1f}, max {res['max']:.1f})", flush=True)  # fmt: skip
    base = {w: next((r["median"] for r in rows if r["config"] == "torch eager fp32" and r["width"] == w and r["batch"] == 1), None) for w in (1.0, 0.5)}  # fmt: skip
    ref = base[1.0]
    print(f"\nGFLOPs/frame: width 1.0 = {gflops(1.0):.2f}, width 0.5 = {gflops(0.5):.2f}")
    print("speed-up vs torch eager fp32, width 1.0, batch 1 (the original Wav2Lip way), same run:")
    for r in rows:
        r["speedup_vs_torch_eager_w1_b1"] = ref / r["median"] if ref else None
        print(f"  {r['config']:28s} w{r['width']} b{r['batch']}: x{r['speedup_vs_torch_eager_w1_b1']:.2f}")
    (out / "generator.json").write_text(
        json.dumps({"rows": rows, "gflops": {"1.0": gflops(1.0), "0.5": gflops(0.5)}}, indent=2)
    )
    print(f"wrote {out / 'generator.json'}")


if __name__ == "__main__":
    main()
