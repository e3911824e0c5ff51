"""The main window: video view, mood chart, source picker, controls, recording, status.

The widgets are made in `live_layout`; what goes out (recording, LSL, WebSocket) is kept by
`OutputsController`; the keys are the table in `shortcuts.LIVE`. The recording's, streams'
and transport's slots are parts of the window in modules of their own (`live_recording`,
`live_stream`, `live_transport`). The window owns its dialogs (`live_dialogs`), analysis
controls and saved preferences (`live_settings`) and the face overlay's switch
(`overlay_switch`), and hands each what it needs.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QSettings, QThread, QTimer, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow

from fer_desktop.errors import FerDesktopError
from fer_desktop.session import CameraOpener, open_camera
from fer_desktop.session_messages import (
    AddOutput,
    CalibrateNeutral,
    ChangeSettings,
    Command,
    FrameAnalysed,
    ResetCalibration,
    SetRealtime,
)
from fer_desktop.state import SessionState, SourceState, StateChanged
from fer_desktop.timeaxis import wall_seconds

from . import live_layout, live_menus
from .live_dialogs import LiveDialogs
from .live_recording import RecordingHandlers
from .live_settings import AnalysisControls, LivePreferences, set_combo
from .live_stream import StreamHandlers
from .live_texts import APP_NAME, ICON_PATH, is_file, list_cameras
from .live_transport import TransportHandlers
from .marker_entry import MarkerEntry
from .outputs_controller import OutputsController
from .overlay_switch import OverlaySwitch
from .status_line import frame_rate, status_text
from .worker import PipelineWorker


class MainWindow(RecordingHandlers, StreamHandlers, TransportHandlers, QMainWindow):
    def __init__(self, settings: QSettings | None = None, open_camera: CameraOpener = open_camera):
        super().__init__()
        self.settings = settings or QSettings(APP_NAME, APP_NAME)
        self.prefs = LivePreferences(self.settings)
        self.dialogs = LiveDialogs(self)
        self.analysis, ignored = self.prefs.analysis()  # the session's, once it has applied them
        self.open_camera = open_camera  # how its sessions open 'camera:N'
        self.setWindowTitle("fer_desktop — live mood")
        if ICON_PATH.exists():
            self.setWindowIcon(QIcon(str(ICON_PATH)))
        self.resize(1100, 760)
        self.setAcceptDrops(True)
        self.worker: PipelineWorker | None = None
        self.thread: QThread | None = None
        self.source_spec = ""
        self.frames_shown = 0
        self.last_result = None
        self.state = SessionState()  # the session's, as it last said: what the window shows
        self.closing = False  # shutting down: no more dialogs
        self.latencies_ms: deque[float] = deque(maxlen=5000)
        self._fps_times: deque[float] = deque(maxlen=60)
        self.errors: list[str] = []
        self.notes: list[str] = []  # the session's status lines, as the status bar showed them
        self.first_labelled_at: float | None = None  # time.time() of the first labelled face
        self.outputs = OutputsController(self.send, self, marker=self._game_marker)
        self._restoring = True  # the widgets' change signals must not save half a state
        live_layout.build(self)
        self.markers = MarkerEntry(
            self.note_edit,
            self.view,
            self.chart,
            self.statusBar(),
            self.send,
            self.outputs,
            self._now,
        )
        self.controls = AnalysisControls(
            self.model_box, self.smoothing, self.range_box, self.min_face, self.mesh_box,
            self._change,
        )  # fmt: skip
        self._connect()
        self.overlay_switch = OverlaySwitch(
            self.view, self.settings, self.statusBar(), lambda: self.analysis.mesh
        )
        live_menus.build_actions(self)
        live_menus.build_menus(self)
        self._restore_settings(ignored)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start(500)

    # --- wiring -----------------------------------------------------------------------------
    def _connect(self) -> None:
        self._fill_sources()
        self.source_box.activated.connect(self._source_chosen)
        self.seek.sliderReleased.connect(self._seek)  # a drag: when the handle is let go
        self.seek.actionTriggered.connect(self._seek_clicked)  # a click on the groove, a key
        self.play.toggled.connect(self._play_toggled)
        self.fast.toggled.connect(lambda on: self.send(SetRealtime(not on)))
        self.window_box.currentIndexChanged.connect(
            lambda _: self.chart.set_window(self.window_box.currentData())
        )
        self.record_btn.toggled.connect(self._record_toggled)
        self.note_edit.returnPressed.connect(self.markers.place)
        self.note_edit.textEdited.connect(self.markers.note_started)
        live_layout.on_escape(self.note_edit, self.markers.note_escaped)
        self.lsl_box.toggled.connect(lambda on: self.outputs.set_stream("LSL", on))
        self.ws_box.toggled.connect(self._ws_toggled)
        self.outputs.changed.connect(self._outputs_changed)
        self.outputs.recordingSaved.connect(self.on_recording_finished)
        self.outputs.problem.connect(self.on_error)

    def _fill_sources(self) -> None:
        self.source_box.clear()
        for cam in list_cameras():
            self.source_box.addItem(f"Camera {cam.split(':')[1]}", cam)
        self.source_box.addItem("Built-in demo", "demo")
        self.source_box.addItem("Open video or image…", "__open__")

    # --- preferences ----------------------------------------------------------------------
    def _restore_settings(self, ignored: str | None) -> None:
        """Show the saved preferences; `ignored` says why saved analysis settings were not."""
        if ignored:
            self.statusBar().showMessage(ignored, 10000)
        self.controls.show(self.analysis)
        set_combo(self.window_box, self.prefs.chart_window())
        self.format_box.setCurrentText(self.prefs.timeline_format())
        self.chart.set_window(self.window_box.currentData())
        self.outputs.ws_port, self.outputs.ws_lan, websocket = self.prefs.stream()
        self.lan_action.setChecked(self.outputs.ws_lan)
        self.ws_box.setChecked(websocket)
        geometry = self.prefs.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._restoring = False

    def _save_settings(self) -> None:
        if not self._restoring:
            self.prefs.save(
                self.analysis, self.window_box.currentData(), self.format_box.currentText()
            )

    def _change(self, **changes) -> None:
        """A setting changed in the window: a new Settings object, sent to the session. It
        becomes `analysis` (and is saved) once the session has applied it (`on_state`); one
        it refuses puts the controls back (`on_refused`). With no session, at once."""
        try:
            wanted = self.analysis.replace(**changes)
        except FerDesktopError as exc:
            self.on_error(str(exc))
            return
        if self.worker is None:
            self.analysis = wanted
            self._save_settings()
        else:
            self.send(ChangeSettings(wanted))

    # --- the worker -----------------------------------------------------------------------
    def change_source(self, spec: str) -> bool:
        """The user picked another source: while recording, ask first (the recording ends
        with its source). False when they keep recording (the picker shows the old one)."""
        if self._asks_first() and not self.dialogs.ask_stop_recording(f"open {Path(spec).name}"):
            self._select_source(self.source_spec)
            return False
        recording = self.recording_path
        self.start_source(spec)
        if recording:  # saved as it stopped: offer its report, as any other stop does
            QTimer.singleShot(0, lambda: self.on_recording_finished(recording))
        return True

    def _asks_first(self) -> bool:
        """Whether ending the recording now takes the user's yes (not in scripts, not once
        the window is going)."""
        return self.outputs.recording_on and not self.closing and not self.property("scripted")

    def start_source(self, spec: str, remember: bool = True) -> None:
        """Stop the current worker (if any) and analyse `spec` on a fresh one. A recording
        ends with its source (saved; the status bar says where). `remember`: reopen it next
        time (not for the demo shown because no camera answered)."""
        recording = self.recording_path
        self.stop_worker()
        self.source_spec = spec
        if remember:
            self.prefs.remember_source(spec)
        self.chart.reset()  # the lines and markers belong to the source they were drawn on
        self.last_result = None
        self.view.result = None
        self.view.eyes.reset()
        self.view.message = f"Opening {spec}…"
        self.state = SessionState()
        self.view.banner = ""
        self.view.update()
        self.seek.setEnabled(False)
        self._show_paused(False)
        self.controls.show(self.analysis)  # a change the last session had not applied: gone
        if self.range_box.currentData() == "full:2":
            self.statusBar().showMessage(
                "Crowd mode (tiled detection) is on: it finds small faces but runs slower; "
                "choose Automatic to search the whole frame once a second instead",
                10000,
            )
        self.fast.setEnabled(is_file(spec))
        self._select_source(spec)
        self.worker = PipelineWorker(
            spec, self.analysis, not self.fast.isChecked(), open_camera=self.open_camera
        )
        for output in self.outputs.new_source():
            self.worker.send(AddOutput(output))
        self.thread = QThread(self)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.frameReady.connect(self.on_frame)
        self.worker.stateChanged.connect(self.on_state)
        self.worker.status.connect(self.on_status)
        self.worker.error.connect(self.on_error)
        self.worker.refused.connect(self.on_refused)
        self.worker.marker.connect(self.on_game_marker)
        self.worker.outputStarted.connect(self.outputs.output_started)
        self.worker.outputEnded.connect(self.outputs.output_ended)
        self.worker.finished.connect(self.thread.quit)
        self.thread.start()
        if recording:
            self.statusBar().showMessage(f"Recording saved to {recording} (new source)", 10000)

    def stop_worker(self, timeout_ms: int = 2000) -> bool:
        """Stop the worker thread; True when it ended within the timeout."""
        if self.worker is None or self.thread is None:
            return True
        self.worker.stop()
        self.thread.quit()
        ok = self.thread.wait(timeout_ms)
        self.worker = None
        self.thread = None
        return ok

    @property
    def source_failed(self) -> bool:
        """The source could not be opened or read (`fer-desktop gui` exits with 1)."""
        return self.state.source is SourceState.FAILED

    def send(self, command: Command) -> None:
        if self.worker is not None:
            self.worker.send(command)
        self._save_settings()

    # --- slots for the worker's signals (they run in the GUI thread) ----------------------
    def _from_worker(self) -> bool:
        """Whether the signal being handled comes from the current worker (a queued one of
        the source before must not reach the new chart)."""
        return self.sender() is None or self.sender() is self.worker

    @Slot(object)
    def on_frame(self, shown: FrameAnalysed) -> None:
        if not self._from_worker():
            return
        self.view.show_frame(shown.bgr, shown.result)
        self.view.repaint()
        self.latencies_ms.append((time.perf_counter() - shown.t_arrival) * 1000.0)
        self._fps_times.append(time.perf_counter())
        self.chart.add(shown.result)
        self.last_result = shown.result
        self.frames_shown += 1
        if self.first_labelled_at is None and shown.result.faces:
            self.first_labelled_at = time.time()
        if shown.position is not None and not self.seek.isSliderDown():
            self.seek.setEnabled(True)
            self.seek.setValue(int(shown.position * 1000))
        if self.worker is not None:
            self.worker.frame_shown()

    @Slot(object)
    def on_state(self, event: StateChanged) -> None:
        """Show what the session is doing now."""
        if not self._from_worker():
            return
        self.state = state = event.state
        if "settings" in event.changed and state.settings is not None:
            self.analysis = state.settings  # applied: from now on, the window's preference
            self._save_settings()
        if "source" not in event.changed:
            return
        if state.at_end:
            faces = self.last_result is not None and bool(self.last_result.faces)
            self.view.message = "Source ended" if faces else "No face in view — source ended"
            self._fps_times.clear()
            self.play.blockSignals(True)  # nothing plays now; Play starts it again
            self.play.setChecked(True)
            self.play.setText("Play")
            self.play.blockSignals(False)
        self.view.banner = self._banner()
        self.view.update()

    @Slot(str)
    def on_status(self, text: str) -> None:
        self.notes.append(text)
        self.statusBar().showMessage(text, 5000)

    @Slot(object)
    def on_refused(self, command: Command) -> None:
        """The session refused a command (its Problem says why, through `on_error`)."""
        if isinstance(command, ChangeSettings) and self._from_worker():
            self.controls.show(self.analysis)  # the settings it still applies

    @Slot(str)
    def on_error(self, text: str) -> None:
        self.errors.append(text)
        self.view.message = text.splitlines()[0]  # stays when the source failed
        self.view.show_alert(text.splitlines()[0])  # read whole while frames go on
        self.statusBar().showMessage(text.splitlines()[0], 15000)

    # --- user actions ---------------------------------------------------------------------

    def _now(self) -> tuple[float, float]:
        """(wall clock, t_source) of the frame shown: where a marker is placed. The session
        finds that frame by its wall time; the wall clock now would find a later frame when
        the window shows frames late (a busy machine)."""
        if self.last_result is None:
            return time.time(), 0.0
        return wall_seconds(self.last_result.t_wall) or time.time(), self.last_result.t_source

    def start_marker(self) -> None:
        """M: a marker at this moment; its note can be typed now (Enter), or none (Esc)."""
        self.markers.start()

    def add_marker(self) -> None:
        """Place the marker begun (or one now) with the note typed."""
        self.markers.place()

    def calibrate_neutral(self, seconds: float = 3.0) -> None:
        self.send(CalibrateNeutral(seconds))
        self.statusBar().showMessage(
            f"Calibrating: keep a neutral face for {seconds:g} s", int(seconds * 1000) + 1000
        )

    def reset_calibration(self) -> None:
        self.send(ResetCalibration())

    def save_snapshot(self, path: str) -> bool:
        return self.grab().save(path, "PNG")

    def _update_status(self) -> None:
        dropped = self.worker.dropped if self.worker else 0
        self.status_label.setText(
            status_text(
                frame_rate(self._fps_times),
                self.last_result,
                self.model_box.currentData(),
                dropped,
                self.outputs.states(),
            )
        )
        if self.outputs.recording_path:
            self.view.banner = self._banner()
            self.view.update()

    # --- drag and drop, close -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.change_source(urls[0])

    def quit_now(self) -> None:
        """Close everything without asking (SIGTERM, Ctrl-C): the recording is saved."""
        self.closing = True
        while (dialog := QApplication.activeModalWidget()) is not None and dialog is not self:
            dialog.close()
            if QApplication.activeModalWidget() is dialog:  # it refused: hide it
                dialog.hide()
        self.close()
        QApplication.closeAllWindows()
        QTimer.singleShot(0, QApplication.quit)

    def closeEvent(self, event) -> None:
        if self._asks_first() and not self.dialogs.ask_stop_recording():
            event.ignore()
            return
        self.closing = True  # from here on, no dialog: the window is going
        self._save_settings()
        self.outputs.shut_down()
        self.prefs.save_geometry(self.saveGeometry())
        thread = self.thread
        if not self.stop_worker() and thread is not None:
            thread.wait(15_000)  # still loading models or closing the recording
        self.settings.sync()
        super().closeEvent(event)
