"""Emotion translators behind one interface: the landmark warp (default, no weights) and the neural generator."""

from __future__ import annotations

from typing import Optional

from w2le_live.translators.base import Controls, Translator

__all__ = ["Controls", "Translator", "make_translator"]


def make_translator(model: Optional[str] = None, **kwargs) -> Translator:
    """None -> :class:`LandmarkTranslator` (no weights needed); a checkpoint path -> :class:`NeuralTranslator`.

    ``kwargs`` (backend=, mask=, ...) go to the neural translator; the landmark one ignores them.
    """
    if model is None:
        from w2le_live.translators.landmark import LandmarkTranslator

        return LandmarkTranslator()
    from w2le_live.translators.neural import NeuralTranslator

    kw = {k: v for k, v in kwargs.items() if k in ("backend", "mask", "blend") and v is not None}
    return NeuralTranslator(model, **kw)
