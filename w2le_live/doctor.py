"""Environment checks behind ``w2le-live doctor``: what works, and the one command that fixes what does not.

Every check returns a :class:`Check`; ``required`` ones are what the main job (translating a video file on the
CPU) needs, so :func:`main_job_ready` is false when any of them failed. Checks never raise: a probe that breaks is
itself a failed check.
"""

from __future__ import annotations

import glob
import importlib
import importlib.metadata as md
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

# the modules translating a file on the CPU imports: (module, distribution to reinstall when it fails)
CORE_MODULES = (("numpy", "numpy"), ("torch", "torch"), ("cv2", "opencv-contrib-python"),
                ("mediapipe", "mediapipe"), ("av", "av"), ("platformdirs", "platformdirs"))  # fmt: skip
REPORTED_DISTS = ("w2le-live", "torch", "numpy", "mediapipe", "av", "onnxruntime", "openvino", "PyQt5",
                  "sounddevice", "pyvirtualcam", "tensorrt")  # fmt: skip
V4L2LOOPBACK_FIX = 'sudo apt install v4l2loopback-dkms && sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="W2LE Live"'


@dataclass(frozen=True)
class Check:
    """One finding: ``ok`` True (works), False (broken/missing; ``fix`` says what to do) or None (not applicable)."""

    name: str
    ok: Optional[bool]
    detail: str
    fix: str = ""
    required: bool = False


def _version(dist: str) -> Optional[str]:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def check_python() -> Check:
    v = sys.version_info
    ok = (3, 9) <= (v.major, v.minor) < (3, 13)
    return Check("Python", ok, f"{platform.python_version()} ({sys.executable})",
                 "" if ok else "use Python 3.9 to 3.12 (mediapipe has no wheels for other versions)", True)  # fmt: skip


def check_core_imports() -> Check:
    found, broken, fixes = [], [], []
    for module, dist in CORE_MODULES:
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - a broken native library raises anything
            broken.append(f"{module} ({_first_line(exc)})")
            fixes.append(dist)
            continue
        found.append(f"{module} {getattr(mod, '__version__', '')}".strip())
    if broken:
        return Check("core modules", False, "cannot import " + "; ".join(broken),
                     "pip install --force-reinstall " + " ".join(fixes), True)  # fmt: skip
    return Check("core modules", True, ", ".join(found), required=True)


def check_packages() -> Check:
    parts = [f"{d} {v}" for d in REPORTED_DISTS if (v := _version(d))]
    absent = [d for d in REPORTED_DISTS if _version(d) is None]
    detail = ", ".join(parts) + (f"; not installed: {', '.join(absent)}" if absent else "")
    return Check("packages", None, detail)


def opencv_distributions() -> list[str]:
    """Installed distributions that ship the ``cv2`` package (opencv-python, -headless, -contrib-...)."""
    names = set()
    for dist in md.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name.startswith("opencv") and "python" in name:
            names.add(f"{name} {dist.version}")
    return sorted(names)


def check_opencv() -> Check:
    dists = opencv_distributions()
    if len(dists) == 1:
        return Check("OpenCV", True, f"{dists[0]} (one distribution)")
    if not dists:
        return Check(
            "OpenCV", False, "no OpenCV distribution installed", "pip install opencv-contrib-python", True
        )
    names = [d.split()[0] for d in dists]
    others = [n for n in names if n != "opencv-contrib-python"]
    return Check("OpenCV", False, f"{len(dists)} distributions write the same cv2/ folder: {', '.join(dists)}",
                 f"pip uninstall -y {' '.join(names)} && pip install 'opencv-contrib-python<4.12'"
                 + (f" (installed by something else than w2le-live: {', '.join(others)})" if others else ""))  # fmt: skip


def v4l2_querycap(path: str) -> Optional[tuple[str, str]]:
    """(driver, card) of a V4L2 device node via VIDIOC_QUERYCAP, or None when it cannot be opened."""
    import fcntl

    buf = bytearray(104)  # struct v4l2_capability
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.ioctl(fd, 0x80685600, buf)  # _IOR('V', 0, struct v4l2_capability)
    except OSError:
        return None
    finally:
        os.close(fd)
    return buf[:16].split(b"\0")[0].decode(errors="replace"), buf[16:48].split(b"\0")[0].decode(
        errors="replace"
    )


def _video_nodes() -> list[str]:
    return sorted(glob.glob("/dev/video*"), key=lambda p: int("0" + "".join(c for c in p if c.isdigit())))


def _is_loopback(node: str, cap: Optional[tuple[str, str]]) -> bool:
    if cap is not None:
        return "loopback" in cap[0].lower()
    return os.path.isdir(f"/sys/devices/virtual/video4linux/{os.path.basename(node)}")


def check_cameras() -> Check:
    fix = "connect a webcam (translate works on video files without one; run also takes --source VIDEO_FILE)"
    if sys.platform.startswith("linux"):
        nodes = [n for n in _video_nodes() if not _is_loopback(n, v4l2_querycap(n))]
        if not nodes:
            return Check("cameras", False, "none found (no /dev/video* capture device)", fix)
        opened = []
        try:
            import cv2

            for node in nodes:
                cap = cv2.VideoCapture(node, cv2.CAP_V4L2)
                if cap.isOpened():
                    opened.append(node)
                cap.release()
        except Exception as exc:  # noqa: BLE001
            return Check(
                "cameras", False, f"{', '.join(nodes)} present but OpenCV failed ({_first_line(exc)})", fix
            )
        if not opened:
            return Check("cameras", False, f"{', '.join(nodes)} present but none opens (in use, or no permission)",
                         "close other apps using the camera; add yourself to the video group: "
                         "sudo usermod -aG video $USER")  # fmt: skip
        return Check("cameras", True, ", ".join(opened))
    try:
        import cv2

        api = cv2.CAP_DSHOW if sys.platform == "win32" else cv2.CAP_AVFOUNDATION
        found = []
        for i in range(4):
            cap = cv2.VideoCapture(i, api)
            if cap.isOpened():
                found.append(str(i))
            cap.release()
    except Exception as exc:  # noqa: BLE001
        return Check("cameras", False, f"probing failed ({_first_line(exc)})", fix)
    if not found:
        return Check("cameras", False, "no camera opens at indices 0-3", fix)
    return Check("cameras", True, "indices " + ", ".join(found))


def _portaudio_fix() -> str:
    if sys.platform.startswith("linux"):
        return "sudo apt install libportaudio2 (Fedora: sudo dnf install portaudio)"
    return "pip install --force-reinstall sounddevice (its wheel bundles PortAudio)"


def check_audio() -> list[Check]:
    """PortAudio (the library sounddevice loads) and the microphones it lists."""
    if not _importable("sounddevice"):
        fix = "pip install 'w2le-live[gui]' (or [live])"
        return [Check("PortAudio", False, "sounddevice is not installed", fix),
                Check("microphones", None, "not checked (needs sounddevice)")]  # fmt: skip
    try:
        import sounddevice as sd
    except OSError as exc:
        return [Check("PortAudio", False, f"library not found ({_first_line(exc)})", _portaudio_fix()),
                Check("microphones", None, "not checked (needs PortAudio)")]  # fmt: skip
    except Exception as exc:  # noqa: BLE001
        return [Check("PortAudio", False, _first_line(exc), _portaudio_fix()),
                Check("microphones", None, "not checked (needs PortAudio)")]  # fmt: skip
    pa = Check("PortAudio", True, sd.get_portaudio_version()[1])
    try:
        devs = sd.query_devices()
    except Exception as exc:  # noqa: BLE001
        return [pa, Check("microphones", False, f"cannot list devices ({_first_line(exc)})",
                          "check your sound system (ALSA/PulseAudio/PipeWire)")]  # fmt: skip
    mics = [f"{i}: {d['name']}" for i, d in enumerate(devs) if d["max_input_channels"] > 0]
    if not mics:
        return [pa, Check("microphones", False, "none found",
                          "connect a microphone, or run with --mic none (the landmark translator needs no audio)")]  # fmt: skip
    return [pa, Check("microphones", True, "; ".join(mics[:4]) + (" ..." if len(mics) > 4 else ""))]


def check_virtual_camera() -> Check:
    name = "virtual camera"
    if not _importable("pyvirtualcam"):
        return Check(name, False, "pyvirtualcam is not installed", "pip install 'w2le-live[gui]' (or [live])")
    if sys.platform.startswith("linux"):
        loaded = os.path.isdir("/sys/module/v4l2loopback")
        loops = [n for n in _video_nodes() if _is_loopback(n, v4l2_querycap(n))]
        if loaded and loops:
            cards = [f"{n} ({c[1]})" if (c := v4l2_querycap(n)) else n for n in loops]
            return Check(name, True, "v4l2loopback: " + ", ".join(cards))
        detail = (
            "v4l2loopback module loaded but no loopback device"
            if loaded
            else "v4l2loopback module not loaded"
        )
        return Check(name, False, detail, V4L2LOOPBACK_FIX)
    return _probe_pyvirtualcam(name)


def _probe_pyvirtualcam(name: str) -> Check:
    """Windows/macOS: open each pyvirtualcam backend for a moment."""
    import pyvirtualcam

    works, errors = [], []
    for backend in sorted(getattr(pyvirtualcam.camera, "BACKENDS", {}) or ["obs"]):
        try:
            with pyvirtualcam.Camera(64, 48, 5, backend=backend):
                works.append(backend)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{backend}: {_first_line(exc)}")
    if works:
        return Check(name, True, "backends that open: " + ", ".join(works))
    fix = ("install OBS Studio 26+ and start its Virtual Camera once, or install Unity Capture"
           if sys.platform == "win32" else "install OBS Studio 30+ and start its Virtual Camera once")  # fmt: skip
    return Check(name, False, "; ".join(errors) or "no backend", fix)


QT_PROBE = (
    "import sys\n"
    "from w2le_live.qt_env import prepare_qt\n"
    "prepare_qt()\n"
    "from PyQt5.QtWidgets import QApplication, QSystemTrayIcon\n"
    "app = QApplication(['w2le-doctor'])\n"
    "print('PLATFORM', app.platformName(), QSystemTrayIcon.isSystemTrayAvailable())\n"
)


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[1])


def check_qt() -> list[Check]:
    """PyQt5, its xcb platform plugin's libraries (Linux) and, with a display, a QApplication and a tray host."""
    if not _importable("PyQt5"):
        return [Check("Qt / tray", False, "PyQt5 is not installed", "pip install 'w2le-live[gui]'")]
    out = []
    linux = sys.platform.startswith("linux")
    if linux:
        from w2le_live.qt_deps import pyqt5_xcb_plugin, xcb_missing_libs

        plugin = pyqt5_xcb_plugin()
        missing = xcb_missing_libs(plugin) if plugin else None
        if plugin is None:
            out.append(
                Check(
                    "Qt xcb plugin", False, "PyQt5 has no libqxcb.so", "pip install --force-reinstall PyQt5"
                )
            )
        elif missing is not None and missing.sonames:
            out.append(Check("Qt xcb plugin", False, "libqxcb.so cannot load: missing " + ", ".join(missing.sonames),
                             missing.fix()))  # fmt: skip
            return out
        else:
            out.append(Check("Qt xcb plugin", True, "libqxcb.so and its libraries load"))
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            out.append(Check("tray host", None, "no desktop session here (DISPLAY is not set); not checked"))
            return out
    from w2le_live.qt_env import prepare_qt

    prepare_qt()  # this process imported cv2: do not hand its Qt plugin path to the probe
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([_package_root(), os.environ.get("PYTHONPATH", "")]))
    try:
        r = subprocess.run(
            [sys.executable, "-c", QT_PROBE], capture_output=True, text=True, timeout=20, env=env
        )
    except subprocess.TimeoutExpired:
        out.append(
            Check("tray host", False, "starting a QApplication timed out", "check your desktop session")
        )
        return out
    line = next((s for s in r.stdout.splitlines() if s.startswith("PLATFORM ")), None)
    if r.returncode != 0 or line is None:
        tail = (r.stderr.strip().splitlines() or ["no output"])[0]
        out.append(Check("tray host", False, f"QApplication failed (exit {r.returncode}): {tail}",
                         "see the Qt xcb plugin line; on Wayland try QT_QPA_PLATFORM=xcb"))  # fmt: skip
        return out
    _, platform_name, tray = line.split()
    if tray == "True":
        out.append(Check("tray host", True, f"system tray available (Qt platform {platform_name})"))
    else:
        out.append(Check("tray host", False, f"no system tray on this desktop (Qt platform {platform_name})",
                         "enable a tray (GNOME: the AppIndicator extension), or use: w2le-live tray --window"))  # fmt: skip
    return out


def check_accelerators() -> list[Check]:
    out = []
    try:
        import torch

        if torch.cuda.is_available():
            out.append(Check("CUDA", True, f"{torch.cuda.get_device_name(0)} (torch {torch.version.cuda})"))
        else:
            cuda = getattr(torch.version, "cuda", None)
            out.append(
                Check("CUDA", None, "no NVIDIA GPU" if cuda else f"torch {torch.__version__} is a CPU build")
            )
    except Exception as exc:  # noqa: BLE001
        out.append(Check("CUDA", None, f"not checked ({_first_line(exc)})"))
    if _importable("tensorrt"):
        try:
            import tensorrt

            out.append(Check("TensorRT", True, tensorrt.__version__))
        except Exception as exc:  # noqa: BLE001
            out.append(Check("TensorRT", False, _first_line(exc), "pip install --force-reinstall tensorrt"))
    else:
        out.append(
            Check(
                "TensorRT",
                None,
                "not installed (NVIDIA only: pip install 'w2le-live[gpu-cu12]' or '[gpu-cu13]')",
            )
        )
    out.append(
        _module_check("OpenVINO", "openvino", lambda m: ", ".join(m.Core().available_devices) or "no devices")
    )
    out.append(_module_check("ONNX Runtime", "onnxruntime", lambda m: ", ".join(m.get_available_providers())))
    return out


def _module_check(name: str, module: str, describe: Callable) -> Check:
    if not _importable(module):
        return Check(
            name, False, "not installed (a faster CPU backend than torch)", "pip install 'w2le-live[cpu]'"
        )
    try:
        return Check(name, True, describe(importlib.import_module(module)))
    except Exception as exc:  # noqa: BLE001
        return Check(name, False, _first_line(exc), f"pip install --force-reinstall {module}")


def data_dir() -> Path:
    """Where profiles and user data live (``$W2LE_DATA_DIR`` overrides)."""
    env = os.environ.get("W2LE_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("w2le-live"))


def _writable(name: str, path_fn: Callable[[], Path], env_var: str, required: bool) -> Check:
    try:
        path = path_fn()
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except Exception as exc:  # noqa: BLE001
        where = locals().get("path", "?")
        return Check(name, False, f"{where} is not writable ({_first_line(exc)})",
                     f"fix its permissions or set {env_var} to a writable folder", required)  # fmt: skip
    return Check(name, True, f"{path} (writable)", required=required)


def check_dirs() -> list[Check]:
    from w2le_live.backends.select import cache_dir

    return [_writable("cache dir", cache_dir, "W2LE_CACHE_DIR", True),
            _writable("data dir", data_dir, "W2LE_DATA_DIR", False)]  # fmt: skip


def run_checks() -> list[Check]:
    """All checks, in the order the doctor prints them."""
    checks = [check_python(), check_core_imports(), check_packages(), check_opencv(), check_cameras()]
    checks += check_audio()
    checks.append(check_virtual_camera())
    checks += check_qt()
    checks += check_accelerators()
    checks += check_dirs()
    return checks


def main_job_ready(checks: list[Check]) -> bool:
    """True when every required check passed: translating a video file on the CPU can run."""
    return all(c.ok for c in checks if c.required)
