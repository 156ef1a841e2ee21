"""``w2le-live translate IN -o OUT``: translate a video file's facial emotion into a new file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from w2le_live import validation
from w2le_live.errors import UserError


def add_parser(sub, name: str, help_text: str) -> None:
    from w2le_live.cli_args import add_translator_args

    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("input", nargs="?", help="input video (any common container/codec, with its audio)")
    p.add_argument("-o", "--output", required=True, help="output .mp4 (written atomically)")
    p.add_argument("--demo", action="store_true", help="use the bundled demo clip (GRID corpus) as input")
    add_translator_args(p)
    p.add_argument(
        "--mask", choices=("half", "full"), default=None, help="override the checkpoint's mask mode"
    )
    p.add_argument(
        "--allow-silence",
        action="store_true",
        help="translate a clip with no audio track using silence (the model loses lip-sync guidance)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from w2le_live.offline import translate_file
    from w2le_live.personal.first_run import check_teachable
    from w2le_live.translators import make_translator, resolve_target
    from w2le_live.translators.base import Controls

    if args.demo:
        from w2le_live.demo import demo_clip_path

        src = demo_clip_path()
    elif args.input:
        src = Path(args.input)
    else:
        raise UserError("no input video given; pass a file path or --demo for the bundled clip.")
    validation.check_range("--intensity", args.intensity, validation.intensity)
    # before any work: the output may not replace the video, the model, or anything in a profile
    (dst,) = validation.check_outputs(
        files=[("-o", args.output)], reads=[("the input video", src), ("--model", args.model)]
    )

    translator = make_translator(
        args.model, kind=args.translator, profile=args.profile, target=args.target, backend=args.backend,
        mask=args.mask,
    )  # fmt: skip
    check_teachable(args, translator.emotions)
    controls = Controls(target=resolve_target(translator, args.target), intensity=args.intensity)
    summary = translate_file(
        src,
        dst,
        translator,
        controls,
        allow_silence=args.allow_silence,
        alignment=translator.alignment,
        progress=not args.no_progress,
    )
    from w2le_live.personal.first_run import print_hint

    print_hint(args)  # no profile: one line on teaching your own face, after the work (never before an error)
    for line in summary.lines():
        print(line, file=sys.stderr)
    print(f"wrote {dst}", file=sys.stderr)
    return 0
