"""``w2le-live export CKPT -o OUT.onnx [--int8 --calib VIDEO...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from w2le_live import validation
from w2le_live.errors import UserError


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("checkpoint", help="generator checkpoint (.safetensors or original .pth)")
    p.add_argument("-o", "--output", type=validation.output_file, required=True, help="output .onnx path")
    p.add_argument("--batch", type=validation.batch, default=1, help="static batch size (default 1)")
    p.add_argument("--dynamic-batch", action="store_true", help="dynamic batch axis instead of a static one")
    p.add_argument(
        "--opset",
        type=validation.opset,
        default=17,
        help=f"ONNX opset {validation.OPSET_RANGE[0]}-{validation.OPSET_RANGE[1]}",
    )
    p.add_argument("--int8", action="store_true", help="static int8 (QDQ) calibrated on --calib videos")
    p.add_argument("--calib", nargs="+", default=[], help="videos (or folders of videos) with real faces")
    p.add_argument("--calib-frames", type=validation.positive_int, default=64)
    p.set_defaults(func=run)


def _videos(items: list[str]) -> list[Path]:
    out: list[Path] = []
    for it in items:
        p = Path(it)
        if p.is_dir():
            out += sorted(
                q
                for q in p.iterdir()
                if q.suffix.lower() in (".mp4", ".mov", ".mkv", ".avi", ".mpg", ".webm")
            )
        elif p.is_file():
            out.append(p)
        else:
            raise UserError(
                f"calibration input {p} does not exist; pass videos or folders of videos with faces."
            )
    return out


def run(args: argparse.Namespace) -> int:
    from engines.onnx_export import export_onnx
    from w2le_live.models.checkpoint import load_generator

    out = Path(args.output)
    if out.suffix.lower() != ".onnx":
        raise UserError(
            f"-o {out} does not end in .onnx; name the output file e.g. {out.with_suffix('.onnx').name}."
        )
    # the int8 run also keeps the fp32 model beside it
    fp32 = out.with_name(out.stem + ".fp32.onnx") if args.int8 else None
    validation.check_outputs(  # before any work
        files=[("-o", out), ("the fp32 copy", fp32)],
        reads=[("the checkpoint", args.checkpoint), *(("--calib", c) for c in args.calib)],
    )
    model, meta = load_generator(args.checkpoint)
    if args.int8:
        videos = _videos(args.calib)
        if not videos:
            raise UserError("--int8 needs --calib videos with real faces to calibrate on.")
        from engines.quantize import calibration_batches, quantize_int8

        batches = list(calibration_batches(videos, max_frames=args.calib_frames, mask_mode=meta.mask_mode))
        if not batches:
            raise UserError("no face was found in the --calib videos; pass videos that show a face.")
        export_onnx(model, fp32, batch=1, opset=args.opset, meta_json=meta.to_json())
        quantize_int8(fp32, out, batches)
        print(f"wrote {out} (int8, calibrated on {len(batches)} real face crops) and {fp32}", file=sys.stderr)
    else:
        export_onnx(
            model,
            out,
            batch=args.batch,
            dynamic_batch=args.dynamic_batch,
            opset=args.opset,
            meta_json=meta.to_json(),
        )
        print(f"wrote {out}", file=sys.stderr)
    return 0
