"""Markers placed in the live window: M times one at the frame shown and its note is typed in
the note box (Enter places it, Esc places it without a note); a game's markers are shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLineEdit, QStatusBar, QWidget

from fer_desktop.results import iso_time
from fer_desktop.session_messages import AddMarker, Command

from . import live_layout
from .mood_chart import MoodChart
from .outputs_controller import OutputsController


class MarkerEntry:
    """The note box and the markers it places: on the chart, to the session (which sends
    them to the recording, LSL and WebSocket), and a line in the status bar."""

    def __init__(
        self,
        note_edit: QLineEdit,
        focus_back: QWidget,
        chart: MoodChart,
        status: QStatusBar,
        send: Callable[[Command], None],
        outputs: OutputsController,
        now: Callable[[], tuple[float, float]],
    ):
        self.note_edit = note_edit
        self.focus_back = focus_back  # the video: the next M is a marker again
        self.chart = chart
        self.status = status
        self.send = send
        self.outputs = outputs
        self.now = now  # (wall clock, t_source) of the frame shown
        self.begun_at: tuple[float, float] | None = None  # a marker begun, not yet placed

    def start(self) -> None:
        """M: a marker at this moment; its note can be typed now (Enter), or none (Esc)."""
        if self.begun_at is not None:
            self.place()  # the one before had no Enter yet: it goes as it is
        self.begun_at = self.now()
        self.note_edit.setPlaceholderText(
            f"note for the marker at {self.begun_at[1]:.1f} s: Enter (Esc: no note)"
        )
        self.note_edit.setFocus()

    def note_started(self, text: str) -> None:
        """The marker is timed when its note is begun, not when Enter is pressed."""
        if self.begun_at is None and text:
            self.begun_at = self.now()

    def note_escaped(self) -> None:
        """Esc: a marker begun goes without a note; the note box empties."""
        if self.begun_at is not None and not self.note_edit.text().strip():
            self.place()
        self.note_edit.clear()
        self.focus_back.setFocus()

    def place(self) -> None:
        """Place the marker begun (or one now) with the note typed."""
        note = self.note_edit.text().strip()
        self.note_edit.clear()
        self.note_edit.setPlaceholderText(live_layout.NOTE_PLACEHOLDER)
        self.focus_back.setFocus()
        wall, t = self.begun_at or self.now()
        self.begun_at = None
        self.chart.add_marker(t, note)
        # to the recording, LSL and WebSocket (whichever are on), at the moment it was begun
        self.send(AddMarker(note, "window", iso_time(wall)))
        streams = self.outputs.streams
        if self.outputs.recording_path:
            self.status.showMessage(f"Marker at {t:.1f} s {note}", 4000)
        elif streams:
            self.status.showMessage(
                f"Marker at {t:.1f} s sent to {', '.join(streams)}; not saved: not recording",
                6000,
            )
        else:
            self.status.showMessage(
                "Marker shown on the chart only: it is saved when you record", 6000
            )

    def show_game_marker(self, record: dict) -> None:
        """A marker a game placed (WebSocket, LSL): on the chart and in the status bar."""
        note = f"{record.get('note', '')} ({record.get('source')})"
        self.chart.add_marker(record["t_source"], note)
        self.status.showMessage(f"Marker at {record['t_source']:.1f} s: {note}", 6000)
