"""How a face id is drawn in the window: its colour (the report's, `face_colour`) and, as the
colours come round again, a line style, so face 11 is not face 1 (solid for 1-10, dashed
for 11-20, dotted for 21-30…)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPen

from fer_desktop.report import FACE_COLOURS, face_colour

STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
          Qt.PenStyle.DashDotLine)  # fmt: skip


def face_style(face_id: int) -> Qt.PenStyle:
    return STYLES[((face_id - 1) // len(FACE_COLOURS)) % len(STYLES)]


def face_pen(face_id: int, width: float = 2) -> QPen:
    """The pen of a face's line on a chart (and of its box in the video)."""
    return pg.mkPen(face_colour(face_id), width=width, style=face_style(face_id))
