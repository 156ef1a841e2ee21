"""Personal translator speed with a LARGE face: median ms of ``translate()`` per 640x480 frame (tracking excluded).

    python benchmarks/bench_personal_speed.py [--actor W009]     (from the repository root; MEAD clips from
                                                                   ../shared/data or $W2LE_SHARED_DATA)
    python benchmarks/bench_personal_speed.py --against ../other-checkout [--moving] [--exact-index] [--passes 3]

The actor's 256x256 neutral clip is scaled to fill the 480-px height of a 640x480 frame (a face ~290 px wide, a
webcam user close to the camera), banks are enrolled from the actor's happy and surprised clips, and each frame is
translated twice over; the first 20 timings are warm-up. ``bench_personal.py`` times a smaller face (0.6 of the
height). ``--against DIR`` compares two checkouts fairly on a shared machine: one worker process per checkout,
both set up the same way, the same frame translated by each in turn (alternating which goes first), the clip
``--passes`` times (3) in ``--workers`` processes per checkout (2), each frame timed by its least over them (robust
to the shared machine's load spikes and to one process's luck); it reports both medians and the median of the per-frame ratios (this checkout / DIR). ``--moving``
times the issue's own clip instead (``bench_personal.py``'s moving head: 0.6 of the height, rotating +-15
degrees), so its speed rows can be compared the same way. ``--exact-index`` runs this checkout with ``warp.EXACT_INDEX`` on (the exact mesh
rasteriser; it changes pixels slightly, so it is off by default).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

EMOTIONS = ("happy", "surprised")


def _data() -> Path:
    env = os.environ.get("W2LE_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _place(frame: np.ndarray) -> np.ndarray:
    """(256, 256, 3) uint8 BGR -> (480, 640, 3) uint8 BGR, the clip scaled to 480x480 and centred."""
    import cv2

    big = cv2.resize(frame, (480, 480), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((480, 640, 3), np.uint8)
    out[:, 80:560] = big
    return out


def _setup(actor: str, moving: bool = False) -> tuple:
    """(frames, tracked faces, {emotion: PersonalTranslator}) for the actor's neutral clip placed large (moving:
    as ``bench_personal.py``'s moving head)."""
    from w2le_live.face.tracker import FaceTracker
    from w2le_live.io.video import iter_frames
    from w2le_live.personal.enroll import enroll_file
    from w2le_live.translators.personal import PersonalTranslator

    mead = _data() / "mead"
    neutral = str(mead / f"{actor}_front_neutral_level1_001.mp4")
    raw = [f for _, _, f in iter_frames(neutral)]
    if moving:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_personal import moving_head

        frames = moving_head(raw)
    else:
        frames = [_place(f) for f in raw]
    with FaceTracker() as tr:
        faces = [tr.process(f, i / 25) for i, f in enumerate(frames)]
    translators = {}
    for emo in EMOTIONS:
        bank = enroll_file(emo, str(mead / f"{actor}_front_{emo}_level3_001.mp4"), neutral=neutral)
        translators[emo] = PersonalTranslator({emo: bank})
    return frames, faces, translators


def _worker(checkout: str, actor: str, moving: bool, conn, exact: bool = False) -> None:
    """One checkout's translator in its own process: set up, then time ``translate`` of the frame asked for."""
    sys.path.insert(0, checkout)
    import w2le_live
    from w2le_live.translators.base import Controls

    if exact:
        from w2le_live.personal import warp

        warp.EXACT_INDEX = True

    frames, faces, translators = _setup(actor, moving)
    conn.send((len(frames), str(Path(w2le_live.__file__).parents[1])))
    while True:
        msg = conn.recv()
        if msg is None:
            return
        emo, i = msg
        t = time.perf_counter()
        translators[emo].translate(frames[i], faces[i], None, Controls(emo, 1.0))
        conn.send((time.perf_counter() - t) * 1e3)


def compare(actor: str, other: str, moving: bool = False, exact: bool = False, passes: int = 3,
            workers: int = 2) -> dict:  # fmt: skip
    """Median ms of this checkout (``exact``: with ``warp.EXACT_INDEX`` on) and of ``other``, and the median
    per-frame ratio, the two interleaved. Each checkout runs in ``workers`` processes, and each process translates
    the clip ``passes`` times in order (the translator's state follows the clip as live); a frame's time is its
    least over a checkout's processes and passes (a load spike on the shared machine lengthens one pass's frame,
    not the least; one process can sit on a busier core, or its arrays land less well: of two processes running
    the same code one read 0.96x the other's time), the first pass's first 20 frames (the warm-up) not counted;
    the ratio is of those per-frame least times."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    here = str(Path(__file__).resolve().parents[1])
    pipes, procs, sides = [], [], []
    for _ in range(workers):
        for side, (checkout, on) in enumerate(((here, exact), (str(Path(other).resolve()), False))):
            a, b = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(checkout, actor, moving, b, on), daemon=True)
            p.start()
            pipes.append(a)
            procs.append(p)
            sides.append(side)
    ready = [c.recv() for c in pipes]
    n = min(k for k, _ in ready)
    res = {"checkouts": [where for _, where in ready[:2]], "passes": passes, "workers": workers}
    for emo in EMOTIONS:
        ms = np.full((len(pipes), passes, n), np.inf)
        for k in range(passes * n):
            order = range(len(pipes)) if k % 2 == 0 else range(len(pipes) - 1, -1, -1)
            for w in order:
                pipes[w].send((emo, k % n))
                ms[w, k // n, k % n] = pipes[w].recv()
        if passes > 1:
            ms[:, 0, :20] = np.inf  # the warm-up: those frames' times come from the later passes
        best = ms.min(1) if passes > 1 else ms[:, 0, 20:]
        side = np.array(sides)
        new, old = best[side == 0].min(0), best[side == 1].min(0)
        res[emo] = {"ms": round(float(np.median(new)), 2), "ms_against": round(float(np.median(old)), 2),
                    "ratio": round(float(np.median(new / old)), 3)}  # fmt: skip
    for c, p in zip(pipes, procs):
        c.send(None)
        p.join(timeout=10)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--actor", default="W009")
    ap.add_argument("--against", default=None, help="another checkout of the project to compare with")
    ap.add_argument(
        "--moving", action="store_true", help="bench_personal.py's moving head (the issue's figure)"
    )
    ap.add_argument("--exact-index", action="store_true", help="this checkout with warp.EXACT_INDEX on")
    ap.add_argument("--passes", type=int, default=3, help="--against: passes over the clip (per-frame least)")
    ap.add_argument(
        "--workers", type=int, default=2, help="--against: processes per checkout (per-frame least)"
    )
    args = ap.parse_args()
    if args.exact_index:
        from w2le_live.personal import warp

        warp.EXACT_INDEX = True
    if args.against:
        print(
            {
                "actor": args.actor,
                "against": args.against,
                "moving": args.moving,
                "exact_index": args.exact_index,
                "ms_per_frame": compare(
                    args.actor, args.against, args.moving, args.exact_index, args.passes, args.workers
                ),
            }
        )
        return
    from w2le_live.translators.base import Controls

    frames, faces, translators = _setup(args.actor, args.moving)
    res = {}
    for emo, pt in translators.items():
        controls, ms = Controls(emo, 1.0), []
        for _ in range(2):
            for f, face in zip(frames, faces):
                t = time.perf_counter()
                pt.translate(f, face, None, controls)
                ms.append((time.perf_counter() - t) * 1e3)
        res[emo] = round(float(np.median(ms[20:])), 2)
    from w2le_live.face.landmarks import face_width  # not at the top: --against workers import their own

    width = float(np.median([face_width(x.landmarks) for x in faces if x]))
    print({"actor": args.actor, "face_px": round(width), "ms_per_frame": res})


if __name__ == "__main__":
    main()
