"""``w2le-live enroll``: teach the personal translator your own expression of an emotion."""

from __future__ import annotations

import argparse
import sys
import time

from w2le_live.errors import UserError

SENTENCES = (
    "The quick brown fox jumps over the lazy dog, then we go home.",
    "Oh wow, you really brought pizza, cheese and cool juice for everyone!",
    "Judy's big yellow boat sails past the huge old windmill at noon.",
)


EPILOG = """examples:
  w2le-live enroll --profile me --emotion happy      # webcam: smile and read the sentences shown
  w2le-live enroll --profile me --emotion happy --source smile.mp4 --neutral talk.mp4

Talk while showing the emotion (mouth closed, wide open, "oo", "ee", teeth) and
turn your head a little; the summary says which shapes the take missed (they
will look weaker). Enrolling an emotion again replaces it once the new take is
saved. See what a profile holds with: w2le-live profile show me"""


def add_parser(sub, name: str, help_text: str) -> None:
    from w2le_live.config import EMOTIONS

    p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument(
        "--profile", required=True, help="profile name (created when new): letters, digits, '-', '_', '.'"
    )
    p.add_argument("--emotion", required=True, choices=EMOTIONS, help="the emotion you show")
    p.add_argument("--source", default="0", help="camera index/device (default 0) or a video file")
    p.add_argument("--neutral", default=None, help="a video of you talking with a neutral face, in the same light "
                   "(recommended: it makes the expression exact)")  # fmt: skip
    p.add_argument("--seconds", type=float, default=20.0, help="most video to use, 2 to 120 (default 20); a camera "
                   "take ends early, after 8 s, once every mouth shape is covered")  # fmt: skip
    p.add_argument("--countdown", type=int, default=3, help="camera: seconds before recording starts")
    p.set_defaults(func=run)


def camera_frames(device: str, seconds: float, countdown: int, emotion: str, opener=None):
    """Frames ((H, W, 3) uint8 BGR) from a webcam: a countdown and sentences to read on stderr, then ``seconds``
    of capture. ``opener`` (tests) returns a cv2.VideoCapture-like object."""
    from w2le_live.io.sources import CameraSource
    from w2le_live.live.frames import record_frames

    cam = CameraSource(int(device) if device.isdigit() else device, opener=opener)
    cam.start()
    try:
        for k in range(countdown, 0, -1):
            print(f"show your {emotion} face and read aloud, starting in {k}...", file=sys.stderr)
            time.sleep(1.0)
        print(
            "recording: " + " ".join(SENTENCES) + " (turn your head a little as you speak)", file=sys.stderr
        )
        got = 0
        for frame in record_frames(cam, seconds):  # the recorder the tray's "Teach my ..." uses too
            got += 1
            yield frame
        if got == 0:
            raise UserError(f"camera {device} delivered no frames; check it with w2le-live devices.")
    finally:
        cam.stop()


def _check_paths(args: argparse.Namespace) -> None:
    """The output rule (w2le_live.validation.check_outputs): enroll writes only its own profile's bank, and never
    over a video it reads."""
    from pathlib import Path

    from w2le_live import validation
    from w2le_live.personal.profiles import profiles_dir

    folder = profiles_dir() / args.profile
    bank = folder / f"{args.emotion}.npz" if folder.is_dir() else None
    source = args.source if Path(args.source).is_file() else None
    validation.check_outputs(files=[("the profile bank", bank)], folders=[("the profile folder", folder)],
                             reads=[("--source", source), ("--neutral", args.neutral)], own_profile=folder)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from w2le_live.io.video import probe
    from w2le_live.personal.enroll import EnrollConfig, enroll_file, enroll_frames
    from w2le_live.personal.profiles import check_writable, save_bank

    cfg = EnrollConfig()
    # everything that can be refused is refused before a take is recorded or processed
    if not cfg.min_seconds <= args.seconds <= cfg.max_seconds:
        raise UserError(
            f"--seconds {args.seconds:g} is out of range; use {cfg.min_seconds:g} to {cfg.max_seconds:g} "
            f"(an enrolment needs at least {cfg.min_seconds:g} s with a face)."
        )
    for opt, value, what in (("--source", args.source, "a camera index or a video file"),
                             ("--neutral", args.neutral, "your neutral video, or leave --neutral out")):  # fmt: skip
        if (
            value is not None and not value.strip()
        ):  # e.g. an unset shell variable: never enrol without saying
            raise UserError(f"{opt} is empty; pass {what}.")
    check_writable(args.profile)  # a bad name, an unwritable data dir, a damaged profile.json
    _check_paths(args)  # the output rule: only this profile's bank, never over a clip it reads
    is_file = Path(args.source).is_file() or not args.source.replace("/dev/video", "").isdigit()
    # a missing, empty or unreadable clip is refused before any take is processed
    probed = {
        clip: probe(clip)
        for clip in ([args.source] if is_file else []) + ([args.neutral] if args.neutral else [])
    }
    for clip, info in probed.items():
        # a photo opens as a one-frame video (a stream with no duration, as a browser's webm, is not one)
        if info.codec in ("mjpeg", "png", "bmp", "tiff", "webp", "gif") and info.duration < 0.1:
            raise UserError(
                f"{clip} is a still picture, not a video; enrol from a video of yourself talking (at least "
                f"{cfg.min_seconds:g} s)."
            )
    if args.neutral and is_file and _same_file(args.source, args.neutral):
        raise UserError(
            f"--neutral {args.neutral} is the emotion recording itself, which gives a zero expression offset; "
            "record yourself talking with a neutral face and pass that."
        )
    _say_replacing(args.profile, args.emotion)
    t0 = time.perf_counter()
    if is_file:
        bank = enroll_file(args.emotion, args.source, neutral=args.neutral, seconds=args.seconds)
    else:
        from w2le_live.io.video import iter_frames

        neutral = (f for _, _, f in iter_frames(args.neutral)) if args.neutral else None
        from w2le_live.personal.coverage import watched

        frames = camera_frames(args.source, args.seconds, args.countdown, args.emotion)
        frames = watched(frames, lambda line: print(f"now: {line}", file=sys.stderr))  # coverage prompts
        bank = enroll_frames(args.emotion, frames, f"camera {args.source}", neutral, args.seconds)
    folder = save_bank(args.profile, bank)
    i = bank.info
    print(f"enrolled {args.emotion} for profile '{args.profile}': {i['kept']} bank frames from "
          f"{i['tracked']} tracked ({i['seconds']} s), neutral reference: "
          f"{'yes' if i['has_neutral'] else 'the live face at start-up'}; "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)  # fmt: skip
    from w2le_live.personal.enroll import take_lines

    for line in take_lines(i):  # which shapes will look weaker; a dim take
        print(line, file=sys.stderr)
    if is_file:
        _say_cut_short(args.source, probed[args.source].duration, i["seconds"], args.seconds)
    print(f"saved in {folder}", file=sys.stderr)
    return 0


def _say_replacing(profile: str, emotion: str) -> None:
    """One line before the take when the profile already holds the emotion: a kept take replaces it."""
    from w2le_live.personal.profiles import Profile

    try:
        entry = Profile(profile).meta["emotions"].get(emotion)
    except UserError:
        return  # a new profile
    if entry is not None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.get("created", 0)))
        print(f"note: profile '{profile}' already has {emotion} (enrolled {when}); this take replaces it once it "
              "is saved (a refused take keeps the old one).", file=sys.stderr)  # fmt: skip


def _say_cut_short(source: str, duration: float, read: float, wanted: float) -> None:
    """One line when a file's frames ended well before its header's duration (a truncated or damaged file): the
    take was learnt from what could be read, which the user should know. Seconds: header, decoded, --seconds."""
    if duration > 0 and read < min(duration, wanted) - 0.5:
        print(f"note: {source} stopped decoding at {read:g} s of the {duration:.1f} s it says it holds (the file "
              "looks truncated or damaged), so the take was learnt from that part only.", file=sys.stderr)  # fmt: skip


def _same_file(a: str, b: str) -> bool:
    """True when the two paths name one file (the same path, a link to it, or a byte-identical copy)."""
    import filecmp
    import os

    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False
