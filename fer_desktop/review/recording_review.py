"""A recording under review: its frames on one recording time, markers, people, segments."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fer_desktop import sidecar as sidecars
from fer_desktop.errors import FerDesktopError
from fer_desktop.recording import Marker, Recording
from fer_desktop.results import FrameResult
from fer_desktop.review.clips import write_clip
from fer_desktop.review.errors import ReviewError
from fer_desktop.sidecar import Sidecar, SidecarMarker
from fer_desktop.stats import calibration_switches, segments
from fer_desktop.timeaxis import TimeAxis


@dataclass
class Person:
    """One person in review: a face id, with the ids merged into it."""

    id: int
    name: str
    ids: list[int]
    frames: int  # frames this person is in


@dataclass
class Review:
    """A recording and its video, frame by frame, on one recording time, as review edits
    it: its markers (held here only, written to the sidecar by `save`), names and merges
    (in `sidecar`)."""

    recording: Recording
    video_path: Path
    frames: list[FrameResult]  # one per "frame" row, with its faces
    video_index: list[int]  # the video frame of each of them
    markers: list[Marker]
    sidecar: Sidecar  # names and merges; its markers are `markers`, on `save`
    _shown: tuple = field(default=(), repr=False, compare=False)  # (edits, `shown()`)

    @property
    def timeline_path(self) -> Path:
        return self.recording.path

    @property
    def header(self) -> dict:
        return self.recording.header

    @property
    def labels(self) -> list[str]:
        return self.recording.labels

    @property
    def axis(self) -> TimeAxis:
        return self.recording.axis

    @property
    def sidecar_path(self) -> Path:
        return sidecars.path_for(self.timeline_path)

    def shown(self) -> Recording:
        """The recording on its recording time with the names and merges as they are now
        (see `Recording.shown`); made again only after they change."""
        names, merges = dict(self.sidecar.names), dict(self.sidecar.merges)
        if not self._shown or self._shown[0] != (names, merges):
            edits = Sidecar(None, names, merges)
            self._shown = (names, merges), dataclasses.replace(self.recording, sidecar=edits).shown
        return self._shown[1]

    @property
    def times(self) -> np.ndarray:
        """The recording time of each frame: strictly increasing."""
        return self.axis.t

    def frame_at(self, t: float) -> int:
        """The index (into `frames`) of the last frame at or before recording time `t`."""
        return self.axis.index_at(t)

    def seeks(self) -> list[tuple[float, float]]:
        """(recording time, t_source) where each stretch after a seek starts."""
        return [(float(self.times[k]), self.frames[k].t_source) for k in self.axis.seek_starts]

    # --- people: names and merges -------------------------------------------------------------
    def person(self, face_id: int) -> tuple[int, str]:
        return self.sidecar.person(face_id)

    def people(self) -> list[Person]:
        counts: dict[int, int] = {}
        for f in self.frames:
            for face in f.faces:
                counts[face.id] = counts.get(face.id, 0) + 1
        out: dict[int, Person] = {}
        for fid, n in sorted(counts.items()):
            pid, name = self.person(fid)
            p = out.setdefault(pid, Person(pid, name, [], 0))
            p.ids.append(fid)
            p.frames += n
        return sorted(out.values(), key=lambda p: p.id)

    def chart_series(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per person, (recording time, valence) for the chart, with a NaN valence where a
        line would cross a seek, a gap or a stretch the person was not seen in (pyqtgraph
        breaks a curve there with connect="finite")."""
        series: dict[int, tuple[list[float], list[float]]] = {}
        last: dict[int, int] = {}
        for k, f in enumerate(self.frames):
            for face in f.faces:
                pid = self.person(face.id)[0]
                xs, ys = series.setdefault(pid, ([], []))
                if pid in last and self.axis.broken(last[pid], k):
                    xs.append(float(self.times[k]))
                    ys.append(np.nan)
                xs.append(float(self.times[k]))
                ys.append(face.valence)
                last[pid] = k
        return {pid: (np.array(xs), np.array(ys)) for pid, (xs, ys) in series.items()}

    def calibration_switches(self) -> dict[int, list[tuple[float, str]]]:
        """Per person, (recording time, "calibrated" or "raw") where their values switch."""
        return calibration_switches(self.shown())

    def name_face(self, face_id: int, name: str) -> None:
        self.sidecar.set_name(face_id, name)

    def merge(self, face_id: int, into: int) -> None:
        """`face_id` is the same person as `into` (refused when both are in one frame)."""
        a, b = self.person(face_id)[0], self.person(into)[0]
        for f in self.frames:
            people = {self.person(face.id)[0] for face in f.faces}
            if a in people and b in people and a != b:
                raise ReviewError(
                    f"face {face_id} and face {into} are both in frame {f.index}: not one person"
                )
        self.sidecar.merge(face_id, into)

    def unmerge(self, face_id: int) -> None:
        self.sidecar.unmerge(face_id)

    # --- markers and the sidecar --------------------------------------------------------------
    def marker_at(self, i: int, note: str = "") -> Marker:
        return Marker(float(self.times[i]), note, self.frames[i].index)

    def _sidecar_marker(self, m: Marker) -> SidecarMarker:
        k = self.axis.index_of_frame(m.frame) if m.frame is not None else None
        k = self.frame_at(m.t) if k is None else k
        t_source = self.frames[k].t_source + max(m.t - float(self.times[k]), 0.0)
        return SidecarMarker(t_source, m.note, self.frames[k].index, m.source, m.t_wall, m.number)

    def save(self) -> Path:
        """Markers, names and merges into the sidecar file (written atomically)."""
        self.markers.sort(key=lambda m: m.t)
        markers = [self._sidecar_marker(m) for m in self.markers]
        try:
            return sidecars.save(
                self.timeline_path, dataclasses.replace(self.sidecar, markers=markers)
            )
        except FerDesktopError as exc:
            raise ReviewError(str(exc)) from exc

    save_markers = save

    # --- segments and what is in them -------------------------------------------------------
    def segments(self) -> list[tuple[str, float, float]]:
        """(name, start, end): the whole session, then each stretch between markers."""
        return segments([(m.t, m.note) for m in self.markers], float(self.times[-1]))

    def indices(self, start: float, end: float) -> list[int]:
        """The frames between two recording times (inclusive)."""
        t = self.times
        a = int(np.searchsorted(t, start - 1e-9, side="left"))
        b = int(np.searchsorted(t, end + 1e-9, side="right"))
        return list(range(a, b))

    def face_rows(self, start: float, end: float) -> list[dict]:
        """One record per face per frame between two recording times (inclusive)."""
        rows = []
        for i in self.indices(start, end):
            f = self.frames[i]
            for face in f.faces:
                pid, name = self.person(face.id)
                rows.append(
                    {
                        "t": round(float(self.times[i]), 4),
                        "t_source": f.t_source,
                        "t_wall": f.t_wall,
                        "frame": f.index,
                        "face_id": face.id,
                        "person_id": pid,
                        "name": name,
                        "label": face.label,
                        "valence": face.valence,
                        **{
                            f"p_{lab}": float(p)
                            for lab, p in zip(self.labels, face.smooth, strict=True)
                        },
                    }
                )
        return rows

    def summary(self, start: float, end: float) -> list[dict]:
        """Per person in a segment: share of time per label, mean valence, strongest moment
        (at its recording time)."""
        shown = self.shown()
        part = shown.with_faces([f for f in shown.faces if start <= f["t_source"] <= end])
        out = []
        for s in part.summary.faces:
            strongest = s.happiest if abs(s.happiest[1]) >= abs(s.saddest[1]) else s.saddest
            out.append(
                {
                    "face_id": s.face_id,
                    "name": self.person(s.face_id)[1],
                    **{
                        f"share_{lab}": round(s.label_share.get(lab, 0.0), 3) for lab in self.labels
                    },
                    "mean_valence": round(s.mean_valence, 3),
                    "strongest_t": round(strongest[0], 2),
                    "strongest_valence": round(strongest[1], 3),
                }
            )
        return out

    def export_csv(self, start: float, end: float, path: Path) -> Path:
        """The segment's face rows: recording time, the timeline's own time base, the face id
        and the person it belongs to (merged id and name), label, valence and probabilities."""
        rows = self.face_rows(start, end)
        columns = ["t", "t_source", "t_wall", "frame", "face_id", "person_id", "name"]
        columns += ["label", "valence"] + [f"p_{lab}" for lab in self.labels]
        try:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, columns)
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise ReviewError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return path

    def frame_rate(self) -> float:
        """The recording's real frame rate: its frames' own times (the median step)."""
        return 1.0 / self.axis.step if self.axis.step > 0 else 30.0

    def export_clip(
        self,
        start: float,
        end: float,
        path: Path,
        labels: bool = False,
        progress: Callable[[int, int], bool] | None = None,
    ) -> int:
        """The video between two recording times as a clip: see `clips.write_clip`."""
        return write_clip(self, start, end, path, labels, progress)
