"""Timelines (CSV and JSONL) that survive a crash, written as a session output.

One "frame" row per analysed frame, one "face" row per face in it, plus rows for markers,
camera gaps, setting changes and calibration events (a face's calibration state changed:
collecting, calibrated with the stretch its baseline came from, no-baseline, reset). A face
row's `cal` says its calibration state: its `p_*_cal` values are there, and its label and
`p_*_smooth` follow them, only when it is "calibrated" or "saved"; otherwise they follow the
raw values. With the face mesh on, a face row also has the eyes-and-head measures (yaw,
pitch, roll, eye_open_right/left, mouth_open, gaze_x/y, mesh_presence, mesh_reason in CSV;
`mesh` in JSONL; measure_columns.py): all empty when the mesh is off; a face too small or
turned too far has its presence and `mesh_reason`, and no measure that cannot be trusted.
Every frame's rows are flushed to the operating system as soon as they are written, so a
killed process loses at most the frame in hand. The file opens
with a header (columns, model, settings) and, when closed properly, ends with a "summary"
row: a file without one was cut short. The k-th "frame" row is the k-th frame of the video
recorded beside it.

A marker row's `label` says who placed it (its `source`: window, websocket, lsl), when
known; its `t_wall` is when it happened (earlier than the row before it when a game said so).

CSV: the first line is `# {header as JSON}`; every other line is a CSV row, notes quoted as
CSV quotes them (commas, quotes, `#` and newlines survive). Read it losslessly with
`pandas.read_csv(path, skiprows=1, keep_default_na=False)`, with `read_timeline` (dicts,
see `fer_desktop.timeline_rows`), or as a typed `fer_desktop.recording.Recording`.
JSONL: one object per line, the same fields, with "type": header, frame, face, event, summary.

A writer opened with `keep=True` also keeps its rows in memory as they will read back
(`kept`): the same `Recording` without reading the file (`recording.recording_of`).
`MemoryTimeline` keeps them only, with no file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import time
from pathlib import Path
from typing import IO, Any

import numpy as np

from fer_desktop import measure_columns
from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.results import FrameResult, face_record, now_iso
from fer_desktop.timeline_rows import (
    EVENT_KINDS,
    JSON_NOTES,
    STANDARD_LABELS,
    column_labels,
    csv_cells,
    empty_rows,
    file_row,
    parse_timeline,
    plain,
    probability_columns,
    read_timeline,
    row_from_csv,
)

__all__ = [  # the reading side too (timeline_rows.py), for those who read timelines
    "EVENT_KINDS", "JSON_NOTES", "STANDARD_LABELS", "CsvTimeline", "JsonlTimeline",
    "MemoryTimeline", "TimelineError", "TimelineWriter", "column_labels", "columns", "face_row",
    "is_timeline", "open_timeline", "parse_timeline", "read_timeline",
]  # fmt: skip


# The header's "version": 3 the calibration state (`cal`); 4 JSONL face rows gained `mesh`;
# 5 the CSV's measure columns (measure_columns.COLUMNS). Older files are still read.
VERSION = 5


class TimelineError(FerDesktopError):
    """The timeline cannot be written (folder missing or read-only, disk full…)."""


def face_row(face: dict, labels: list[str]) -> dict[str, Any]:
    """A face row as one flat record: its box, `p_<label>`, `p_<label>_smooth` and
    `p_<label>_cal` for each of `labels`, label, valence (and `cal` where written), and the
    eyes-and-head measures (measure_columns.COLUMNS; None without the mesh)."""
    box = face["box"]
    row = {
        "t_source": face["t_source"],
        "t_wall": face["t_wall"],
        "frame": face["frame"],
        "face_id": face["face_id"],
        "x": box[0],
        "y": box[1],
        "w": box[2],
        "h": box[3],
        "score": face["score"],
    }
    for key, suffix in (("probs", ""), ("smooth", "_smooth"), ("calibrated", "_cal")):
        values = face.get(key) or {}
        for lab in labels:
            row[f"p_{lab}{suffix}"] = values.get(lab)
    row["label"] = face["label"]
    row["valence"] = face["valence"]
    for extra in ("cal",):  # the calibration state, in timelines that have it
        if extra in face:
            row[extra] = face[extra]
    row.update(measure_columns.flat(face.get("mesh")))
    return row


def is_timeline(path: Path) -> bool:
    """True for a fer_desktop timeline (its header line says so)."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline(65536)
    except (OSError, UnicodeDecodeError):
        return False
    return '"fer_desktop timeline"' in first


def columns(labels: list[str]) -> list[str]:
    cols = column_labels(labels)
    return (
        ["kind", "t_source", "t_wall", "frame", "face_id", "x", "y", "w", "h", "score"]
        + [f"p_{lab}" for lab in cols]
        + [f"p_{lab}_smooth" for lab in cols]
        + [f"p_{lab}_cal" for lab in cols]
        + ["cal", "label", "valence", *measure_columns.COLUMNS, "note"]
    )


class TimelineWriter(Output):
    """Base writer; `open_timeline` picks the format. Writes from `start` to `close`.

    Its probability columns are the model's labels and those in `room_for` (a recording
    keeps room for every shipped model's: the model can change while it records). With
    `keep`, `kept` holds its rows as they will read back (see the module)."""

    name = "timeline"
    suffix = ""

    def __init__(
        self,
        path: Path,
        meta: dict | None = None,
        room_for: list[str] | None = None,
        keep: bool = False,
    ):
        self.path = Path(path)
        self.meta = meta or {}
        self.room_for = list(room_for or [])
        self.kept: dict | None = empty_rows() if keep else None
        self.rows = self.markers = self.frames = 0
        self.first_t = self.last_t = 0.0
        self.covered_s = 0.0  # source time from frame to frame (a seek back adds nothing)
        self._opened = 0.0  # time.monotonic() when `start` opened the file
        self.closed = False
        self._fh: IO[str] | None = None

    def start(self, info: SessionInfo) -> None:
        self.labels = list(info.labels)
        self.prob_labels = column_labels(self.labels + self.room_for)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self._open()
        except OSError as exc:
            raise TimelineError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        header = {
            "type": "header",
            "format": "fer_desktop timeline",
            "version": VERSION,
            "created": now_iso(),
            "columns": columns(self.prob_labels),
            "labels": self.labels,
            "source": info.source,
            "settings": info.settings,
            **self.meta,
        }
        self._opened = time.monotonic()
        self._guard(self._write_header, header)

    def _open(self) -> IO[str]:
        """The stream the rows go to: the file at `path`."""
        return open(self.path, "w", encoding="utf-8", newline="")

    def _sync(self) -> None:
        """Make the rows written so far survive a power cut."""
        os.fsync(self._fh.fileno())

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
            self._fh.flush()
        except OSError as exc:
            raise TimelineError(f"writing {self.path} failed: {exc.strerror or exc}") from exc

    def frame(self, result: FrameResult, bgr: np.ndarray | None = None) -> None:
        """One analysed frame: its frame row and one row per face."""
        t = result.t_source
        if self.frames == 0:
            self.first_t = t
        elif t > self.last_t:
            self.covered_s += t - self.last_t
        self.frames += 1
        self.last_t = t
        self.rows += len(result.faces)
        self._guard(self._write_frame, result)

    def event(self, record: dict) -> None:
        kind = record.get("event")
        if kind not in EVENT_KINDS:
            return
        self.markers += kind == "marker"
        self._guard(self._write_event, record)

    def relabel(self, labels: list[str]) -> bool:
        if not set(labels) <= set(self.prob_labels):
            return False
        self.labels = list(labels)
        return True

    def close(self, summary: dict | None = None) -> None:
        if self.closed or self._fh is None:
            return
        self.closed = True
        record = {
            "type": "summary",
            "closed": now_iso(),
            "frames": self.frames,
            "face_rows": self.rows,
            "markers": self.markers,
            **(summary or {}),
            # this file's own figures (a recording may begin long after its session):
            # source time covered frame to frame, its first and last frame, open for how long
            "duration_s": round(self.covered_s, 3),
            "t_source_first": round(self.first_t, 3),
            "t_source_last": round(self.last_t, 3),
            "elapsed_s": round(time.monotonic() - self._opened, 3),
        }
        try:
            self._write_summary(record)
            self._fh.flush()
            self._sync()
        except OSError as exc:
            raise TimelineError(f"closing {self.path} failed: {exc.strerror or exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                self._fh.close()

    @property
    def state(self) -> str:
        return f"REC {self.path.name}"

    @property
    def file(self) -> Path | None:
        """The file its rows go to (None: kept in memory only)."""
        return self.path

    def _keep(self, row: dict) -> None:
        """Keep one row as it reads back (a JSONL object), when keeping."""
        if self.kept is not None:
            file_row(self.kept, row)

    def _probs(self, values: dict[str, float]) -> list[str]:
        return [f"{values[lab]:.4f}" if lab in values else "" for lab in self.prob_labels]

    # format-specific parts
    def _write_header(self, header: dict) -> None:
        raise NotImplementedError

    def _write_frame(self, result: FrameResult) -> None:
        raise NotImplementedError

    def _write_event(self, record: dict) -> None:
        raise NotImplementedError

    def _write_summary(self, summary: dict) -> None:
        raise NotImplementedError


class CsvTimeline(TimelineWriter):
    suffix = ".csv"

    def _row(self, kind: str, t_source, t_wall: str, frame="", face=None, note="") -> list:
        blanks = [""] * self._blanks
        if face is None:
            return [kind, t_source, t_wall, frame, *blanks, note]
        return [
            kind,
            t_source,
            t_wall,
            frame,
            face["face_id"],
            *(f"{v:.1f}" for v in face["box"]),
            f"{face['score']:.3f}",
            *self._probs(face["probs"]),
            *self._probs(face["smooth"]),
            *self._probs(face["calibrated"] or {}),
            face["cal"],
            face["label"],
            f"{face['valence']:.4f}",
            *measure_columns.cells(face.get("mesh")),
            note,
        ]

    def _write_header(self, header: dict) -> None:
        self._fh.write("# " + json.dumps(header) + "\n")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._columns = columns(self.prob_labels)
        self._blanks = len(self._columns) - 5  # columns between `frame` and `note`
        self._label_at = self._columns.index("label")
        self._csv.writerow(self._columns)
        self._keep(plain(header))
        self._read_labels = probability_columns(header)

    def _write_rows(self, rows: list[list]) -> None:
        """Write rows (and keep each as it reads back)."""
        self._csv.writerows(rows)
        if self.kept is not None:
            for row in rows:
                cells = dict(zip(self._columns, csv_cells(row), strict=True))
                self._keep(row_from_csv(cells, self._read_labels))

    def _write_frame(self, result: FrameResult) -> None:
        t, rows = f"{result.t_source:.4f}", []
        rows.append(self._row("frame", t, result.t_wall, result.index, note=len(result.faces)))
        for f in result.faces:
            rows.append(
                self._row(
                    "face",
                    t,
                    result.t_wall,
                    result.index,
                    face_record(f, self.labels, keypoints=False),
                )
            )
        self._write_rows(rows)

    def _write_event(self, record: dict) -> None:
        t = "" if record.get("t_source") is None else f"{record['t_source']:.4f}"
        note = record.get("note", "")
        if record["event"] != "marker":
            extra = {
                k: v for k, v in record.items() if k not in ("type", "event", "t_source", "t_wall")
            }
            note = json.dumps(extra) if record["event"] in JSON_NOTES else note
        row = self._row(record["event"], t, record["t_wall"], note=note)
        if record["event"] == "marker" and record.get("source"):
            row[self._label_at] = record["source"]  # a marker row's `label`: who placed it
        self._write_rows([row])

    def _write_summary(self, summary: dict) -> None:
        self._write_rows([self._row("summary", "", summary["closed"], note=json.dumps(summary))])


class JsonlTimeline(TimelineWriter):
    suffix = ".jsonl"

    def _line(self, obj: dict) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._keep(plain(obj))

    def _write_header(self, header: dict) -> None:
        self._line(header)

    def _write_frame(self, result: FrameResult) -> None:
        common = {"t_source": round(result.t_source, 4), "t_wall": result.t_wall}
        self._line({"type": "frame", **common, "frame": result.index, "faces": len(result.faces)})
        for f in result.faces:
            self._line(
                {
                    "type": "face",
                    **common,
                    "frame": result.index,
                    **face_record(f, self.labels, keypoints=False),
                }
            )

    def _write_event(self, record: dict) -> None:
        self._line(record)

    def _write_summary(self, summary: dict) -> None:
        self._line(summary)


class _Nowhere(io.StringIO):
    """A stream that forgets what it is given."""

    def write(self, text: str) -> int:
        return len(text)


class MemoryTimeline(JsonlTimeline):
    """A JSONL timeline with no file: its rows are only kept (`kept`), as they would read
    back (the API's `analyze_file` without a timeline)."""

    def __init__(self, meta: dict | None = None, room_for: list[str] | None = None):
        super().__init__(Path("memory.jsonl"), meta, room_for, keep=True)

    @property
    def file(self) -> Path | None:
        return None

    def _open(self) -> IO[str]:
        return _Nowhere()

    def _sync(self) -> None:
        """Nothing to make survive."""


WRITERS = {"csv": CsvTimeline, "jsonl": JsonlTimeline}


def open_timeline(
    path: Path,
    fmt: str,
    meta: dict | None = None,
    room_for: list[str] | None = None,
    keep: bool = False,
) -> TimelineWriter:
    """A timeline output for `path` in `fmt` ('csv' or 'jsonl'), with probability columns
    for `room_for` too; it opens at `start`. With `keep`, it keeps its rows in memory too
    (`kept`: a recording that is read once finished, not for hours of live recording)."""
    if fmt not in WRITERS:
        raise TimelineError(f"unknown timeline format {fmt!r}: use csv or jsonl")
    return WRITERS[fmt](path, meta, room_for, keep)
