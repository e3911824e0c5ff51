"""The live window's streams: the WebSocket switch, its address and observer-page link, and
the markers games send over it. A part of MainWindow (a mixin): it uses the window's outputs
controller, preferences, worker, markers and status bar."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QApplication

from fer_desktop.marker_time import MarkerError


class StreamHandlers:
    """MainWindow's WebSocket slots and actions."""

    def _ws_toggled(self, on: bool) -> None:
        self.prefs.save_stream_on(on)
        if self.outputs.set_stream("WebSocket", on) and on:
            self.statusBar().showMessage(f"Observer page: {self.outputs.observer_link()}", 15000)

    def set_stream_address(self, port: int, lan: bool) -> None:
        """Serve the WebSocket on `port`, to this computer or the local network (kept)."""
        self.prefs.save_stream_address(port, lan)
        self.lan_action.setChecked(lan)
        self.outputs.set_ws_address(port, lan)
        where = "the local network" if lan else "this computer only"
        link = self.outputs.observer_link()
        page = f"; observer page: {link}" if link else ""
        self.statusBar().showMessage(f"WebSocket port {port}, for {where}{page}", 15000)

    def copy_observer_link(self) -> None:
        link = self.outputs.observer_link()
        if link is None:
            self.statusBar().showMessage("Switch the WebSocket on first", 6000)
            return
        QApplication.clipboard().setText(link)
        self.statusBar().showMessage(f"Copied {link}", 15000)

    def _game_marker(self, note: str, t_wall: str | None) -> None:
        """A marker a game sent over the WebSocket (its server's thread): checked and placed
        by whichever session runs now; a bad one is answered to the game in one line."""
        worker = self.worker
        if worker is None:
            raise MarkerError("no source is playing: nothing to mark")
        worker.session.inbound_marker(note, "websocket", t_wall)

    @Slot(object)
    def on_game_marker(self, record: dict) -> None:
        """A marker a game placed (WebSocket, LSL): on the chart and in the status bar."""
        self.markers.show_game_marker(record)
