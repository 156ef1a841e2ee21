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


class OutputPathError(UserError):
    """An output path that cannot be written (missing folder, a folder, read-only, the input itself, disk full)."""


class Interrupted(UserError):
    """Ctrl-C or SIGTERM; the message says what was kept (e.g. a saved checkpoint and how to resume)."""

    exit_code = 130


class Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler the CLIs install, so ``finally``/``except`` clean up."""


def _first_line(text: object, limit: int = 160) -> str:
    lines = [x.strip() for x in str(text).strip().splitlines() if x.strip()]
    line = lines[0] if lines else ""
    return (line[: limit - 3] + "...") if len(line) > limit else line


def as_user_error(exc: BaseException) -> UserError | None:
    """The one-sentence UserError for an exception the user caused (paths, disk, media), or None for a bug."""
    import errno

    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, MemoryError):
        return UserError("the machine ran out of memory; use a shorter or smaller input, or a smaller model.")
    is_av = type(exc).__module__.split(".")[0] == "av"
    if isinstance(exc, OSError) and (exc.filename or exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)):
        name = exc.filename or "the output file"
        code = exc.errno
        if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return OutputPathError(
                f"there is no space left to write {name}; free some disk space or choose another path."
            )
        if code in (errno.EACCES, errno.EPERM, errno.EROFS):
            return OutputPathError(
                f"{name} is not accessible ({_first_line(exc.strerror)}); choose another path."
            )
        if code == errno.ENOENT:
            return InputFileError(f"{name} does not exist; check the path.")
        if code == errno.EISDIR:
            return OutputPathError(f"{name} is a folder; pass a file path.")
        if code == errno.ENOTDIR:
            return InputFileError(f"part of the path {name} is not a folder; check the path.")
        return UserError(f"{name} could not be used ({_first_line(exc.strerror or exc)}); check the path.")
    if is_av:
        name = getattr(exc, "filename", None) or "a media file"
        return InputFileError(
            f"FFmpeg could not process {name} ({_first_line(getattr(exc, 'strerror', None) or exc)}); "
            "check that the file plays, or re-encode it to H.264 mp4."
        )
    return None


def install_sigterm_handler():
    """SIGTERM raises :class:`Terminated` in the main thread, so partial outputs are removed on the way out.

    Returns a function that puts the previous handler back.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def _raise(signum, frame):
        raise Terminated()

    old = signal.signal(signal.SIGTERM, _raise)
    return lambda: signal.signal(signal.SIGTERM, old)


def run_cli(body, *, verbose: bool = False) -> int:
    """Call ``body()`` at a CLI boundary: every failure ends as ``error: <one sentence>`` on the last stderr line.

    User-caused exceptions (UserError, OSError on a path, FFmpeg errors, out of memory) become their sentence;
    Ctrl-C/SIGTERM exit 130/143; anything else is a bug, reported in one line (the traceback with --verbose).
    """
    import logging
    import sys
    import traceback

    try:
        code = int(body() or 0)
        sys.stdout.flush()  # a reader gone (`| head`) shows here when the output was buffered
        return code
    except KeyboardInterrupt:
        msg, code = "interrupted (Ctrl-C); nothing more was written.", 130
    except Terminated:
        msg, code = "stopped by SIGTERM; partial output files were removed.", 143
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: one sentence, never a traceback
        if isinstance(exc, BrokenPipeError) and _stdout_gone():
            return 141  # the reader of our output stopped reading (`| head`): nothing went wrong here
        err = as_user_error(exc)
        if verbose:
            traceback.print_exc()
        if err is not None:
            msg, code = str(err), err.exit_code
        else:
            logging.getLogger("w2le_live").debug("internal error", exc_info=exc)
            msg, code = (
                f"internal error ({type(exc).__name__}: {_first_line(exc, 120) or 'no message'}); "
                "rerun with --verbose and report it.",
                1,
            )
    sys.stdout.flush()
    msg = _first_line(msg, 400)
    if not msg.endswith((".", "?", "!")):
        msg += "."
    print(f"error: {msg}", file=sys.stderr, flush=True)
    return code


def _stdout_gone() -> bool:
    """True when stdout is a pipe whose reader has closed it (then stdout is pointed at /dev/null, so the exit
    flush is quiet); False elsewhere (a broken pipe to a subprocess is a real error)."""
    import os
    import select
    import sys

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        gone = any(ev & select.POLLERR for _, ev in poller.poll(0))
        if gone:
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        return gone
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or no real stdout (tests)
        return False
