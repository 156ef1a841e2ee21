"""A preview window showing the pipeline's output frames."""

from __future__ import annotations

TITLE = "W2LE Live — preview"


def make_preview(pipeline, fps: float = 20.0, overlay=None, on_close=None):
    """A QLabel window refreshed from ``pipeline.latest_frame()`` on a timer.

    ``overlay()`` -> text or None: drawn under the frame (the enrolment prompts), set later as ``label.overlay``.
    ``on_close()``: called when the user closes the window (its close button), so the menu can follow.
    """
    from PyQt5.QtCore import Qt, QTimer
    from PyQt5.QtGui import QImage, QPixmap
    from PyQt5.QtWidgets import QLabel

    class _Preview(QLabel):
        def closeEvent(self, event):  # noqa: N802 - Qt's name
            super().closeEvent(event)
            if on_close is not None:
                on_close()

    label = _Preview()
    label.setWindowTitle(TITLE)
    label.setAlignment(Qt.AlignCenter)
    label.setMinimumSize(320, 240)
    label.setText("waiting for frames...")

    def refresh():
        frame = pipeline.latest_frame()
        if frame is None or not label.isVisible():
            return
        text = label.overlay() if label.overlay is not None else None
        if text:
            from w2le_live.gui.teach import draw_prompt

            frame = draw_prompt(frame, text)
        rgb = frame[:, :, ::-1].copy()
        h, w = rgb.shape[:2]
        img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        label.setPixmap(
            QPixmap.fromImage(img).scaled(label.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation)
        )
        label.frames_shown = getattr(label, "frames_shown", 0) + 1

    label.overlay = overlay
    timer = QTimer(label)
    timer.timeout.connect(refresh)
    timer.start(int(1000 / fps))
    label.refresh = refresh
    return label
