"""The rolling mood chart: valence per face over the last N seconds (pyqtgraph), or one
lane per expression (`expression_lanes_view`; the window's switch picks).

It runs on the frames' `t_source`. When that goes back (a seek back in a file), the points
from the later stretch are dropped, so each curve stays in time order; a curve breaks where
a face was not seen for `GAP_S` (a camera gap, a seek forward, a face that left).
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from fer_desktop.calibration import CALIBRATED, SAVED
from fer_desktop.marker_labels import LEVELS, SHORT_CHARS, label_levels, label_text
from fer_desktop.report import face_colour
from fer_desktop.results import FrameResult

from .expression_lanes_view import LANES, LanesMode
from .face_style import face_pen

BAND = 0.2  # |valence| below this reads as neutral
KEEP_SECONDS = 600.0  # history kept, so widening the window brings older data back
GAP_S = 1.0  # no line joins two points of a face further apart than this
# A marker's note: dark on a light box near the top, readable over the bands and lines; the
# labels of markers close together hang one below the other (`label_levels`).
MARKER_LABEL = {
    "color": "#000",
    "fill": (255, 255, 255, 220),
    "anchors": [(0, 0), (0, 0)],  # hangs down and right of the line's top: never cut off
}
LABEL_TOP, LABEL_STEP = 0.97, 0.11  # the top level's height, and the drop per level
LABEL_SPAN = 0.2  # share of the chart's width one label takes


class MoodChart(LanesMode, pg.PlotWidget):
    """One line per face id in that face's overlay colour; markers as vertical lines. In
    lanes mode, the same in one lane per expression."""

    modeShown = Signal(str)  # the mode now shown ("valence" or "lanes")

    def __init__(self, window_seconds: float = 60.0, parent=None):
        super().__init__(parent=parent, background="w")
        self.window = window_seconds
        self.series: dict[int, list[tuple[float, float]]] = {}  # (t, valence), in time order
        # (t, smoothed probabilities in the order of lanes.labels), in time order
        self.lane_points: dict[int, list[tuple[float, np.ndarray]]] = {}
        self._init_lanes()
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.markers: list[tuple[float, pg.InfiniteLine]] = []  # and calibration switches
        self.calibrated: dict[int, bool] = {}  # face id -> its last values were calibrated
        self.now = 0.0
        plot = self.getPlotItem()
        plot.setYRange(-1.05, 1.05, padding=0)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setLabel("left", "valence")
        plot.setLabel("bottom", "time (s)")
        # The legend sits in a row of its own above the plot: it never covers a line.
        self.legend = pg.LegendItem(colCount=10, labelTextSize="8pt")
        plot.layout.removeItem(plot.titleLabel)  # no title: its row holds the legend
        plot.layout.addItem(self.legend, 0, 1)
        plot.legend = self.legend
        for lo, hi, colour in (
            (BAND, 1.05, (44, 160, 44, 30)),
            (-1.05, -BAND, (31, 119, 180, 30)),
            (-BAND, BAND, (158, 158, 158, 20)),
        ):
            region = pg.LinearRegionItem(
                (lo, hi),
                orientation="horizontal",
                movable=False,
                brush=pg.mkBrush(*colour),
                pen=pg.mkPen(None),
            )
            plot.addItem(region)
        self.setMinimumHeight(160)

    def set_window(self, seconds: float) -> None:
        self.window = float(seconds)
        self._redraw()

    def clear_faces(self) -> None:
        """Forget every face (their legend entries too)."""
        plot = self.getPlotItem()
        for curve in self.curves.values():
            plot.removeItem(curve)
            if plot.legend is not None:
                plot.legend.removeItem(curve)
        self.series.clear()
        self.curves.clear()
        self.calibrated.clear()
        self.lane_points.clear()
        self.lanes.clear_faces()

    def reset(self) -> None:
        """A new source: no lines, no markers, time from 0 again."""
        self.clear_faces()
        self.clear_markers()
        self.now = 0.0
        self._redraw()

    def clear_markers(self) -> None:
        for _t, line in self.markers:
            self.getPlotItem().removeItem(line)
        self.markers.clear()
        self.lanes.clear_lines()

    def add(self, result: FrameResult) -> None:
        if result.t_source < self.now:  # time went back: a seek
            self._forget_after(result.t_source)
        self.now = result.t_source
        if result.labels != self.lanes.labels:  # another model: other lanes
            self.lane_points.clear()
            self.set_lane_labels(result.labels)
        for face in result.faces:
            pts = self.series.setdefault(face.id, [])
            pts.append((result.t_source, face.valence))
            probs = np.array(face.smooth, dtype=float)
            self.lane_points.setdefault(face.id, []).append((result.t_source, probs))
            calibrated = face.cal_state in (CALIBRATED, SAVED)
            if self.calibrated.setdefault(face.id, calibrated) != calibrated:
                self.calibrated[face.id] = calibrated
                self._add_switch(result.t_source, face.id, calibrated)
            if face.id not in self.curves:
                curve = self.plot([], [], pen=face_pen(face.id), connect="finite")
                self.legend.addItem(curve, f"face {face.id}")
                self.curves[face.id] = curve
        self._redraw()

    def _forget_after(self, t: float) -> None:
        """Drop the points at or after `t` (a later stretch of the source)."""
        for pts in [*self.series.values(), *self.lane_points.values()]:
            del pts[bisect_left(pts, t, key=lambda p: p[0]) :]

    def add_marker(self, t: float, note: str = "") -> None:
        times = [m[0] for m in self.markers] + [t]
        level = label_levels(times, LABEL_SPAN * self.window)[-1]
        short = label_text(note, SHORT_CHARS)
        line = marker_line(t, note, level, short)
        self.getPlotItem().addItem(line)
        self.markers.append((t, line))
        # in lanes mode: across every lane, its note in the top one
        self.lanes.add_line(lambda named: marker_line(t, note, level, short) if named else bare(t))

    def _add_switch(self, t: float, face_id: int, calibrated: bool) -> None:
        """A dotted line in the face's colour where its values switch (raw <-> calibrated);
        in lanes mode across every lane, named in the bottom one."""
        line = switch_line(t, face_id, calibrated)
        self.getPlotItem().addItem(line)
        self.markers.append((t, line))
        self.lanes.add_line(lambda named: switch_line(t, face_id, calibrated, named), -1)

    def _redraw(self) -> None:
        start = self.now - self.window
        for fid, pts in self.series.items():
            if pts and pts[0][0] < self.now - KEEP_SECONDS:
                del pts[: bisect_left(pts, self.now - KEEP_SECONDS, key=lambda p: p[0])]
            shown = pts[bisect_left(pts, start, key=lambda p: p[0]) :]  # only the window
            self.curves[fid].setData(*broken_at_gaps(shown))
        x_range = (max(0.0, start), max(self.window, self.now))
        self.getPlotItem().setXRange(*x_range, padding=0)
        if self.mode == LANES:  # the lanes are drawn only when shown
            for fid, pts in self.lane_points.items():
                if pts and pts[0][0] < self.now - KEEP_SECONDS:
                    del pts[: bisect_left(pts, self.now - KEEP_SECONDS, key=lambda p: p[0])]
                shown = pts[bisect_left(pts, start, key=lambda p: p[0]) :]
                self.lanes.set_face(fid, *lanes_at_gaps(shown, len(self.lanes.labels)))
            self.lanes.set_x_range(*x_range)

    def _lanes_shown(self) -> None:
        self._redraw()


def switch_line(t: float, face_id: int, calibrated: bool, named: bool = True) -> pg.InfiniteLine:
    """A dotted line in the face's colour at `t`, where its values switch to calibrated
    (or back to raw), so named unless `named` is False."""
    return pg.InfiniteLine(
        t,
        angle=90,
        pen=pg.mkPen(face_colour(face_id), width=1, style=pg.QtCore.Qt.DotLine),
        label=("calibrated" if calibrated else "raw") if named else None,
        labelOpts={"position": 0.05, "color": face_colour(face_id)},
    )


def marker_line(t: float, text: str, level: int | None = 0, short: str = "") -> pg.InfiniteLine:
    """A dashed vertical line at `t` labelled with `text` (shortened to one line) at label
    height `level`, or with `short` below every level when `level` is None (no room). The
    text is shown as it is: pyqtgraph formats a label with `str.format`, so its braces are
    doubled here ("{boss}" stays "{boss}")."""
    shown = label_text(text) if level is not None else short
    height = LABEL_TOP - LABEL_STEP * (LEVELS if level is None else level)
    return pg.InfiniteLine(
        t,
        angle=90,
        pen=pg.mkPen("#212121", width=1.5, style=pg.QtCore.Qt.DashLine),
        label=shown.replace("{", "{{").replace("}", "}}") or None,
        labelOpts={**MARKER_LABEL, "position": height},
    )


def bare(t: float) -> pg.InfiniteLine:
    """A marker's dashed line at `t` without its note (a lane below the one naming it)."""
    return marker_line(t, "")


def broken_at_gaps(pts: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """x and y of time-ordered points, with a NaN y between two more than GAP_S apart."""
    xs = np.array([p[0] for p in pts], dtype=float)
    ys = np.array([p[1] for p in pts], dtype=float)
    cut = np.flatnonzero(np.diff(xs) > GAP_S) + 1
    return np.insert(xs, cut, xs[cut]), np.insert(ys, cut, np.nan)


def lanes_at_gaps(pts: list[tuple[float, np.ndarray]], width: int) -> tuple[np.ndarray, np.ndarray]:
    """x and a row of `width` values per time-ordered point, with a NaN row between two
    points more than GAP_S apart (as `broken_at_gaps`)."""
    xs = np.array([p[0] for p in pts], dtype=float)
    rows = np.array([p[1][:width] for p in pts], dtype=float).reshape(len(pts), width)
    cut = np.flatnonzero(np.diff(xs) > GAP_S) + 1
    return np.insert(xs, cut, xs[cut]), np.insert(rows, cut, np.nan, axis=0)
