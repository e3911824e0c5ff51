"""The live window's transport: the source picker, Play/Pause, and seeking in a file. A part
of MainWindow (a mixin): it uses the window's widgets, chart, view and `send`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractSlider

from fer_desktop.session_messages import Pause, Seek


class TransportHandlers:
    """MainWindow's source, pause and seek slots."""

    def _source_chosen(self, index: int) -> None:
        spec = self.source_box.itemData(index)
        if spec == "__open__":
            if self.source_spec:  # the picker shows what plays until a file is chosen
                self._select_source(self.source_spec)
            self.dialogs.open_file()
            return
        self.change_source(spec)

    def toggle_pause(self) -> None:
        """Space: pause or play; after the end of a file, play it again from the start."""
        self.play.toggle()

    def _play_toggled(self, paused: bool) -> None:
        if not paused and self.state.at_end:
            self.chart.clear_faces()
            self.send(Seek(0.0))
        self._show_paused(paused)
        self.send(Pause(paused))

    def _show_paused(self, paused: bool) -> None:
        self.play.blockSignals(True)
        self.play.setChecked(paused)
        self.play.blockSignals(False)
        self.play.setText("Play" if paused else "Pause")
        self.view.overlay = "Paused" if paused else ""
        self.view.update()

    def _seek_clicked(self, action: int) -> None:
        if action != QAbstractSlider.SliderAction.SliderMove.value:  # drags end in _seek
            QTimer.singleShot(0, self._seek)  # the slider takes its new value after this

    def _seek(self) -> None:
        self.chart.clear_faces()
        self.send(Seek(self.seek.value() / 1000.0))

    def _select_source(self, spec: str) -> None:
        """Show the source actually playing in the picker (a file gets its own entry)."""
        i = self.source_box.findData(spec)
        if i < 0:
            self.source_box.insertItem(self.source_box.count() - 1, Path(spec).name, spec)
            i = self.source_box.findData(spec)
        self.source_box.setCurrentIndex(i)
