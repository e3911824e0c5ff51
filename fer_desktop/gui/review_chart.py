"""Review's chart: the whole recording, one curve per person, markers, seeks and a cursor.

Clicking or dragging on the chart seeks (the wheel still zooms the time axis); the legend
sits above the plot, so it covers no line.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from fer_desktop.marker_labels import label_levels
from fer_desktop.report import face_colour
from fer_desktop.review import Marker, Person

from .face_style import face_pen
from .mood_chart import LABEL_SPAN, marker_line


class SeekBox(pg.ViewBox):
    """A view box where a left-button drag moves the cursor instead of panning."""

    def __init__(self, on_seek: Callable[[float], None]):
        super().__init__()
        self.on_seek = on_seek

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        self.on_seek(float(self.mapSceneToView(ev.scenePos()).x()))


class ReviewChart(pg.PlotWidget):
    def __init__(self, seeks: list[tuple[float, float]], on_seek: Callable[[float], None]):
        super().__init__(background="w", viewBox=SeekBox(on_seek))
        self.setLabel("bottom", "recording time (s)")
        self.setLabel("left", "valence")
        self.setYRange(-1.05, 1.05)
        plot = self.getPlotItem()
        plot.setMouseEnabled(y=False)
        self.legend = pg.LegendItem(colCount=8, labelTextSize="8pt")
        plot.layout.removeItem(plot.titleLabel)  # no title: its row holds the legend
        plot.layout.addItem(self.legend, 0, 1)
        plot.legend = self.legend
        for n, (t, t_source) in enumerate(seeks):
            line = pg.InfiniteLine(  # labels on three heights, so neighbours stay readable
                t,
                pen=pg.mkPen("#9e9e9e", width=1, style=Qt.PenStyle.DotLine),
                label=f"→{t_source:.1f}",
                labelOpts={"position": 0.05 + 0.08 * (n % 3), "color": "#616161"},
            )
            self.addItem(line)
        self.cursor = pg.InfiniteLine(0.0, movable=True, pen=pg.mkPen("#c62828", width=2))
        self.addItem(self.cursor)
        self.curves: dict[int, pg.PlotDataItem] = {}  # person id -> its curve
        self._marker_lines: list[pg.InfiniteLine] = []
        self.switch_lines: list[pg.InfiniteLine] = []  # where values switch raw <-> calibrated

    def set_cursor(self, t: float) -> None:
        """Move the cursor without telling anyone (it follows the frame shown)."""
        self.cursor.blockSignals(True)
        self.cursor.setValue(t)
        self.cursor.blockSignals(False)

    def show_people(
        self,
        people: list[Person],
        series: dict[int, tuple[np.ndarray, np.ndarray]],
        label: Callable[[Person], str],
    ) -> None:
        for curve in self.curves.values():
            self.removeItem(curve)
            self.legend.removeItem(curve)
        self.curves = {}
        for p in people:
            xs, ys = series.get(p.id, (np.zeros(0), np.zeros(0)))
            curve = self.plot(xs, ys, pen=face_pen(p.id), connect="finite")
            self.legend.addItem(curve, label(p))
            self.curves[p.id] = curve

    def show_switches(self, switches: dict[int, list[tuple[float, str]]]) -> None:
        """A dotted line in a person's colour where their values switch (raw <-> calibrated)."""
        for line in self.switch_lines:
            self.removeItem(line)
        self.switch_lines = []
        for pid, times in switches.items():
            pen = pg.mkPen(face_colour(pid), width=1, style=Qt.PenStyle.DotLine)
            for t, values in times:
                opts = {"position": 0.05, "color": face_colour(pid)}
                line = pg.InfiniteLine(t, pen=pen, label=values, labelOpts=opts)
                self.addItem(line)
                self.switch_lines.append(line)

    def show_markers(self, markers: list[Marker], names: list[str], span: float) -> None:
        """A dashed line per marker, labelled with its name and note in dark on light;
        labels of markers close together (on the `span` seconds shown) hang one below
        another, and where there is no room, the name alone."""
        for line in self._marker_lines:
            self.removeItem(line)
        self._marker_lines = []
        levels = label_levels([m.t for m in markers], LABEL_SPAN * span)
        for m, name, level in zip(markers, names, levels, strict=True):
            line = marker_line(m.t, f"{name} {m.note}".strip(), level, name)
            self.addItem(line)
            self._marker_lines.append(line)
