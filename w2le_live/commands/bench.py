"""``w2le-live bench generator|pipeline|face|vs-original [ARGS...]``: run a benchmark from ``benchmarks/``."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from w2le_live.errors import UserError

SCRIPTS = {"generator": "bench_generator.py", "pipeline": "bench_pipeline.py", "face": "bench_face.py",
           "vs-original": "bench_vs_original.py"}  # fmt: skip


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("which", choices=sorted(SCRIPTS))
    p.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the benchmark (see --help of each)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    script = Path(__file__).resolve().parents[2] / "benchmarks" / SCRIPTS[args.which]
    if not script.is_file():
        raise UserError(
            "the benchmarks live in the source repository (benchmarks/); run this from a git checkout."
        )
    sys.argv = [str(script), *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0
