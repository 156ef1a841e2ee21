"""Tray icons drawn with QPainter (no image files): a face whose colour shows the state."""

from __future__ import annotations

COLORS = {"running": "#2e9d4f", "bypass": "#8a8f98", "error": "#d23c3c", "stopped": "#4a4f57"}


def state_icon(state: str, target: str = "happy", size: int = 64):
    """A QIcon for ``state`` (running | bypass | error | stopped); the mouth follows ``target``."""
    from PyQt5.QtCore import QPointF, QRectF, Qt
    from PyQt5.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    p.setBrush(QColor(COLORS.get(state, COLORS["stopped"])))
    p.setPen(Qt.NoPen)
    p.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    p.setBrush(QColor("white"))
    eye = size * 0.09
    p.drawEllipse(QPointF(size * 0.35, size * 0.38), eye, eye)
    p.drawEllipse(QPointF(size * 0.65, size * 0.38), eye, eye)
    pen = QPen(QColor("white"), size * 0.07)
    pen.setCapStyle(Qt.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.NoBrush)
    path = QPainterPath(QPointF(size * 0.3, size * 0.66))
    curve = {"happy": 0.82, "sad": 0.52, "surprised": 0.66, "angry": 0.6, "neutral": 0.66}.get(target, 0.66)
    path.quadTo(QPointF(size * 0.5, size * curve), QPointF(size * 0.7, size * 0.66))
    p.drawPath(path)
    if state == "error":
        p.setPen(QPen(QColor("white"), size * 0.08))
        p.drawLine(QPointF(size * 0.78, size * 0.1), QPointF(size * 0.78, size * 0.3))
    p.end()
    return QIcon(pm)
