"""Review's segment table: per segment and person, the share of each label, the mean valence
and the strongest moment. Every column fits the width given (long texts are elided, with
the whole text in the tooltip)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from fer_desktop.marker_labels import literal_tip

HEAD_TIPS = {
    "from": "start, recording time (s)",
    "to": "end, recording time (s)",
    "mean": "mean valence, -1 (sad) to +1 (happy)",
    "strongest": "the moment of the strongest expression, and its valence",
}


class SegmentTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, float, float, dict]] = []
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setMinimumSectionSize(30)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)

    def show_rows(self, rows: list[tuple[str, float, float, dict]], labels: list[str]) -> None:
        """rows: (segment name, start, end, the person's summary in it)."""
        heads = ["segment", "from", "to", "person", *labels, "mean", "strongest"]
        self.setColumnCount(len(heads))
        for c, head in enumerate(heads):
            item = QTableWidgetItem(head)
            item.setToolTip(HEAD_TIPS.get(head, f"share of time read as {head}"
                                          if head in labels else head))  # fmt: skip
            self.setHorizontalHeaderItem(c, item)
        header = self.horizontalHeader()
        for c, head in enumerate(heads):  # numbers as wide as they are; names share the rest
            wide = head in ("segment", "person", "strongest")
            mode = (
                QHeaderView.ResizeMode.Stretch if wide else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(c, mode)
        self.setRowCount(len(rows))
        self.rows = rows
        for r, (name, a, b, face) in enumerate(rows):
            strongest = f"{face['strongest_t']:.1f} s ({face['strongest_valence']:+.2f})"
            values = [name, f"{a:.1f}", f"{b:.1f}", face["name"],
                      *(f"{100 * face[f'share_{lab}']:.0f}%" for lab in labels),
                      f"{face['mean_valence']:+.2f}", strongest]  # fmt: skip
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setToolTip(literal_tip(v))
                self.setItem(r, c, item)

    def selected(self) -> tuple[str, float, float] | None:
        """(name, start, end) of the segment of the selected row, None without one."""
        row = self.currentRow()
        if not 0 <= row < len(self.rows):
            return None
        name, a, b, _face = self.rows[row]
        return name, a, b
