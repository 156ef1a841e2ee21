"""Keep OpenCV's bundled Qt away from PyQt5.

mediapipe requires ``opencv-contrib-python``, the GUI build of OpenCV. On Linux its ``import cv2`` points
``QT_QPA_PLATFORM_PLUGIN_PATH`` (and ``QT_QPA_FONTDIR``) at ``cv2/qt/``, whose ``libqxcb.so`` links OpenCV's own
copy of Qt: a ``QApplication`` created afterwards loads that plugin next to PyQt5's Qt and aborts ("Could not load
the Qt platform plugin xcb") or crashes. ``prepare_qt()`` imports cv2 first, so its side effect happens now, then
puts the two variables back as they were before cv2 touched them. Call it before creating a ``QApplication``.
"""

from __future__ import annotations

import os
import sys

CV2_QT_VARS = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), folder]) == folder
    except ValueError:  # different drives on Windows
        return False


def prepare_qt() -> None:
    """Import cv2 (if installed) and undo its Qt environment variables; idempotent and cheap after the first call."""
    before = {k: os.environ.get(k) for k in CV2_QT_VARS} if "cv2" not in sys.modules else None
    try:
        import cv2
    except ImportError:
        return
    cv2_dir = os.path.dirname(os.path.abspath(cv2.__file__))
    for key in CV2_QT_VARS:
        value = os.environ.get(key)
        own = before[key] if before is not None else None
        if own is not None and not _inside(own, cv2_dir):
            os.environ[key] = own  # the user's own setting, which cv2 overwrote
        elif value and _inside(value, cv2_dir):
            del os.environ[key]  # set by cv2 here, or inherited from a parent process that imported cv2
