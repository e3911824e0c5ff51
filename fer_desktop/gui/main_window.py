"""The main window: video view, mood chart, source picker, controls, recording, status."""

from __future__ import annotations

import glob
import sys
import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThread, QTimer, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.classifier import MODEL_FILES
from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output
from fer_desktop.report import write_report
from fer_desktop.session import (
    AddMarker,
    AddOutput,
    CalibrateNeutral,
    ChangeSettings,
    Command,
    Pause,
    RemoveOutput,
    ResetCalibration,
    Seek,
    SetRealtime,
    recording_outputs,
)
from fer_desktop.settings import Settings
from fer_desktop.sources import IMAGE_SUFFIXES
from fer_desktop.timeline import TimelineWriter

from .mood_chart import MoodChart
from .video_view import VideoView
from .worker import PipelineWorker, Shown

APP_NAME = "fer_desktop"
# The analysis settings the window sets, saved as "analysis/<name>" (Settings' own names).
WINDOW_SETTINGS = ("model", "smoothing", "detector_range", "detector_tiles", "min_face_px")
ICON_PATH = Path(__file__).resolve().parent.parent.parent / "assets" / "fer_desktop.svg"
MODEL_CHOICES = [
    ("3class", "happy / neutral / sad"),
    ("2class", "happy / sad"),
]
# (menu text, settings key) -> detector range and tile rows
RANGE_CHOICES = {
    "auto:0": ("Automatic", "auto", 0),
    "short:1": ("Near faces", "short", 1),
    "full:1": ("Far faces", "full", 1),
    "full:2": ("Crowd (tiled)", "full", 2),
}
WS_URL = "ws://127.0.0.1:8765"


NOTICE_TEXT = (
    "fer_desktop reads the look of faces: happy, neutral or sad.\n\n"
    "• The label describes the look of a face, not what the person feels.\n"
    "• Ask people before recording them.\n"
    "• Do not use it to make decisions about people. The EU AI Act, Art. 5(1)(f), prohibits "
    "emotion recognition in workplaces and education, except for medical or safety reasons.\n\n"
    "Everything runs on this computer: no frame leaves it, and nothing is stored unless you "
    "record."
)
ABOUT_TEXT = (
    "<b>fer_desktop</b> — happy / neutral / sad, read from faces in real time, offline.<br><br>"
    + NOTICE_TEXT.replace("\n", "<br>")
    + "<br><br>Face detection: MediaPipe BlazeFace (Apache-2.0). Model A: trained on FER2013 "
    "with FER+ votes; see each model's card in models/."
)


def list_cameras() -> list[str]:
    """Camera specs found on this machine (Linux: /dev/video*), without opening them."""
    if sys.platform.startswith("linux"):
        nums = sorted(int(p[len("/dev/video") :]) for p in glob.glob("/dev/video[0-9]*"))
        return [f"camera:{n}" for n in nums]
    return ["camera:0"]


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings(APP_NAME, APP_NAME)
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
        self.recording_path: str | None = None
        self.source_failed = False  # the last source could not be opened or read
        self.recording: list[Output] = []  # the timeline and video being written
        self.streams: dict[str, Output] = {}  # "LSL" / "WebSocket" outputs, when switched on
        self.review_windows: list = []  # kept alive while open
        self.latencies_ms: deque[float] = deque(maxlen=5000)
        self._fps_times: deque[float] = deque(maxlen=60)
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.first_labelled_at: float | None = None  # time.time() of the first labelled face
        self._restoring = True
        self._build()
        self._restore_settings()

    # --- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = VideoView()
        self.chart = MoodChart(60.0)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.chart)
        split.setSizes([520, 200])

        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, 1000)
        self.seek.setEnabled(False)
        self.seek.sliderReleased.connect(self._seek)
        self.play = QPushButton("Pause")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._pause)
        self.fast = QCheckBox("As fast as possible")
        self.fast.toggled.connect(lambda on: self._send(SetRealtime(not on)))
        transport = QHBoxLayout()
        for w in (self.play, self.seek, self.fast):
            transport.addWidget(w)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split, 1)
        layout.addLayout(transport)
        self.setCentralWidget(central)

        bar = QToolBar("Controls")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.source_box = QComboBox()
        self.source_box.setToolTip("Source: a camera, the built-in demo, or a file")
        self._fill_sources()
        self.source_box.activated.connect(self._source_chosen)
        bar.addWidget(self.source_box)
        self.model_box = QComboBox()
        for key, text in MODEL_CHOICES:
            if key in MODEL_FILES:
                self.model_box.addItem(text, key)
        self.model_box.setToolTip(
            "Model A: happy / neutral / sad (default), or happy / sad (the original 2-class "
            "model); see Help → About and the model cards"
        )
        self.model_box.currentIndexChanged.connect(self._model_changed)
        bar.addWidget(self.model_box)
        bar.addWidget(QLabel(" Smoothing "))
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 95)
        self.smoothing.setFixedWidth(90)
        self.smoothing.setToolTip("Stabilize labels: 0 = raw, 95 = very smooth")
        self.smoothing.valueChanged.connect(lambda v: self._change(smoothing=v / 100.0))
        bar.addWidget(self.smoothing)
        self.range_box = QComboBox()
        for key, (text, _range, _tiles) in RANGE_CHOICES.items():
            self.range_box.addItem(text, key)
        self.range_box.setToolTip(
            "Automatic: near faces every frame, far and small faces searched once a second "
            "and followed where found. Near / Far: one detector only. Crowd: every tile, "
            "every frame (slow)"
        )
        self.range_box.currentIndexChanged.connect(self._range_changed)
        bar.addWidget(self.range_box)
        bar.addWidget(QLabel(" Min face "))
        self.min_face = QSpinBox()
        self.min_face.setRange(0, 400)
        self.min_face.setSuffix(" px")
        self.min_face.valueChanged.connect(lambda v: self._change(min_face_px=v))
        bar.addWidget(self.min_face)
        self.window_box = QComboBox()
        for s in (30, 60, 120):
            self.window_box.addItem(f"{s} s chart", s)
        self.window_box.currentIndexChanged.connect(
            lambda _: self.chart.set_window(self.window_box.currentData())
        )
        transport.addWidget(self.window_box)  # under the chart it sets, not in a full toolbar

        self.addToolBarBreak()
        rec = QToolBar("Recording")
        rec.setMovable(False)
        self.addToolBar(rec)
        self.record_btn = QPushButton("● Record")
        self.record_btn.setCheckable(True)
        self.record_btn.setToolTip(
            "Write the timeline and the analysed video to a folder you choose"
        )
        self.record_btn.toggled.connect(self._record_toggled)
        rec.addWidget(self.record_btn)
        self.format_box = QComboBox()
        self.format_box.addItems(["csv", "jsonl"])
        rec.addWidget(self.format_box)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("marker note (optional)")
        self.note_edit.setFixedWidth(170)
        rec.addWidget(self.note_edit)
        # M places a marker; while typing a note, Enter places it with the note (and Ctrl+M
        # works everywhere). The note box takes focus only when clicked, so M is not typed
        # into it by accident.
        self.note_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.note_edit.returnPressed.connect(self.add_marker)
        self.marker_action = QAction("Marker (M)", self)
        self.marker_action.setShortcuts([QKeySequence("M"), QKeySequence("Ctrl+M")])
        self.marker_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.marker_action.triggered.connect(self.add_marker)
        rec.addAction(self.marker_action)
        self.lsl_box = QCheckBox("LSL")
        self.lsl_box.setToolTip("Stream to Lab Streaming Layer (needs mne-lsl)")
        self.lsl_box.toggled.connect(lambda on: self._stream_toggled("LSL", on))
        rec.addWidget(self.lsl_box)
        self.ws_box = QCheckBox("WebSocket")
        self.ws_box.setToolTip(f"Serve each frame's JSON at {WS_URL} (this computer only)")
        self.ws_box.toggled.connect(lambda on: self._stream_toggled("WebSocket", on))
        rec.addWidget(self.ws_box)
        calibrate = QAction("Calibrate neutral", self)
        calibrate.setToolTip(
            "Take the first 3 seconds in which each face in view looks neutral and steady as "
            "its resting face; from then on each face is read against its own rest (the "
            "status bar says when each face is calibrated, or that no neutral face came)"
        )
        calibrate.triggered.connect(lambda: self.calibrate_neutral())
        rec.addAction(calibrate)
        reset = QAction("Reset calibration", self)
        reset.setToolTip("Forget every face's resting face: raw values until calibrated again")
        reset.triggered.connect(self.reset_calibration)
        rec.addAction(reset)
        snap = QAction("Save snapshot", self)
        snap.triggered.connect(self._snapshot_dialog)
        rec.addAction(snap)

        self.status_label = QLabel("")  # no stretch: messages stay visible on its left
        self.statusBar().addPermanentWidget(self.status_label)
        self._build_menus()
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start(500)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open video or image…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(lambda: self._source_chosen(self.source_box.count() - 1))
        file_menu.addAction(open_action)
        review_action = QAction("Open &recording to review…", self)
        review_action.triggered.connect(self._open_review)
        file_menu.addAction(review_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About fer_desktop", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _open_review(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a recording",
            str(self.settings.value("record_dir", str(Path.home()))),
            "Timelines and videos (*.csv *.jsonl *.mkv *.mp4 *.avi *.mov);;All files (*)",
        )
        if path:
            self.open_review(path)

    def open_review(self, path: str):
        from .review_window import ReviewWindow

        try:
            window = ReviewWindow(Path(path))
        except FerDesktopError as exc:
            self.on_error(str(exc))
            return None
        self.review_windows.append(window)
        window.show()
        return window

    def show_about(self) -> None:
        QMessageBox.about(self, "About fer_desktop", ABOUT_TEXT)

    def show_notice_once(self) -> None:
        """The responsible-use notice, on first start only (remembered in the settings)."""
        if self.settings.value("notice_shown", False, type=bool) or self.property("scripted"):
            return
        QMessageBox.information(self, "Before you start", NOTICE_TEXT)
        self.settings.setValue("notice_shown", True)
        self.settings.sync()

    def _fill_sources(self) -> None:
        self.source_box.clear()
        for cam in list_cameras():
            self.source_box.addItem(f"Camera {cam.split(':')[1]}", cam)
        self.source_box.addItem("Built-in demo", "demo")
        self.source_box.addItem("Open video or image…", "__open__")

    # --- settings -------------------------------------------------------------------------
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
        a = self.analysis
        self._set_combo(self.model_box, a.model)
        self.smoothing.setValue(round(a.smoothing * 100))
        self._set_combo(self.range_box, f"{a.detector_range}:{a.detector_tiles}")
        self.min_face.setValue(a.min_face_px)
        self._set_combo(self.window_box, int(s.value("chart_window", 60)))
        self.format_box.setCurrentText(str(s.value("format", "csv")))
        self.chart.set_window(self.window_box.currentData())
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

    def _change(self, **changes) -> None:
        """A setting changed in the window: a new Settings object, sent to the session."""
        if self._restoring:
            return
        try:
            self.analysis = self.analysis.replace(**changes)
        except FerDesktopError as exc:
            self.on_error(str(exc))
            return
        self._send(ChangeSettings(self.analysis))

    @staticmethod
    def _set_combo(box: QComboBox, data) -> None:
        i = box.findData(data)
        if i >= 0:
            box.setCurrentIndex(i)

    # --- the worker -----------------------------------------------------------------------
    def start_source(self, spec: str) -> None:
        """Stop the current worker (if any) and analyse `spec` on a fresh one."""
        self.stop_worker()
        self.source_spec = spec
        self.chart.clear_faces()
        self.chart.clear_markers()  # markers belong to the source they were placed on
        self.view.result = None
        self.view.message = f"Opening {spec}…"
        self.view.banner = ""
        self.view.update()
        self.seek.setEnabled(False)
        if self.range_box.currentData() == "full:2":
            self.statusBar().showMessage(
                "Crowd mode (tiled detection) is on: it finds small faces but runs slower; "
                "choose Automatic to search the whole frame once a second instead",
                10000,
            )
        is_file = spec not in ("demo",) and not spec.startswith("camera:")
        self.play.setEnabled(is_file)
        self.fast.setEnabled(is_file)
        self.recording, self.recording_path, self.source_failed = [], None, False
        self._select_source(spec)
        self.worker = PipelineWorker(spec, self.analysis, realtime=not self.fast.isChecked())
        for name, output in list(self.streams.items()):
            self.streams[name] = self._new_stream(name) or output
            self.worker.send(AddOutput(self.streams[name]))
        self.thread = QThread(self)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.frameReady.connect(self.on_frame)
        self.worker.status.connect(self.on_status)
        self.worker.error.connect(self.on_error)
        self.worker.outputStarted.connect(self.on_output_started)
        self.worker.outputEnded.connect(self.on_output_ended)
        self.worker.finished.connect(self.thread.quit)
        self.worker.finished.connect(self._worker_finished)
        self.thread.start()

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

    @Slot(bool)
    def _worker_finished(self, failed: bool) -> None:
        self.source_failed = self.source_failed or failed

    def _send(self, command: Command) -> None:
        if self.worker is not None:
            self.worker.send(command)
        self._save_settings()

    # --- slots for the worker's signals (they run in the GUI thread) ----------------------
    @Slot(object)
    def on_frame(self, shown: Shown) -> None:
        self.view.show_frame(shown.bgr, shown.result)
        self.view.repaint()
        self.latencies_ms.append((time.perf_counter() - shown.t_arrival) * 1000.0)
        self._fps_times.append(time.perf_counter())
        self.chart.add(shown.result)
        self.last_result = shown.result
        self.frames_shown += 1
        if self.first_labelled_at is None and shown.result.faces:
            self.first_labelled_at = time.time()
        if shown.source_position is not None and not self.seek.isSliderDown():
            self.seek.setEnabled(True)
            self.seek.setValue(int(shown.source_position * 1000))
        if "camera lost" in self.view.banner.lower():
            self.view.banner = self._rec_banner()
        if self.worker is not None:
            self.worker.frame_shown()

    @Slot(str)
    def on_status(self, text: str) -> None:
        self.notes.append(text)
        if text == "source ended":
            faces = self.last_result is not None and bool(self.last_result.faces)
            self.view.message = "Source ended" if faces else "No face in view — source ended"
            self.view.update()
            self._fps_times.clear()
            self.play.blockSignals(True)  # nothing plays now; seeking plays from there
            self.play.setChecked(True)
            self.play.setText("Play")
            self.play.blockSignals(False)
        elif "camera lost" in text:
            self.view.banner = "Camera lost, reconnecting…"
            self.view.update()
        self.statusBar().showMessage(text, 5000)

    @Slot(str)
    def on_error(self, text: str) -> None:
        self.errors.append(text)
        self.view.message = text.splitlines()[0]
        self.view.update()
        self.statusBar().showMessage(text.splitlines()[0], 15000)

    @Slot(object)
    def on_output_started(self, output: Output) -> None:
        if isinstance(output, TimelineWriter):
            self._recording_shown(True, str(output.path))

    @Slot(object, str)
    def on_output_ended(self, output: Output, error: str) -> None:
        if error:
            self.on_error(f"{output.name} stopped: {error}")
        if output in self.recording:
            self.recording.remove(output)
            if self.recording:  # stop the rest of the recording with it
                self._send(RemoveOutput(self.recording[0]))
            if isinstance(output, TimelineWriter):
                self._recording_shown(False, str(output.path))
                if not error:
                    self.on_recording_finished(str(output.path))
        for name, stream in list(self.streams.items()):
            if stream is output and error:
                del self.streams[name]
                box = self.lsl_box if name == "LSL" else self.ws_box
                box.blockSignals(True)
                box.setChecked(False)
                box.blockSignals(False)

    def _recording_shown(self, on: bool, path: str) -> None:
        self.recording_path = path if on else None
        self.record_btn.blockSignals(True)
        self.record_btn.setChecked(on)
        self.record_btn.blockSignals(False)
        self.record_btn.setText("■ Stop recording" if on else "● Record")
        self.record_btn.setStyleSheet("color: white; background: #c62828;" if on else "")
        self.view.banner = self._rec_banner()
        self.view.update()
        self.statusBar().showMessage(f"Recording to {path}" if on else f"Saved {path}", 8000)

    @Slot(str)
    def on_recording_finished(self, path: str) -> None:
        if self.property("scripted"):
            return
        answer = QMessageBox.question(
            self, "Recording saved", f"Timeline saved to\n{path}\n\nWrite its report now?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.make_report(path)

    def make_report(self, path: str) -> str | None:
        try:
            _, html = write_report(Path(path))
        except (OSError, ValueError, KeyError) as exc:
            self.on_error(f"report failed: {exc}")
            return None
        self.statusBar().showMessage(f"Report: {html}", 15000)
        return str(html)

    def _rec_banner(self) -> str:
        return "● REC" if self.recording_path else ""

    # --- user actions ---------------------------------------------------------------------
    def _source_chosen(self, index: int) -> None:
        spec = self.source_box.itemData(index)
        if spec == "__open__":
            exts = " ".join(f"*{e}" for e in sorted(IMAGE_SUFFIXES))
            path, _ = QFileDialog.getOpenFileName(
                self,
                "Open a video or an image",
                "",
                f"Videos and images (*.mp4 *.avi *.mov *.mkv *.webm {exts});;All files (*)",
            )
            if path:
                self.start_source(path)
            return
        self.start_source(spec)

    def _model_changed(self, _index: int) -> None:
        self._change(model=self.model_box.currentData())  # faces keep their ids and lines

    def _range_changed(self, _index: int) -> None:
        _text, range_, tiles = RANGE_CHOICES[self.range_box.currentData()]
        self._change(detector_range=range_, detector_tiles=tiles)

    def _pause(self, paused: bool) -> None:
        self.play.setText("Play" if paused else "Pause")
        self._send(Pause(paused))

    def _seek(self) -> None:
        self.chart.clear_faces()
        self._send(Seek(self.seek.value() / 1000.0))

    def _select_source(self, spec: str) -> None:
        """Show the source actually playing in the picker (a file gets its own entry)."""
        i = self.source_box.findData(spec)
        if i < 0:
            self.source_box.insertItem(self.source_box.count() - 1, Path(spec).name, spec)
            i = self.source_box.findData(spec)
        self.source_box.setCurrentIndex(i)

    def _new_stream(self, name: str) -> Output | None:
        try:
            if name == "LSL":
                from fer_desktop.outputs.lsl import LslOutput

                return LslOutput()
            from fer_desktop.outputs.websocket import WebSocketOutput

            return WebSocketOutput(WS_URL)
        except FerDesktopError as exc:
            self.on_error(str(exc))
            return None

    def _stream_toggled(self, name: str, on: bool) -> None:
        old = self.streams.pop(name, None)
        if old is not None:
            self._send(RemoveOutput(old))
        if on:
            output = self._new_stream(name)
            if output is None:
                box = self.lsl_box if name == "LSL" else self.ws_box
                box.blockSignals(True)
                box.setChecked(False)
                box.blockSignals(False)
                return
            self.streams[name] = output
            self._send(AddOutput(output))

    def _record_toggled(self, on: bool) -> None:
        if not on:
            for output in self.recording:
                self._send(RemoveOutput(output))
            return
        default = self.settings.value("record_dir", str(Path.home()))
        folder = QFileDialog.getExistingDirectory(self, "Record the timeline into…", default)
        if not folder:
            self.record_btn.setChecked(False)
            return
        self.start_recording(folder)

    def start_recording(self, folder: str) -> None:
        self.settings.setValue("record_dir", folder)
        self.recording = recording_outputs(Path(folder), self.format_box.currentText())
        for output in self.recording:
            self._send(AddOutput(output))

    def add_marker(self) -> None:
        note = self.note_edit.text().strip()[:80]
        self.note_edit.clear()
        self.view.setFocus()  # back to the video, so the next M is a marker again
        t = self.last_result.t_source if self.last_result else 0.0
        self.chart.add_marker(t, note)
        self._send(AddMarker(note))  # to the recording, LSL and WebSocket, whichever are on
        if self.recording_path:
            self.statusBar().showMessage(f"Marker at {t:.1f} s {note}", 4000)
        elif self.streams:
            self.statusBar().showMessage(
                f"Marker at {t:.1f} s sent to {', '.join(self.streams)}; not saved: not recording",
                6000,
            )
        else:
            self.statusBar().showMessage(
                "Marker shown on the chart only: it is saved when you record", 6000
            )

    def calibrate_neutral(self, seconds: float = 3.0) -> None:
        self._send(CalibrateNeutral(seconds))
        self.statusBar().showMessage(
            f"Calibrating: keep a neutral face for {seconds:g} s", int(seconds * 1000) + 1000
        )

    def reset_calibration(self) -> None:
        self._send(ResetCalibration())

    def save_snapshot(self, path: str) -> bool:
        return self.grab().save(path, "PNG")

    def _snapshot_dialog(self) -> None:
        folder = self.settings.value("record_dir", str(Path.home()))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save snapshot", str(Path(folder) / f"snapshot-{stamp}.png"), "PNG (*.png)"
        )
        if not path:
            return
        if not self.save_snapshot(path):
            self.on_error(f"could not save {path}")
            return
        if self.recording_path:  # the timeline notes where the snapshot went
            self._send(AddMarker(f"snapshot {path}"))
        self.statusBar().showMessage(f"Snapshot saved to {path}", 6000)

    def _update_status(self) -> None:
        times = self._fps_times
        if times and time.perf_counter() - times[-1] > 2.0:  # nothing shown lately: no fps
            times.clear()
        fps = (
            (len(times) - 1) / (times[-1] - times[0])
            if len(times) > 1 and times[-1] > times[0]
            else 0.0
        )
        r = self.last_result
        det = f"{r.timings_ms.get('detect', 0):.1f}" if r else "–"
        cls = f"{r.timings_ms.get('classify', 0):.2f}" if r else "–"
        faces = len(r.faces) if r else 0
        dropped = self.worker.dropped if self.worker else 0
        outputs = [o.state for o in self.streams.values()]
        if self.recording_path:
            outputs.insert(0, "● REC")
        self.status_label.setText(
            f"{fps:4.1f} fps | detect {det} ms | classify {cls} ms | faces {faces} | "
            f"model {self.model_box.currentData()} | dropped {dropped}"
            + "".join(f" | {o}" for o in outputs)
        )

    # --- drag and drop, close -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.start_source(urls[0])

    def closeEvent(self, event) -> None:
        self._save_settings()
        thread = self.thread
        if not self.stop_worker() and thread is not None:
            thread.wait(15_000)  # still loading models: let it finish and close its files
        super().closeEvent(event)
