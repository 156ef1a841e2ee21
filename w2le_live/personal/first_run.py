"""First run without a personal profile: one line saying the landmark translator is subtle and how to teach
your own face (``run``, ``translate``, ``tray``) - or which usable profile to pass, or that ``--profile`` lacks the
emotion asked for - and the tray's one-time offer to teach."""

from __future__ import annotations

import sys
from typing import Optional

TEACH_CLI = "w2le-live enroll --profile {name} --emotion {target}"
MARKER = "tray_teach_offered"  # in the data dir: the tray offered teaching once


def landmark_hint(*, kind: str, profile: Optional[str], model: Optional[str], target: str = "happy",
                  tray: bool = False) -> Optional[str]:  # fmt: skip
    """The one line for a job that will fall back to the landmark translator, or None.

    kind: --translator; profile: --profile (None when not given); model: --model; target: the emotion asked for.
    """
    if model or kind not in ("auto", "landmark"):
        return None
    if profile:
        return None if kind == "landmark" else _lacking_line(profile, target)
    from w2le_live.personal.profiles import list_profiles, readable_emotions

    held = {p: readable_emotions(p) for p in list_profiles()}
    usable = {p: e for p, e in held.items() if e is not None}  # a damaged profile is never suggested
    if usable and kind == "landmark":
        return None
    holding = [p for p, e in usable.items() if target in e]
    if holding:
        return (f"note: the landmark translator's change is subtle; your personal profile looks like you - "
                f"pass --profile {holding[0]} (profiles with {target}: {', '.join(holding)}).")  # fmt: skip
    if usable:
        fullest = max(usable, key=lambda p: len(usable[p]))  # the profile the user has taught most
        return (f"note: the landmark translator's change is subtle and no profile holds {target}; teach it in 20 s "
                f"with: {TEACH_CLI.format(name=fullest, target=target)}.")  # fmt: skip
    how = f'the tray\'s "Teach my {target}..."' if tray else TEACH_CLI.format(name="me", target=target)
    return (f"note: with no personal profile the landmark translator is used and its change is subtle; teach "
            f"your own {target} face in 20 s with: {how}.")  # fmt: skip


def _lacking_line(profile: str, target: str) -> Optional[str]:
    """--translator auto with a profile that lacks the target: the landmark translator stands in, say so."""
    from w2le_live.personal.profiles import readable_emotions

    have = readable_emotions(profile)
    if have is None or target in have:
        return None
    return (f"note: profile '{profile}' has no {target}, so the landmark translator is used and its change is "
            f"subtle; teach it in 20 s with: {TEACH_CLI.format(name=profile, target=target)}.")  # fmt: skip


def check_teachable(args, emotions: tuple[str, ...]) -> None:
    """``run``/``translate``/the tray with ``--profile`` and ``--translator auto``, no ``--model``, asked for an
    emotion nothing here makes (``emotions``: what the translator makes) but enrolment can: a UserError naming the
    ``enroll`` command that teaches it (one sentence)."""
    from w2le_live.config import EMOTIONS
    from w2le_live.errors import UserError

    auto = (getattr(args, "translator", None) or "auto") == "auto"
    profile, target = getattr(args, "profile", None), getattr(args, "target", None)
    if (
        auto
        and profile
        and getattr(args, "model", None) is None
        and target in EMOTIONS
        and target not in emotions
    ):
        raise UserError(
            f"profile '{profile}' has no {target} and no other translator here makes it; teach it with "
            f"{TEACH_CLI.format(name=profile, target=target)}, or choose --target from: {', '.join(emotions)}."
        )


def print_hint(args, tray: bool = False) -> None:
    """Print :func:`landmark_hint` for an argparse namespace of run / translate / tray to stderr (one line)."""
    line = landmark_hint(kind=getattr(args, "translator", None) or "auto", profile=getattr(args, "profile", None),
                         model=getattr(args, "model", None), target=getattr(args, "target", None) or "happy",
                         tray=tray)  # fmt: skip
    if line:
        print(line, file=sys.stderr)


def tray_offer(profile: Optional[str], window: bool = False) -> Optional[str]:
    """The tray's first-start offer (once per data dir, only while no profile exists), or None. ``window``: it is
    shown in the control window (no tray host), whose "Teach my emotion" is a button, not a tray menu entry."""
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
    where = 'the window\'s "Teach my emotion" button' if window else 'tray menu > "Teach my emotion"'
    return (f'The landmark translator\'s change is subtle. Teach it your own face: {where} > "Teach my happy..." '
            "(20 s of reading aloud while smiling).")  # fmt: skip
