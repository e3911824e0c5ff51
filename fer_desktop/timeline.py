"""Timelines (CSV and JSONL) that survive a crash, written as a session output.

One "frame" row per analysed frame, one "face" row per face in it, plus rows for markers,
camera gaps, setting changes and calibration events (a face's calibration state changed:
collecting, calibrated with the stretch its baseline came from, no-baseline, reset). A face
row's `cal` says its calibration state: its `p_*_cal` values are there, and its label and
`p_*_smooth` follow them, only when it is "calibrated" or "saved"; otherwise they follow the
raw values. Every frame's rows are flushed to the operating system as
soon as they are written, so a killed process loses at most the frame in hand. The file opens
with a header (columns, model, settings) and, when closed properly, ends with a "summary"
row: a file without one was cut short. The k-th "frame" row is the k-th frame of the video
recorded beside it.

A marker row's `label` says who placed it (its `source`: window, websocket, lsl), when
known; its `t_wall` is when it happened (earlier than the row before it when a game said so).

CSV: the first line is `# {header as JSON}`; every other line is a CSV row, notes quoted as
CSV quotes them (commas, quotes, `#` and newlines survive). Read it losslessly with
`pandas.read_csv(path, skiprows=1, keep_default_na=False)`, with `read_timeline` (dicts),
or as a typed `fer_desktop.recording.Recording`.
JSONL: one object per line, the same fields, with "type": header, frame, face, event, summary.
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

from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.results import SCHEMA_VERSION, FrameResult, face_record, now_iso

STANDARD_LABELS = ["happy", "neutral", "sad"]  # columns kept for any shipped model
# seek: files; alert and blink: live --alert (alerts.py)
EVENT_KINDS = ("marker", "gap", "setting", "seek", "calibration", "retention", "alert", "blink")
JSON_NOTES = ("setting", "seek", "calibration", "retention", "alert", "blink")  # CSV note: fields


class TimelineError(FerDesktopError):
    """The timeline cannot be written (folder missing or read-only, disk full…)."""


def column_labels(labels: list[str]) -> list[str]:
    """Probability columns: the standard labels, then any others the model has."""
    return STANDARD_LABELS + [lab for lab in dict.fromkeys(labels) if lab not in STANDARD_LABELS]


def face_row(face: dict, labels: list[str]) -> dict[str, Any]:
    """A face row as one flat record: its box, `p_<label>`, `p_<label>_smooth` and
    `p_<label>_cal` for each of `labels`, label, valence (and `cal` where written)."""
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
        + ["cal", "label", "valence", "note"]
    )


class TimelineWriter(Output):
    """Base writer; `open_timeline` picks the format. Writes from `start` to `close`.

    Its probability columns are the model's labels and those in `room_for` (a recording
    keeps room for every shipped model's: the model can change while it records)."""

    name = "timeline"
    suffix = ""

    def __init__(self, path: Path, meta: dict | None = None, room_for: list[str] | None = None):
        self.path = Path(path)
        self.meta = meta or {}
        self.room_for = list(room_for or [])
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
            "version": SCHEMA_VERSION,
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
            note,
        ]

    def _write_header(self, header: dict) -> None:
        self._fh.write("# " + json.dumps(header) + "\n")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        header_row = columns(self.prob_labels)
        self._blanks = len(header_row) - 5  # columns between `frame` and `note`
        self._csv.writerow(header_row)

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
        self._csv.writerows(rows)

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
            row[-3] = record["source"]  # a marker row's `label`: who placed it
        self._csv.writerow(row)

    def _write_summary(self, summary: dict) -> None:
        self._csv.writerow(self._row("summary", "", summary["closed"], note=json.dumps(summary)))


class JsonlTimeline(TimelineWriter):
    suffix = ".jsonl"

    def _line(self, obj: dict) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")

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


WRITERS = {"csv": CsvTimeline, "jsonl": JsonlTimeline}


def open_timeline(
    path: Path, fmt: str, meta: dict | None = None, room_for: list[str] | None = None
) -> TimelineWriter:
    """A timeline output for `path` in `fmt` ('csv' or 'jsonl'), with probability columns
    for `room_for` too; it opens at `start`."""
    if fmt not in WRITERS:
        raise TimelineError(f"unknown timeline format {fmt!r}: use csv or jsonl")
    return WRITERS[fmt](path, meta, room_for)


def read_timeline(path: Path) -> dict:
    """Parse a timeline back: header, frames, faces, markers, gaps, settings, seeks,
    calibrations, summary.

    Tolerates a file cut short by a crash (a partial last line is ignored).
    """
    path = Path(path)
    text = path.read_bytes().decode("utf-8")  # as written: a note's "\r\n" stays "\r\n"
    return parse_timeline(text, jsonl=path.suffix == ".jsonl")


def parse_timeline(text: str, jsonl: bool) -> dict:
    """A timeline's text (JSONL when `jsonl`, else CSV) parsed as `read_timeline` gives it."""
    out: dict = {
        "header": None,
        "frames": [],
        "faces": [],
        "markers": [],
        "gaps": [],
        "settings": [],
        "seeks": [],
        "calibrations": [],
        "retentions": [],  # old parts a rotating recording deleted (live --keep-days/-gb)
        "alerts": [],  # live --alert: each alert's start and end
        "blinks": [],
        "summary": None,
    }
    if jsonl:
        for line in text.splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # the one line a crash may have cut
            _file(out, obj)
        return out
    first, _, body = text.partition("\n")
    if first.startswith("# "):
        out["header"] = json.loads(first[2:])
    if body and not body.endswith("\n"):
        body = body[: body.rfind("\n") + 1]  # cut short mid-line
    labels = _probability_columns(out["header"] or {})
    for row in csv.DictReader(io.StringIO(body)):
        _file(out, _from_csv(row, labels))
    return out


def _probability_columns(header: dict) -> list[str]:
    """The labels a CSV timeline has p_* columns for: its header's columns (wider than its
    labels when it kept room for other models), else its labels'."""
    cols = header.get("columns")
    if not cols:
        return column_labels(header.get("labels", []))
    return [c[2:] for c in cols if c.startswith("p_") and not c.endswith(("_smooth", "_cal"))]


def _number(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


def _from_csv(row: dict, labels: list[str]) -> dict:
    kind = row.get("kind")
    common = {"t_source": _number(row["t_source"]), "t_wall": row["t_wall"]}
    if kind == "frame":
        return {"type": "frame", **common, "frame": int(row["frame"]), "faces": int(row["note"])}
    if kind == "face":
        return {
            "type": "face",
            **common,
            "frame": int(row["frame"]),
            "face_id": int(row["face_id"]),
            "box": [float(row[k]) for k in "xywh"],
            "score": float(row["score"]),
            "probs": {lab: float(row[f"p_{lab}"]) for lab in labels if row[f"p_{lab}"]},
            "smooth": {
                lab: float(row[f"p_{lab}_smooth"]) for lab in labels if row[f"p_{lab}_smooth"]
            },
            "calibrated": {
                lab: float(row[f"p_{lab}_cal"]) for lab in labels if row.get(f"p_{lab}_cal")
            }
            or None,
            "cal": row.get("cal") or "",
            "label": row["label"],
            "valence": float(row["valence"]),
        }
    if kind == "summary":
        return json.loads(row["note"])
    if kind in JSON_NOTES:
        return {"type": "event", "event": kind, **common, **json.loads(row["note"] or "{}")}
    out = {"type": "event", "event": kind, **common, "note": row["note"]}
    if kind == "marker" and row.get("label"):
        out["source"] = row["label"]
    return out


def _file(out: dict, obj: dict) -> None:
    kind = obj.get("type")
    if kind in ("header", "summary"):
        out[kind] = obj
    elif kind == "frame":
        out["frames"].append(obj)
    elif kind == "face":
        obj.setdefault("cal", "")  # files before schema 3
        out["faces"].append(obj)
    elif kind == "event" and obj.get("event") in EVENT_KINDS:
        out[obj["event"] + "s"].append(obj)
