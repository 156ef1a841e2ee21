"""Which translator serves a job: ``auto`` (personal when the profile holds the emotion), or an explicit kind."""

from __future__ import annotations

from typing import Optional

import numpy as np

from w2le_live.errors import UserError
from w2le_live.face.types import FaceObservation
from w2le_live.translators.base import Controls, Translator

KINDS = ("auto", "personal", "landmark", "neural")


class RoutingTranslator(Translator):
    """Per frame: the personal translator for emotions the profile holds, the fallback for the others.

    Both keep observing every frame (so calibrations stay current when the user switches emotion live).
    """

    def __init__(self, personal: Translator, fallback: Translator):
        self.personal, self.fallback = personal, fallback
        self.name = f"auto ({personal.name} + {fallback.name})"
        self.emotions = tuple(sorted(set(personal.emotions) | set(fallback.emotions)))
        self.needs_audio = fallback.needs_audio
        self.alignment = getattr(fallback, "alignment", "wav2lip")

    def serving(self, target: str) -> Translator:
        """The translator that produces ``target``."""
        return self.personal if target in self.personal.emotions else self.fallback

    def translate(self, frame: np.ndarray, face: Optional[FaceObservation], mel: Optional[np.ndarray],
                  controls: Controls) -> np.ndarray:  # fmt: skip
        """frame: (H, W, 3) uint8 BGR; mel: (80, 16) float32 or None (used by a neural fallback)."""
        active = self.serving(controls.target)
        idle = self.fallback if active is self.personal else self.personal
        if face is not None and not idle.needs_audio:
            idle.translate(frame, face, mel, Controls(controls.target, controls.intensity, bypass=True))
        return active.translate(frame, face, mel, controls)

    def reset(self) -> None:
        self.personal.reset()
        self.fallback.reset()

    def describe(self) -> str:
        return (f"{self.personal.describe()} for {', '.join(self.personal.emotions)}; "
                f"{self.fallback.describe()} for the rest")  # fmt: skip

    def serving_label(self, target: str) -> str:
        return self.serving(target).serving_label(target)

    def describe_target(self, target: str) -> str:
        """One line naming who serves ``target`` (status line, tray tooltip, summaries)."""
        return f"{target}: {self.serving(target).describe()}"


def serving_name(translator: Translator, target: str) -> str:
    """Short name of the translator serving ``target`` ("personal", "landmark", "neural", ...)."""
    if isinstance(translator, RoutingTranslator):
        return translator.serving(target).name
    return translator.name


def _fallback(model: Optional[str], backend: str, mask) -> Translator:
    """The neural generator for a checkpoint, else the landmark warp (no weights)."""
    if model is None:
        from w2le_live.translators.landmark import LandmarkTranslator

        return LandmarkTranslator()
    from w2le_live.translators.neural import NeuralTranslator

    return NeuralTranslator(model, backend=backend, mask=mask)


def choose_translator(kind: str = "auto", *, target: str, profile: Optional[str] = None,
                      model: Optional[str] = None, backend: str = "auto", mask=None) -> Translator:  # fmt: skip
    """The translator for a job.

    auto: the personal translator when ``profile`` holds ``target`` (wrapped so other emotions chosen live go
    to the fallback), else the neural one when ``model`` is given, else the landmark one. personal /
    landmark / neural: exactly that one. Raises a one-sentence UserError when the choice cannot work
    (unknown kind, missing or damaged profile, emotion not enrolled, neural without a model).
    """
    if kind not in KINDS:
        raise UserError(f"--translator {kind} is unknown; choose one of: {', '.join(KINDS)}.")
    if kind == "landmark":
        from w2le_live.translators.landmark import LandmarkTranslator

        return LandmarkTranslator()
    if kind == "neural":
        if not model:
            raise UserError("--translator neural needs a generator checkpoint; pass --model PATH.")
        return _fallback(model, backend, mask)
    if kind == "personal" and not profile:
        raise UserError(
            "--translator personal needs a profile; pass --profile NAME (create one with w2le-live enroll)."
        )
    if not profile:
        return _fallback(model, backend, mask)

    from w2le_live.personal.profiles import Profile, ProfileError
    from w2le_live.translators.personal import PersonalTranslator

    prof = Profile(profile)  # one sentence when missing, damaged or of another version
    if kind == "personal":
        if not prof.has(target):
            have = ", ".join(prof.emotions) or "none"
            raise ProfileError(
                f"profile '{profile}' has no {target} enrolled (it has: {have}); run "
                f"w2le-live enroll --profile {profile} --emotion {target}, or choose another --target."
            )
        return PersonalTranslator.from_profile(profile)
    if not prof.emotions:
        return _fallback(model, backend, mask)
    return RoutingTranslator(PersonalTranslator.from_profile(profile), _fallback(model, backend, mask))
