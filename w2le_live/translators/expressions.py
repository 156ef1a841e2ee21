"""Per-emotion displacement fields on named FaceMesh landmarks.

Each entry moves one landmark by (out, up) in units of the face width, in the face's own frame: ``out``
points away from the face's vertical midline (so left/right sides mirror), ``up`` towards the forehead.
``sigma`` (face widths) is how far the move spreads into the surrounding skin. Only lip corners, cheeks,
lids and brows move; the inner lips never do, so mouth opening — and lip sync — stays the person's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from w2le_live.face import landmarks as L


@dataclass(frozen=True)
class Move:
    """Displace ``landmarks`` (averaged into one control point) by (out, up) face widths, spread ``sigma``."""

    landmarks: tuple[int, ...]
    out: float
    up: float
    sigma: float


def _both(
    left: tuple[int, ...], right: tuple[int, ...], out: float, up: float, sigma: float
) -> tuple[Move, ...]:
    return (Move(left, out, up, sigma), Move(right, out, up, sigma))


HAPPY: tuple[Move, ...] = (
    *_both((L.MOUTH_LEFT,), (L.MOUTH_RIGHT,), out=0.035, up=0.05, sigma=0.075),  # smile: corners up and back
    *_both((40, 39), (270, 269), out=0.01, up=0.015, sigma=0.04),  # upper lip beside the corners follows
    *_both((205, 50, 187), (425, 280, 411), out=0.012, up=0.03, sigma=0.09),  # cheeks raised
    *_both((145, 153, 144), (374, 380, 373), out=0.0, up=0.012, sigma=0.025),  # lower lids lifted
    *_both((117, 118), (346, 347), out=0.0, up=0.015, sigma=0.05),  # infra-orbital bulge
)

SAD: tuple[Move, ...] = (
    *_both((L.MOUTH_LEFT,), (L.MOUTH_RIGHT,), out=-0.008, up=-0.045, sigma=0.07),  # corners down
    *_both((91, 181), (321, 405), out=0.0, up=-0.012, sigma=0.04),  # lower lip edge near corners
    *_both(
        L.LEFT_BROW_INNER, L.RIGHT_BROW_INNER, out=-0.015, up=0.035, sigma=0.05
    ),  # inner brows up, together
    *_both((70, 63), (300, 293), out=0.0, up=-0.012, sigma=0.05),  # outer brows drop
    *_both((159, 158, 160), (386, 385, 387), out=0.0, up=-0.01, sigma=0.025),  # upper lids lowered
)

SURPRISED: tuple[Move, ...] = (
    *_both((105, 66, 107), (334, 296, 336), out=0.0, up=0.05, sigma=0.07),  # brows raised
    *_both((70, 46), (300, 276), out=0.005, up=0.04, sigma=0.06),
    *_both((159, 158, 160), (386, 385, 387), out=0.0, up=0.012, sigma=0.025),  # eyes widened
)

ANGRY: tuple[Move, ...] = (
    *_both(
        L.LEFT_BROW_INNER, L.RIGHT_BROW_INNER, out=-0.02, up=-0.035, sigma=0.05
    ),  # brows down and together
    *_both((105, 63), (334, 293), out=-0.005, up=-0.015, sigma=0.05),
    *_both((159, 158, 160), (386, 385, 387), out=0.0, up=-0.008, sigma=0.025),  # glare
    *_both((L.MOUTH_LEFT,), (L.MOUTH_RIGHT,), out=-0.012, up=-0.01, sigma=0.06),  # lips pressed
)

FIELDS: dict[str, tuple[Move, ...]] = {"happy": HAPPY, "sad": SAD, "surprised": SURPRISED, "angry": ANGRY}

# Landmarks pulled towards the calibrated neutral face by the "neutral" target (no inner-lip points).
NEUTRAL_POINTS: tuple[tuple[int, ...], ...] = (
    (L.MOUTH_LEFT,),
    (L.MOUTH_RIGHT,),
    (205, 50, 187),
    (425, 280, 411),
    L.LEFT_BROW_INNER,
    L.RIGHT_BROW_INNER,
    (70, 63),
    (300, 293),
    (105, 66),
    (334, 296),
    (159, 158, 160),
    (386, 385, 387),
    (145, 153, 144),
    (374, 380, 373),
)
NEUTRAL_SIGMAS: tuple[float, ...] = (
    0.07,
    0.07,
    0.09,
    0.09,
    0.05,
    0.05,
    0.05,
    0.05,
    0.05,
    0.05,
    0.025,
    0.025,
    0.025,
    0.025,
)
