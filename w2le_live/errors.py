"""User-facing errors: one sentence naming the problem and the fix.

Every module raises :class:`UserError` (or a subclass) for bad input a user can fix; the CLI
prints ``error: <message>`` and exits with :attr:`UserError.exit_code`, never a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str(err)`` is one complete sentence."""

    exit_code = 2


class InputFileError(UserError):
    """A missing, empty, corrupt or unsupported media file."""


class NoAudioError(InputFileError):
    """The input has no audio stream where the model needs one."""


class CheckpointError(UserError):
    """A checkpoint that is missing, unsafe, or of the wrong architecture/shape."""


class DeviceError(UserError):
    """A camera, microphone, speaker or virtual camera that is absent or failed."""


class BackendUnavailableError(UserError):
    """An inference runtime (ONNX Runtime, OpenVINO, TensorRT, CUDA) that is not installed or usable."""
