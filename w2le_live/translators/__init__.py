"""Emotion translators behind one interface; ``make_translator`` (in ``select.py``) builds the one for a job."""

from __future__ import annotations

from typing import Optional

from w2le_live.translators.base import Controls, Translator
from w2le_live.translators.select import DEFAULT_TARGET, TRANSLATOR_KINDS, make_translator

__all__ = [
    "Controls",
    "Translator",
    "make_translator",
    "resolve_target",
    "TRANSLATOR_KINDS",
    "DEFAULT_TARGET",
]


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
