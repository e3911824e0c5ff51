"""The video view: the frame, and over each face its box, id, label and probability bar,
the eye state when the mesh is on, and the overlay chosen (face_overlay.py)."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from fer_desktop.eye_caption import EyeCaptions
from fer_desktop.label_colours import LABEL_HEX
from fer_desktop.report import face_colour
from fer_desktop.results import FrameResult, TrackedFace

from . import face_overlay
from .face_style import face_style

LABEL_COLOURS = {label: QColor(colour) for label, colour in LABEL_HEX.items()}

MARGIN = 16  # px kept clear on each side of the message under the picture
WRAPPED = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap
ALERT_MS = 20_000


class VideoView(QWidget):
    """Paints the newest frame scaled to fit, with the overlays of its FrameResult."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self._image: QImage | None = None
        self._rgb: np.ndarray | None = None
        self.result: FrameResult | None = None
        self.message = "Starting…"
        self.banner = ""  # e.g. "camera lost, reconnecting" or "● REC 00:12"
        self.overlay = ""  # large, in the middle of the picture: "Paused"
        self.alert = ""  # an error to read: over the picture's foot, for ALERT_MS
        self.face_overlay = "off"  # over each face: off, landmarks or pose (face_overlay.py)
        self.eyes = EyeCaptions()  # each face's eye state, followed frame by frame
        self._alert_timer = QTimer(self)
        self._alert_timer.setSingleShot(True)
        self._alert_timer.timeout.connect(lambda: self.show_alert(""))

    def show_alert(self, text: str) -> None:
        """Show an error, wrapped on a dark box, for ALERT_MS (frames go on under it)."""
        self.alert = text
        if text:
            self._alert_timer.start(ALERT_MS)
        self.update()

    def show_frame(self, bgr: np.ndarray, result: FrameResult) -> None:
        self._rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        h, w = self._rgb.shape[:2]
        self._image = QImage(self._rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.result = result
        self.eyes.update(result)
        self.message = "" if result.faces else "No face in view"
        self.update()

    def image_rect(self) -> QRectF:
        """Where the frame is drawn inside the widget (aspect ratio kept)."""
        if self._image is None:
            return QRectF(self.rect())
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#111"))
        if self._image is not None:
            target = self.image_rect()
            p.drawImage(target, self._image)
            if self.result is not None:
                self._draw_faces(p, target)
        p.setFont(QFont(self.font().family(), 14, QFont.Weight.Bold))
        if self.alert:
            self._draw_alert(p)
        elif self.message:  # wrapped within the view: a long one is read whole
            p.setPen(QColor("white"))
            p.drawText(self.rect().adjusted(MARGIN, 0, -MARGIN, -20), WRAPPED, self.message)
        if self.overlay:
            self._draw_overlay(p)
        if self.banner:
            width = p.fontMetrics().horizontalAdvance(self.banner) + 20
            p.fillRect(QRectF(8, 8, width, 30), QColor(0, 0, 0, 160))
            p.setPen(QColor("#ff5252") if self.banner.startswith("●") else QColor("#ffd740"))
            p.drawText(QRectF(18, 8, width, 30), Qt.AlignmentFlag.AlignVCenter, self.banner)
        p.end()

    def _draw_alert(self, p: QPainter) -> None:
        room = self.rect().adjusted(MARGIN, 0, -MARGIN, -20)
        text = p.fontMetrics().boundingRect(room, WRAPPED, self.alert)
        p.fillRect(QRectF(text).adjusted(-8, -4, 8, 4), QColor(120, 0, 0, 210))
        p.setPen(QColor("white"))
        p.drawText(room, WRAPPED, self.alert)

    def _draw_overlay(self, p: QPainter) -> None:
        p.setFont(QFont(self.font().family(), 28, QFont.Weight.Bold))
        width = p.fontMetrics().horizontalAdvance(self.overlay) + 48
        box = QRectF((self.width() - width) / 2, (self.height() - 64) / 2, width, 64)
        p.fillRect(box, QColor(0, 0, 0, 170))
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.overlay)
        p.setFont(QFont(self.font().family(), 14, QFont.Weight.Bold))

    def _draw_faces(self, p: QPainter, target: QRectF) -> None:
        result = self.result
        sx, sy = target.width() / result.width, target.height() / result.height
        font = QFont(self.font().family(), 11, QFont.Weight.Bold)
        p.setFont(font)
        placed: list[QRectF] = []  # tags drawn so far: in a crowd, later ones step aside
        for face in result.faces:
            x, y, w, h = face.box
            box = QRectF(target.x() + x * sx, target.y() + y * sy, w * sx, h * sy)
            colour = QColor(face_colour(face.id))
            p.setPen(QPen(colour, 3, face_style(face.id)))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(box)
            face_overlay.draw(p, self.face_overlay, face, target, sx)
            label_colour = LABEL_COLOURS.get(face.label, QColor("#ff9800"))
            prob = float(face.smooth[result.labels.index(face.label)])
            text = self.face_label(face, prob)
            width = max(box.width(), p.fontMetrics().horizontalAdvance(text) + 12.0)
            tag = _free_spot(box, width, placed, target)
            placed.append(tag)
            p.fillRect(tag, QColor(0, 0, 0, 170))
            p.fillRect(QRectF(tag.x(), tag.bottom() - 5, tag.width() * prob, 5), label_colour)
            p.setPen(label_colour.lighter(130))
            p.drawText(tag.adjusted(6, 0, -4, -5), Qt.AlignmentFlag.AlignVCenter, text)

    def face_label(self, face: TrackedFace, prob: float) -> str:
        """A face's tag: "#1 happy 83%", and with the mesh on " · eyes open" (or why its eyes
        have no measure)."""
        text = f"#{face.id} {face.label} {prob:.0%}"
        eyes = self.eyes.text(face.id, face.measures)
        return f"{text} · {eyes}" if eyes else text


def _free_spot(box: QRectF, width: float, placed: list[QRectF], bounds: QRectF) -> QRectF:
    """Where a face's label goes: above its box, else below, else further up, avoiding the
    labels already placed (neighbours in a crowd) and the picture's top edge."""
    height = 24.0
    candidates = [box.y() - height - 2, box.bottom() + 2]
    candidates += [box.y() - (height + 2) * k for k in (2, 3, 4)]
    for top in candidates:
        tag = QRectF(box.x(), top, width, height)
        if top >= bounds.y() and not any(tag.intersects(other) for other in placed):
            return tag
    return QRectF(box.x(), max(bounds.y(), box.y() - height - 2), width, height)
