"""README's two fresh-machine commands stay true: .ci/run runs the test command exactly as README gives it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fresh_machine_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Fresh machine", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_readme_gives_two_commands_and_ci_runs_the_test_one_verbatim():
    cmds = fresh_machine_commands()
    assert len(cmds) == 2 and all("\n" not in c for c in cmds), cmds
    setup, tests = cmds
    assert setup.startswith("pip install torch==2.13.0") and "w2le-live translate --demo" in setup
    assert tests.endswith("python -m pytest -q tests")
    ci = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()]
    assert tests in ci  # the same line, character for character
