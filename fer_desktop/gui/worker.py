"""The window's adapter to the session engine: a QObject in its own QThread.

`run` drives one `fer_desktop.session.Session` in the worker thread and turns its events into
queued Qt signals, so the GUI thread only shows results (the shape of Orange's
ConcurrentWidgetMixin). Commands from the GUI are the session's typed commands (`send`).
Painting never blocks analysis: when the window has not yet shown the previous frame, the new
one is still analysed and recorded, but not sent (`dropped` counts them).
"""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, Signal, Slot

from fer_desktop.errors import FerDesktopError
from fer_desktop.session import CameraOpener, Session, SessionOptions, open_camera
from fer_desktop.session_messages import (
    Command,
    FrameAnalysed,
    MarkerPlaced,
    OutputEnded,
    OutputStarted,
    Problem,
    Status,
)
from fer_desktop.settings import Settings
from fer_desktop.state import StateChanged


class PipelineWorker(QObject):
    frameReady = Signal(object)  # FrameAnalysed
    stateChanged = Signal(object)  # StateChanged: what the session is doing, to render
    status = Signal(str)  # a line for the status bar: "camera lost, reconnecting"…
    error = Signal(str)  # something the user must read
    refused = Signal(object)  # a Command the session refused (after its error)
    marker = Signal(object)  # a "marker" event placed from outside the window (a game)
    outputStarted = Signal(object)  # Output
    outputEnded = Signal(object, str)  # Output, error ("" when it closed normally)
    finished = Signal()  # the session has ended (its last state says how)

    def __init__(
        self,
        source_spec: str,
        settings: Settings,
        realtime: bool = True,
        open_camera: CameraOpener = open_camera,
    ):
        super().__init__()
        self.source_spec = source_spec
        options = SessionOptions(realtime=realtime, hold_at_end=True, open_camera=open_camera)
        self.session = Session.from_settings(
            source_spec, settings, options, on_event=self._on_event
        )
        self._gui_busy = threading.Event()
        self.dropped = 0

    # --- called from the GUI thread -------------------------------------------------------
    def send(self, command: Command) -> None:
        self.session.send(command)

    def stop(self) -> None:
        """Ask the session to end; it closes its outputs (with their summaries) on the way."""
        self.session.stop()

    def frame_shown(self) -> None:
        """The window has painted the last frame it got; the next one may be sent."""
        self._gui_busy.clear()

    # --- the worker thread ----------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self.session.run()
        except FerDesktopError as exc:
            self.error.emit(str(exc))
        except Exception as exc:  # a bug: the window must show it, with its traceback
            self.error.emit(f"internal error (a bug): {exc}\n{traceback.format_exc(limit=4)}")
        finally:
            self.finished.emit()

    def _on_event(self, event) -> None:
        match event:
            case FrameAnalysed():
                if self._gui_busy.is_set():
                    self.dropped += 1
                    return
                self._gui_busy.set()
                self.frameReady.emit(event)
            case StateChanged():
                self.stateChanged.emit(event)
            case Status(text):
                self.status.emit(text)
            case MarkerPlaced(record) if record.get("source") != "window":
                self.marker.emit(record)  # a game's: the window's own are drawn when placed
            case Problem(message, refused):
                self.error.emit(message)
                if refused is not None:
                    self.refused.emit(refused)
            case OutputStarted(output):
                self.outputStarted.emit(output)
            case OutputEnded(output, error):
                self.outputEnded.emit(output, error or "")
