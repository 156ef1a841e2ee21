"""First run without a personal profile: one line saying the landmark translator is subtle and how to teach
your own face (``run``, ``translate``, ``tray``), and the tray's one-time offer to teach."""

from __future__ import annotations

import sys
from typing import Optional

TEACH_CLI = "w2le-live enroll --profile me --emotion {target}"
MARKER = "tray_teach_offered"  # in the data dir: the tray offered teaching once


def landmark_hint(*, kind: str, profile: Optional[str], model: Optional[str], target: str = "happy",
                  tray: bool = False) -> Optional[str]:  # fmt: skip
    """The one line for a job that will fall back to the landmark translator, or None.

    kind: --translator; profile: --profile (None when not given); model: --model; target: the emotion asked for.
    """
    if profile or model or kind not in ("auto", "landmark"):
        return None
    from w2le_live.personal.profiles import list_profiles

    have = list_profiles()
    if have:
        if kind == "landmark":
            return None
        return (f"note: the landmark translator's change is subtle; your personal profile looks like you - "
                f"pass --profile {have[0]} (profiles: {', '.join(have)}).")  # fmt: skip
    how = f'the tray\'s "Teach my {target}..."' if tray else TEACH_CLI.format(target=target)
    return (f"note: with no personal profile the landmark translator is used and its change is subtle; teach "
            f"your own {target} face in 20 s with: {how}.")  # fmt: skip


def print_hint(args, tray: bool = False) -> None:
    """Print :func:`landmark_hint` for an argparse namespace of run / translate / tray to stderr (one line)."""
    line = landmark_hint(kind=getattr(args, "translator", None) or "auto", profile=getattr(args, "profile", None),
                         model=getattr(args, "model", None), target=getattr(args, "target", None) or "happy",
                         tray=tray)  # fmt: skip
    if line:
        print(line, file=sys.stderr)


def tray_offer(profile: Optional[str]) -> Optional[str]:
    """The tray's first-start offer (once per data dir, only while no profile exists), or None."""
    from w2le_live.paths import data_dir
    from w2le_live.personal.profiles import list_profiles

    if profile or list_profiles():
        return None
    marker = data_dir() / MARKER
    if marker.exists():
        return None
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("1\n")
    except OSError:
        pass  # an unwritable data dir only means the offer may come again
    return ('The landmark translator\'s change is subtle. Teach it your own face: tray menu > "Teach my emotion" '
            '> "Teach my happy..." (20 s of reading aloud while smiling).')  # fmt: skip
