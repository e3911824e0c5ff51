"""A recording read back: one typed object for the report, review, the API and batch.

`read_recording(path)` parses a timeline (`fer_desktop.timeline`) once into a frozen
`Recording`: its header (always a dict), its frame and face rows as written, its events
(markers, gaps, setting changes, seeks, calibration), its closing row (None: cut short) and
the edits review saved beside it (`fer_desktop.sidecar`). `recording_of(writer)` gives the
same one, without reading the file back, from the rows its writer kept as it wrote them
(`keep=True`): what a session hands over to analyze, its report and the API. What is
derived from them is computed once and kept: the labels its faces may have, the recording
time (`fer_desktop.timeaxis`), the markers placed on it, the figures of `fer_desktop.stats`
and, with the face mesh on, the eyes-and-head measures of its face rows (`measures`).

`rec.shown` is the same recording as a report shows it: on the recording time (in
`t_source`, the source's own time beside it in `source_t`), with review's edits applied
(its markers, merged ids, names). The sidecar and the time axis are applied there and only
there.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fer_desktop import measure_columns
from fer_desktop import sidecar as sidecars
from fer_desktop.results import FrameResult, TrackedFace
from fer_desktop.sidecar import Sidecar
from fer_desktop.timeaxis import TimeAxis, time_axis
from fer_desktop.timeline import TimelineWriter, read_timeline

if TYPE_CHECKING:
    from fer_desktop.stats import Summary


@dataclass
class Marker:
    t: float  # recording time (s)
    note: str = ""
    frame: int | None = None  # the session's frame number it was placed on
    source: str = ""  # who placed it (window, websocket, lsl, import), when known
    t_wall: str | None = None  # when it happened (ISO UTC), when known
    number: int | None = None  # its name's number ("marker 3"), kept across edits and saves
    t_source: float | None = None  # the source's own time, when read from a file


@dataclass(frozen=True)
class Recording:
    """A timeline as written, with the edits review saved beside it (see the module)."""

    path: Path | None
    header: dict = field(default_factory=dict)
    frames: list[dict] = field(default_factory=list)
    faces: list[dict] = field(default_factory=list)
    markers: list[dict] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    settings: list[dict] = field(default_factory=list)  # setting changes while recording
    seeks: list[dict] = field(default_factory=list)
    calibrations: list[dict] = field(default_factory=list)
    closing: dict | None = None  # the "summary" row written on a proper close
    sidecar: Sidecar = field(default_factory=Sidecar)
    names: dict[int, str] = field(default_factory=dict)  # face id -> name (in `shown`)
    on_recording_time: bool = False  # `shown`: rows on the recording time, edits applied

    @classmethod
    def of(cls, parsed: dict, path: Path | None = None, side: Sidecar | None = None) -> Recording:
        """A recording from `parse_timeline`'s dict (and the sidecar beside it)."""
        return cls(
            path,
            parsed["header"] or {},
            parsed["frames"],
            parsed["faces"],
            parsed["markers"],
            parsed["gaps"],
            parsed["settings"],
            parsed["seeks"],
            parsed["calibrations"],
            parsed["summary"],
            side or Sidecar(),
        )

    def with_header(self, **values) -> Recording:
        """The same recording with some header values set (a duration found later, say)."""
        return dataclasses.replace(self, header={**self.header, **values})

    def with_faces(self, faces: list[dict]) -> Recording:
        """The same recording holding only `faces` (a segment's, say): its own figures."""
        return dataclasses.replace(self, faces=faces)

    @cached_property
    def labels(self) -> list[str]:
        """Every label its faces may have: its header's, then those of each model it changed
        to while recording (its setting rows)."""
        changes = [lab for s in self.settings for lab in s.get("labels") or []]
        return list(dict.fromkeys([*self.header.get("labels", []), *changes]))

    @cached_property
    def has_mesh(self) -> bool:
        """Whether any face row has the eyes-and-head measures (the face mesh was on)."""
        return any("mesh" in f for f in self.faces)

    @cached_property
    def measures(self) -> dict[str, np.ndarray]:
        """The eyes-and-head measures of its face rows, one array per column of
        measure_columns.COLUMNS, in the order of `faces`: floats (NaN where empty: the mesh
        off or the face not measured) and, for `mesh_reason`, strings ('' where none)."""
        rows = [measure_columns.flat(f.get("mesh")) for f in self.faces]
        out = {
            c: np.array([np.nan if r[c] is None else r[c] for r in rows], float)
            for c in measure_columns.NUMBERS
        }
        for c in measure_columns.TEXT:
            out[c] = np.array([r[c] or "" for r in rows], dtype=object)
        return out

    @cached_property
    def axis(self) -> TimeAxis | None:
        """The recording time of its frame rows (None without frames)."""
        return time_axis(self.frames, self.seeks) if self.frames else None

    @cached_property
    def summary(self) -> Summary:
        """Its figures per face and for the whole (see `fer_desktop.stats`), computed once."""
        from fer_desktop.stats import summarise

        return summarise(self)

    def placed_markers(self) -> list[Marker]:
        """Its markers on the recording time, in time order: the sidecar's when review saved
        some, else the timeline's. Markers without a number get one, in time order."""
        if self.sidecar.markers is not None:  # placed by their frame, else their t_source
            placed = [
                (Marker(m.t_source, m.note, m.frame, m.source, m.t_wall, m.number, m.t_source),
                 None)
                for m in self.sidecar.markers
            ]  # fmt: skip
        else:  # placed by when they happened
            placed = [
                (Marker(m["t_source"], m.get("note") or "", None, m.get("source") or "",
                        m.get("t_wall"), None, m["t_source"]), m.get("t_wall"))
                for m in self.markers
                if m["t_source"] is not None
            ]  # fmt: skip
        axis = self.axis
        for m, wall in placed:
            if axis is not None:  # else its recording time is its t_source
                m.t = axis.time_of(m.t_source, wall, m.frame)
                m.frame = int(axis.frame[axis.place(m.t_source, wall, m.frame)])
        out = [m for m, _wall in placed]
        out.sort(key=lambda m: m.t)
        taken = {m.number for m in out if m.number is not None}
        free = (n for n in itertools.count(1) if n not in taken)
        for m in out:
            if m.number is None:
                m.number = next(free)
        return out

    def frame_results(self) -> list[FrameResult]:
        """Its frame rows as the pipeline gave them, each with its faces (those that follow
        it in the file, with its frame number), every label in `labels`."""
        labels, out, j = self.labels, [], 0
        for row in self.frames:
            count = row.get("faces") if isinstance(row.get("faces"), int) else None
            faces: list[TrackedFace] = []
            while j < len(self.faces) and self.faces[j]["frame"] == row["frame"]:
                if count is not None and len(faces) >= count:
                    break
                faces.append(_tracked_face(self.faces[j], labels))
                j += 1
            out.append(
                FrameResult(row["frame"], row["t_source"], row["t_wall"], 0, 0, labels, faces)
            )
        return out

    @cached_property
    def shown(self) -> Recording:
        """This recording as a report shows it (see the module)."""
        if self.on_recording_time:
            return self
        side, axis = self.sidecar, self.axis
        frames, faces, gaps = self.frames, self.faces, self.gaps
        if axis is not None:
            frames = [
                {**f, "t_source": float(t), "source_t": f["t_source"]}
                for f, t in zip(self.frames, axis.t, strict=True)
            ]
            times = axis.times_of_frames([f["frame"] for f in self.faces])
            faces = [
                {**f, "t_source": float(t), "source_t": f["t_source"]}
                for f, t in zip(self.faces, times, strict=True)
                if t == t  # a face row without its frame row (a file cut mid-frame)
            ]
            gaps = [
                {**g, "t_source": axis.time_of(g["t_source"] or 0.0, g.get("t_wall"))}
                for g in self.gaps
            ]
        markers = [
            {"t_source": m.t, "source_t": m.t_source, "note": m.note, "source": m.source}
            for m in self.placed_markers()
        ]
        return dataclasses.replace(
            self,
            header={**self.header, "labels": self.labels} if self.header else {},
            frames=frames,
            faces=[{**f, "face_id": side.canonical(int(f["face_id"]))} for f in faces],
            markers=markers,
            gaps=gaps,
            names={side.canonical(fid): name for fid, name in side.names.items() if name},
            on_recording_time=True,
        )


def _tracked_face(row: dict, labels: list[str]) -> TrackedFace:
    """A face row as the tracker gave it, its probabilities in the order of `labels` (with
    its measures and presence when the mesh was on)."""
    measures, presence = measure_columns.measures_of(row.get("mesh"))
    return TrackedFace(
        row["face_id"],
        tuple(row["box"]),
        row.get("score", 1.0),
        np.array([row["probs"].get(lab, 0.0) for lab in labels], np.float32),
        np.array([row["smooth"].get(lab, 0.0) for lab in labels], np.float32),
        row["label"],
        row["valence"],
        cal_state=row.get("cal") or "",
        measures=measures,
        presence=presence,
    )


def read_recording(path: Path, edits: bool = True) -> Recording:
    """A timeline (.csv or .jsonl, also one cut short by a crash) read back, with the edits
    review saved beside it unless `edits` is False (SidecarError when they cannot be read)."""
    path = Path(path)
    return Recording.of(read_timeline(path), path, sidecars.load(path) if edits else None)


def recording_of(writer: TimelineWriter, edits: bool = False) -> Recording:
    """The recording a timeline writer kept as it wrote it (opened with `keep=True`): equal
    to `read_recording` of its file, with the edits review saved beside that file when
    `edits` (SidecarError when they cannot be read). Its `path` is the file (None: none)."""
    if writer.kept is None:
        raise ValueError(f"{writer.path}: this timeline writer keeps no rows (keep=True)")
    path = writer.file
    side = sidecars.load(path) if edits and path is not None else None
    return Recording.of(writer.kept, path, side)
