"""An emotion bank (the person's own frames of one emotion) and retrieval with a switching penalty."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from w2le_live.personal.geometry import features, lip_vector, pair_gaps


@dataclass
class EmotionBank:
    """One enrolled emotion of one person.

    emotion: name (e.g. "happy"). template: (478, 3) float32, the person's normalised face (see geometry).
    crops: (B, S, S, 3) uint8 BGR pose-normalised face crops. crop_landmarks: (B, 478, 2) float32 crop pixels.
    norm: (B, 478, 3) float32 normalised landmarks of the crops. tracked: (F, 478, 3) float32 normalised
    landmarks of every tracked enrolment frame (F >= B), for fitting the offset. offset: (478, 3) float32
    in face widths when a neutral reference was enrolled with it, else None (fitted against the live face).
    """

    emotion: str
    template: np.ndarray
    crops: np.ndarray
    crop_landmarks: np.ndarray
    norm: np.ndarray
    tracked: np.ndarray
    offset: Optional[np.ndarray] = None
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.crops)

    @property
    def crop_size(self) -> int:
        return int(self.crops.shape[1])


@dataclass(frozen=True)
class RetrievalConfig:
    """Bank retrieval: lip shape decides, eye aperture breaks ties, a switch must pay ``switch_cost``."""

    gap_weight: float = 2.0  # inner-lip opening per upper/lower pair: what lip sync is judged on
    shape_weight: float = 0.5  # the inner-lip contour's shape and place
    eye_weight: float = 0.3  # eye apertures (all in face widths)
    switch_cost: float = 0.004  # face widths: a new frame must fit this much better to replace the current one
    fade_frames: int = 3  # cross-fade length after a switch


class Retriever:
    """Chooses a bank frame per live frame and cross-fades after each switch.

    ``choose`` returns a list of (bank index, weight) whose weights sum to 1 (one or two entries).
    """

    def __init__(self, bank: EmotionBank, cfg: RetrievalConfig = RetrievalConfig()):
        self.cfg = cfg
        self._lips = lip_vector(bank.norm)  # (B, 40)
        self._gaps = pair_gaps(bank.norm)  # (B, 9)
        self._eyes = features(bank.norm)[:, 1:]  # (B, 2)
        self.reset()

    def reset(self) -> None:
        self._cur: Optional[int] = None
        self._prev: Optional[int] = None
        self._fade = 0
        self.switches = 0

    def cost(self, target_norm: np.ndarray) -> np.ndarray:
        """target_norm: (478, 3) float32 normalised target geometry -> (B,) float32 RMS distances (face widths)."""
        d = self._lips - lip_vector(target_norm)[None]
        lip = np.sqrt((d * d).mean(1))
        g = self._gaps - pair_gaps(target_norm)[None]
        gap = np.sqrt((g * g).mean(1))
        e = self._eyes - features(target_norm)[1:][None]
        eye = np.sqrt((e * e).mean(1))
        return self.cfg.gap_weight * gap + self.cfg.shape_weight * lip + self.cfg.eye_weight * eye

    def choose(self, target_norm: np.ndarray) -> list[tuple[int, float]]:
        """Best bank frame for the target geometry (478, 3) float32, with hysteresis and a cross-fade."""
        c = self.cost(target_norm)
        best = int(np.argmin(c))
        if self._cur is None:
            self._cur = best
        elif best != self._cur:
            # prefer continuing the bank's own motion (the next frame), then any frame that pays the switch
            nxt = min(self._cur + 1, len(c) - 1)
            if c[best] + self.cfg.switch_cost < min(c[self._cur], c[nxt]):
                self._prev, self._cur, self._fade = self._cur, best, self.cfg.fade_frames
                self.switches += 1
            elif c[nxt] < c[self._cur]:
                self._cur = nxt
        if self._fade > 0 and self._prev is not None:
            w = self._fade / (self.cfg.fade_frames + 1)
            self._fade -= 1
            return [(self._cur, 1.0 - w), (self._prev, w)]
        return [(self._cur, 1.0)]
