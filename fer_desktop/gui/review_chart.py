"""Review's chart: the whole recording, one curve per person, markers, seeks and a cursor;
or the same in one lane per expression, or with the face mesh in one lane per measure
(`expression_lanes_view`, `fer_desktop.measure_lanes`; the window's switch picks).

Clicking or dragging on the chart seeks (the wheel still zooms the time axis); the legend
sits above the plot, so it covers no line.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from fer_desktop.marker_labels import label_levels
from fer_desktop.measure_lanes import MEASURES, MeasureLane
from fer_desktop.report import face_colour
from fer_desktop.review import Marker, Person

from .expression_lanes_view import LanesMode, LaneStack
from .face_style import face_pen
from .mood_chart import LABEL_SPAN, bare, marker_line, switch_line


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


class ReviewChart(LanesMode, pg.PlotWidget):
    modeShown = Signal(str)  # the mode now shown ("valence", "lanes" or "measures")

    def __init__(
        self,
        seeks: list[tuple[float, float]],
        on_seek: Callable[[float], None],
        labels: list[str] = (),
        measures: list[MeasureLane] = (),
    ):
        super().__init__(background="w", viewBox=SeekBox(on_seek))
        self._init_lanes(lambda: SeekBox(on_seek))  # a drag in any lane seeks too
        self.lanes.set_labels(list(labels))
        self.measure_lanes = LaneStack(lambda: SeekBox(on_seek))
        self.measure_lanes.set_labels(
            [lane.name for lane in measures], [(lane.low, lane.high) for lane in measures]
        )
        self.stacks[MEASURES] = self.measure_lanes
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
            self._add_lane_line(lambda named, line=line: seek_line(line, named), 0, "seeks")
        self.cursor = pg.InfiniteLine(0.0, movable=True, pen=pg.mkPen("#c62828", width=2))
        self.addItem(self.cursor)
        self.lane_cursors = self._add_lane_line(lambda _named: cursor_line(), 0, "cursor")
        for line in self.lane_cursors:  # dragging one in a lane seeks, as the valence one
            line.sigPositionChanged.connect(lambda line: on_seek(float(line.value())))
        self.curves: dict[int, pg.PlotDataItem] = {}  # person id -> its curve
        self._marker_lines: list[pg.InfiniteLine] = []
        self.switch_lines: list[pg.InfiniteLine] = []  # where values switch raw <-> calibrated

    def _add_lane_line(self, maker, labelled_lane: int, group: str) -> list[pg.InfiniteLine]:
        """A vertical line in every lane of every stack (LaneStack.add_line): all of them."""
        return [
            line
            for stack in self.stacks.values()
            for line in stack.add_line(maker, labelled_lane, group)
        ]

    def _clear_lane_lines(self, group: str) -> None:
        for stack in self.stacks.values():
            stack.clear_lines(group)

    def set_cursor(self, t: float) -> None:
        """Move the cursor without telling anyone (it follows the frame shown)."""
        for line in [self.cursor, *self.lane_cursors]:
            line.blockSignals(True)
            line.setValue(t)
            line.blockSignals(False)

    def time_at(self, scene_pos) -> float:
        """The recording time under a point of the chart, in either mode."""
        if self.mode in self.stacks:
            return self.stacks[self.mode].time_at(scene_pos)
        return float(self.getPlotItem().vb.mapSceneToView(scene_pos).x())

    def show_people(
        self,
        people: list[Person],
        series: dict[int, tuple[np.ndarray, np.ndarray]],
        label: Callable[[Person], str],
        lanes: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
        measures: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        """A curve per person from `series` (time, valence), in the lanes from `lanes`
        (time, a row of probabilities per time) and in the measure lanes from `measures`
        (time, a row of measures per time)."""
        for stack, data in ((self.lanes, lanes), (self.measure_lanes, measures)):
            stack.clear_faces()
            for pid, (xs, values) in (data or {}).items():
                stack.set_face(pid, xs, values)
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
        self._clear_lane_lines("switches")
        for pid, times in switches.items():
            pen = pg.mkPen(face_colour(pid), width=1, style=Qt.PenStyle.DotLine)
            for t, values in times:
                opts = {"position": 0.05, "color": face_colour(pid)}
                line = pg.InfiniteLine(t, pen=pen, label=values, labelOpts=opts)
                self.addItem(line)
                self.switch_lines.append(line)
                calibrated = values == "calibrated"
                self._add_lane_line(
                    lambda named, t=t, pid=pid, cal=calibrated: switch_line(t, pid, cal, named),
                    -1,
                    "switches",
                )

    def show_markers(self, markers: list[Marker], names: list[str], span: float) -> None:
        """A dashed line per marker, labelled with its name and note in dark on light;
        labels of markers close together (on the `span` seconds shown) hang one below
        another, and where there is no room, the name alone."""
        for line in self._marker_lines:
            self.removeItem(line)
        self._marker_lines = []
        self._clear_lane_lines("markers")
        levels = label_levels([m.t for m in markers], LABEL_SPAN * span)
        for m, name, level in zip(markers, names, levels, strict=True):
            text = f"{name} {m.note}".strip()
            line = marker_line(m.t, text, level, name)
            self.addItem(line)
            self._marker_lines.append(line)
            self._add_lane_line(
                lambda named, t=m.t, text=text, level=level, name=name: (
                    marker_line(t, text, level, name) if named else bare(t)
                ),
                0,
                "markers",
            )


def seek_line(line: pg.InfiniteLine, named: bool) -> pg.InfiniteLine:
    """A copy of a seek's dotted line for a lane (with its label when `named`)."""
    label = line.label.format if named and line.label is not None else None
    opts = {"position": 0.1, "color": "#616161"}
    return pg.InfiniteLine(line.value(), pen=line.pen, label=label, labelOpts=opts)


def cursor_line() -> pg.InfiniteLine:
    """The cursor: a red line that can be dragged."""
    return pg.InfiniteLine(0.0, movable=True, pen=pg.mkPen("#c62828", width=2))
