"""Why PyQt5's xcb platform plugin cannot load on a Linux box, named as system packages to install.

Qt aborts with a multi-line "Could not load the Qt platform plugin" message that names no package. Here ``ldd``
on PyQt5's ``libqxcb.so`` lists the shared libraries it cannot find, and a map turns each soname into the
Debian/Ubuntu and Fedora package that ships it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Optional

# soname -> (Debian/Ubuntu package, Fedora package)
SONAME_PACKAGES: dict[str, tuple[str, str]] = {
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXext.so.6": ("libxext6", "libXext"),
    "libXrender.so.1": ("libxrender1", "libXrender"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libICE.so.6": ("libice6", "libICE"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.M)


@dataclass(frozen=True)
class MissingLibs:
    """Shared libraries ``libqxcb.so`` cannot find, and the packages that provide them."""

    sonames: tuple[str, ...]
    debian: tuple[str, ...]
    fedora: tuple[str, ...]
    unknown: tuple[str, ...]  # sonames not in SONAME_PACKAGES

    def fix(self) -> str:
        parts = []
        if self.debian:
            parts.append("sudo apt install " + " ".join(self.debian))
        if self.fedora:
            parts.append("on Fedora: sudo dnf install " + " ".join(self.fedora))
        if self.unknown:
            parts.append("and whatever package provides " + ", ".join(self.unknown))
        return "; ".join(parts)


def missing_from_ldd(ldd_output: str) -> MissingLibs:
    """Parse ``ldd`` output ("libfoo.so.1 => not found" lines) into sonames and the packages to install."""
    sonames = tuple(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))
    deb, fed, unknown = [], [], []
    for so in sonames:
        pkgs = SONAME_PACKAGES.get(so)
        if pkgs is None:
            unknown.append(so)
            continue
        for lst, pkg in ((deb, pkgs[0]), (fed, pkgs[1])):
            if pkg not in lst:
                lst.append(pkg)
    return MissingLibs(sonames, tuple(deb), tuple(fed), tuple(unknown))


def pyqt5_xcb_plugin() -> Optional[str]:
    """Path of PyQt5's bundled ``libqxcb.so``, or None when PyQt5 (or that plugin) is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("PyQt5")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for sub in ("Qt5", "Qt"):
            path = os.path.join(root, sub, "plugins", "platforms", "libqxcb.so")
            if os.path.isfile(path):
                return path
    return None


def xcb_missing_libs(plugin: str, timeout: float = 10.0) -> Optional[MissingLibs]:
    """Run ``ldd`` on the plugin; None when ``ldd`` itself is unavailable."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        out = subprocess.run([ldd, plugin], capture_output=True, text=True, timeout=timeout).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return missing_from_ldd(out)


def raise_if_qt_cannot_start() -> None:
    """Linux: raise a one-sentence UserError where Qt would abort (exit 134) with its multi-line plugin message."""
    import sys

    from w2le_live.errors import UserError

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return
    if not os.environ.get("DISPLAY"):
        if os.environ.get("WAYLAND_DISPLAY"):
            return  # Qt picks its Wayland plugin where xcb has no display
        raise UserError(
            "the tray needs a desktop session but DISPLAY is not set; start it from your desktop, "
            "or run without a GUI: w2le-live run."
        )
    plugin = pyqt5_xcb_plugin()
    missing = xcb_missing_libs(plugin) if plugin else None
    if missing is not None and missing.sonames:
        raise UserError(
            f"Qt's xcb platform plugin cannot load because {', '.join(missing.sonames)} "
            f"{'is' if len(missing.sonames) == 1 else 'are'} missing; run: {missing.fix()}."
        )
