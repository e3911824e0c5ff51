"""The live window's preferences, as a part of MainWindow: analysis settings, chart window,
format, geometry and the last source, kept in QSettings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox

from fer_desktop.errors import FerDesktopError
from fer_desktop.session_messages import ChangeSettings
from fer_desktop.settings import Settings

from .live_texts import is_file
from .outputs_controller import WS_PORT

# The analysis settings the window sets, saved as "analysis/<name>" (Settings' own names).
WINDOW_SETTINGS = ("model", "smoothing", "detector_range", "detector_tiles", "min_face_px")


class LiveSettings:
    """Mixed into MainWindow (it provides settings, the widgets, _send, on_error…)."""

    def _restore_settings(self) -> None:
        self._restoring = True  # the widgets' change signals must not save half a state
        s = self.settings
        stored = {
            k: s.value(f"analysis/{k}") for k in WINDOW_SETTINGS if s.contains(f"analysis/{k}")
        }
        try:
            self.analysis = Settings.parse(stored)
        except FerDesktopError as exc:  # a preference from another version: start afresh
            self.analysis = Settings()
            self.statusBar().showMessage(f"Saved settings ignored: {exc}", 10000)
        self._show_settings(self.analysis)
        self._set_combo(self.window_box, int(s.value("chart_window", 60)))
        self.format_box.setCurrentText(str(s.value("format", "csv")))
        self.chart.set_window(self.window_box.currentData())
        self.outputs.ws_port = int(s.value("stream/port", WS_PORT))
        self.outputs.ws_lan = s.value("stream/lan", False, type=bool)
        self.lan_action.setChecked(self.outputs.ws_lan)
        self.ws_box.setChecked(s.value("stream/websocket", False, type=bool))
        geometry = s.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._restoring = False

    def _save_settings(self) -> None:
        if self._restoring:
            return
        s = self.settings
        for key in WINDOW_SETTINGS:
            s.setValue(f"analysis/{key}", getattr(self.analysis, key))
        s.setValue("chart_window", self.window_box.currentData())
        s.setValue("format", self.format_box.currentText())
        s.sync()

    def last_source(self) -> str | None:
        """The source used last time, when it can be opened again without a camera probe
        (the demo, or a file that is still there)."""
        spec = str(self.settings.value("last_source", ""))
        if spec == "demo" or (spec and is_file(spec) and Path(spec).is_file()):
            return spec
        return None

    def _show_settings(self, a: Settings) -> None:
        """Set the analysis widgets to `a`, without sending it anywhere."""
        restoring, self._restoring = self._restoring, True  # the widgets' signals: ignored
        self._set_combo(self.model_box, a.model)
        self.smoothing.setValue(round(a.smoothing * 100))
        self._set_combo(self.range_box, f"{a.detector_range}:{a.detector_tiles}")
        self.min_face.setValue(a.min_face_px)
        self._restoring = restoring

    def _change(self, **changes) -> None:
        """A setting changed in the window: a new Settings object, sent to the session. It
        becomes `analysis` (and is saved) once the session has applied it (`on_state`); one
        it refuses puts the widgets back (`on_refused`). With no session, at once."""
        if self._restoring:
            return
        try:
            wanted = self.analysis.replace(**changes)
        except FerDesktopError as exc:
            self.on_error(str(exc))
            return
        if self.worker is None:
            self.analysis = wanted
            self._save_settings()
        else:
            self._send(ChangeSettings(wanted))

    @staticmethod
    def _set_combo(box: QComboBox, data) -> None:
        i = box.findData(data)
        if i >= 0:
            box.setCurrentIndex(i)
