"""Which translator serves a job, built in ONE place (:func:`make_translator`): ``auto`` (personal when the profile
holds the emotion, routed), or an explicit kind."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from w2le_live.face.types import FaceObservation
from w2le_live.translators.base import Controls, Translator

DEFAULT_TARGET = "happy"
TRANSLATOR_KINDS = ("auto", "personal", "landmark", "neural")


def make_translator(
    model: Optional[str] = None,
    *,
    kind: str = "auto",
    profile: Optional[str] = None,
    target: Optional[str] = None,
    backend: str = "auto",
    mask: Optional[str] = None,
    blend=None,
) -> Translator:
    """The translator for a job (``translate``, ``run``, the tray, the live session, evaluation).

    ``kind`` auto: the personal profile when ``profile`` holds ``target`` (routed, so other emotions chosen live
    go to the fallback), else the neural generator when a ``model`` checkpoint is given, else the landmark warp
    (no weights). ``personal``/``landmark``/``neural`` force one. ``blend`` (a BlendConfig) reaches the neural and
    landmark translators on every path. A choice that cannot work is a one-sentence
    :class:`~w2le_live.errors.UserError` (unknown kind, neural without a model, personal without a profile,
    a missing or damaged profile, an emotion not enrolled).
    """
    from w2le_live.errors import UserError

    if kind not in TRANSLATOR_KINDS:
        raise UserError(f"--translator {kind} is unknown; choose one of: {', '.join(TRANSLATOR_KINDS)}.")
    if kind == "neural" and not model:
        raise UserError("--translator neural needs a generator checkpoint; pass --model CKPT.")
    if kind == "personal" and not profile:
        raise UserError(
            "--translator personal needs a profile; pass --profile NAME (create one with w2le-live enroll)."
        )

    def generic() -> Translator:
        return _weights_or_landmark(None if kind == "landmark" else model, backend, mask, blend)

    if profile and kind in ("auto", "personal"):
        return personal_translator(
            profile, target or DEFAULT_TARGET, strict=kind == "personal", fallback=generic
        )
    return generic()


def _weights_or_landmark(model: Optional[str], backend: str, mask: Optional[str], blend) -> Translator:
    """The neural generator for a checkpoint, else the landmark warp (no weights)."""
    kw = {} if blend is None else {"blend": blend}
    if model is None:
        from w2le_live.translators.landmark import LandmarkTranslator

        return LandmarkTranslator(**kw)
    from w2le_live.translators.neural import NeuralTranslator

    return NeuralTranslator(model, backend=backend, mask=mask, **kw)


class RoutingTranslator(Translator):
    """Per frame: the personal translator for emotions the profile holds, the fallback for the others.

    Both keep observing every frame (so calibrations stay current when the user switches emotion live).
    """

    def __init__(self, personal: Translator, fallback: Translator):
        self.personal, self.fallback = personal, fallback
        self.name = f"auto ({personal.name} + {fallback.name})"
        self.emotions = tuple(sorted(set(personal.emotions) | set(fallback.emotions)))
        self.needs_audio = fallback.needs_audio
        self.alignment = fallback.alignment

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
        out = active.translate(frame, face, mel, controls)
        self.left_alone = active.left_alone if out is frame else ""
        return out

    def _render(self, frame: np.ndarray, face: FaceObservation, mel: Optional[np.ndarray],
                controls: Controls) -> np.ndarray:  # fmt: skip
        """Unused: :meth:`translate` routes every frame (both translators observe it, even in bypass)."""
        return self.translate(frame, face, mel, controls)

    def calibrate(self) -> None:
        self.personal.calibrate()
        self.fallback.calibrate()

    def uses_calibration(self, target: str) -> bool:
        return self.serving(target).uses_calibration(target)

    def calibrating(self, target: str) -> bool:
        return self.serving(target).calibrating(target)

    def recording_neutral(self) -> Optional[bool]:
        states = [
            s for s in (self.personal.recording_neutral(), self.fallback.recording_neutral()) if s is not None
        ]
        return any(states) if states else None

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


def personal_translator(
    profile: str, target: str, *, strict: bool, fallback: Callable[[], Translator]
) -> Translator:
    """A profile's translator. strict (``--translator personal``): exactly the personal one, which must hold
    ``target``; else routed: personal for the enrolled emotions, ``fallback()`` for the others (or alone when
    the profile holds none). ProfileError in one sentence for a missing, damaged or incomplete profile."""
    from w2le_live.personal.profiles import Profile, ProfileError
    from w2le_live.translators.personal import PersonalTranslator

    prof = Profile(profile)  # one sentence when missing, damaged or of another version
    if strict:
        if not prof.has(target):
            have = ", ".join(prof.emotions) or "none"
            raise ProfileError(
                f"profile '{profile}' has no {target} enrolled (it has: {have}); run "
                f"w2le-live enroll --profile {profile} --emotion {target}, or choose another --target."
            )
        return PersonalTranslator.from_profile(profile)
    if not prof.emotions:
        return fallback()
    return RoutingTranslator(PersonalTranslator.from_profile(profile), fallback())


def choose_translator(kind: str = "auto", *, target: str, profile: Optional[str] = None,
                      model: Optional[str] = None, backend: str = "auto", mask=None) -> Translator:  # fmt: skip
    """:func:`make_translator` with the kind first (kept for callers of this name)."""
    return make_translator(model, kind=kind, profile=profile, target=target, backend=backend, mask=mask)
