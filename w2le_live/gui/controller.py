"""The tray's controller: the QActions and what they do to the live session. The views (tray menu, control window)
hold one and show its actions; they give it ``refresh_icon()``, ``show(title, message)`` and
``emotions_changed()``, and call ``restore_settings()`` once built. Everything here runs on the Qt thread; other threads reach it only through ``post``
(a queued signal carrying a typed event, ``gui/events.py``)."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Optional

from w2le_live.gui import events as E
from w2le_live.gui.settings import GuiSettings, load_settings, save_settings

log = logging.getLogger(__name__)
INTENSITY_STEPS = (0.25, 0.5, 0.75, 1.0, 1.25)
TEACHABLE = ("happy", "surprised", "sad", "angry", "neutral")  # the "Teach my <emotion>..." entries
MENU_ORDER = ("happy", "sad", "surprised", "angry", "neutral")  # the emotion entries' order (others after)


class Controller:
    """Holds the session and the actions; every pipeline call goes through its public control API."""

    def __init__(self, session, app, view):
        from PyQt5.QtWidgets import QAction, QActionGroup

        self.session, self.app, self.view = session, app, view
        self.pipeline = session.pipeline
        self.settings = load_settings()
        self.state = "stopped"
        self.preview = None
        self.teacher = None  # the running "Teach my <emotion>" enrolment, if any
        self.notifications: list[str] = []

        self._bridge = queued_signal(self._on_event)
        self.post = self._bridge.event.emit  # thread-safe: the event is handled on the Qt thread
        self.pipeline.add_listener(lambda e: self.post(E.from_pipeline(e.kind, e.message)))

        def action(text: str, slot, checkable: bool = False) -> QAction:
            a = QAction(text, app, checkable=checkable)
            a.triggered.connect(slot)
            return a

        self.emotion_group = QActionGroup(app)
        self.emotion_actions: dict[str, QAction] = {}
        self._make_emotion_actions(self.pipeline.emotions, personal_emotions(self.pipeline.translator))
        self.intensity_group = QActionGroup(app)
        self.intensity_actions = {}
        for v in INTENSITY_STEPS:
            self.intensity_actions[v] = self.intensity_group.addAction(
                action(f"{int(v * 100)} %", lambda _=False, x=v: self.set_intensity(x), True)
            )
        self.bypass_action = action("Bypass (camera untouched)", self.set_bypass, True)
        self.preview_action = action("Show preview", self.show_preview, True)
        self.calibrate_action = action("Calibrate my neutral face", self.calibrate)
        self.landmark_action = action("Landmark translator (no weights)", lambda: self.load_model(None))
        self.model_action = action("Open model checkpoint...", self._pick_model)
        self.start_action = action("Stop", self.toggle_running)
        self.teach_actions = {
            e: action(f"Teach my {e}...", lambda _=False, x=e: self.teach(x)) for e in TEACHABLE
        }
        self.cancel_teach_action = action("Cancel teaching (nothing is saved)", self.cancel_teaching)
        self.cancel_teach_action.setEnabled(False)
        self.quit_action = action("Quit", self.quit)

    # ---- the emotion actions follow the translator ------------------------------------------------
    def _make_emotion_actions(self, emotions: tuple[str, ...], personal: tuple[str, ...] = ()) -> None:
        """One checkable entry per emotion, in MENU_ORDER; the ones a personal profile serves say "(yours)"."""
        from PyQt5.QtWidgets import QAction

        for a in self.emotion_actions.values():
            self.emotion_group.removeAction(a)
        self.emotion_actions = {}
        order = {e: i for i, e in enumerate(MENU_ORDER)}
        for emo in sorted(emotions, key=lambda e: (order.get(e, len(order)), e)):
            label = emo.capitalize() + (" (yours)" if emo in personal else "")
            a = QAction(label, self.app, checkable=True)
            a.triggered.connect(lambda _=False, e=emo: self.set_target(e))
            self.emotion_group.addAction(a)
            self.emotion_actions[emo] = a

    def _swap(self, ready: E.TranslatorReady) -> None:
        """Serve a new translator; the emotion menu is rebuilt for what it makes."""
        from w2le_live.live.commands import target_after_swap

        target = target_after_swap(ready.translator, ready.target, self.pipeline.controls.target)
        self.pipeline.set_translator(ready.translator, target)
        self._make_emotion_actions(ready.translator.emotions, personal_emotions(ready.translator))
        if target in self.emotion_actions:
            self.emotion_actions[target].setChecked(True)
        self.view.emotions_changed()
        self._save(model=ready.model, target=target)
        self._refresh_icon()
        if ready.announce:
            self.notify("W2LE Live", ready.announce)
        else:
            self.notify("Model loaded", ready.translator.describe())

    # ---- actions ------------------------------------------------------------------------------------
    def set_target(self, emotion: str) -> None:
        self.pipeline.set_target(
            emotion
        )  # ValueError for an emotion it cannot make (the slot guard shows it)
        self.emotion_actions[emotion].setChecked(True)
        self._save(target=emotion)
        self._refresh_icon()

    def set_intensity(self, value: float) -> None:
        self.pipeline.set_intensity(value)
        self.intensity_actions[min(INTENSITY_STEPS, key=lambda v: abs(v - value))].setChecked(True)
        self._save(intensity=value)

    def set_bypass(self, on: bool) -> None:
        self.pipeline.set_bypass(bool(on))
        self.bypass_action.setChecked(bool(on))
        self._save(bypass=bool(on))
        self._refresh_icon()

    def calibrate(self) -> None:
        """Record the user's neutral face again (what the ``neutral`` target returns to), and say what to do."""
        self.pipeline.calibrate_neutral()
        self.notify(
            "W2LE Live", "Recording your neutral face: look at the camera with a relaxed face for a second."
        )

    def show_preview(self, on: bool) -> None:
        if on and self.preview is None:
            from w2le_live.gui.preview import make_preview

            self.preview = make_preview(self.pipeline, on_close=self._preview_closed)
        if self.preview is not None:
            self.preview.setVisible(bool(on))
        self.preview_action.setChecked(bool(on))
        self._save(show_preview=bool(on))

    def _preview_closed(self) -> None:
        """The user closed the preview window: the menu entry follows; closing it while teaching cancels."""
        self.preview_action.setChecked(False)
        self._save(show_preview=False)
        if self.teacher is not None and self.teacher.active:
            self.cancel_teaching()

    def teach(self, emotion: str, seconds: float = 20.0, countdown: int = 3) -> None:
        """Record up to ``seconds`` of the camera showing ``emotion`` (prompts and coverage under the face in the
        preview), enrol it into the profile and wear it; the outcome is a notification."""
        from w2le_live.gui.teach import Teacher

        if self.teacher is not None and self.teacher.busy:
            self.notify(
                "W2LE Live", 'an enrolment is already running; finish it or use "Cancel teaching" first.'
            )
            return

        def done(message: str, translator=None) -> None:  # on the teacher's thread
            if translator is not None:
                self.post(E.TranslatorReady(translator, self.session.options.model, emotion, message))
            elif teacher.cancelled:
                self.post(E.Note(message))
            else:
                self.post(E.ActionFailed(message))  # a refused take: the stream is fine, the icon stays

        self.teacher = teacher = Teacher(
            self.session, emotion, seconds=seconds, countdown=countdown, on_done=done
        )
        if teacher.replacing:
            self.notify("W2LE Live", f"profile '{teacher.profile}' already has {emotion}: this take replaces it once "
                        f"it is learned; \"Cancel teaching\" keeps the old one.")  # fmt: skip
        self.show_preview(True)
        self.preview.overlay = teacher.prompt
        self.preview.setWindowTitle(f"W2LE Live — teaching your {emotion} face (close to cancel)")
        self.preview.resize(max(self.preview.width(), 660), max(self.preview.height(), 640))
        self.cancel_teach_action.setEnabled(True)
        teacher.start()

    def cancel_teaching(self) -> None:
        """Stop the running "Teach my ..." take: nothing is saved, the profile keeps what it had."""
        if self.teacher is not None and self.teacher.active:
            self.teacher.cancel()
        self.cancel_teach_action.setEnabled(False)

    def load_model(self, path: Optional[str]) -> None:
        """Load a translator in a background thread; swap it in when ready, so the video never stalls."""
        threading.Thread(target=load_translator, args=(self.session, path, self.post), daemon=True,
                         name="w2le-model-loader").start()  # fmt: skip

    def _pick_model(self) -> None:
        path = pick_checkpoint()
        if path:
            self.load_model(path)

    def switch_camera(self, device: str) -> None:
        self.pipeline.set_source(self.session.open_camera(device))

    def switch_mic(self, device: str) -> None:
        """Feed the pipeline from another microphone; a failure is a notification, not a crash."""
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
        self.settings = replace(self.settings, **kw)
        save_settings(self.settings)

    def restore_settings(self) -> None:
        """Apply the saved settings (the view calls this once it is built)."""
        s: GuiSettings = self.settings
        target = s.target if s.target in self.emotion_actions else self.pipeline.controls.target
        if target in self.emotion_actions:
            self.pipeline.set_target(target)
            self.emotion_actions[target].setChecked(True)
        self.set_intensity(s.intensity)
        self.set_bypass(s.bypass)
        if s.model and self.session.options.model is None:  # the model chosen last time, unless one is given
            self.load_model(s.model)

    def _on_event(self, ev) -> None:
        if isinstance(ev, E.TranslatorReady):
            self._swap(ev)
        elif isinstance(ev, E.Problem):
            self.state = "error"
            self.notify("W2LE Live problem", ev.message)
        elif isinstance(ev, E.ActionFailed):
            self.notify("W2LE Live problem", ev.message)
        elif isinstance(ev, E.Note):
            self.notify("W2LE Live", ev.message)
        elif isinstance(ev, E.Recovered) and self.state == "error":
            self.state = "running"
        teaching = self.teacher is not None and self.teacher.active
        self.cancel_teach_action.setEnabled(teaching)
        if not teaching and self.preview is not None:
            from w2le_live.gui.preview import TITLE

            self.preview.setWindowTitle(TITLE)
        self._refresh_icon()

    def notify(self, title: str, message: str) -> None:
        self.notifications.append(message)
        log.info("%s: %s", title, message)
        self.view.show(title, message)

    def status_text(self) -> str:
        """The tooltip / status line (the views ask once a second): says so once a file source played to its end."""
        self._check_source_ended()
        if self.state == "ended":
            return "W2LE Live — the video file ended\npress Start to play it again"
        return status_text(self.pipeline.stats())

    def _check_source_ended(self) -> None:
        """A file source without --loop that played to its end: stop the video (Start plays it again) and say so."""
        if self.state == "ended" or not getattr(self.pipeline.source, "finished", False):
            return
        if not self.pipeline.stats().running:
            return
        self.session.stop_video()
        self.start_action.setText("Start")
        self.state = "ended"
        self.notify("W2LE Live", "the video file ended (it does not loop); press Start to play it again.")
        self._refresh_icon()

    def icon_state(self) -> str:
        return icon_state(self.state, self.pipeline.stats())

    def _refresh_icon(self) -> None:
        self.view.refresh_icon()


def personal_emotions(translator) -> tuple[str, ...]:
    """The emotions a personal profile serves in ``translator`` (itself personal, or routed with a fallback)."""
    if getattr(translator, "name", "") == "personal":
        return tuple(translator.emotions)
    inner = getattr(translator, "personal", None)
    return tuple(inner.emotions) if inner is not None else ()


def queued_signal(handler):
    """A QObject whose ``event.emit(obj)`` (any thread) calls ``handler(obj)`` on the Qt thread."""
    from PyQt5 import QtCore

    class _Bridge(QtCore.QObject):
        event = QtCore.pyqtSignal(object)

    bridge = _Bridge()
    bridge.event.connect(handler)
    return bridge


def status_text(st) -> str:
    """The tooltip for a PipelineStats: mode, who serves, rate and latency."""
    mode = "bypass" if st.bypass else f"{st.target} {int(st.intensity * 100)} %"
    return f"W2LE Live — {mode}\n{st.serving}\n{st.fps_out:.1f} fps, {st.latency_ms_p50:.0f} ms latency"


def icon_state(state: str, st) -> str:
    """error | stopped | bypass | running, for the controller's ``state`` and a PipelineStats."""
    if state == "error":
        return "error"
    if not st.running:
        return "stopped"
    return "bypass" if st.bypass else "running"


def load_translator(session, path: Optional[str], post) -> None:
    """Build the translator for ``path`` (None: the default kind) and ``post`` it as TranslatorReady, or post
    the one-sentence Problem. Runs on a background thread."""
    try:
        post(E.TranslatorReady(session.load_translator(path), path))
    except Exception as exc:  # noqa: BLE001 - shown as a notification with its one sentence
        post(E.Problem(f"the model could not be loaded: {exc}"))


def pick_checkpoint() -> str:
    """A file dialog for a generator checkpoint; "" when cancelled."""
    from PyQt5.QtWidgets import QFileDialog

    path, _ = QFileDialog.getOpenFileName(
        None, "Open a generator checkpoint", "", "Checkpoints (*.safetensors *.pth *.pt *.onnx *.engine)"
    )
    return path
