"""The live window's analysis settings: the controls that set them and the preferences kept
in QSettings. Both are objects the window owns; neither knows the window: the controls call
back with what the user changed, and the preferences only read and write QSettings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QComboBox, QSlider, QSpinBox

from fer_desktop.errors import FerDesktopError
from fer_desktop.settings import Settings

from .live_texts import RANGE_CHOICES, is_file
from .outputs_controller import WS_PORT

# The analysis settings the window sets, saved as "analysis/<name>" (Settings' own names).
WINDOW_SETTINGS = ("model", "smoothing", "detector_range", "detector_tiles", "min_face_px", "mesh")


def set_combo(box: QComboBox, data) -> None:
    """Select the item of `box` holding `data`; none when no item does."""
    i = box.findData(data)
    if i >= 0:
        box.setCurrentIndex(i)


class AnalysisControls:
    """The analysis toolbar: model, smoothing, detector range, minimum face size and face
    mesh. A change by the user calls `on_change(**changes)` (Settings' own names); `show` sets
    them without a call."""

    def __init__(
        self,
        model_box: QComboBox,
        smoothing: QSlider,
        range_box: QComboBox,
        min_face: QSpinBox,
        mesh_box: QComboBox,
        on_change: Callable[..., None],
    ):
        self.model_box, self.smoothing, self.range_box, self.min_face = (
            model_box, smoothing, range_box, min_face,
        )  # fmt: skip
        self.mesh_box = mesh_box
        self._on_change = on_change
        self._showing = False
        model_box.currentIndexChanged.connect(lambda _: self._model_changed())
        smoothing.valueChanged.connect(lambda v: self._changed(smoothing=v / 100.0))
        range_box.currentIndexChanged.connect(lambda _: self._range_changed())
        min_face.valueChanged.connect(lambda v: self._changed(min_face_px=v))
        mesh_box.currentIndexChanged.connect(lambda _: self._changed(mesh=mesh_box.currentData()))

    def show(self, a: Settings) -> None:
        """Set the controls to `a`, without sending it anywhere."""
        self._showing = True
        try:
            set_combo(self.model_box, a.model)
            self.smoothing.setValue(round(a.smoothing * 100))
            set_combo(self.range_box, f"{a.detector_range}:{a.detector_tiles}")
            self.min_face.setValue(a.min_face_px)
            set_combo(self.mesh_box, a.mesh)
        finally:
            self._showing = False

    def _model_changed(self) -> None:
        self._changed(model=self.model_box.currentData())  # faces keep their ids and lines

    def _range_changed(self) -> None:
        _text, range_, tiles = RANGE_CHOICES[self.range_box.currentData()]
        self._changed(detector_range=range_, detector_tiles=tiles)

    def _changed(self, **changes) -> None:
        if not self._showing:
            self._on_change(**changes)


class LivePreferences:
    """What the live window keeps from one start to the next, in its QSettings: the analysis
    settings, chart window, timeline format, stream address, geometry and last source."""

    def __init__(self, store: QSettings):
        self.store = store

    def analysis(self) -> tuple[Settings, str | None]:
        """The saved analysis settings, and why they were ignored when they were (a
        preference from another version: start afresh)."""
        s = self.store
        stored = {
            k: s.value(f"analysis/{k}") for k in WINDOW_SETTINGS if s.contains(f"analysis/{k}")
        }
        try:
            return Settings.parse(stored), None
        except FerDesktopError as exc:
            return Settings(), f"Saved settings ignored: {exc}"

    def chart_window(self) -> int:
        return int(self.store.value("chart_window", 60))

    def timeline_format(self) -> str:
        return str(self.store.value("format", "csv"))

    def stream(self) -> tuple[int, bool, bool]:
        """The WebSocket stream's port, whether it serves the LAN, and whether it was on."""
        s = self.store
        return (
            int(s.value("stream/port", WS_PORT)),
            s.value("stream/lan", False, type=bool),
            s.value("stream/websocket", False, type=bool),
        )

    def geometry(self) -> QByteArray | None:
        return self.store.value("geometry")

    def save(self, analysis: Settings, chart_window: int, timeline_format: str) -> None:
        s = self.store
        for key in WINDOW_SETTINGS:
            s.setValue(f"analysis/{key}", getattr(analysis, key))
        s.setValue("chart_window", chart_window)
        s.setValue("format", timeline_format)
        s.sync()

    def save_stream_address(self, port: int, lan: bool) -> None:
        self.store.setValue("stream/port", port)
        self.store.setValue("stream/lan", lan)

    def save_stream_on(self, on: bool) -> None:
        self.store.setValue("stream/websocket", on)  # the user's choice, kept for next time

    def save_geometry(self, geometry: QByteArray) -> None:
        self.store.setValue("geometry", geometry)

    def remember_source(self, spec: str) -> None:
        self.store.setValue("last_source", spec)

    def last_source(self) -> str | None:
        """The source used last time, when it can be opened again without a camera probe
        (the demo, or a file that is still there)."""
        spec = str(self.store.value("last_source", ""))
        if spec == "demo" or (spec and is_file(spec) and Path(spec).is_file()):
            return spec
        return None
