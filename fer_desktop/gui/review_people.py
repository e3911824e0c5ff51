"""Review's people, as a part of ReviewWindow: the face list, names, merges of ids (each edit
saved and undoable through the window's `_edited`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QInputDialog, QListWidgetItem

from fer_desktop.errors import FerDesktopError
from fer_desktop.expression_lanes import review_lane_series
from fer_desktop.measure_lanes import review_measure_series
from fer_desktop.report import face_colour
from fer_desktop.review import Person

ROLE_ID = Qt.ItemDataRole.UserRole  # the face list's items hold their person's id


def person_label(p: Person) -> str:
    """A person in the legend and the merge dialog: the name, and the ids merged into it."""
    if len(p.ids) > 1 and p.name == f"face {p.id}":
        return f"face {'+'.join(map(str, p.ids))}"
    return p.name


class ReviewPeople:
    """Mixed into ReviewWindow (it provides rec, chart, faces, show_frame, _edited…)."""

    def _refresh_people(self) -> None:
        people = self.rec.people()
        lanes = review_lane_series(self.rec)
        measures = review_measure_series(self.rec, self.measure_lanes)
        self.chart.show_people(people, self.rec.chart_series(), person_label, lanes, measures)
        self.chart.show_switches(self.rec.calibration_switches())
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
        before = self._state()
        self.rec.name_face(face_id, name)
        self._edited(f"Face {face_id} named {name!r}", before)

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
        before = self._state()
        try:
            self.rec.merge(face_id, into)
        except FerDesktopError as exc:
            self._problem(str(exc))
            return
        self._edited(f"Face {face_id} merged into face {into}", before)

    def unmerge_person(self, face_id: int | None = None) -> None:
        """Split the selected person's ids (or `face_id`) back into their own people."""
        pid = self.selected_person() if face_id is None else self.rec.person(face_id)[0]
        if pid is None:
            return
        person = next((p for p in self.rec.people() if p.id == pid), None)
        before = self._state()
        for fid in [face_id] if face_id is not None else (person.ids if person else []):
            self.rec.unmerge(fid)
        self._edited(f"Face {face_id or pid} unmerged", before)

    def jump_to_person(self, person_id: int) -> None:
        """To the first frame this person is in."""
        for k, f in enumerate(self.rec.frames):
            if any(self.rec.person(face.id)[0] == person_id for face in f.faces):
                self.show_frame(k)
                return
