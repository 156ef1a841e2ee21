"""Emotion translators behind one interface, and the ONE place a translator is built for a job."""

from __future__ import annotations

from typing import Optional

from w2le_live.translators.base import Controls, Translator

__all__ = ["Controls", "Translator", "make_translator", "resolve_target", "TRANSLATOR_KINDS"]
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
        from w2le_live.translators.select import personal_translator

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


def resolve_target(translator: Translator, requested: Optional[str]) -> str:
    """The emotion to produce: ``requested`` when the translator makes it (else a one-sentence UserError);
    with none requested, happy where offered, else what the translator makes (a checkpoint's destination)."""
    from w2le_live.errors import UserError

    if requested is None:
        return DEFAULT_TARGET if DEFAULT_TARGET in translator.emotions else translator.emotions[0]
    if requested not in translator.emotions:
        raise UserError(
            f"the {translator.name} translator cannot produce '{requested}'; "
            f"choose --target from: {', '.join(translator.emotions)}."
        )
    return requested
