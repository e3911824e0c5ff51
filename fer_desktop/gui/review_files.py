"""Review's files, as a part of ReviewWindow: a segment's CSV and clip (written on a worker
thread behind a progress dialog with Cancel), and the HTML report (with the markers and
names as they are now)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from fer_desktop.errors import FerDesktopError
from fer_desktop.expression_lanes import LANES
from fer_desktop.report import write_report

from .clip_export import ClipExport
from .dialogs import save_path


class ReviewFiles:
    """Mixed into ReviewWindow (it provides rec, settings, selected_segment, save…)."""

    def _suggested(self, suffix: str) -> str:
        name = self.selected_segment()[0].replace(" ", "_").replace("/", "_")
        return f"{self.rec.timeline_path.stem}-{name}{suffix}"

    def export_csv(self, path: str | None = None) -> str | None:
        _name, a, b = self.selected_segment()
        path = path or save_path(
            self, self.settings, "export", "Export segment", self._suggested(".csv"),
            "CSV (*.csv)", ".csv", self.rec.timeline_path.parent,
        )  # fmt: skip
        if path:
            try:
                self.rec.export_csv(a, b, Path(path))
            except FerDesktopError as exc:
                self._problem(str(exc))
                return None
            self.statusBar().showMessage(f"Segment saved to {path}", 5000)
        return path or None

    def export_clip(self, path: str | None = None) -> ClipExport | None:
        """Write the selected segment's clip (boxes and labels drawn, as the review shows
        them; its rows beside it) on a worker thread; the window shows its progress."""
        if self.clip_export is not None:
            self.statusBar().showMessage("A clip is being written: wait or cancel it", 5000)
            return None
        _name, a, b = self.selected_segment()
        path = path or save_path(
            self, self.settings, "export", "Export clip", self._suggested(".mp4"),
            "MP4, H.264 (*.mp4);;Matroska (*.mkv)", ".mp4", self.rec.timeline_path.parent,
        )  # fmt: skip
        if not path:
            return None
        self.clip_export = ClipExport(self.rec, a, b, Path(path), self)
        self.clip_export.finished.connect(self._clip_finished)
        return self.clip_export

    @Slot(str, bool)
    def _clip_finished(self, text: str, problem: bool) -> None:
        self.clip_export = None
        if problem:
            self._problem(text)
        else:
            self.statusBar().showMessage(text, 8000)

    def make_report(self, ask: bool = True) -> Path | None:
        """The HTML report with the markers and names as they are now, beside the timeline;
        then (with `ask`) the offer to open it."""
        if self.save() is None:
            return None
        try:
            lanes = self.chart.mode == LANES  # the report's chart as the window shows it
            _png, html = write_report(self.rec.timeline_path, None, lanes=lanes)
        except (OSError, ValueError, KeyError, FerDesktopError) as exc:
            self._problem(f"report failed: {exc}")
            return None
        self.statusBar().showMessage(f"Report written: {html}", 10000)
        if ask:
            answer = QMessageBox.question(
                self, "Report written", f"The report is in\n{html}\n\nOpen it now?"
            )
            if answer == QMessageBox.StandardButton.Yes:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(html)))
        return html
