"""Review mode: play a recording with its boxes, the whole chart with a cursor, markers,
people (names, merged ids) and segments. `fer-desktop review PATH`, or File → Open recording
in the main window.

The chart runs on the recording time (fer_desktop.timeaxis: source time laid end to end at
each seek); a dotted line shows where a seek was ("→2.2": to 2.2 s of the file), and no
curve crosses a seek or a gap.
Keys: Space plays and pauses, Left / Right step one frame, Page Up / Page Down jump to the
previous / next marker, M adds a marker at the cursor, Ctrl+S saves markers, names and
merges beside the timeline.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.errors import FerDesktopError
from fer_desktop.report import face_colour
from fer_desktop.results import FrameResult
from fer_desktop.review import Person, Recording, VideoReader, open_recording

from .video_view import VideoView

ROLE_ID = Qt.ItemDataRole.UserRole  # the face list's items hold their person's id


def button(text: str, slot) -> QPushButton:
    """A button that calls `slot()` (without clicked's `checked`, which would land in the
    slot's first parameter)."""
    b = QPushButton(text)
    b.clicked.connect(lambda _checked=False: slot())
    return b


def person_label(p: Person) -> str:
    """A person in the legend and the merge dialog: the name, and the ids merged into it."""
    if len(p.ids) > 1 and p.name == f"face {p.id}":
        return f"face {'+'.join(map(str, p.ids))}"
    return p.name


class ReviewWindow(QMainWindow):
    def __init__(self, path: Path):
        super().__init__()
        self.rec: Recording = open_recording(path)
        self.reader = VideoReader(self.rec.video_path)
        self.setWindowTitle(f"fer_desktop review — {self.rec.timeline_path.name}")
        self.resize(1200, 800)
        self.current = -1  # index into rec.frames of the frame shown
        self.errors: list[str] = []
        self._build()
        self._keys()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.show_frame(0)

    # --- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.view = VideoView()
        self.chart = pg.PlotWidget(background="w")
        self.chart.setLabel("bottom", "recording time (s)")
        self.chart.setLabel("left", "valence")
        self.chart.setYRange(-1.05, 1.05)
        self.chart.addLegend(offset=(5, 1), colCount=8)
        self.curves: dict[int, pg.PlotDataItem] = {}  # person id -> its curve
        for n, (t, t_source) in enumerate(self.rec.seeks()):
            line = pg.InfiniteLine(  # labels on three heights, so neighbours stay readable
                t,
                pen=pg.mkPen("#9e9e9e", width=1, style=Qt.PenStyle.DotLine),
                label=f"→{t_source:.1f}",
                labelOpts={"position": 0.05 + 0.08 * (n % 3), "color": "#757575"},
            )
            self.chart.addItem(line)
        self.cursor = pg.InfiniteLine(0.0, movable=True, pen=pg.mkPen("#c62828", width=2))
        self.cursor.sigPositionChanged.connect(self._cursor_moved)
        self.chart.addItem(self.cursor)
        self.chart.scene().sigMouseClicked.connect(self._chart_clicked)
        self._marker_lines: list[pg.InfiniteLine] = []

        self.play_btn = QPushButton("Play")
        self.play_btn.clicked.connect(lambda _checked=False: self.toggle_play())
        self.markers = QListWidget()
        self.markers.itemActivated.connect(lambda item: self.jump_to_marker(self.markers.row(item)))
        buttons = QHBoxLayout()
        for text, slot in (
            ("Add marker (M)", self.add_marker),
            ("Edit note", self.edit_marker),
            ("Delete", self.delete_marker),
            ("Save", self.save),
        ):
            buttons.addWidget(button(text, slot))
        self.faces = QListWidget()
        self.faces.itemActivated.connect(lambda item: self.jump_to_person(item.data(ROLE_ID)))
        face_buttons = QHBoxLayout()
        for text, slot in (
            ("Name…", self.name_person),
            ("Merge into…", self.merge_person),
            ("Unmerge", self.unmerge_person),
        ):
            face_buttons.addWidget(button(text, slot))
        self.segments = QTableWidget()
        export = QHBoxLayout()
        for text, slot in (("Export segment CSV", self.export_csv),
                           ("Export segment clip", self.export_clip)):  # fmt: skip
            export.addWidget(button(text, slot))

        side = QVBoxLayout()
        side.addWidget(self.markers, 1)
        side.addLayout(buttons)
        side.addWidget(self.faces, 1)
        side.addLayout(face_buttons)
        side.addWidget(self.segments, 2)
        side.addLayout(export)
        side_widget = QWidget()
        side_widget.setLayout(side)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.view)
        left.addWidget(self.chart)
        left.setSizes([520, 220])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(side_widget)
        main.setSizes([800, 400])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(main, 1)
        layout.addWidget(self.play_btn)
        self.setCentralWidget(central)
        self._refresh_people()
        self._refresh_markers()

    def _keys(self) -> None:
        for key, slot in (
            ("Space", self.toggle_play),
            ("Right", lambda: self.show_frame(self.current + 1)),
            ("Left", lambda: self.show_frame(self.current - 1)),
            ("PgDown", lambda: self.step_marker(+1)),
            ("PgUp", lambda: self.step_marker(-1)),
            ("M", self.add_marker),
            ("Ctrl+S", self.save),
        ):
            QShortcut(QKeySequence(key), self, activated=slot)

    # --- playback and seeking ---------------------------------------------------------------
    @property
    def cursor_t(self) -> float:
        return float(self.cursor.value())

    def show_frame(self, i: int) -> None:
        """Show frame i (clamped) with its boxes, and put the chart's cursor on it."""
        i = min(max(i, 0), len(self.rec.frames) - 1)
        bgr = self.reader.read(self.rec.video_index[i])
        if bgr is None:
            self.errors.append(f"video frame {self.rec.video_index[i]} cannot be read")
            self.statusBar().showMessage(self.errors[-1], 5000)
            return
        self.current = i
        result = self.rec.frames[i]
        result.height, result.width = bgr.shape[:2]  # the boxes are drawn on this frame
        self.view.show_frame(bgr, self._as_people(result))
        self.view.update()
        t = float(self.rec.times[i])
        self.cursor.blockSignals(True)
        self.cursor.setValue(t)
        self.cursor.blockSignals(False)
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

    def _cursor_moved(self) -> None:
        self.seek(self.cursor_t)

    def _chart_clicked(self, event) -> None:
        point = self.chart.getPlotItem().vb.mapSceneToView(event.scenePos())
        self.seek(float(point.x()))

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

    # --- people: the chart's curves, the face list, names and merges --------------------------
    def _plot_people(self, people: list[Person]) -> None:
        plot = self.chart.getPlotItem()
        for curve in self.curves.values():
            plot.removeItem(curve)
            if plot.legend is not None:
                plot.legend.removeItem(curve)
        self.curves = {}
        series = self.rec.chart_series()
        for p in people:
            xs, ys = series.get(p.id, (np.zeros(0), np.zeros(0)))
            self.curves[p.id] = self.chart.plot(
                xs,
                ys,
                pen=pg.mkPen(face_colour(p.id), width=2),
                name=person_label(p),
                connect="finite",
            )

    def _refresh_people(self) -> None:
        people = self.rec.people()
        self._plot_people(people)
        self.faces.clear()
        for p in people:
            ids = f"  (ids {', '.join(map(str, p.ids))})" if len(p.ids) > 1 else ""
            item = QListWidgetItem(f"● {p.name}{ids}  {p.frames} frames")
            item.setForeground(QColor(face_colour(p.id)))
            item.setData(ROLE_ID, p.id)
            self.faces.addItem(item)
        if self.current >= 0:
            self.show_frame(self.current)

    def selected_person(self) -> int | None:
        """The person chosen in the face list (None, and a hint, when there is none)."""
        item = self.faces.currentItem()
        if item is None:
            self.statusBar().showMessage("Choose a person in the list first", 5000)
            return None
        return int(item.data(ROLE_ID))

    def name_person(self, face_id: int | None = None, name: str | None = None) -> None:
        """Name the selected person (or `face_id`'s); asks for the name unless given."""
        face_id = self.selected_person() if face_id is None else face_id
        if face_id is None:
            return
        if name is None:
            current = self.rec.sidecar.names.get(self.rec.person(face_id)[0], "")
            name, ok = QInputDialog.getText(self, "Name", f"Name for face {face_id}:", text=current)
            if not ok:
                return
        self.rec.name_face(face_id, name)
        self._refresh_people()
        self._refresh_segments()

    def merge_person(self, face_id: int | None = None, into: int | None = None) -> None:
        """The selected person (or `face_id`) is the same person as `into` (asked for)."""
        face_id = self.selected_person() if face_id is None else face_id
        if face_id is None:
            return
        if into is None:
            others = [p for p in self.rec.people() if p.id != self.rec.person(face_id)[0]]
            if not others:
                return
            choice, ok = QInputDialog.getItem(
                self, "Merge", f"Face {face_id} is the same person as:",
                [person_label(p) for p in others], 0, False,
            )  # fmt: skip
            if not ok:
                return
            into = others[[person_label(p) for p in others].index(choice)].id
        try:
            self.rec.merge(face_id, into)
        except FerDesktopError as exc:
            self._problem(str(exc))
            return
        self._refresh_people()
        self._refresh_segments()

    def unmerge_person(self, face_id: int | None = None) -> None:
        """Split the selected person's ids (or `face_id`) back into their own people."""
        pid = self.selected_person() if face_id is None else self.rec.person(face_id)[0]
        if pid is None:
            return
        person = next((p for p in self.rec.people() if p.id == pid), None)
        for fid in [face_id] if face_id is not None else (person.ids if person else []):
            self.rec.unmerge(fid)
        self._refresh_people()
        self._refresh_segments()

    def jump_to_person(self, person_id: int) -> None:
        """To the first frame this person is in."""
        for k, f in enumerate(self.rec.frames):
            if any(self.rec.person(face.id)[0] == person_id for face in f.faces):
                self.show_frame(k)
                return

    # --- markers and segments ----------------------------------------------------------------
    def _refresh_markers(self) -> None:
        self.rec.markers.sort(key=lambda m: m.t)
        self.markers.clear()
        for line in self._marker_lines:
            self.chart.removeItem(line)
        self._marker_lines = []
        for m in self.rec.markers:
            self.markers.addItem(f"{m.t:7.2f} s  {m.note}")
            line = pg.InfiniteLine(
                m.t,
                pen=pg.mkPen("#444", style=Qt.PenStyle.DashLine),
                label=m.note or None,
                labelOpts={"position": 0.95, "color": "#444"},
            )
            self.chart.addItem(line)
            self._marker_lines.append(line)
        self._refresh_segments()

    def _refresh_segments(self) -> None:
        rows = []
        for name, a, b in self.rec.segments():
            for face in self.rec.summary(a, b):
                rows.append((name, a, b, face))
        labels = self.rec.labels
        heads = ["segment", "from", "to", "person", *labels, "mean valence", "strongest at"]
        self.segments.setColumnCount(len(heads))
        self.segments.setHorizontalHeaderLabels(heads)
        self.segments.setRowCount(len(rows))
        self._segment_rows = rows
        for r, (name, a, b, face) in enumerate(rows):
            strongest = f"{face['strongest_t']:.1f} s ({face['strongest_valence']:+.2f})"
            values = [name, f"{a:.1f}", f"{b:.1f}", face["name"],
                      *(f"{100 * face[f'share_{lab}']:.0f}%" for lab in labels),
                      f"{face['mean_valence']:+.2f}", strongest]  # fmt: skip
            for c, v in enumerate(values):
                self.segments.setItem(r, c, QTableWidgetItem(v))

    def add_marker(self, note: str = "") -> None:
        self.rec.markers.append(self.rec.marker_at(self.current, note))
        self._refresh_markers()

    def edit_marker(self) -> None:
        row = self.markers.currentRow()
        if row < 0:
            return
        note, ok = QInputDialog.getText(
            self, "Marker note", "Note:", text=self.rec.markers[row].note
        )
        if ok:
            self.rec.markers[row].note = note
            self._refresh_markers()

    def delete_marker(self) -> None:
        row = self.markers.currentRow()
        if row >= 0:
            del self.rec.markers[row]
            self._refresh_markers()

    def save(self) -> Path | None:
        """Markers, names and merges into the sidecar beside the timeline."""
        try:
            path = self.rec.save()
        except FerDesktopError as exc:
            self._problem(str(exc))
            return None
        self.statusBar().showMessage(f"Markers and names saved to {path}", 5000)
        return path

    save_markers = save

    def _problem(self, message: str) -> None:
        self.errors.append(message)
        self.statusBar().showMessage(message, 8000)

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
        row = self.segments.currentRow()
        if row < 0:
            return self.rec.segments()[0]
        name, a, b, _face = self._segment_rows[row]
        return name, a, b

    def export_csv(self, path: str | None = None) -> str | None:
        _name, a, b = self.selected_segment()
        path = path or QFileDialog.getSaveFileName(self, "Export segment", "", "CSV (*.csv)")[0]
        if path:
            self.rec.export_csv(a, b, Path(path))
            self.statusBar().showMessage(f"Segment saved to {path}", 5000)
        return path or None

    def export_clip(self, path: str | None = None) -> int:
        _name, a, b = self.selected_segment()
        path = path or QFileDialog.getSaveFileName(self, "Export clip", "", "Matroska (*.mkv)")[0]
        if not path:
            return 0
        n = self.rec.export_clip(a, b, Path(path))
        self.statusBar().showMessage(f"Clip of {n} frames saved to {path}", 5000)
        return n

    def closeEvent(self, event) -> None:
        self.timer.stop()
        self.reader.close()
        super().closeEvent(event)


def run(args) -> int:
    """`fer-desktop review PATH`."""
    import sys

    from PySide6.QtWidgets import QApplication

    from .app import close_on_signals, no_display

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
