"""The tray GUI under Xvfb with a real tray host (trayer), driving a real Pipeline playing a real clip."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest

# screenshots go to $W2LE_SCREENSHOTS (docs/screenshots/ was made this way) or a temp folder
SHOTS = Path(os.environ.get("W2LE_SCREENSHOTS") or tempfile.mkdtemp(prefix="w2le-shots-"))


@pytest.fixture(scope="module")
def display():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian package xvfb)")
    num = 90 + os.getpid() % 9
    xvfb = subprocess.Popen(["Xvfb", f":{num}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(1.0)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{num}"
    os.environ.pop("QT_QPA_PLATFORM", None)
    yield f":{num}"
    xvfb.terminate()
    xvfb.wait(5)
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old


@pytest.fixture(scope="module")
def qapp(display, tmp_path_factory):
    from PyQt5.QtCore import QSettings
    from PyQt5.QtWidgets import QApplication

    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path_factory.mktemp("w2le-settings")))
    app = QApplication.instance() or QApplication(["w2le-test"])
    app.setQuitOnLastWindowClosed(False)
    return app


@pytest.fixture
def trayer(display):
    if shutil.which("trayer") is None:
        pytest.skip("trayer is not installed (Debian package trayer)")
    p = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(1.0)
    yield p
    p.terminate()
    p.wait(5)


def _spin(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _args(demo, **kw):
    import argparse

    d = dict(source=str(demo), sink="null", model=None, backend="auto", target="happy", intensity=1.0, mic="none",
             width=640, height=480, fps=25.0, loop=True, virtual_mic=None, av_offset_ms=None, window=False,
             translator="auto", profile=None)  # fmt: skip
    d.update(kw)
    return argparse.Namespace(**d)


@pytest.fixture
def demo():
    from w2le_live.demo import demo_clip_path

    return demo_clip_path()


def test_tray_menu_drives_the_pipeline(qapp, trayer, demo):
    from PyQt5.QtWidgets import QSystemTrayIcon

    from w2le_live.gui.app import launch
    from w2le_live.gui.tray import TrayView

    assert QSystemTrayIcon.isSystemTrayAvailable()
    _, view = launch(_args(demo), app=qapp)
    try:
        assert isinstance(view, TrayView) and view.tray.isVisible()
        _spin(qapp, 1.5)
        assert view.controller.pipeline.stats().frames_out > 10
        view.controller.emotion_actions["sad"].trigger()
        view.controller.intensity_actions[0.5].trigger()
        _spin(qapp, 0.3)
        c = view.controller.pipeline.controls
        assert (c.target, c.intensity) == ("sad", 0.5)
        assert [e for e, a in view.controller.emotion_actions.items() if a.isChecked()] == ["sad"]
        view.controller.bypass_action.trigger()
        _spin(qapp, 0.3)
        assert view.controller.pipeline.controls.bypass and view.controller.icon_state() == "bypass"
        view.controller.bypass_action.trigger()
        if view.controller.preview_action.isChecked():  # a persisted setting may have it on already
            view.controller.preview_action.trigger()
        view.controller.preview_action.trigger()  # the menu action turns it on
        _spin(qapp, 1.0)
        assert view.controller.preview_action.isChecked()
        assert view.controller.preview.isVisible() and getattr(view.controller.preview, "frames_shown", 0) > 5
        view.controller.preview.grab().save(str(SHOTS / "preview.png"))
        view.controller.preview.close()  # its close button: the menu entry follows
        _spin(qapp, 0.2)
        assert not view.controller.preview_action.isChecked() and not view.controller.settings.show_preview
        assert "fps" in view.controller.status_text()
        # the menu, popped up and photographed
        view.menu.popup(view.menu.pos())
        _spin(qapp, 0.3)
        view.menu.grab().save(str(SHOTS / "tray_menu.png"))
        view.menu.hide()
        # choosing a microphone that is not there is a notification, not a crash
        titles = [a.text() for a in view.menu.actions()]
        assert "Microphone" in titles and "Camera" in titles and "Model" in titles
        view.controller.switch_mic("no such microphone")
        assert "microphone" in view.controller.notifications[-1].lower()
        # "Calibrate my neutral face" reaches the stream and tells the user what to do
        with patch.object(
            view.controller.pipeline, "calibrate_neutral", wraps=view.controller.pipeline.calibrate_neutral
        ) as cal:
            view.controller.calibrate_action.trigger()
        assert cal.call_count == 1 and "relaxed face" in view.controller.notifications[-1]
        _spin(qapp, 2.0)  # and once the face is recorded (25 frames), says so
        assert view.controller.notifications[-1] == "Your neutral face is recorded."
        # an error from the pipeline shows as a notification and a red icon
        view.controller.pipeline._emit(
            "error", "camera 0 stopped delivering frames; retrying until it returns."
        )
        _spin(qapp, 0.2)
        assert (
            view.controller.icon_state() == "error"
            and "stopped delivering" in view.controller.notifications[-1]
        )
    finally:
        view.controller.pipeline.stop()
        view.close()


def test_preview_shows_translated_frames(qapp, trayer, demo):
    from w2le_live.gui.app import launch

    _, view = launch(_args(demo), app=qapp)
    try:
        view.controller.set_bypass(False)
        view.controller.set_target("happy")
        view.controller.set_intensity(1.0)
        _spin(qapp, 2.0)
        out = view.controller.pipeline.latest_frame()
        cap = view.controller.pipeline.source.latest()
        assert out is not None and cap is not None and out.shape == cap.frame.shape
    finally:
        view.controller.pipeline.stop()
        view.close()


def test_settings_persist_between_runs(qapp, trayer, demo):
    from w2le_live.gui.app import launch
    from w2le_live.gui.settings import load_settings

    _, view = launch(_args(demo), app=qapp)
    view.controller.set_target("surprised")
    view.controller.set_intensity(0.75)
    view.controller.pipeline.stop()
    view.close()
    assert load_settings().target == "surprised"
    _, again = launch(_args(demo), app=qapp)
    try:
        _spin(qapp, 0.3)
        assert (
            again.controller.pipeline.controls.target == "surprised"
            and again.controller.pipeline.controls.intensity == 0.75
        )
    finally:
        again.controller.pipeline.stop()
        again.close()


def test_control_window_fallback_without_tray(qapp, demo):
    from w2le_live.gui.app import launch
    from w2le_live.gui.tray import ControlWindow

    _, view = launch(_args(demo, window=True), app=qapp)
    try:
        assert isinstance(view, ControlWindow) and view.window.isVisible()
        view.slider.setValue(40)
        view.controller.emotion_actions["angry"].trigger()
        _spin(qapp, 0.5)
        assert (
            view.controller.pipeline.controls.target == "angry"
            and abs(view.controller.pipeline.controls.intensity - 0.4) < 1e-6
        )
        assert [a.text() for a in view.teach_menu.actions()][0] == "Teach my happy..."  # teaching here too
        img = view.window.grab()
        img.save(str(SHOTS / "control_window.png"))
        arr = img.toImage()
        assert arr.width() > 100 and arr.height() > 100
    finally:
        view.controller.pipeline.stop()
        view.close()
    assert np.isfinite(view.controller.pipeline.stats().fps_out)


def test_first_start_offer_in_the_control_window_names_its_button(qapp, demo, tmp_path, monkeypatch):
    """Without a tray host the offer to teach is shown in the control window: it names the window's button, not a
    tray menu that is not there."""
    from w2le_live.gui.app import launch

    monkeypatch.setenv("W2LE_DATA_DIR", str(tmp_path / "data"))  # no profile, never offered: the first start
    _, view = launch(_args(demo, window=True), app=qapp)
    try:
        offers = [m for m in view.controller.notifications if "Teach my happy" in m]
        assert len(offers) == 1 and "tray menu" not in offers[0] and '"Teach my emotion" button' in offers[0]
    finally:
        view.controller.pipeline.stop()
        view.close()


def test_a_file_that_ends_is_reported_ended_not_running(qapp, demo):
    """A file source without --loop (the 3 s demo) plays to its end: the view says it ended (status line and a
    notification), the stream is stopped, and Start plays the file again."""
    from w2le_live.gui.app import launch

    _, view = launch(_args(demo, window=True, loop=False), app=qapp)
    c = view.controller
    try:
        end = time.monotonic() + 30.0  # the clip lasts 3 s; a loaded machine gets time, the loop leaves early
        while c.state != "ended" and time.monotonic() < end:
            _spin(qapp, 0.1)
        assert c.state == "ended" and not c.pipeline.stats().running and c.start_action.text() == "Start"
        assert "the video file ended" in view.status.text() or "the video file ended" in c.status_text()
        assert sum("the video file ended" in m for m in c.notifications) == 1
        assert c.icon_state() == "stopped"
        c.start_action.trigger()  # plays it once more
        assert c.state == "running" and c.pipeline.stats().running and not c.pipeline.source.finished
        assert "the video file ended" not in c.status_text()
    finally:
        c.pipeline.stop()
        view.close()


def test_teach_my_emotion_records_enrols_and_wears_it(qapp, trayer, shared_data, tmp_path, monkeypatch):
    """'Teach my happy...' on a real happy clip playing as the camera: prompts in the preview, a profile saved
    under $W2LE_DATA_DIR, the personal translator swapped in for happy, the stream running throughout."""
    from w2le_live.gui.app import launch
    from w2le_live.personal.profiles import Profile

    monkeypatch.setenv("W2LE_DATA_DIR", str(tmp_path / "data"))
    clip = shared_data / "mead" / "M030_front_happy_level3_001.mp4"
    _, view = launch(_args(clip), app=qapp)  # no profile yet: the tray's default one ("me") is created
    try:
        _spin(qapp, 0.5)
        view.controller.teach("happy", seconds=3.5, countdown=1)
        _spin(qapp, 0.5)
        assert "starting in" in (view.controller.teacher.prompt() or "")
        _spin(qapp, 1.5)
        assert "read aloud" in (view.controller.teacher.prompt() or "")
        view.controller.preview.refresh()
        view.controller.preview.grab().save(str(SHOTS / "teach_prompt.png"))
        end = time.monotonic() + 60
        while view.controller.teacher.busy and time.monotonic() < end:
            _spin(qapp, 0.2)
        _spin(qapp, 0.5)
        assert any("learned your happy face" in n for n in view.controller.notifications), (
            view.controller.notifications
        )
        assert Profile("me").has("happy") and len(view.controller.teacher.frames) >= 60
        st = view.controller.pipeline.stats()
        assert st.running and st.target == "happy" and st.serving.startswith("personal")
        assert not st.bypass  # bypass (on while recording) is back off
        c = view.controller  # the menu marks the taught emotion, in the usual order
        assert c.emotion_actions["happy"].text() == "Happy (yours)"
        assert c.emotion_actions["sad"].text() == "Sad"
        assert list(c.emotion_actions)[:2] == ["happy", "sad"] and not c.cancel_teach_action.isEnabled()
        # teaching it again says the take replaces it; cancelling midway keeps the old one
        c.teach_actions["happy"].trigger()
        assert "already has happy" in c.notifications[-1] and c.cancel_teach_action.isEnabled()
        _spin(qapp, 2.0)
        assert "close to cancel" in c.preview.windowTitle()
        c.preview.close()  # closing the teaching window cancels the take
        end = time.monotonic() + 10
        while c.teacher.busy and time.monotonic() < end:
            _spin(qapp, 0.1)
        _spin(qapp, 0.3)
        assert "cancelled and nothing was saved" in c.notifications[-1] and c.icon_state() == "running"
        assert not c.cancel_teach_action.isEnabled() and "teaching" not in c.preview.windowTitle()
        assert Profile("me").has("happy") and c.pipeline.stats().serving.startswith("personal")
    finally:
        view.controller.quit()
    # the next start without --profile wears what the tray taught; an emotion nothing makes names `enroll`
    _, again = launch(_args(clip), app=qapp)
    try:
        assert again.controller.session.options.profile == "me"
        assert again.controller.emotion_actions["happy"].text() == "Happy (yours)"
    finally:
        again.controller.quit()
    from w2le_live.errors import UserError
    from w2le_live.session import LiveOptions, LiveSession

    with pytest.raises(UserError, match="w2le-live enroll --profile me --emotion fear"):
        LiveSession(LiveOptions(source=str(clip), sink="null", profile="me", target="fear", mic="none"))


def test_settings_round_trip_the_model_too(qapp, tmp_path):
    from w2le_live.gui.settings import GuiSettings, _qs, load_settings, save_settings

    assert "w2le-settings" in _qs().fileName()  # the tests' own folder, never the user's ~/.config

    before = load_settings()
    want = GuiSettings(target="sad", intensity=0.75, bypass=True, model=str(tmp_path / "g.safetensors"),
                       show_preview=True)  # fmt: skip
    try:
        save_settings(want)
        assert load_settings() == want
        save_settings(GuiSettings())
        assert load_settings() == GuiSettings()
    finally:
        save_settings(before)


def test_a_one_emotion_model_rebuilds_the_menu_and_a_failing_action_is_a_notification(
    qapp, trayer, demo, tmp_path
):
    """#19 item 15: "Open model checkpoint..." with a one-emotion (sad) model rebuilds the emotion menu to that
    emotion; an action from the old menu that raises inside its Qt slot becomes a notification instead of
    PyQt's qFatal abort, and the stream keeps running."""
    from w2le_live.gui.app import launch
    from w2le_live.models.checkpoint import ModelMeta, save_generator
    from w2le_live.models.generator import GeneratorDims, Wav2LipGenerator

    dims = GeneratorDims(width=0.25)
    ckpt = save_generator(tmp_path / "sad.safetensors", Wav2LipGenerator(dims),
                          ModelMeta(dims=dims, source_emotion="neutral", target_emotion="sad"))  # fmt: skip
    _, view = launch(_args(demo, backend="torch"), app=qapp)
    c = view.controller
    try:
        stale_happy = c.emotion_actions["happy"]
        c.load_model(str(ckpt))
        end = time.monotonic() + 120
        while c.pipeline.translator.name != "neural" and time.monotonic() < end:
            _spin(qapp, 0.1)
        assert list(c.emotion_actions) == ["sad"] and c.pipeline.controls.target == "sad"
        shown = [a.text() for a in view.menu.actions()]
        assert "Sad" in shown and "Happy" not in shown and c.settings.model == str(ckpt)
        stale_happy.trigger()  # the old menu's entry: set_target raises ValueError inside the slot
        _spin(qapp, 0.3)
        assert "ValueError" in c.notifications[-1] and "not available" in c.notifications[-1]
        frames = c.pipeline.stats().frames_out
        _spin(qapp, 0.5)
        assert c.pipeline.stats().running and c.pipeline.stats().frames_out > frames  # still streaming
        c.load_model(None)  # back to the landmark warp (and to no saved model for the other tests)
        end = time.monotonic() + 60
        while c.pipeline.translator.name != "landmark" and time.monotonic() < end:
            _spin(qapp, 0.1)
        assert "happy" in c.emotion_actions and c.settings.model is None
    finally:
        view.controller.pipeline.stop()
        view.close()
