"""Review's files, as a part of ReviewWindow: a segment's CSV and clip, and the HTML report
(with the markers and names as they are now)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from fer_desktop.errors import FerDesktopError
from fer_desktop.report import write_report

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

    def export_clip(self, path: str | None = None) -> int:
        _name, a, b = self.selected_segment()
        path = path or save_path(
            self, self.settings, "export", "Export clip", self._suggested(".mp4"),
            "MP4, H.264 (*.mp4);;Matroska (*.mkv)", ".mp4", self.rec.timeline_path.parent,
        )  # fmt: skip
        if not path:
            return 0
        try:  # the boxes and labels drawn, as the review shows them; the rows beside it
            n = self.rec.export_clip(a, b, Path(path), labels=True)
        except FerDesktopError as exc:
            self._problem(str(exc))
            return 0
        self.statusBar().showMessage(f"Clip of {n} frames saved to {path}", 5000)
        return n

    def make_report(self, ask: bool = True) -> Path | None:
        """The HTML report with the markers and names as they are now, beside the timeline;
        then (with `ask`) the offer to open it."""
        if self.save() is None:
            return None
        try:
            _png, html = write_report(self.rec.timeline_path, None)
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
