"""Shared fixtures: real data from ../shared/data, the requires_cuda marker, small helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("W2LE_SHARED_DATA")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (real clips and weights); skips the test with a reason when absent."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real test data not found at {path} (set W2LE_SHARED_DATA or place shared/ beside the repo)"
        )
    return path


def pytest_configure(config):
    """Import cv2 now and undo its Qt plugin path, so a QApplication made by any test loads PyQt5's own plugins."""
    from w2le_live.qt_env import prepare_qt

    prepare_qt()
    # the independent facex judge ships in ../shared/data/models (shipped code never looks there itself)
    facex = _shared_data_dir() / "models" / "facex" / "model_optimized.tflite"
    if facex.is_file():
        os.environ.setdefault("W2LE_FACEX_MODEL", str(facex))


def qt_unavailable_reason() -> str | None:
    """Why a Qt window cannot open on this machine (PyQt5 missing, or libraries its xcb plugin needs), or None."""
    import importlib.util
    import sys

    if importlib.util.find_spec("PyQt5") is None:
        return "PyQt5 is not installed; run: pip install -e '.[gui]'"
    if not sys.platform.startswith("linux"):
        return None
    from w2le_live.qt_deps import pyqt5_xcb_plugin, xcb_missing_libs

    plugin = pyqt5_xcb_plugin()
    missing = xcb_missing_libs(plugin) if plugin else None
    if missing is not None and missing.sonames:
        return f"Qt's xcb plugin cannot load ({', '.join(missing.sonames)} not found); run: {missing.fix()}"
    return None


def pytest_collection_modifyitems(config, items):
    qt_items = [it for it in items if {"qapp", "display"} & set(getattr(it, "fixturenames", ()))]
    reason = qt_unavailable_reason() if qt_items else None
    if reason:  # skip rather than let Qt abort the whole test process
        for item in qt_items:
            item.add_marker(pytest.mark.skip(reason=reason))
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # pragma: no cover - torch missing
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs an NVIDIA GPU with CUDA; none on this machine")
    for item in items:
        if "requires_cuda" in item.keywords:
            item.add_marker(skip)
