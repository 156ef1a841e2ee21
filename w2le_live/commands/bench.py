"""``w2le-live bench generator|pipeline|face|vs-original [ARGS...]``: run a benchmark from ``benchmarks/``."""

from __future__ import annotations

import argparse
import subprocess
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
    import w2le_live

    # benchmarks/ sits beside the package in a source checkout (pip install -e); it is not installed
    script = Path(w2le_live.__file__).resolve().parent.parent / "benchmarks" / SCRIPTS[args.which]
    if not script.is_file():
        raise UserError(
            "the benchmarks live in the source repository (benchmarks/); clone it and pip install -e it to run them."
        )
    return subprocess.call([sys.executable, str(script), *args.rest])
