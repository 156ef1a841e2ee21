"""Settings that persist between runs (QSettings: registry on Windows, plist on macOS, ini on Linux)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class GuiSettings:
    target: str = "happy"
    intensity: float = 1.0
    bypass: bool = False
    model: Optional[str] = None
    show_preview: bool = False


def _qs():
    from PyQt5.QtCore import QSettings

    # the default format (native unless a caller chose another, as the tests do to keep the user's settings apart)
    return QSettings(QSettings.defaultFormat(), QSettings.UserScope, "W2LE Live", "w2le-live")


def load_settings() -> GuiSettings:
    s = _qs()
    d = GuiSettings()
    return GuiSettings(
        target=str(s.value("target", d.target)),
        intensity=float(s.value("intensity", d.intensity)),
        bypass=str(s.value("bypass", d.bypass)).lower() == "true",
        model=(s.value("model", "") or None),
        show_preview=str(s.value("show_preview", d.show_preview)).lower() == "true",
    )


def save_settings(g: GuiSettings) -> None:
    s = _qs()
    s.setValue("target", g.target)
    s.setValue("intensity", g.intensity)
    s.setValue("bypass", g.bypass)
    s.setValue("model", g.model or "")
    s.setValue("show_preview", g.show_preview)
    s.sync()
