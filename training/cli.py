"""``w2le-train``: preprocess | splits | syncnet | generator | export."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence


def get_args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="w2le-train",
        description="Train Wav2Lip-Emotion models (CPU smoke runs or multi-GPU with torchrun).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    pre = sub.add_parser(
        "preprocess", help="crops, masks, audio and mel from MEAD or <person>/<emotion>/<clip>.mp4"
    )
    pre.add_argument("source")
    pre.add_argument("--out", required=True)
    pre.add_argument("--workers", type=int, default=2)
    pre.add_argument("--seed", type=int, default=0, help="seed of the actor split written to OUT/splits.json")
    for name in ("syncnet", "generator"):
        t = sub.add_parser(name, help=f"train the {name}")
        t.add_argument("--config", default=None, help="JSON or YAML file of TrainConfig fields")
        t.add_argument("--resume", action="store_true", help="continue from OUT/<name>_latest.pt exactly")
        t.add_argument("--max-steps", type=int, default=None)
        t.add_argument("overrides", nargs="*", help="key=value, e.g. width=0.5 target_emotion=happy")
    ex = sub.add_parser("export", help="training checkpoint -> runtime .safetensors for w2le-live --model")
    ex.add_argument("checkpoint")
    ex.add_argument("-o", "--output", required=True)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    from w2le_live.errors import UserError

    args = get_args_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        if args.command == "preprocess":
            from training.preprocess import preprocess
            from training.splits import write_splits

            rows = preprocess(args.source, args.out, workers=args.workers)
            if not rows:
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
            mod = __import__(f"training.train_{args.command}", fromlist=["train"])
            hist = mod.train(cfg, resume=args.resume, max_steps=args.max_steps)
            if hist:
                print(f"{args.command}: step {hist[-1]['step']}, last {hist[-1]}", file=sys.stderr)
        elif args.command == "export":
            from training.train_generator import export

            print(f"wrote {export(args.checkpoint, args.output)}", file=sys.stderr)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
