"""``w2le-live build-engine CKPT``: compile a TensorRT engine (NVIDIA GPUs) into the engine cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from w2le_live import validation


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("checkpoint", help="generator checkpoint (.safetensors or original .pth)")
    prec = p.add_mutually_exclusive_group()
    prec.add_argument("--fp16", action="store_true", help="fp16 engine (default)")
    prec.add_argument("--fp32", action="store_true", help="fp32 engine")
    prec.add_argument(
        "--int8", action="store_true", help="int8 engine, calibrated on --calib videos (explicit QDQ)"
    )
    p.add_argument("--calib", nargs="+", default=[], help="videos with real faces for --int8 calibration")
    p.add_argument("--batch", type=validation.batch, default=1)
    p.add_argument(
        "--dynamic-batch", action="store_true", help="an optimisation profile from 1 to --max-batch"
    )
    p.add_argument("--max-batch", type=validation.batch, default=8)
    p.add_argument("--workspace", type=validation.positive_int, default=1024, help="builder workspace in MB")
    p.add_argument("--out", default=None, help="also copy the engine to this file or folder")
    p.add_argument("--via", choices=("tensorrt", "torch2trt"), default="tensorrt")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engines.trt_build import BuildConfig, build_engine, build_via_torch2trt
    from w2le_live.errors import UserError

    precision = "int8" if args.int8 else ("fp32" if args.fp32 else "fp16")
    if args.dynamic_batch and args.max_batch < args.batch:
        raise UserError(
            f"--max-batch {args.max_batch} is smaller than --batch {args.batch}; raise --max-batch."
        )
    if args.out:  # a file, or an existing folder the engine is copied into (under its cache name)
        kind = "folders" if Path(args.out).is_dir() else "files"
        validation.check_outputs(
            **{kind: [("--out", args.out)]},
            reads=[("the checkpoint", args.checkpoint), *(("--calib", c) for c in args.calib)],
        )
    cfg = BuildConfig(precision=precision, batch=args.batch, dynamic_batch=args.dynamic_batch, max_batch=args.max_batch,
                      workspace_mb=args.workspace, calib_videos=tuple(args.calib))  # fmt: skip
    if args.via == "torch2trt":
        if not args.out:
            raise UserError("--via torch2trt needs --out PATH.engine.")
        path = build_via_torch2trt(args.checkpoint, args.out, cfg)
    else:
        path = build_engine(args.checkpoint, args.out, cfg, progress=lambda m: print(m, file=sys.stderr))
    print(f"engine: {path}", file=sys.stderr)
    return 0
