"""Review mode: play a recording with its boxes, the whole chart with a cursor, markers,
people (names, merged ids) and segments. `fer-desktop review PATH`, or File → Open recording
in the main window. The switch under the chart shows valence, one lane per expression or
(face mesh on) one lane per measure.

The chart runs on the recording time (fer_desktop.timeaxis: source time laid end to end at
each seek); a dotted line shows where a seek was ("→2.2": to 2.2 s of the file), and no
curve crosses a seek or a gap. Click or drag on the chart to seek.

Every edit (markers, names, merges) is saved to the sidecar beside the timeline as it is
made; Ctrl+Z undoes the last one. The keys are the table in `shortcuts.REVIEW`. People and
files (exports, the report) are the parts in `review_people` and `review_files`.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.errors import FerDesktopError
from fer_desktop.marker_labels import label_text, literal_tip
from fer_desktop.measure_lanes import measure_lanes
from fer_desktop.results import FrameResult
from fer_desktop.review import Marker, Review, VideoReader, open_recording

from . import shortcuts
from .expression_lanes_view import chart_mode_box
from .live_texts import APP_NAME
from .review_chart import ReviewChart
from .review_extremes import extreme_stretch
from .review_files import ReviewFiles
from .review_people import ROLE_ID, ReviewPeople
from .segment_table import SegmentTable
from .video_view import VideoView
from .window_lifecycle import close_on_signals, no_display

NOTE_CHARS = 120  # a note in the marker list, on one line (the whole note in its tooltip)


def button(text: str, slot, tip: str = "") -> QPushButton:
    """A button that calls `slot()` (without clicked's `checked`, which would land in the
    slot's first parameter)."""
    b = QPushButton(text)
    b.setToolTip(tip)
    b.clicked.connect(lambda _checked=False: slot())
    return b


class ReviewWindow(ReviewPeople, ReviewFiles, QMainWindow):
    def __init__(self, path: Path, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings(APP_NAME, APP_NAME)
        self.rec: Review = open_recording(path)
        self.reader = VideoReader(self.rec.video_path)
        self.resize(1200, 800)
        self.current = -1  # index into rec.frames of the frame shown
        self.errors: list[str] = []
        self.unsaved = False  # the last edit could not be written to the sidecar
        self.clip_export = None  # a clip being written (ClipExport)
        self.undo_stack: list[tuple[str, tuple]] = []  # (what was done, the state before)
        for m in self.rec.markers:
            self._number(m)
        self._title()
        self._build()
        self._menus()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.show_frame(0)

    # --- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = VideoView()
        self.measure_lanes = measure_lanes(self.rec.recording)  # none without the mesh
        self.chart = ReviewChart(self.rec.seeks(), self.seek, self.rec.labels, self.measure_lanes)
        self.chart_mode_box = chart_mode_box(self.chart, self.settings)  # valence, lanes…
        self.chart.cursor.sigPositionChanged.connect(lambda: self.seek(self.cursor_t))
        self.chart.scene().sigMouseClicked.connect(self._chart_clicked)
        self.play_btn = button("Play", self.toggle_play, "Play or pause (Space)")
        self.markers = QListWidget()
        self.markers.itemActivated.connect(lambda item: self.jump_to_marker(self.markers.row(item)))
        self.faces = QListWidget()
        self.faces.itemActivated.connect(lambda item: self.jump_to_person(item.data(ROLE_ID)))
        self.segments = SegmentTable()
        side = QVBoxLayout()
        side.addWidget(self.markers, 1)
        side.addLayout(self._row(("Add marker (M)", self.add_marker, "A marker at the cursor"),
                                 ("Edit note", self.edit_marker, "The selected marker's note"),
                                 ("Delete", self.delete_marker, "Undo with Ctrl+Z"),
                                 ("Undo", self.undo, "Undo the last edit (Ctrl+Z)")))  # fmt: skip
        side.addWidget(self.faces, 1)
        side.addLayout(self._row(("Name…", self.name_person, ""),
                                 ("Merge into…", self.merge_person, ""),
                                 ("Unmerge", self.unmerge_person, "")))  # fmt: skip
        side.addLayout(self._row(
            ("Saddest stretch", lambda: self.jump_to_extreme(-1), "Lowest mean valence, 3 s"),
            ("Happiest stretch", lambda: self.jump_to_extreme(+1), "Highest mean valence, 3 s"),
        ))  # fmt: skip
        side.addWidget(self.segments, 2)
        side.addLayout(self._row(("Export segment CSV", self.export_csv, ""),
                                 ("Export segment clip", self.export_clip, ""),
                                 ("Report", self.make_report, "HTML report, Ctrl+P")))  # fmt: skip
        side_widget = QWidget()
        side_widget.setLayout(side)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.view)
        left.addWidget(self.chart)
        left.setSizes([520, 220])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(side_widget)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        main.setSizes([700, 500])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(main, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.play_btn, 1)
        bottom.addWidget(self.chart_mode_box)
        layout.addLayout(bottom)
        self.setCentralWidget(central)
        self._refresh_people()
        self._refresh_markers()

    @staticmethod
    def _row(*buttons: tuple) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, slot, tip in buttons:
            row.addWidget(button(text, slot, tip))
        return row

    def _menus(self) -> None:
        self.key_actions = shortcuts.bind(
            self,
            shortcuts.REVIEW,
            {
                "play": self.toggle_play,
                "next_frame": lambda: self.show_frame(self.current + 1),
                "previous_frame": lambda: self.show_frame(self.current - 1),
                "next_marker": lambda: self.step_marker(+1),
                "previous_marker": lambda: self.step_marker(-1),
                "marker": lambda: self.add_marker(ask=True),
                "delete_marker": self.delete_marker,
                "undo": self.undo,
                "save": self.save,
                "report": self.make_report,
                "shortcuts": self.show_shortcuts,
                "close": self.close,
            },
        )
        keys = self.key_actions
        file_menu = self.menuBar().addMenu("&File")
        for name, text in (("save", "&Save"), ("report", "Write &report…"), ("close", "&Close")):
            keys[name].setText(text)
            file_menu.addAction(keys[name])
        edit_menu = self.menuBar().addMenu("&Edit")
        for name, text in (("undo", "&Undo"), ("marker", "Add &marker"),
                           ("delete_marker", "&Delete marker")):  # fmt: skip
            keys[name].setText(text)
            edit_menu.addAction(keys[name])
        help_menu = self.menuBar().addMenu("&Help")
        keys["shortcuts"].setText("&Keyboard shortcuts")
        help_menu.addAction(keys["shortcuts"])

    def show_shortcuts(self) -> None:
        QMessageBox.information(
            self, "Keyboard shortcuts", shortcuts.help_html("Review window", shortcuts.REVIEW)
        )

    def _title(self) -> None:
        mark = " *" if self.unsaved else ""
        self.setWindowTitle(f"fer_desktop review — {self.rec.timeline_path.name}{mark}")

    # --- playback and seeking ---------------------------------------------------------------
    @property
    def curves(self) -> dict:
        return self.chart.curves

    @property
    def cursor(self):
        return self.chart.cursor

    @property
    def cursor_t(self) -> float:
        return float(self.chart.cursor.value())

    def show_frame(self, i: int) -> None:
        """Show frame i (clamped) with its boxes, and put the chart's cursor on it."""
        i = min(max(i, 0), len(self.rec.frames) - 1)
        bgr = self.reader.read(self.rec.video_index[i])
        if bgr is None:
            self._problem(f"video frame {self.rec.video_index[i]} cannot be read")
            return
        self.current = i
        result = self.rec.frames[i]
        result.height, result.width = bgr.shape[:2]  # the boxes are drawn on this frame
        self.view.show_frame(bgr, self._as_people(result))
        self.view.update()
        t = float(self.rec.times[i])
        self.chart.set_cursor(t)
        names = ", ".join(self.rec.person(f.id)[1] for f in result.faces)
        self.statusBar().showMessage(
            f"frame {result.index}  t {t:.2f} s (source {result.t_source:.2f} s)  "
            f"faces {len(result.faces)}{': ' + names if names else ''}"
        )

    def _as_people(self, result: FrameResult) -> FrameResult:
        """The frame with each face under its person's id (merged ids share one colour)."""
        ids = [self.rec.person(f.id)[0] for f in result.faces]
        if ids == [f.id for f in result.faces]:
            return result
        return replace(
            result, faces=[replace(f, id=i) for f, i in zip(result.faces, ids, strict=True)]
        )

    def seek(self, t: float) -> None:
        self.show_frame(self.rec.frame_at(t))

    def _chart_clicked(self, event) -> None:
        self.seek(self.chart.time_at(event.scenePos()))

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play_btn.setText("Play")
            return
        times = self.rec.times
        step = (
            float(max(min(times[1:] - times[:-1], default=0.04), 0.01)) if len(times) > 1 else 0.04
        )
        self.timer.start(int(step * 1000))
        self.play_btn.setText("Pause")

    def _tick(self) -> None:
        if self.current >= len(self.rec.frames) - 1:
            self.toggle_play()
            return
        self.show_frame(self.current + 1)

    def jump_to_extreme(self, sign: int) -> None:
        """To the start of the saddest (-1) or happiest (+1) 3-second stretch of anyone."""
        found = extreme_stretch(self.rec.chart_series(), sign)
        if found is None:
            self._problem("No face in this recording")
            return
        t, pid, mean = found
        self.seek(t)
        which = "Saddest" if sign < 0 else "Happiest"
        name = self.rec.person(pid)[1]
        self.statusBar().showMessage(f"{which} stretch: {name} at {t:.1f} s, {mean:+.2f}", 8000)

    # --- edits: each saved as it is made, each undoable ---------------------------------------
    def _state(self) -> tuple:
        side = self.rec.sidecar
        return copy.deepcopy((self.rec.markers, side.names, side.merges))

    def _edited(self, what: str, before: tuple, select: Marker | None = None) -> None:
        """After an edit: remember how to undo it, show it (`select` chosen), save it."""
        self.undo_stack.append((what, before))
        self._refresh_people()
        self._refresh_markers(select)
        self._autosave(what)

    def undo(self) -> None:
        if not self.undo_stack:
            self.statusBar().showMessage("Nothing to undo", 4000)
            return
        what, (markers, names, merges) = self.undo_stack.pop()
        self.rec.markers = markers
        self.rec.sidecar.names, self.rec.sidecar.merges = names, merges
        self._refresh_people()
        self._refresh_markers()
        self._autosave(f"Undone: {what}")

    def _autosave(self, what: str) -> None:
        try:
            path = self.rec.save()
        except FerDesktopError as exc:
            self.unsaved = True
            self._title()
            self._problem(f"{what}, but not saved: {exc}")
            return
        self.unsaved = False
        self._title()
        self.statusBar().showMessage(f"{what} (saved to {path.name})", 5000)

    def save(self) -> Path | None:
        """Markers, names and merges into the sidecar beside the timeline."""
        try:
            path = self.rec.save()
        except FerDesktopError as exc:
            self._problem(str(exc))
            return None
        self.unsaved = False
        self._title()
        self.statusBar().showMessage(f"Markers and names saved to {path}", 5000)
        return path

    save_markers = save

    def _problem(self, message: str) -> None:
        self.errors.append(message)
        self.statusBar().showMessage(message, 8000)

    # --- markers and segments ----------------------------------------------------------------
    def _number(self, m: Marker) -> int:
        """A marker's number: given once, kept when markers are added before it, and saved
        in the sidecar (it travels with the marker, also through undo's copies)."""
        if m.number is None:
            m.number = max((x.number or 0 for x in self.rec.markers), default=0) + 1
        return m.number

    def marker_name(self, m: Marker) -> str:
        return f"marker {self._number(m)}"

    def _refresh_markers(self, select: Marker | None = None) -> None:
        self.rec.markers.sort(key=lambda m: m.t)
        self.markers.clear()
        for m in self.rec.markers:
            source = f" ({m.source})" if m.source not in ("", "window") else ""
            note = label_text(m.note, NOTE_CHARS)
            self.markers.addItem(f"{self.marker_name(m)}  {m.t:7.2f} s  {note}{source}")
            self.markers.item(self.markers.count() - 1).setToolTip(literal_tip(m.note))
        names = [f"{self._number(m)}" for m in self.rec.markers]
        self.chart.show_markers(self.rec.markers, names, float(self.rec.times[-1]))
        rows = [i for i, m in enumerate(self.rec.markers) if m is select]
        if rows:
            self.markers.setCurrentRow(rows[0])
        self._refresh_segments()

    def _refresh_segments(self) -> None:
        start = float(self.rec.times[0])  # the recording's own times, from its first frame
        rows = []
        for name, a, b in self.rec.segments():
            for face in self.rec.summary(a, b):
                rows.append((name, max(a, start), b, face))
        self.segments.show_rows(rows, self.rec.labels)

    def add_marker(self, note: str = "", ask: bool = False) -> Marker | None:
        """A marker at the cursor, selected; with `ask`, its note is asked for at once."""
        before = self._state()
        marker = self.rec.marker_at(self.current, note)
        self._number(marker)
        self.rec.markers.append(marker)
        self._edited(f"{self.marker_name(marker)} added at {marker.t:.2f} s", before, marker)
        if ask:
            self.edit_marker()
        return marker

    def selected_marker(self) -> Marker | None:
        row = self.markers.currentRow()
        if not 0 <= row < len(self.rec.markers):
            self.statusBar().showMessage("Choose a marker in the list first", 5000)
            return None
        return self.rec.markers[row]

    def edit_marker(self, note: str | None = None) -> None:
        """The selected marker's note (asked for, naming the marker, unless given)."""
        m = self.selected_marker()
        if m is None:
            return
        if note is None:
            note, ok = QInputDialog.getText(
                self, f"Note of {self.marker_name(m)}",
                f"Note of {self.marker_name(m)} at {m.t:.2f} s:", text=m.note,
            )  # fmt: skip
            if not ok:
                return
        before = self._state()
        m.note = note
        self._edited(f"{self.marker_name(m)}'s note changed", before, m)

    def delete_marker(self) -> None:
        m = self.selected_marker()
        if m is None:
            return
        before = self._state()
        self.rec.markers.remove(m)
        self._edited(f"{self.marker_name(m)} deleted (Ctrl+Z brings it back)", before)

    def jump_to_marker(self, row: int) -> None:
        if 0 <= row < len(self.rec.markers):
            self.seek(self.rec.markers[row].t)

    def step_marker(self, direction: int) -> None:
        t = float(self.rec.times[self.current])
        times = [m.t for m in self.rec.markers]
        later = [x for x in times if (x > t + 1e-6 if direction > 0 else x < t - 1e-6)]
        if later:
            self.seek(min(later) if direction > 0 else max(later))

    def selected_segment(self) -> tuple[str, float, float]:
        picked = self.segments.selected()
        return picked if picked is not None else self.rec.segments()[0]

    def closeEvent(self, event) -> None:
        if self.unsaved and self.save() is None:
            answer = QMessageBox.question(
                self, "Edits not saved",
                f"Your edits could not be saved:\n{self.errors[-1]}\n\nClose and lose them?",
            )  # fmt: skip
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if self.clip_export is not None:
            self.clip_export.stop()
        self.timer.stop()
        self.reader.close()
        super().closeEvent(event)


def run(args) -> int:
    """`fer-desktop review PATH`."""
    import sys

    from PySide6.QtWidgets import QApplication

    if no_display():
        print(
            "fer-desktop: error: no display found (set QT_QPA_PLATFORM=offscreen)", file=sys.stderr
        )
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = ReviewWindow(args.path)
    window.show()
    interrupted = close_on_signals(window)
    if args.exit_after is not None:
        QTimer.singleShot(int(args.exit_after * 1000), window.close)
    if args.screenshot:
        QTimer.singleShot(1500, lambda: window.grab().save(str(args.screenshot), "PNG"))
    code = app.exec()
    return 130 if interrupted else code
