"""What the video view may draw over each face besides its box and label: nothing, the
mesh's 468 landmarks (one `drawPoints` call per face), or the head's pose axes (three short
lines from the nose tip: right in red, up in green, forward in blue)."""

from __future__ import annotations

import numpy as np
from pyqtgraph import functions as pg_functions
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

from fer_desktop.pose_axes import NOSE_TIP, axes
from fer_desktop.results import TrackedFace

# (key, menu text): the order the overlay key steps through them
OVERLAYS = (("off", "&No overlay"), ("landmarks", "&Landmarks"), ("pose", "&Pose axes"))
OVERLAY_KEYS = tuple(key for key, _text in OVERLAYS)
LANDMARK_COLOUR = QColor(0, 255, 200, 200)
AXIS_COLOURS = (QColor("#ff5252"), QColor("#69f0ae"), QColor("#40c4ff"))
AXIS_LENGTH = 0.45  # of the face box's width


def next_overlay(mode: str) -> str:
    """The overlay after `mode` in OVERLAYS' order (off after the last)."""
    i = OVERLAY_KEYS.index(mode) if mode in OVERLAY_KEYS else -1
    return OVERLAY_KEYS[(i + 1) % len(OVERLAY_KEYS)]


def draw(p: QPainter, mode: str, face: TrackedFace, target: QRectF, scale: float) -> None:
    """Draw `mode`'s overlay of `face` (nothing without its mesh); image pixel (x, y) is at
    target's corner + (x, y) * scale in the view."""
    if mode == "off" or face.landmarks is None:
        return
    xy = face.landmarks[:, :2] * scale + (target.x(), target.y())
    if mode == "landmarks":
        _landmarks(p, xy)
    elif mode == "pose" and face.measures is not None and face.measures.pose is not None:
        _pose(p, xy[NOSE_TIP], axes(face.measures.pose), face.box[2] * scale * AXIS_LENGTH)


def _landmarks(p: QPainter, xy: np.ndarray) -> None:
    points = pg_functions.create_qpolygonf(len(xy))  # filled through a numpy view: no
    pg_functions.ndarray_from_qpolygonf(points)[:] = xy  # QPointF per point (0.45 ms)
    p.setPen(QPen(LANDMARK_COLOUR, 2))
    p.drawPoints(points)


def _pose(p: QPainter, nose: np.ndarray, directions: np.ndarray, length: float) -> None:
    start = QPointF(float(nose[0]), float(nose[1]))
    for colour, (dx, dy) in zip(AXIS_COLOURS, directions.tolist(), strict=True):
        p.setPen(QPen(colour, 3))
        p.drawLine(start, QPointF(start.x() + dx * length, start.y() + dy * length))
