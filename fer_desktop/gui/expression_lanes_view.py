"""The windows' lanes (issue #32): one small plot per expression, stacked, each from 0 to 1
and named on its left in the expression's colour, one line per face in its colour; markers
and the switches between raw and calibrated values cross every lane.

`LaneStack` is a pyqtgraph item: a chart (the live window's `MoodChart`, review's
`ReviewChart`) shows it in place of its valence plot (`show_mode`), and keeps both fed, so
switching back and forth loses nothing. `chart_mode_box` is the switch, remembered in
QSettings (one choice for both windows).
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox

from fer_desktop.expression_lanes import CHART_MODES, LANES, VALENCE, chart_mode
from fer_desktop.label_colours import LABEL_HEX
from fer_desktop.measure_lanes import MEASURES

from .face_style import face_pen

MODE_KEY = "chart_mode"  # in QSettings: "valence" or "lanes"; absent: by the model's classes
MODE_TEXTS = {
    VALENCE: "Valence",
    LANES: "One lane per expression",
    MEASURES: "One lane per measure",
}
LANE_MIN_PX = 30  # a lane stays at least this high (the chart grows to hold them all)
VALENCE_MIN_PX = 160
AXIS_PX = 46  # the time axis under the lanes
LineMaker = Callable[[bool], pg.InfiniteLine]  # labelled (True) or bare


class LaneStack(pg.GraphicsLayout):
    """One lane per label; `make_box` gives each lane its view box (review's seeks)."""

    def __init__(self, make_box: Callable[[], pg.ViewBox] | None = None):
        super().__init__()
        self.make_box = make_box or pg.ViewBox
        self.labels: list[str] = []
        self.plots: list[pg.PlotItem] = []
        self.names: list[pg.LabelItem] = []
        self.curves: dict[int, list[pg.PlotDataItem]] = {}  # face id -> one curve per lane
        # vertical lines across every lane: (maker, the lane that carries its label, group)
        self.line_makers: list[tuple[LineMaker, int, str]] = []
        self.lines: list[list[pg.InfiniteLine]] = []  # per maker, its line in each lane
        self.layout.setHorizontalSpacing(0)
        self.layout.setVerticalSpacing(6)  # the 1 of a lane clear of the 0 above it

    def removeItem(self, item) -> None:
        """pyqtgraph's, also while the lanes are in no scene (the valence chart is shown and
        the model changes): its own version then fails on `self.scene()`."""
        if self.scene() is not None:
            super().removeItem(item)
            return
        self.layout.removeAt(self.itemIndex(item))
        for r, c in self.items.pop(item):
            del self.rows[r][c]
        item.geometryChanged.disconnect(self._updateItemBorder)
        self.itemBorders.pop(item).setParentItem(None)
        item.setParentItem(None)

    def set_labels(
        self, labels: list[str], scales: list[tuple[float, float]] | None = None
    ) -> None:
        """One lane per label (rebuilt only when they change; the faces' lines go then),
        each from 0 to 1 or on its own (low, high) of `scales` (the measure lanes)."""
        if list(labels) == self.labels:
            return
        self.clear()
        axis_px = 30 if scales else 22  # room for "-0.2" and "-45"
        self.labels, self.plots, self.names, self.curves, self.lines = list(labels), [], [], {}, []
        for k, label in enumerate(self.labels):
            name = self.addLabel(
                html.escape(label), row=k, col=0, color=LABEL_HEX.get(label, "#222"), size="9pt"
            )  # the label is data: escaped (a LabelItem reads HTML)
            plot = self.addPlot(row=k, col=1, viewBox=self.make_box())
            low, high = scales[k] if scales else (0.0, 1.0)
            pad = 0.04 * (high - low)
            plot.setYRange(low - pad, high + pad, padding=0)
            plot.setMouseEnabled(y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=False, alpha=0.2)
            plot.getAxis("left").setTicks([[(low, f"{low:g}"), (high, f"{high:g}")]])
            plot.getAxis("left").setWidth(axis_px)
            plot.hideAxis("bottom")  # one time axis under them all, in a row of its own
            if k:
                plot.setXLink(self.plots[0])
            self.plots.append(plot)
            self.names.append(name)
        if self.plots:  # the time axis: an empty plot as wide as the lanes, no higher than it
            axis = self.addPlot(row=len(self.plots), col=1)
            axis.setXLink(self.plots[0])
            axis.setMouseEnabled(x=False, y=False)
            axis.hideButtons()
            axis.getAxis("left").setWidth(axis_px)
            axis.getAxis("left").setStyle(showValues=False)
            axis.getAxis("left").setPen(None)
            axis.setLabel("bottom", "time (s)")
            axis.setFixedHeight(AXIS_PX)
        for maker, labelled, _group in self.line_makers:
            self._draw_line(maker, labelled)

    def face_curves(self, face_id: int) -> list[pg.PlotDataItem]:
        """A face's curve in each lane, made the first time it is asked for."""
        if face_id not in self.curves:
            pen = face_pen(face_id, width=1.5)
            self.curves[face_id] = [p.plot([], [], pen=pen, connect="finite") for p in self.plots]
        return self.curves[face_id]

    def set_face(self, face_id: int, xs: np.ndarray, values: np.ndarray) -> None:
        """A face's probabilities: `values` has a row per time in `xs`, a column per lane
        (a NaN row breaks its lines)."""
        for k, curve in enumerate(self.face_curves(face_id)):
            curve.setData(xs, values[:, k] if len(xs) else values[:0, 0])

    def clear_faces(self) -> None:
        for curves in self.curves.values():
            for plot, curve in zip(self.plots, curves, strict=True):
                plot.removeItem(curve)
        self.curves = {}

    def add_line(self, maker: LineMaker, labelled_lane: int = 0, group: str = "") -> list:
        """A vertical line in every lane, from `maker`; labelled in lane `labelled_lane`
        only (-1: the bottom one), so a label is written once. `group` names the kind
        (markers, switches…) for `clear_lines`. Returns the lines, one per lane."""
        self.line_makers.append((maker, labelled_lane, group))
        return self._draw_line(maker, labelled_lane)

    def _draw_line(self, maker: LineMaker, labelled_lane: int) -> None:
        labelled = labelled_lane % len(self.plots) if self.plots else -1
        lines = [maker(k == labelled) for k in range(len(self.plots))]
        for plot, line in zip(self.plots, lines, strict=True):
            plot.addItem(line)
        self.lines.append(lines)
        return lines

    def clear_lines(self, group: str | None = None) -> None:
        """Remove the vertical lines of `group` (None: all of them)."""
        keep = []
        for made, lines in zip(self.line_makers, self.lines, strict=True):
            if group is None or made[2] == group:
                for plot, line in zip(self.plots, lines, strict=True):
                    plot.removeItem(line)
            else:
                keep.append((made, lines))
        self.line_makers = [made for made, _lines in keep]
        self.lines = [lines for _made, lines in keep]

    def set_x_range(self, start: float, end: float) -> None:
        if self.plots:
            self.plots[0].setXRange(start, end, padding=0)

    def time_at(self, scene_pos) -> float:
        """The time under a point of the scene (any lane: they share their time axis)."""
        return float(self.plots[0].vb.mapSceneToView(scene_pos).x()) if self.plots else 0.0


class LanesMode:
    """Mixed into a chart (a pg.PlotWidget with a `modeShown` signal): its lanes, `mode`
    ("valence", "lanes" or another stack's mode, the one shown) and `choose_mode`.
    Subclasses draw the lanes in `_lanes_shown`, and may add stacks of lanes of their own
    (`stacks`: review's measure lanes)."""

    def _init_lanes(self, make_box: Callable[[], pg.ViewBox] | None = None) -> None:
        self.lanes = LaneStack(make_box)
        self.stacks: dict[str, LaneStack] = {LANES: self.lanes}  # mode -> its lanes
        self.mode_choice: str | None = None  # None: by the model's classes
        self.mode = VALENCE

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes this chart offers: valence, lanes, and each other stack with lanes."""
        extra = (m for m, stack in self.stacks.items() if m != LANES and stack.labels)
        return (*CHART_MODES, *extra)

    def _plot_of(self, mode: str) -> pg.PlotItem:
        """The plot whose time axis a mode shows."""
        return self.stacks[mode].plots[0] if mode in self.stacks else self.plotItem

    def choose_mode(self, mode: str | None) -> None:
        """Show `mode` (None: lanes when the model has more than 3 classes)."""
        self.mode_choice = mode
        self._apply_mode()

    def set_lane_labels(self, labels: list[str]) -> None:
        """The labels of the model the chart shows: the lanes, and the mode they call for."""
        self.lanes.set_labels(labels)
        self._apply_mode()

    def _apply_mode(self) -> None:
        mode = chart_mode(self.mode_choice, self.lanes.labels)
        if self.mode_choice in self.modes:
            mode = self.mode_choice  # one of this chart's own modes
        if mode in self.stacks and not self.stacks[mode].labels:
            mode = VALENCE  # no lanes to show yet
        if mode == self.mode:
            return
        shown, coming = self._plot_of(self.mode), self._plot_of(mode)
        if shown.getViewBox().autoRangeEnabled()[0]:
            coming.enableAutoRange(x=True)
        else:  # zoomed in: the other one shows the same stretch of time
            coming.setXRange(*shown.viewRange()[0], padding=0)
        self.mode = mode
        stack = self.stacks.get(mode)
        self.setCentralItem(self.plotItem if stack is None else stack)
        lanes_px = LANE_MIN_PX * len(stack.labels) + 40 if stack is not None else 0
        self.setMinimumHeight(lanes_px if stack is not None else VALENCE_MIN_PX)
        if mode == LANES:
            self._lanes_shown()
        self.modeShown.emit(mode)

    def _lanes_shown(self) -> None:
        """The lanes have just replaced the valence plot: bring them up to date."""


def chart_mode_box(chart, settings: QSettings) -> QComboBox:
    """The switch between valence and lanes (and review's measure lanes, when the recording
    has them) for `chart` (it has `choose_mode`, `mode`, `modes` and `modeShown`), starting
    from the choice saved in `settings` and saving each new one."""
    box = QComboBox()
    modes = getattr(chart, "modes", CHART_MODES)
    for mode in modes:
        box.addItem(MODE_TEXTS[mode], mode)
    tip = (
        "Valence: one line per face. One lane per expression: each expression's probability "
        "(0-1) in a lane of its own. Without a choice, lanes when the model has more than 3 "
        "classes"
    )
    if MEASURES in modes:
        tip += ". One lane per measure: head yaw and pitch, eye openness, mouth opening and "
        tip += "the action-unit proxies (face mesh), each on its own scale"
    box.setToolTip(tip)

    def shown(mode: str) -> None:
        box.blockSignals(True)
        box.setCurrentIndex(box.findData(mode))
        box.blockSignals(False)

    def chosen(_index: int) -> None:
        settings.setValue(MODE_KEY, box.currentData())
        chart.choose_mode(box.currentData())

    chart.modeShown.connect(shown)
    saved = settings.value(MODE_KEY)
    chart.choose_mode(saved if saved in modes else None)
    shown(chart.mode_choice or chart.mode)  # the choice, before a model says what it shows
    box.currentIndexChanged.connect(chosen)
    return box
