"""Quiet by default: native libraries (MediaPipe/TFLite/absl, OpenCV, FFmpeg, OpenVINO) print nothing unless
``--verbose``, so the CLI's own ``error: <sentence>`` is always the last line.

Environment variables cover the libraries that read them at load time; what is left (absl's pre-init
warnings, TFLite's delegate notice, C++ warnings from MediaPipe's worker threads) is written straight to file
descriptor 2 by native code, so fd 2 is pointed at the null device while Python keeps writing to the real
stderr through a duplicate of it.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from typing import Callable

NATIVE_LOG_ENV = {
    "GLOG_minloglevel": "2",  # MediaPipe (glog/absl): errors and above
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TFLite / TensorFlow
    "OPENCV_LOG_LEVEL": "ERROR",
    "OPENCV_FFMPEG_LOGLEVEL": "-8",  # quiet
    "OPENCV_VIDEOIO_DEBUG": "0",
    "PYTHONWARNINGS": "ignore",  # also for child processes (DataLoader workers, torchrun ranks)
}


def _noop() -> None:
    return None


def _real_stderr_fd() -> int | None:
    try:
        return sys.stderr.fileno() if sys.stderr is not None else None
    except (AttributeError, OSError, ValueError):  # pytest's capture, a notebook: not a real fd
        return None


def quiet_native_output(verbose: bool) -> Callable[[], None]:
    """Silence native log output (not ``verbose``); returns a function that undoes the fd-2 redirect.

    Call it first in a CLI entry point, before mediapipe/cv2/torch are imported. Python output (logging,
    progress bars, the error sentence) still reaches the terminal.
    """
    if verbose:
        return _noop
    for key, value in NATIVE_LOG_ENV.items():
        os.environ.setdefault(key, value)
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.ERROR)
    import warnings

    warnings.simplefilter("ignore")
    if _real_stderr_fd() != 2:
        return _noop
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        return _noop
    old = sys.stderr
    encoding = getattr(old, "encoding", None) or "utf-8"
    sys.stderr = io.TextIOWrapper(
        io.FileIO(saved, "w", closefd=False), encoding=encoding, errors="backslashreplace", line_buffering=True,
        write_through=True,
    )  # fmt: skip

    def restore() -> None:
        try:
            sys.stderr.flush()
        finally:
            sys.stderr = old
            os.dup2(saved, 2)
            os.close(saved)

    return restore
