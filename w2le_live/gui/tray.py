"""The two views of the controller's actions: the system-tray menu, and a small window where no tray exists."""

from __future__ import annotations

import logging

from w2le_live.gui.controller import Controller
from w2le_live.gui.icons import state_icon

log = logging.getLogger(__name__)


class TrayView:
    """QSystemTrayIcon with the controller's menu; tooltip refreshed once a second."""

    def __init__(self, session, app):
        from PyQt5 import QtCore, QtWidgets

        self.tray = QtWidgets.QSystemTrayIcon()
        self.controller = c = Controller(session, app, self)
        self.menu = self._build_menu()
        self.tray.setContextMenu(self.menu)
        self.tray.setIcon(state_icon("stopped"))
        self.tray.setToolTip("W2LE Live")
        self.timer = QtCore.QTimer()
        self.timer.timeout.connect(self._tick)
        self.timer.start(1000)
        self.tray.show()
        c.restore_settings()

    def _build_menu(self):
        from PyQt5.QtWidgets import QMenu

        c = self.controller
        menu = QMenu()
        self._emotion_section = menu.addSection("Target emotion")
        inten = menu.addMenu("Intensity")
        self._intensity_entry = inten.menuAction()
        for a in c.intensity_actions.values():
            inten.addAction(a)
        menu.insertActions(self._intensity_entry, list(c.emotion_actions.values()))
        self._shown_emotions = list(c.emotion_actions.values())
        menu.addSeparator()
        for a in (c.bypass_action, c.preview_action, c.calibrate_action):
            menu.addAction(a)
        teach = menu.addMenu("Teach my emotion")
        teach.addActions(list(c.teach_actions.values()))
        teach.addSeparator()
        teach.addAction(c.cancel_teach_action)
        menu.addSeparator()
        models = menu.addMenu("Model")
        models.addAction(c.landmark_action)
        models.addAction(c.model_action)
        self._device_menu(menu.addMenu("Camera"), "camera")
        self._device_menu(menu.addMenu("Microphone"), "microphone")
        menu.addSeparator()
        menu.addAction(c.start_action)
        menu.addAction(c.quit_action)
        return menu

    def _device_menu(self, sub, what: str) -> None:
        from w2le_live.io.sources import list_cameras

        c = self.controller
        if what == "camera":
            items = [(dev, dev) for dev in list_cameras()]
            switch = c.switch_camera
        else:
            try:
                from w2le_live.audio.devices import list_devices

                items = [(item, item.split(":", 1)[0]) for item in list_devices("input")]
            except Exception:  # noqa: BLE001 - no PortAudio: the menu says so instead of failing
                items = []
            switch = c.switch_mic
        if not items:
            sub.addAction(f"no {what} found").setEnabled(False)
        for label, dev in items:
            sub.addAction(label, lambda d=dev: switch(d))

    # ---- what the controller asks of its view ----------------------------------------------------
    def emotions_changed(self) -> None:
        """Show the controller's current emotion actions in place of the old ones."""
        for a in self._shown_emotions:
            self.menu.removeAction(a)
        self._shown_emotions = list(self.controller.emotion_actions.values())
        self.menu.insertActions(self._intensity_entry, self._shown_emotions)

    def refresh_icon(self) -> None:
        c = self.controller
        self.tray.setIcon(state_icon(c.icon_state(), c.pipeline.controls.target))

    def show(self, title: str, message: str) -> None:
        self.tray.showMessage(
            title, message, self.tray.Warning if "problem" in title else self.tray.Information, 8000
        )

    def _tick(self) -> None:
        self.tray.setToolTip(self.controller.status_text())
        self.refresh_icon()

    def close(self) -> None:
        self.timer.stop()
        self.tray.hide()


class ControlWindow:
    """The fallback where no tray host exists: a small always-on-top window with the same actions."""

    def __init__(self, session, app):
        from PyQt5 import QtCore
        from PyQt5.QtWidgets import (
            QCheckBox,
            QHBoxLayout,
            QLabel,
            QMenu,
            QPushButton,
            QSlider,
            QVBoxLayout,
            QWidget,
        )

        self.window = w = QWidget()
        self.status = QLabel("")
        self.controller = c = Controller(session, app, self)
        w.setWindowTitle("W2LE Live")
        w.setWindowFlags(w.windowFlags() | QtCore.Qt.WindowStaysOnTopHint)
        lay = QVBoxLayout(w)
        self.note = QLabel("No system tray on this desktop: using this window instead.")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.emotion_row = QHBoxLayout()
        self.emotions_changed()
        lay.addLayout(self.emotion_row)
        self.slider = QSlider(QtCore.Qt.Horizontal)
        self.slider.setRange(0, 150)
        self.slider.setValue(int(c.settings.intensity * 100))
        self.slider.valueChanged.connect(lambda v: c.set_intensity(v / 100.0))
        lay.addWidget(QLabel("Intensity"))
        lay.addWidget(self.slider)
        self.bypass_box = QCheckBox("Bypass (camera untouched)")
        self.bypass_box.setChecked(c.settings.bypass)
        self.bypass_box.toggled.connect(c.set_bypass)
        lay.addWidget(self.bypass_box)
        prev = QCheckBox("Show preview")
        prev.toggled.connect(c.show_preview)
        lay.addWidget(prev)
        teach = QPushButton("Teach my emotion")
        self.teach_menu = QMenu(teach)
        self.teach_menu.addActions([*c.teach_actions.values(), c.cancel_teach_action])
        teach.setMenu(self.teach_menu)
        lay.addWidget(teach)
        buttons = QHBoxLayout()
        for a in (c.calibrate_action, c.model_action, c.start_action, c.quit_action):
            b = QPushButton(a.text())
            b.clicked.connect(a.trigger)
            buttons.addWidget(b)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        self.timer = QtCore.QTimer()
        self.timer.timeout.connect(lambda: self.status.setText(c.status_text().replace("\n", " — ")))
        self.timer.start(1000)
        w.setWindowIcon(state_icon("running"))
        w.show()
        c.restore_settings()

    def emotions_changed(self) -> None:
        from PyQt5.QtWidgets import QToolButton

        while self.emotion_row.count():
            item = self.emotion_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for a in self.controller.emotion_actions.values():
            b = QToolButton()
            b.setDefaultAction(a)
            self.emotion_row.addWidget(b)

    def refresh_icon(self) -> None:
        return None  # the window's icon does not follow the state

    def show(self, title: str, message: str) -> None:
        self.status.setText(f"{title}: {message}")

    def close(self) -> None:
        self.timer.stop()
        self.window.close()
