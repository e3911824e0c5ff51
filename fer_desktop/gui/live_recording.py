"""The live window's recording: the Record button, where it records, the banner's clock,
and the report offered once a recording is saved. A part of MainWindow (a mixin): it uses
the window's outputs controller, dialogs, widgets and status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox

from fer_desktop.errors import FerDesktopError
from fer_desktop.report import write_report
from fer_desktop.state import SourceState


class RecordingHandlers:
    """MainWindow's recording slots and actions."""

    def _outputs_changed(self) -> None:
        """Show the recording's and the streams' state (the controller holds it)."""
        on = self.outputs.recording_on
        for widget, checked in ((self.record_btn, on),
                                (self.lsl_box, "LSL" in self.outputs.streams),
                                (self.ws_box, "WebSocket" in self.outputs.streams)):  # fmt: skip
            widget.blockSignals(True)
            widget.setChecked(checked)
            widget.blockSignals(False)
        self.record_btn.setText("■ Stop recording" if on else "● Record")
        self.record_btn.setStyleSheet("color: white; background: #c62828;" if on else "")
        self.view.banner = self._banner()
        self.view.update()
        if self.outputs.recording_path:
            self.statusBar().showMessage(f"Recording to {self.outputs.recording_path}", 8000)

    @property
    def recording_path(self) -> str | None:
        return self.outputs.recording_path

    @Slot(str)
    def on_recording_finished(self, path: str) -> None:
        self.statusBar().showMessage(f"Saved {path}", 8000)
        if self.property("scripted") or self.closing:
            return
        answer = self.dialogs.modal(
            lambda: QMessageBox.question(
                self, "Recording saved", f"Timeline saved to\n{path}\n\nWrite its report now?"
            )
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.make_report(path)

    def make_report(self, path: str) -> str | None:
        try:
            _, html = write_report(Path(path))
        except (OSError, ValueError, KeyError, FerDesktopError) as exc:
            self.on_error(f"report failed: {exc}")
            return None
        self.statusBar().showMessage(f"Report: {html}", 15000)
        return str(html)

    def _banner(self) -> str:
        """The line over the video: a lost camera first, then the recording's clock."""
        rec = self.outputs.rec_badge()
        lost = "Camera lost, reconnecting…" if self.state.source is SourceState.CAMERA_LOST else ""
        return "   ".join(x for x in (lost, rec) if x)

    def _record_toggled(self, on: bool) -> None:
        if not on:
            self.outputs.stop_recording()
            return
        folder = self.dialogs.record_folder() or self.dialogs.choose_record_folder()
        if not folder:
            self._outputs_changed()  # the button goes back up
            return
        self.start_recording(folder)

    def start_recording(self, folder: str) -> bool:
        """Record into `folder` (created when missing); False when it cannot. The folder
        remembered for the Record button is the one chosen in the window, not this one."""
        ok = self.outputs.start_recording(folder, self.format_box.currentText())
        self._outputs_changed()
        return ok
