"""docs/ARCHITECTURE.md stays true: every file it names exists, and every name in its module table is defined
(in the files of that row, or for a cross-reference, elsewhere in the code)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
TICKS = re.compile(r"`([^`]+)`")
NAME = re.compile(r"^\.?([A-Za-z_]\w*)(?:\.(\w+))?(?=$|\(| ->| =|\s*\()")
TOP = ("w2le_live/", "training/", "engines/", "benchmarks/", "tests/", "docs/")


def _paths(cell: str) -> list[Path]:
    """Files/folders a table cell names; a bare ``x.py`` is beside the previous one, ``io/x.py`` in w2le_live."""
    out: list[Path] = []
    for tok in TICKS.findall(cell):
        if not (tok.endswith(".py") or tok.endswith("/")) or " " in tok:
            continue
        if tok.startswith(TOP):
            p = ROOT / tok
        elif "/" in tok:
            p = ROOT / "w2le_live" / tok
        elif out:
            p = (out[-1] if out[-1].is_dir() else out[-1].parent) / tok
        else:
            continue
        out.extend(sorted(p.parent.glob(p.name.replace("<name>", "*"))) if "<name>" in tok else [p])
    return out


def _defined(paths: list[Path]) -> set[str]:
    files = [f for p in paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    names: set[str] = {f.stem for f in files}  # a row may name its folder's modules
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _table_rows(text: str) -> list[tuple[str, str]]:
    section = text.split("## Modules and their public API", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and "`" in cells[0]:
            rows.append((cells[0], " | ".join(cells[1:])))
    return rows


def test_every_named_file_exists():
    text = DOC.read_text()
    named = [t for t in TICKS.findall(text) if t.startswith(TOP) and " " not in t and "<" not in t]
    assert named, "the document names no files?"
    missing = [t for t in named if not (ROOT / t.split("::")[0]).exists()]
    assert not missing, f"ARCHITECTURE.md names files that do not exist: {missing}"


def test_every_name_in_the_module_table_is_defined_where_it_says():
    """Defined in the row's files, or (a cross-reference to another row) somewhere in the code."""
    rows = _table_rows(DOC.read_text())
    assert len(rows) > 20
    anywhere = _defined([ROOT / "w2le_live", ROOT / "engines", ROOT / "training"])
    problems = []
    for where, api in rows:
        paths = _paths(where) + [p for p in _paths(api) if p.exists()]
        if not paths:
            problems.append(f"row {where!r} names no file")
            continue
        problems += [f"{p.relative_to(ROOT)} (row {where})" for p in paths if not p.exists()]
        defined = _defined([p for p in paths if p.exists()])
        for tok in TICKS.findall(api):
            m = NAME.match(tok)
            if m is None or tok.endswith(".py"):
                continue
            for name in filter(None, m.groups()):
                if name not in defined and name not in anywhere:
                    problems.append(f"{name} (from `{tok}`) in {where}")
    assert not problems, "ARCHITECTURE.md names what the code does not define:\n" + "\n".join(problems)
