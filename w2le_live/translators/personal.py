"""The ``personal`` translator: the person's own enrolled expression, worn over the live face."""

from __future__ import annotations

from typing import Mapping, Optional

import numpy as np

from w2le_live.face.types import FaceObservation
from w2le_live.translators.base import Controls, Translator


def uncross_lids(norm: np.ndarray) -> None:
    """In place: where a moved upper eyelid point fell below its lower partner (a blink plus a narrowing offset),
    both meet halfway. norm: (478, 3) float32 normalised (y down)."""
    from w2le_live.personal.mesh import LEFT_LID_PAIRS, RIGHT_LID_PAIRS

    up = [a for a, _ in LEFT_LID_PAIRS + RIGHT_LID_PAIRS]
    lo = [b for _, b in LEFT_LID_PAIRS + RIGHT_LID_PAIRS]
    crossed = norm[up, 1] > norm[lo, 1]
    if crossed.any():
        mid = 0.5 * (norm[up, 1] + norm[lo, 1])
        norm[np.array(up)[crossed], 1] = mid[crossed]
        norm[np.array(lo)[crossed], 1] = mid[crossed]


class PersonalTranslator(Translator):
    """Retrieves the enrolled bank frame whose mouth matches the live one and warps it onto the live geometry
    plus the emotion's offset; lips, eyelids, eyeballs, head pose and identity stay the live ones.

    banks: emotion -> :class:`~w2le_live.personal.bank.EmotionBank` (or use :meth:`from_profile`).
    The offset of an emotion comes from its own neutral recording, else the profile's ``neutral`` bank, else
    the live face's first ``calib_frames`` frames (always so for the ``neutral`` target: the live face's
    current expression is what is undone).
    """

    name = "personal"
    needs_audio = False

    def __init__(self, banks: Mapping[str, object], calib_frames: int = 25, profile_name: str = "",
                 render_cfg=None, retrieval_cfg=None):  # fmt: skip
        from w2le_live.personal.bank import RetrievalConfig
        from w2le_live.personal.render import RenderConfig

        if not banks:
            raise ValueError("PersonalTranslator needs at least one enrolled emotion")
        self.banks = dict(banks)
        self.emotions = tuple(sorted(self.banks))
        self.profile_name = profile_name
        self.calib_frames = calib_frames
        self.render_cfg = render_cfg or RenderConfig()
        self.retrieval_cfg = retrieval_cfg or RetrievalConfig()
        self._retrievers: dict = {}
        self.reset()

    @classmethod
    def from_profile(cls, name: str, emotions: Optional[tuple[str, ...]] = None, **kw) -> PersonalTranslator:
        """Load a profile's banks (all, or ``emotions``); ProfileError in one sentence when unusable."""
        from w2le_live.personal.profiles import Profile

        prof = Profile(name)
        wanted = emotions or prof.emotions
        return cls({e: prof.load(e) for e in wanted}, profile_name=name, **kw)

    def reset(self) -> None:
        self._calib: list[np.ndarray] = []
        self._offsets: dict[str, np.ndarray] = {}
        self._calib_done = False
        for r in self._retrievers.values():
            r.reset()

    def describe(self) -> str:
        who = f" '{self.profile_name}'" if self.profile_name else ""
        return f"personal{who} ({', '.join(self.emotions)})"

    # -- offsets ---------------------------------------------------------------------------------------
    def offset(self, emotion: str) -> np.ndarray:
        """(478, 3) float32 expression offset (face widths, normalised) of an emotion for this stream."""
        from w2le_live.personal import geometry as G

        if emotion in self._offsets:
            return self._offsets[emotion]
        bank = self.banks[emotion]
        off = None
        if emotion != "neutral" and bank.offset is not None:
            off = bank.offset
        elif emotion != "neutral" and "neutral" in self.banks:
            off = G.expression_offset(bank.tracked, self.banks["neutral"].tracked)
        elif len(self._calib) >= 3:
            live = G.normalise(np.stack(self._calib), bank.template)
            off = G.expression_offset(bank.tracked, live)
        if off is None:
            return np.zeros((478, 3), np.float32)  # not calibrated yet: the bank's texture on the live shape
        from w2le_live.personal.render import BANK_EYES

        off = G.keep_openings(off, lids=emotion not in BANK_EYES)
        if bank.offset is not None or "neutral" in self.banks and emotion != "neutral" or self._calib_done:
            self._offsets[emotion] = off
        return off

    def _observe(self, lm: np.ndarray) -> None:
        if not self._calib_done:
            self._calib.append(lm.copy())
            if len(self._calib) >= self.calib_frames:
                self._calib_done = True
                self._offsets = {e: o for e, o in self._offsets.items() if e != "neutral"}

    # -- per frame -------------------------------------------------------------------------------------
    def target_geometry(self, lm: np.ndarray, emotion: str, intensity: float):
        """(pose, target normalised (478, 3) float32, target frame px (478, 3) float32) for live lm (478, 3)."""
        from w2le_live.personal.geometry import pose_of

        bank = self.banks[emotion]
        pose = pose_of(lm, bank.template)
        tn = pose.to_norm(lm) + self.offset(emotion) * float(intensity)
        uncross_lids(tn)
        return pose, tn, pose.to_frame(tn)

    def _render(self, frame: np.ndarray, face: FaceObservation, mel: Optional[np.ndarray],
                controls: Controls) -> np.ndarray:  # fmt: skip
        """frame: (H, W, 3) uint8 BGR; mel is ignored (the lips follow the live landmarks). The face/bypass
        guard and ``_observe`` run in ``Translator.translate``."""
        from w2le_live.personal.bank import Retriever, head_angles
        from w2le_live.personal.render import BANK_EYES, UPPER_FACE, render

        lm = face.landmarks
        k = float(min(controls.intensity, 1.5))
        emotion = controls.target
        pose, tn, tp = self.target_geometry(lm, emotion, k)
        if emotion not in self._retrievers:
            self._retrievers[emotion] = Retriever(self.banks[emotion], self.retrieval_cfg)
        ret = self._retrievers[emotion]
        ret.live_angles = head_angles(pose.R)
        upper = emotion in UPPER_FACE
        choice = ret.choose(tn)
        upper_choice = ret.choose_upper(tn) if upper else None
        return render(
            frame,
            lm,
            tp,
            pose,
            self.banks[emotion],
            choice,
            upper,
            k,
            self.render_cfg,
            live_eyes=emotion not in BANK_EYES,
            upper_choice=upper_choice,
        )
