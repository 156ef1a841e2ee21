"""`w2le-live doctor` through the real CLI on this machine (no camera, no v4l2loopback, no sound card), and with
needed pieces hidden from a real subprocess."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from w2le_live.qt_deps import missing_from_ldd

REPO = Path(__file__).resolve().parents[1]


def _doctor(code: str | None = None, env_extra: dict | None = None, drop=("DISPLAY", "WAYLAND_DISPLAY")):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(REPO)
    env.update(env_extra or {})
    argv = [sys.executable, "-c", code] if code else [sys.executable, "-m", "w2le_live", "doctor"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)


def test_doctor_on_this_machine_names_what_is_missing_and_exits_0():
    r = _doctor()
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert out.rstrip().splitlines()[-1] == "main job (translate a video file on the CPU): ready"
    assert "ok    Python" in out and "ok    core modules" in out
    assert "(one distribution)" in out
    if not glob.glob("/dev/video*"):
        assert "warn  cameras         none found (no /dev/video* capture device)" in out
    if not os.path.isdir("/sys/module/v4l2loopback"):
        assert "warn  virtual camera  v4l2loopback module not loaded" in out
        assert ('fix: sudo apt install v4l2loopback-dkms && sudo modprobe v4l2loopback devices=1 exclusive_caps=1 '
                'card_label="W2LE Live"') in out  # fmt: skip
    if "ok    PortAudio" in out:
        # a PortAudio without sound hardware lists no input device here
        import sounddevice as sd

        if not any(d["max_input_channels"] > 0 for d in sd.query_devices()):
            assert "warn  microphones     none found" in out
            assert "fix: connect a microphone, or run with --mic none" in out
    else:
        assert "fix: sudo apt install libportaudio2" in out
    assert "tray host       no desktop session here (DISPLAY is not set)" in out
    assert "ok    cache dir" in out and "ok    data dir" in out
    assert "ONNX Runtime" in out and "OpenVINO" in out and "CUDA" in out and "TensorRT" in out


def test_doctor_reports_hidden_modules_and_exits_1(tmp_path):
    # av (needed to read the video file) and onnxruntime (an optional faster backend) hidden from the import system;
    # the cache dir pointed at a file so it cannot be created
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    code = ("import sys\nsys.modules['av'] = None\nsys.modules['onnxruntime'] = None\n"
            "from w2le_live.cli import main\nsys.exit(main(['doctor']))\n")  # fmt: skip
    r = _doctor(code, {"W2LE_CACHE_DIR": str(blocker / "cache"), "W2LE_DATA_DIR": str(tmp_path / "data")})
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "FAIL  core modules    cannot import av (ModuleNotFoundError: import of av halted" in out
    assert "fix: pip install --force-reinstall av" in out
    assert "warn  ONNX Runtime    not installed" in out and "fix: pip install 'w2le-live[cpu]'" in out
    assert "FAIL  cache dir" in out and "fix: fix its permissions or set W2LE_CACHE_DIR" in out
    assert f"ok    data dir        {tmp_path / 'data'} (writable)" in out
    assert (
        out.rstrip().splitlines()[-1]
        == "main job (translate a video file on the CPU): NOT ready; fix: core modules, cache dir"
    )


def test_doctor_names_the_portaudio_package_when_the_library_is_not_found():
    # sounddevice's real import path, with the library lookup finding nothing (as on a box without libportaudio2)
    code = ("import ctypes.util, sys\n_f = ctypes.util.find_library\n"
            "ctypes.util.find_library = lambda n: None if 'portaudio' in n else _f(n)\n"
            "from w2le_live.cli import main\nsys.exit(main(['doctor']))\n")  # fmt: skip
    r = _doctor(code)
    out = r.stdout
    if "sounddevice is not installed" in out:
        pytest.skip("sounddevice is not installed (extra [gui] or [live])")
    assert "warn  PortAudio       library not found (OSError: PortAudio library not found)" in out, out
    assert "fix: sudo apt install libportaudio2 (Fedora: sudo dnf install portaudio)" in out
    assert r.returncode == 0  # the main job needs no sound


def test_missing_xcb_libraries_are_named_as_debian_and_fedora_packages():
    ldd = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt5XcbQpa.so.5 => /x/PyQt5/Qt5/plugins/platforms/../../lib/libQt5XcbQpa.so.5 (0x00007f)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-xinerama.so.0 => not found
\tlibxcb-render-util.so.0 => not found
\tlibxcb-xinerama.so.0 => not found
\tlibweird.so.9 => not found
"""
    m = missing_from_ldd(ldd)
    assert m.sonames == ("libxkbcommon-x11.so.0", "libxcb-icccm.so.4", "libxcb-xinerama.so.0",
                         "libxcb-render-util.so.0", "libweird.so.9")  # fmt: skip
    assert m.debian == ("libxkbcommon-x11-0", "libxcb-icccm4", "libxcb-xinerama0", "libxcb-render-util0")
    assert m.fedora == ("libxkbcommon-x11", "xcb-util-wm", "libxcb", "xcb-util-renderutil")
    assert m.fix() == ("sudo apt install libxkbcommon-x11-0 libxcb-icccm4 libxcb-xinerama0 libxcb-render-util0; "
                       "on Fedora: sudo dnf install libxkbcommon-x11 xcb-util-wm libxcb xcb-util-renderutil; "
                       "and whatever package provides libweird.so.9")  # fmt: skip
    assert missing_from_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n").sonames == ()


def test_doctor_finds_the_tray_host_under_xvfb():
    if shutil.which("Xvfb") is None or shutil.which("trayer") is None:
        pytest.skip("Xvfb or trayer is not installed (Debian packages xvfb, trayer)")
    pytest.importorskip("PyQt5", reason="PyQt5 is not installed (extra [gui])")
    num = 80 + os.getpid() % 9
    xvfb = subprocess.Popen(["Xvfb", f":{num}", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    tray = None
    try:
        time.sleep(1.0)
        env = dict(os.environ, DISPLAY=f":{num}")
        r = _doctor(env_extra={"DISPLAY": f":{num}"}, drop=("WAYLAND_DISPLAY",))
        assert "warn  tray host       no system tray on this desktop (Qt platform xcb)" in r.stdout, r.stdout
        tray = subprocess.Popen(["trayer", "--edge", "top"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(1.0)
        r = _doctor(env_extra={"DISPLAY": f":{num}"}, drop=("WAYLAND_DISPLAY",))
        assert "ok    tray host       system tray available (Qt platform xcb)" in r.stdout, r.stdout
        assert r.returncode == 0
    finally:
        for p in (tray, xvfb):
            if p is not None:
                p.terminate()
                p.wait(5)


def test_tray_without_a_display_is_one_sentence_not_a_qt_abort():
    pytest.importorskip("PyQt5", reason="PyQt5 is not installed (extra [gui])")
    demo = REPO / "w2le_live" / "assets" / "demo_grid_lbax4n.mp4"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO)
    r = subprocess.run([sys.executable, "-m", "w2le_live", "tray", "--source", str(demo), "--sink", "null",
                        "--mic", "none"], capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "error: no graphical display is available (DISPLAY and WAYLAND_DISPLAY are not set); run the tray "
        "inside a desktop session, or use: w2le-live run --sink vcam (no window)."
    )


def test_prepare_qt_drops_a_cv2_plugin_path_inherited_from_a_parent_and_keeps_the_users_own(tmp_path):
    import cv2

    cv2_plugins = os.path.join(os.path.dirname(cv2.__file__), "qt", "plugins")
    code = ("import os\nfrom w2le_live.qt_env import prepare_qt\nprepare_qt()\n"
            "print(os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH'), os.environ.get('QT_QPA_FONTDIR'))\n")  # fmt: skip
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        QT_QPA_PLATFORM_PLUGIN_PATH=cv2_plugins,
        QT_QPA_FONTDIR=str(tmp_path),
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["None", str(tmp_path)]
