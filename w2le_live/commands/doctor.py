"""``w2le-live doctor``: one screen saying what works on this machine and what to do for what does not."""

from __future__ import annotations

import argparse
import platform
import sys

MARK = {True: "ok  ", False: "FAIL", None: " -  "}


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(
        name, help=help_text, description=help_text + " Exit 0 when translating a file can run."
    )
    p.set_defaults(func=run)


def format_checks(checks) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        mark = MARK[c.ok] if (c.ok is not False or c.required) else "warn"
        lines.append(f"  {mark}  {c.name:<{width}}  {c.detail}")
        if c.ok is False and c.fix:
            lines.append(f"        {'':<{width}}  fix: {c.fix}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from w2le_live import __version__
    from w2le_live.doctor import main_job_ready, run_checks

    print(f"w2le-live {__version__} doctor on {platform.system()} {platform.machine()}")
    checks = run_checks() + [profiles_check()]
    print(format_checks(checks))
    ready = main_job_ready(checks)
    failed = [c.name for c in checks if c.required and not c.ok]
    print("main job (translate a video file on the CPU): "
          + ("ready" if ready else "NOT ready; fix: " + ", ".join(failed)))  # fmt: skip
    sys.stdout.flush()
    return 0 if ready else 1


def profiles_check():
    """The personal profiles: which emotions each holds (the translator to use), none yet (how to teach one), or
    one that cannot be read (how to see why). Never required: the landmark translator needs none."""
    from w2le_live.doctor import Check
    from w2le_live.personal.profiles import list_profiles, readable_emotions

    try:
        names = list_profiles()
    except OSError as exc:
        return Check("profiles", False, f"cannot be listed ({exc.strerror or exc.__class__.__name__})",
                     "set W2LE_DATA_DIR to a folder you can read")  # fmt: skip
    if not names:
        return Check("profiles", None, "none yet; teach your own face in 20 s: w2le-live enroll --profile me "
                     "--emotion happy")  # fmt: skip
    held, broken = [], []
    for n in names:
        emotions = readable_emotions(n)
        if emotions is None:
            broken.append(n)
        else:
            held.append(f"{n} ({', '.join(emotions) or 'no emotions'})")
    if broken:
        return Check("profiles", False, f"{', '.join(held) or 'none usable'}; unusable: {', '.join(broken)}",
                     f"w2le-live profile show {broken[0]} says why")  # fmt: skip
    return Check("profiles", True, ", ".join(held))
