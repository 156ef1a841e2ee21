"""The tray menu and its fallback control window, both built on one set of QActions driving the Pipeline API."""

from __future__ import annotations

import logging
import threading
from typing import Optional

from w2le_live.gui.icons import state_icon
from w2le_live.gui.settings import GuiSettings, load_settings, save_settings

log = logging.getLogger(__name__)
TEACHABLE = ("happy", "surprised", "sad", "angry", "neutral")  # the tray's "Teach my <emotion>..." entries
INTENSITY_STEPS = (0.25, 0.5, 0.75, 1.0, 1.25)


def _qt():
    from PyQt5 import QtCore, QtWidgets

    return QtCore, QtWidgets


class Controller:
    """Holds the pipeline and the QActions; the tray and the control window only show these actions.

    All pipeline calls go through its public control API; pipeline events (from its threads) reach the Qt thread
    through a queued signal.
    """

    def __init__(self, session, app):
        QtCore, QtWidgets = _qt()
        from PyQt5.QtWidgets import QAction, QActionGroup

        self.session, self.app = session, app  # w2le_live.session.LiveSession: pipeline + mic + virtual mic
        pipeline = self.pipeline = session.pipeline
        self.settings = load_settings()
        self.state = "stopped"
        self.preview = None
        self.teacher = None  # the running "Teach my <emotion>" enrolment, if any
        self.notifications: list[str] = []

        class _Bridge(QtCore.QObject):
            event = QtCore.pyqtSignal(str, str)
            translator_ready = QtCore.pyqtSignal(object, str)

        self.bridge = _Bridge()
        self.bridge.event.connect(self._on_event)
        self.bridge.translator_ready.connect(self._on_translator_ready)
        pipeline.add_listener(lambda e: self.bridge.event.emit(e.kind, e.message))

        self.emotion_group = QActionGroup(app)
        self.emotion_group.setExclusive(True)
        self.emotion_actions = {}
        for emo in pipeline.emotions:
            a = QAction(emo.capitalize(), app, checkable=True)
            a.triggered.connect(lambda _=False, e=emo: self.set_target(e))
            self.emotion_group.addAction(a)
            self.emotion_actions[emo] = a
        self.intensity_group = QActionGroup(app)
        self.intensity_actions = {}
        for v in INTENSITY_STEPS:
            a = QAction(f"{int(v * 100)} %", app, checkable=True)
            a.triggered.connect(lambda _=False, x=v: self.set_intensity(x))
            self.intensity_group.addAction(a)
            self.intensity_actions[v] = a
        self.bypass_action = QAction("Bypass (camera untouched)", app, checkable=True)
        self.bypass_action.triggered.connect(self.set_bypass)
        self.preview_action = QAction("Show preview", app, checkable=True)
        self.preview_action.triggered.connect(self.show_preview)
        self.calibrate_action = QAction("Calibrate my neutral face", app)
        self.calibrate_action.triggered.connect(pipeline.calibrate_neutral)
        self.landmark_action = QAction("Landmark translator (no weights)", app)
        self.landmark_action.triggered.connect(lambda: self.load_model(None))
        self.model_action = QAction("Open model checkpoint...", app)
        self.model_action.triggered.connect(self._pick_model)
        self.start_action = QAction("Stop", app)
        self.start_action.triggered.connect(self.toggle_running)
        self.quit_action = QAction("Quit", app)
        self.quit_action.triggered.connect(self.quit)
        self.camera_menu_items: list[str] = []
        self._apply_settings(self.settings)

    # ---- menu ---------------------------------------------------------------------------------------
    def build_menu(self):
        from PyQt5.QtWidgets import QMenu

        from w2le_live.io.sources import list_cameras

        menu = QMenu()
        menu.addSection("Target emotion")
        for a in self.emotion_actions.values():
            menu.addAction(a)
        inten = menu.addMenu("Intensity")
        for a in self.intensity_actions.values():
            inten.addAction(a)
        menu.addSeparator()
        menu.addAction(self.bypass_action)
        menu.addAction(self.preview_action)
        menu.addAction(self.calibrate_action)
        teach = menu.addMenu("Teach my emotion")
        for emo in TEACHABLE:
            teach.addAction(f"Teach my {emo}...", lambda e=emo: self.teach(e))
        menu.addSeparator()
        models = menu.addMenu("Model")
        models.addAction(self.landmark_action)
        models.addAction(self.model_action)
        cams = menu.addMenu("Camera")
        self.camera_menu_items = list_cameras()
        if not self.camera_menu_items:
            none = cams.addAction("no camera found")
            none.setEnabled(False)
        for dev in self.camera_menu_items:
            cams.addAction(dev, lambda d=dev: self.switch_camera(d))
        mics = menu.addMenu("Microphone")
        try:
            from w2le_live.audio.devices import list_devices

            self.mic_menu_items = list_devices("input")
        except Exception:  # noqa: BLE001 - no PortAudio: the menu says so instead of failing
            self.mic_menu_items = []
        if not self.mic_menu_items:
            none = mics.addAction("no microphone found")
            none.setEnabled(False)
        for item in self.mic_menu_items:
            mics.addAction(item, lambda d=item.split(":", 1)[0]: self.switch_mic(d))
        menu.addSeparator()
        menu.addAction(self.start_action)
        menu.addAction(self.quit_action)
        self.menu = menu
        return menu

    # ---- actions ------------------------------------------------------------------------------------
    def set_target(self, emotion: str) -> None:
        self.pipeline.set_target(emotion)
        self.emotion_actions[emotion].setChecked(True)
        self._save(target=emotion)
        self._refresh_icon()

    def set_intensity(self, value: float) -> None:
        self.pipeline.set_intensity(value)
        nearest = min(INTENSITY_STEPS, key=lambda v: abs(v - value))
        self.intensity_actions[nearest].setChecked(True)
        self._save(intensity=value)

    def set_bypass(self, on: bool) -> None:
        self.pipeline.set_bypass(bool(on))
        self.bypass_action.setChecked(bool(on))
        self._save(bypass=bool(on))
        self._refresh_icon()

    def show_preview(self, on: bool) -> None:
        if on and self.preview is None:
            from w2le_live.gui.preview import make_preview

            self.preview = make_preview(self.pipeline)
        if self.preview is not None:
            self.preview.setVisible(bool(on))
        self.preview_action.setChecked(bool(on))
        self._save(show_preview=bool(on))

    def teach(self, emotion: str, seconds: float = 20.0, countdown: int = 3) -> None:
        """Record ``seconds`` of the camera showing ``emotion`` (prompts in the preview), enrol it into the
        profile and wear it; the outcome is a notification."""
        from w2le_live.gui.teach import Teacher

        if self.teacher is not None and self.teacher.busy:
            self.notify("W2LE Live", "an enrolment is already running; finish it first.")
            return

        def done(ok: bool, message: str) -> None:
            self.bridge.event.emit("info" if ok else "error", message)

        self.teacher = Teacher(self.session, emotion, seconds=seconds, countdown=countdown, on_done=done)
        self.show_preview(True)
        self.preview.overlay = self.teacher.prompt
        self.teacher.start()

    def load_model(self, path: Optional[str]) -> None:
        """Load a translator in a background thread; swap it in when ready, so the video never stalls."""
        def work():
            try:
                tr = self.session.load_translator(path)
                self.bridge.translator_ready.emit(tr, path or "")
            except Exception as exc:  # noqa: BLE001 - shown as a notification with its one sentence
                self.bridge.event.emit("error", f"the model could not be loaded: {exc}")

        threading.Thread(target=work, daemon=True, name="w2le-model-loader").start()

    def _on_translator_ready(self, translator, path: str) -> None:
        self.pipeline.set_translator(translator)
        self._save(model=path or None)
        self.notify("Model loaded", translator.describe())

    def _pick_model(self) -> None:
        from PyQt5.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            None, "Open a generator checkpoint", "", "Checkpoints (*.safetensors *.pth *.pt *.onnx *.engine)"
        )
        if path:
            self.load_model(path)

    def switch_camera(self, device: str) -> None:
        self.pipeline.set_source(self.session.open_camera(device))

    def switch_mic(self, device: str) -> None:
        """Feed the pipeline from another microphone (the session stops the old one once the new one runs);
        a failure is a notification, not a crash."""
        from w2le_live.errors import UserError

        try:
            self.session.switch_mic(device)
        except UserError as exc:
            self.notify("W2LE Live problem", str(exc))

    def toggle_running(self) -> None:
        if self.pipeline.stats().running:
            self.session.stop_video()
            self.start_action.setText("Start")
            self.state = "stopped"
        else:
            self.session.start()
            self.start_action.setText("Stop")
            self.state = "running"
        self._refresh_icon()

    def quit(self) -> None:
        self.session.stop()
        self.app.quit()

    # ---- state, tooltip, notifications -------------------------------------------------------------
    def _save(self, **kw) -> None:
        from dataclasses import replace

        self.settings = replace(self.settings, **kw)
        save_settings(self.settings)

    def _apply_settings(self, s: GuiSettings) -> None:
        target = s.target if s.target in self.emotion_actions else self.pipeline.controls.target
        if target in self.emotion_actions:
            self.pipeline.set_target(target)
            self.emotion_actions[target].setChecked(True)
        self.set_intensity(s.intensity)
        self.set_bypass(s.bypass)

    def _on_event(self, kind: str, message: str) -> None:
        if kind == "error":
            self.state = "error"
            self.notify("W2LE Live problem", message)
        elif kind == "info" and self.state == "error":
            self.state = "running"
        if kind == "info" and message.startswith("learned your"):
            self.notify("W2LE Live", message)
        self._refresh_icon()

    def notify(self, title: str, message: str) -> None:
        self.notifications.append(message)
        log.info("%s: %s", title, message)

    def status_text(self) -> str:
        st = self.pipeline.stats()
        mode = "bypass" if st.bypass else f"{st.target} {int(st.intensity * 100)} %"
        return (
            f"W2LE Live — {mode}\n{st.serving}\n{st.fps_out:.1f} fps, {st.latency_ms_p50:.0f} ms latency"
        )

    def icon_state(self) -> str:
        st = self.pipeline.stats()
        if self.state == "error":
            return "error"
        if not st.running:
            return "stopped"
        return "bypass" if st.bypass else "running"

    def _refresh_icon(self) -> None:
        """Overridden by the views."""
        return None


class TrayView(Controller):
    """QSystemTrayIcon with the controller's menu; tooltip refreshed once a second."""

    def __init__(self, session, app):
        QtCore, QtWidgets = _qt()
        self.tray = QtWidgets.QSystemTrayIcon()
        super().__init__(session, app)
        self.tray.setContextMenu(self.build_menu())
        self.tray.setIcon(state_icon("stopped"))
        self.tray.setToolTip("W2LE Live")
        self.timer = QtCore.QTimer()
        self.timer.timeout.connect(self._tick)
        self.timer.start(1000)
        self.tray.show()

    def _tick(self) -> None:
        self.tray.setToolTip(self.status_text())
        self._refresh_icon()

    def _refresh_icon(self) -> None:
        if hasattr(self, "tray"):
            self.tray.setIcon(state_icon(self.icon_state(), self.pipeline.controls.target))

    def notify(self, title: str, message: str) -> None:
        super().notify(title, message)
        self.tray.showMessage(
            title, message, self.tray.Warning if "problem" in title else self.tray.Information, 8000
        )


class ControlWindow(Controller):
    """The fallback where no tray host exists: a small always-on-top window with the same actions."""

    def __init__(self, session, app):
        QtCore, QtWidgets = _qt()
        from PyQt5.QtWidgets import (
            QCheckBox,
            QHBoxLayout,
            QLabel,
            QPushButton,
            QSlider,
            QToolButton,
            QVBoxLayout,
            QWidget,
        )

        self.window = QWidget()
        super().__init__(session, app)
        w = self.window
        w.setWindowTitle("W2LE Live")
        w.setWindowFlags(w.windowFlags() | QtCore.Qt.WindowStaysOnTopHint)
        lay = QVBoxLayout(w)
        self.note = QLabel("No system tray on this desktop: using this window instead.")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        row = QHBoxLayout()
        for a in self.emotion_actions.values():
            b = QToolButton()
            b.setDefaultAction(a)
            row.addWidget(b)
        lay.addLayout(row)
        self.slider = QSlider(QtCore.Qt.Horizontal)
        self.slider.setRange(0, 150)
        self.slider.setValue(int(self.settings.intensity * 100))
        self.slider.valueChanged.connect(lambda v: self.set_intensity(v / 100.0))
        lay.addWidget(QLabel("Intensity"))
        lay.addWidget(self.slider)
        self.bypass_box = QCheckBox("Bypass (camera untouched)")
        self.bypass_box.setChecked(self.bypass_action.isChecked())
        self.bypass_box.toggled.connect(self.set_bypass)
        lay.addWidget(self.bypass_box)
        prev = QCheckBox("Show preview")
        prev.toggled.connect(self.show_preview)
        lay.addWidget(prev)
        buttons = QHBoxLayout()
        for a in (self.calibrate_action, self.model_action, self.start_action, self.quit_action):
            b = QPushButton(a.text())
            b.clicked.connect(a.trigger)
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.status = QLabel("")
        lay.addWidget(self.status)
        self.timer = QtCore.QTimer()
        self.timer.timeout.connect(lambda: self.status.setText(self.status_text().replace("\n", " — ")))
        self.timer.start(1000)
        w.setWindowIcon(state_icon("running"))
        w.show()

    def notify(self, title: str, message: str) -> None:
        super().notify(title, message)
        if hasattr(self, "status"):
            self.status.setText(f"{title}: {message}")
