"""``w2le-train``: preprocess | syncnet | generator | eval | export."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence


def get_args_parser() -> argparse.ArgumentParser:
    from w2le_live.validation import (
        Parser,
        existing_file,
        existing_folder,
        output_file,
        output_folder,
        positive_int,
    )

    p = Parser(
        prog="w2le-train",
        description="Train Wav2Lip-Emotion models (CPU smoke runs or multi-GPU with torchrun).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="native library logs and full tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    pre = sub.add_parser(
        "preprocess", help="crops, masks, audio and mel from MEAD or <person>/<emotion>/<clip>.mp4"
    )
    pre.add_argument(
        "source", type=existing_folder, help="MEAD folder, or <person>/<emotion>/<clip>.mp4 folders"
    )
    pre.add_argument("--out", type=output_folder, required=True, help="folder for the preprocessed clips")
    pre.add_argument("--workers", type=positive_int, default=2)
    pre.add_argument("--seed", type=int, default=0, help="seed of the actor split written to OUT/splits.json")
    for name in ("syncnet", "generator"):
        t = sub.add_parser(name, help=f"train the {name}")
        t.add_argument(
            "--config", type=existing_file, default=None, help="JSON or YAML file of TrainConfig fields"
        )
        t.add_argument("--resume", action="store_true", help="continue from OUT/<name>_latest.pt exactly")
        t.add_argument("--max-steps", type=positive_int, default=None)
        t.add_argument("overrides", nargs="*", help="key=value, e.g. width=0.5 target_emotion=happy")
    from training import eval_command

    eval_command.add_parser(sub, "eval", "evaluate a model: emotion change (two judges), FID, LSE-D/LSE-C")
    ex = sub.add_parser(
        "export", help="training checkpoint -> runtime .safetensors (or .onnx) for w2le-live --model"
    )
    ex.add_argument("checkpoint")
    ex.add_argument(
        "-o",
        "--output",
        type=output_file,
        required=True,
        help="runtime model to write: .safetensors (w2le-live --model) or .onnx",
    )
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse, then run inside :func:`w2le_live.errors.run_cli`: every failure ends as one sentence."""
    from w2le_live.errors import install_sigterm_handler, run_cli
    from w2le_live.quiet import quiet_native_output

    verbose = any(a in ("-v", "--verbose") for a in (sys.argv[1:] if argv is None else argv))
    restore = quiet_native_output(verbose)
    try:
        try:
            args = get_args_parser().parse_args(argv)
        except SystemExit as exc:  # --help, or a bad argument (already printed as one sentence)
            return exc.code if isinstance(exc.code, int) else 2
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s: %(message)s"
        )
        untrap = install_sigterm_handler()
        try:
            return run_cli(lambda: _run(args), verbose=args.verbose)
        finally:
            if argv is not None:
                untrap()
    finally:
        if argv is not None:
            restore()


def _first_missing(path: Path) -> Optional[Path]:
    """The outermost folder of ``path`` that does not exist yet (what ``mkdir(parents=True)`` creates), or None."""
    top = None
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            break
        top = p
    return top


def _run(args: argparse.Namespace) -> int:
    from w2le_live.errors import UserError
    from w2le_live.validation import check_outputs

    if args.command == "preprocess":
        from training.preprocess import preprocess
        from training.splits import write_splits

        check_outputs(folders=[("--out", args.out)], reads=[("the source folder", args.source)])
        new = _first_missing(Path(args.out))  # created (with its parents) by preprocess
        rows = preprocess(args.source, args.out, workers=args.workers)
        if not rows:
            if new is not None:
                shutil.rmtree(
                    new, ignore_errors=True
                )  # this run made it and found nothing: leave nothing behind
            raise UserError(
                f"no clip with a face was found under {args.source}; check the folder layout (see README)."
            )
        s = write_splits(rows, f"{args.out}/splits.json", seed=args.seed)
        print(
            f"{len(rows)} clips; actors train/val/test: {len(s['train'])}/{len(s['val'])}/{len(s['test'])}",
            file=sys.stderr,
        )
    elif args.command in ("syncnet", "generator"):
        from training.config import load_config

        cfg = load_config(args.config, args.overrides)
        check_outputs(
            folders=[("out=", cfg.out)],
            reads=[("data=", cfg.data), ("--config", args.config), ("syncnet_checkpoint=", cfg.syncnet_checkpoint),
                   ("init_checkpoint=", cfg.init_checkpoint)],
        )  # fmt: skip
        mod = __import__(f"training.train_{args.command}", fromlist=["train"])
        hist = mod.train(cfg, resume=args.resume, max_steps=args.max_steps)
        if hist:
            print(f"{args.command}: step {hist[-1]['step']}, last {hist[-1]}", file=sys.stderr)
    elif args.command == "eval":
        return args.func(args)
    elif args.command == "export":
        from training.checkpointing import check_export_suffix, export_generator

        check_outputs(files=[("-o", args.output)], reads=[("the checkpoint", args.checkpoint)])
        check_export_suffix(args.output)
        print(f"wrote {export_generator(args.checkpoint, args.output)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
