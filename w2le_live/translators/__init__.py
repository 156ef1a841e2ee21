"""Emotion translators behind one interface: the landmark warp (default, no weights) and the neural generator."""

from __future__ import annotations

from typing import Optional

from w2le_live.translators.base import Controls, Translator

__all__ = ["Controls", "Translator", "make_translator", "resolve_target"]
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
    """The translator for a job.

    ``kind`` auto: the personal profile when ``profile`` holds ``target``, else the neural generator when a
    ``model`` checkpoint is given, else the landmark warp (no weights). ``personal``/``landmark``/``neural`` force
    one; a forced kind that cannot be served is a one-sentence :class:`~w2le_live.errors.UserError`.
    """
    if kind not in TRANSLATOR_KINDS:
        from w2le_live.errors import UserError

        raise UserError(f"--translator {kind} is unknown; choose one of: {', '.join(TRANSLATOR_KINDS)}.")
    if kind == "personal" or (kind == "auto" and profile):
        from w2le_live.translators.select import choose_translator

        return choose_translator(
            kind, target=target or DEFAULT_TARGET, profile=profile, model=model, backend=backend, mask=mask
        )
    if kind == "neural" and model is None:
        from w2le_live.errors import UserError

        raise UserError("--translator neural needs a generator checkpoint; pass --model CKPT.")
    if model is None or kind == "landmark":
        from w2le_live.translators.landmark import LandmarkTranslator

        return LandmarkTranslator()
    from w2le_live.translators.neural import NeuralTranslator

    kw = {k: v for k, v in (("backend", backend), ("mask", mask), ("blend", blend)) if v is not None}
    return NeuralTranslator(model, **kw)


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
