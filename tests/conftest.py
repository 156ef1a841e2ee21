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


def pytest_collection_modifyitems(config, items):
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
