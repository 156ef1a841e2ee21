"""What the output sends on a tick, as pure functions of (now, newest result, newest capture, what was sent).

No threads, no clocks, no frames are touched here: :class:`~w2le_live.live.output.OutputLoop` asks, then renders.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

REUSE_MAX_AGE_S = 2.0  # a translated face older than this is not reused: the worker has stalled
FRESH_MIN_SPACING = 0.6  # a fresh result goes out once this many periods passed since the last frame
FILL_IN_AFTER = 1.25  # without a fresh result, fill in once the stream is this many periods late


class Send(enum.Enum):
    FRESH = "fresh"  # the worker's newest result
    REUSE = "reuse"  # the newest camera frame with the last translated face composited in
    PASS = "pass"  # the newest camera frame as it is
    REPEAT = "repeat"  # the last frame again (no newer camera frame)
    LOST = "lost"  # the "camera lost" card (no camera frame for a while)
    SKIP = "skip"  # nothing to send yet


@dataclass(frozen=True)
class Sent:
    """The output's own state, as values: what it has shown so far."""

    seq_out: int = 0  # number of the newest camera frame shown (0: none since the camera started)
    have_last: bool = False  # a frame went out already (it can be repeated)
    reuse_t: Optional[float] = None  # capture time of the newest translated face that may be reused


@dataclass(frozen=True)
class Newest:
    """The newest worker result and camera capture, reduced to what the decision needs."""

    result_seq: Optional[int]  # None: no result since the camera started
    capture_seq: Optional[int]  # None: the camera delivered nothing yet
    capture_t: float = 0.0  # capture time of the newest camera frame (clock seconds)


def wait_before_tick(now: float, last_sent: float, has_fresh: bool, period: float) -> float:
    """Seconds to wait before the next tick (0: tick now). A fresh result goes out at once once the minimum
    spacing has passed (the added latency is the processing time, not a period of phase offset); without one, a
    tick fills in only once the stream is clearly late, so jitter in the camera's timing adds no frames."""
    left = (FRESH_MIN_SPACING if has_fresh else FILL_IN_AFTER) * period - (now - last_sent)
    return left if left > 1e-9 else 0.0  # rounding residue is no reason to wait


def decide(
    now: float, newest: Newest, sent: Sent, *, bypass: bool, finished: bool, lost_after_s: float
) -> Send:
    """What goes out on this tick."""
    if newest.capture_seq is None:
        return Send.SKIP
    if newest.result_seq is not None and newest.result_seq > sent.seq_out:
        return Send.FRESH
    if newest.capture_seq > sent.seq_out + 1:  # the worker is late by more than a frame
        young = sent.reuse_t is not None and newest.capture_t - sent.reuse_t <= REUSE_MAX_AGE_S
        return Send.REUSE if young and not bypass else Send.PASS
    if not sent.have_last:
        return Send.SKIP
    if now - newest.capture_t > lost_after_s and not finished:
        return Send.LOST
    return Send.REPEAT
