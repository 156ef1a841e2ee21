"""Eases the effect in and out, so that no change the user makes shows as a jump in one frame.

A face that turns from neutral to a smile in 40 ms reads as a filter, not as a person. The worker asks
:class:`Ease` for the controls of each frame: the user's own (target, intensity, bypass) with the intensity scaled
by a level that moves towards 1 while the effect should show and towards 0 while it should not, at ``1 / seconds``
per second of capture time (a smoothstep of it, so the change starts and ends gently). Switching the emotion (or
the translator: the caller's ``look``) fades the old one out and the new one in; bypass fades out before the frames
pass through untouched, and in again after; a face lost for a moment fades out and back in rather than popping; a look
that waits for something (the neutral face being recorded again) stays out until it is ready, then eases in.
``seconds`` 0 is the old instant switch.

Owned by the worker thread (``live/worker.py``): not thread-safe.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Hashable, Optional

from w2le_live.translators.base import Controls

# the longest gap between two frames counted as elapsed time: a stalled camera does not skip the fade
MAX_STEP_S = 0.2


def smoothstep(x: float) -> float:
    """x in [0, 1] -> [0, 1], flat at both ends."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


class Ease:
    """The controls each frame is translated with, eased towards the user's."""

    def __init__(self, seconds: float = 0.4):
        self.seconds = float(seconds)
        self.reset()

    def reset(self) -> None:
        """Start over from the untouched face (a new stream, a new camera)."""
        self.level = 0.0  # the share of the effect shown, 0..1 (before the smoothstep)
        # (emotion, look) on the face now: the user's, once the old one has faded out
        self._shown: Optional[tuple[str, Hashable]] = None
        self._t: Optional[float] = None

    def step(
        self, wanted: Controls, t: float, face: bool, look: Hashable = None, ready: bool = True
    ) -> Controls:
        """The controls for the frame captured at ``t`` (seconds) with or without a ``face``, given the user's
        ``wanted`` ones. ``look``: what the face shows besides the emotion (the worker passes its translator and
        its calibration), a change of which fades out and in like an emotion switch; None: the emotion alone.
        ``ready``: False while the wanted look cannot be shown yet (a calibration recording): it fades out, or
        stays out, as without a face."""
        asked = (wanted.target, look)
        if self.seconds <= 0:
            self._shown, self.level = asked, 1.0
            return wanted
        dt = 0.0 if self._t is None else min(max(t - self._t, 0.0), MAX_STEP_S)
        self._t = t
        if self._shown is None:
            self._shown = asked
        rate = dt / self.seconds
        on = face and ready and not wanted.bypass and asked == self._shown
        self.level = min(self.level + rate, 1.0) if on else max(self.level - rate, 0.0)
        if self.level <= 0.0:
            self._shown = asked  # faded out: the new emotion (or look) starts from the untouched face
            if wanted.bypass:
                return wanted
        k = wanted.intensity * smoothstep(self.level)
        return replace(wanted, target=self._shown[0], intensity=k, bypass=False)
