"""``w2le-live profile list|show|delete``: the personal-emotion profiles stored on this machine."""

from __future__ import annotations

import argparse
import time


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text + " (nothing leaves the machine)")
    ps = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ps.add_parser("list", help="list profiles and their emotions")
    s = ps.add_parser("show", help="details of one profile")
    s.add_argument("name")
    d = ps.add_parser("delete", help="delete a profile, or one emotion of it")
    d.add_argument("name")
    d.add_argument("--emotion", default=None, help="delete only this emotion")
    d.add_argument("-y", "--yes", action="store_true",
                   help="delete without asking (needed where no one can answer: scripts, no terminal)")  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from w2le_live.errors import UserError
    from w2le_live.personal.profiles import (
        Profile,
        delete_profile,
        describe_for_delete,
        list_profiles,
        profiles_dir,
    )

    if args.action == "list":
        names = list_profiles()
        print(f"profiles in {profiles_dir()}:")
        if not names:
            print("  (none; create one with: w2le-live enroll --profile NAME --emotion happy --source CLIP)")
        for n in names:
            try:
                p = Profile(n)
                print(f"  {n}: {', '.join(p.emotions) or 'no emotions'} ({p.size_bytes() / 1e6:.1f} MB)")
            except UserError as err:  # one broken profile never hides the others
                print(f"  {n}: unusable: {err}")
            except OSError as err:
                print(f"  {n}: unreadable ({err.strerror or err.__class__.__name__}); check its permissions.")
        return 0
    if args.action == "show":
        p = Profile(args.name)
        print(f"profile '{p.name}' in {p.path} ({p.size_bytes() / 1e6:.1f} MB)")
        for e in p.emotions:
            m = p.meta["emotions"][e]
            i = m.get("info", {})
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.get("created", 0)))
            print(f"  {e}: {m.get('frames', '?')} bank frames from {i.get('seconds', '?')} s, neutral reference "
                  f"{'enrolled' if i.get('has_neutral') else 'from the live face'}, enrolled {when}")  # fmt: skip
            from w2le_live.personal.enroll import take_lines

            for line in take_lines(i):
                print(f"    {line}")
            # every array checked (~0.05 s a bank): a damaged bank shows here, not first in a call
            try:
                p.load(e)
            except UserError as err:
                print(f"    {err}")
        return 0
    if not args.yes and not _confirmed(describe_for_delete(args.name, args.emotion)):
        print(f"nothing deleted; profile '{args.name}' is as it was.")
        return 1
    delete_profile(args.name, args.emotion)
    line = f"deleted {'the ' + args.emotion + ' of ' if args.emotion else ''}profile '{args.name}'"
    if args.emotion and not Profile(args.name).emotions:  # an empty profile: say what to do with it
        line += (f"; it has no emotion left: enrol one with w2le-live enroll --profile {args.name} --emotion happy, "
                 f"or remove it with w2le-live profile delete {args.name}")  # fmt: skip
    print(line)
    return 0


def _confirmed(what: str) -> bool:
    """Ask on the terminal before deleting ``what``; without a terminal to ask on, refuse in one sentence."""
    import sys

    from w2le_live.errors import UserError

    if not (sys.stdin and sys.stdin.isatty()):
        raise UserError(
            f"deleting {what} cannot be undone and there is no terminal to ask on; add --yes to delete it anyway."
        )
    try:
        answer = input(f"Delete {what}? This cannot be undone. [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")
