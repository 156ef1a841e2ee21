"""``w2le-train eval``: emotion change vs the human baseline (two judges), FID, and LSE-D/LSE-C."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from w2le_live import validation
from w2le_live.errors import UserError

EMOTION_PAIR_HELP = "comma-separated SOURCE:TARGET emotion pairs, e.g. neutral:happy,neutral:sad"


def check_emotion(name: str, destination: bool) -> str:
    """A known emotion (``w2le_live.config.EMOTIONS``); a destination must also be one both judges score (the
    classifiers have no 'contempt' class). Anything else is one UserError."""
    from w2le_live.config import EMOTIONS
    from w2le_live.models.facex_judge import TARGET_TO_FACEX

    # the FER judge maps the same names; importing its module would load torch just to check a name
    judged = [e for e in EMOTIONS if e in TARGET_TO_FACEX]
    if name not in EMOTIONS:
        raise UserError(f"'{name}' is not an emotion; use one of: {', '.join(EMOTIONS)}.")
    if destination and name not in judged:
        raise UserError(
            f"'{name}' cannot be a destination because the judges have no such class; use one of: {', '.join(judged)}."
        )
    return name


def emotion_pairs(text: str) -> str:
    """``type=`` for --emotions: comma-separated ``a:b`` pairs of known emotion names."""
    for spec in text.split(","):
        parts = spec.strip().split(":")
        if len(parts) != 2 or not all(re.fullmatch(r"[a-z]+", x) for x in parts):
            raise argparse.ArgumentTypeError(f"'{spec}' is not SOURCE:TARGET; give {EMOTION_PAIR_HELP}")
        for x, destination in zip(parts, (False, True)):
            try:
                check_emotion(x, destination)
            except UserError as exc:
                raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
    return text


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument(
        "--mead",
        type=validation.existing_folder,
        default=None,
        help="folder of MEAD-style clips <ACTOR>_front_<emotion>_level<N>_<id>.mp4 to pair up",
    )
    p.add_argument(
        "--pair", nargs=4, action="append", default=[], metavar=("SRC", "DST", "SRC_EMOTION", "DST_EMOTION")
    )
    p.add_argument(
        "--emotions",
        type=emotion_pairs,
        default="neutral:happy,neutral:sad,sad:neutral",
        help="pairs to build from --mead: " + EMOTION_PAIR_HELP,
    )
    p.add_argument(
        "--model", default=None, help="generator checkpoint; omit to evaluate the landmark translator"
    )
    p.add_argument("--syncnet", default=None, help="SyncNet training checkpoint for LSE-D/LSE-C (ours)")
    p.add_argument("--facex", default=None, help="facex model_optimized.tflite (default: $W2LE_FACEX_MODEL)")
    p.add_argument("--max-frames", type=validation.positive_int, default=100)
    p.add_argument("-o", "--out", required=True, help="report folder (report.md, report.json, grids)")
    p.set_defaults(func=run)


def mead_pairs(folder: str, emotions: str) -> list[tuple[str, str, str, str]]:
    clips: dict[tuple[str, str], str] = {}
    for f in sorted(Path(folder).glob("*_front_*.mp4")):
        m = re.match(r"([A-Z]\d+)_front_([a-z]+)_level\d_\d+", f.stem)
        if m:
            clips[(m.group(1), m.group(2))] = str(f)
    out = []
    for spec in emotions.split(","):
        a, b = (x.strip() for x in spec.split(":"))
        for (actor, emo), path in sorted(clips.items()):
            if emo == a and (actor, b) in clips:
                out.append((path, clips[(actor, b)], a, b))
    return out


def run(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate_pairs
    from w2le_live.translators import make_translator

    pairs = [tuple(p) for p in args.pair] + (mead_pairs(args.mead, args.emotions) if args.mead else [])
    if args.mead and not pairs:
        raise UserError(
            f"no clip pair in {args.mead} matches --emotions {args.emotions}; the folder needs clips named "
            "<ACTOR>_front_<emotion>_level<N>_<id>.mp4 for both emotions of a pair."
        )
    if not pairs:
        raise UserError("nothing to evaluate; pass --mead FOLDER or --pair SRC DST SRC_EMOTION DST_EMOTION.")
    for src, dst, e_src, e_dst in pairs:
        for clip in (src, dst):
            if not Path(clip).is_file():
                raise UserError(f"the clip {clip} does not exist; check the --pair paths.")
        check_emotion(e_src, destination=False)
        check_emotion(e_dst, destination=True)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out} is a file; pass a folder for the report.")
    # the report folder (created with its parents): writable, and never an input or inside a profile
    validation.check_outputs(
        folders=[("-o", out)],
        reads=[*(("--pair", c) for p in pairs for c in p[:2]), ("--model", args.model), ("--syncnet", args.syncnet),
               ("--facex", args.facex), ("--mead", args.mead)],
    )  # fmt: skip
    syncnet = None
    if args.syncnet:
        from training.checkpointing import load_syncnet

        syncnet = load_syncnet(args.syncnet)
    created = not out.exists()
    try:
        results = evaluate_pairs(pairs, lambda: make_translator(args.model), args.out, syncnet=syncnet,
                                 facex_path=args.facex, max_frames=args.max_frames)  # fmt: skip
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a failed run leaves no empty report folder behind
        raise
    print((Path(args.out) / "report.md").read_text(), file=sys.stdout)
    print(f"{len(results)} pairs; report in {args.out}", file=sys.stderr)
    return 0
