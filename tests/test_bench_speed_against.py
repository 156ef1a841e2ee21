"""benchmarks/bench_personal_speed.py ``--against DIR`` times two checkouts: each worker process puts its checkout
first on ``sys.path`` and only then imports ``w2le_live``. A ``w2le_live`` import at the script's top (which a worker,
started by ``multiprocessing``'s spawn, runs again first) made both workers time this checkout: session 14 read a
"1.03x" that compared the code with itself."""

from __future__ import annotations

import subprocess
import sys

from bench_scripts import BENCHMARKS


def test_importing_the_speed_bench_imports_no_w2le_live():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bench_personal_speed; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'w2le_live'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS)], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
