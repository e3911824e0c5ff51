"""Timeline writers (CSV and JSONL) that survive a crash.

One row per face per analysed frame, plus rows for markers and camera gaps. Every frame's
rows are flushed to the operating system as soon as they are written, so a killed process
loses at most the frame in hand. The file opens with a header (columns, model, settings) and,
when closed properly, ends with a summary line: a file without it was cut short.

CSV layout: `#` lines carry the header and the summary as JSON (read with `comment="#"`).
JSONL layout: one object per line with a "type": header, face, marker, gap or summary.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path
from typing import IO

from fer_desktop.pipeline import FrameResult, now_iso

FORMAT_VERSION = 1


class TimelineError(RuntimeError):
    """The timeline cannot be written (folder missing or read-only, disk full…)."""


def columns(labels: list[str]) -> list[str]:
    return (
        ["kind", "t_source", "t_wall", "frame", "face_id", "x", "y", "w", "h"]
        + [f"p_{lab}" for lab in labels]
        + [f"p_{lab}_smooth" for lab in labels]
        + ["label", "valence", "note"]
    )


class TimelineWriter:
    """Base writer. Use `open_timeline` to get one for a path."""

    suffix = ""

    def __init__(self, path: Path, labels: list[str], meta: dict):
        self.path = Path(path)
        self.labels = list(labels)
        self.meta = meta
        self.rows = 0
        self.markers = 0
        self.frames = 0
        self.last_t = 0.0
        self.closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh: IO[str] = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise TimelineError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._guard(self._write_header)

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
            self._fh.flush()
        except OSError as exc:
            raise TimelineError(f"writing {self.path} failed: {exc.strerror or exc}") from exc

    def header(self) -> dict:
        return {
            "type": "header",
            "format": "fer_desktop timeline",
            "version": FORMAT_VERSION,
            "created": now_iso(),
            "columns": columns(self.labels),
            "labels": self.labels,
            **self.meta,
        }

    def write(self, result: FrameResult) -> None:
        """All faces of one analysed frame (a frame without faces writes nothing)."""
        self.frames += 1
        self.last_t = result.t_source
        if result.faces:
            self._guard(self._write_faces, result)
            self.rows += len(result.faces)

    def marker(self, t_source: float, note: str = "") -> None:
        self.markers += 1
        self._guard(self._write_event, "marker", t_source, note)

    def gap(self, t_source: float, note: str) -> None:
        self._guard(self._write_event, "gap", t_source, note)

    def close(self, extra: dict | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        summary = {
            "type": "summary",
            "closed": now_iso(),
            "frames": self.frames,
            "face_rows": self.rows,
            "markers": self.markers,
            "duration_s": round(self.last_t, 3),
            **(extra or {}),
        }
        try:
            self._write_summary(summary)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise TimelineError(f"closing {self.path} failed: {exc.strerror or exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                self._fh.close()

    def __enter__(self) -> TimelineWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # format-specific parts
    def _write_header(self) -> None:
        raise NotImplementedError

    def _write_faces(self, result: FrameResult) -> None:
        raise NotImplementedError

    def _write_event(self, kind: str, t_source: float, note: str) -> None:
        raise NotImplementedError

    def _write_summary(self, summary: dict) -> None:
        raise NotImplementedError


class CsvTimeline(TimelineWriter):
    suffix = ".csv"

    def _write_header(self) -> None:
        self._fh.write("# " + json.dumps(self.header()) + "\n")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._csv.writerow(columns(self.labels))

    def _write_faces(self, result: FrameResult) -> None:
        for f in result.faces:
            self._csv.writerow(
                [
                    "face",
                    f"{result.t_source:.4f}",
                    result.t_wall,
                    result.index,
                    f.id,
                    *(f"{v:.1f}" for v in f.box),
                    *(f"{p:.4f}" for p in f.probs),
                    *(f"{p:.4f}" for p in f.smooth),
                    f.label,
                    f"{f.valence:.4f}",
                    "",
                ]
            )

    def _write_event(self, kind: str, t_source: float, note: str) -> None:
        blanks = [""] * (len(columns(self.labels)) - 5)
        self._csv.writerow([kind, f"{t_source:.4f}", now_iso(), "", "", *blanks[:-1], note])

    def _write_summary(self, summary: dict) -> None:
        self._fh.write("# " + json.dumps(summary) + "\n")


class JsonlTimeline(TimelineWriter):
    suffix = ".jsonl"

    def _line(self, obj: dict) -> None:
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def _write_header(self) -> None:
        self._line(self.header())

    def _write_faces(self, result: FrameResult) -> None:
        for f in result.faces:
            self._line(
                {
                    "type": "face",
                    "t_source": round(result.t_source, 4),
                    "t_wall": result.t_wall,
                    "frame": result.index,
                    "face_id": f.id,
                    "box": [round(v, 1) for v in f.box],
                    "probs": dict(
                        zip(self.labels, (round(float(p), 4) for p in f.probs), strict=True)
                    ),
                    "smooth": dict(
                        zip(self.labels, (round(float(p), 4) for p in f.smooth), strict=True)
                    ),
                    "label": f.label,
                    "valence": round(f.valence, 4),
                }
            )

    def _write_event(self, kind: str, t_source: float, note: str) -> None:
        self._line(
            {"type": kind, "t_source": round(t_source, 4), "t_wall": now_iso(), "note": note}
        )

    def _write_summary(self, summary: dict) -> None:
        self._line(summary)


WRITERS = {"csv": CsvTimeline, "jsonl": JsonlTimeline}


def open_timeline(path: Path, fmt: str, labels: list[str], meta: dict) -> TimelineWriter:
    if fmt not in WRITERS:
        raise TimelineError(f"unknown timeline format {fmt!r}: use csv or jsonl")
    return WRITERS[fmt](path, labels, meta)


def read_timeline(path: Path) -> dict:
    """Parse a timeline back: {'header', 'faces': [...], 'markers', 'gaps', 'summary'}.

    Tolerates a file cut short by a crash (a partial last line is ignored).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    out: dict = {"header": None, "faces": [], "markers": [], "gaps": [], "summary": None}
    if path.suffix == ".jsonl":
        for line in text.splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # the one line a crash may have cut
            _file_event(out, obj)
        return out
    lines = text.splitlines(keepends=True)
    meta = [json.loads(ln[2:]) for ln in lines if ln.startswith("# ")]
    out["header"] = next((m for m in meta if m.get("type") == "header"), None)
    out["summary"] = next((m for m in meta if m.get("type") == "summary"), None)
    body = [ln for ln in lines if not ln.startswith("#")]
    if body and not body[-1].endswith("\n"):
        body = body[:-1]  # cut short mid-line
    labels = out["header"]["labels"] if out["header"] else []
    for row in csv.DictReader(io.StringIO("".join(body))):
        kind = row.get("kind")
        if kind == "face":
            out["faces"].append(
                {
                    "t_source": float(row["t_source"]),
                    "t_wall": row["t_wall"],
                    "frame": int(row["frame"]),
                    "face_id": int(row["face_id"]),
                    "box": [float(row[k]) for k in "xywh"],
                    "probs": {lab: float(row[f"p_{lab}"]) for lab in labels},
                    "smooth": {lab: float(row[f"p_{lab}_smooth"]) for lab in labels},
                    "label": row["label"],
                    "valence": float(row["valence"]),
                }
            )
        elif kind in ("marker", "gap"):
            _file_event(
                out,
                {
                    "type": kind,
                    "t_source": float(row["t_source"]),
                    "t_wall": row["t_wall"],
                    "note": row["note"],
                },
            )
    return out


def _file_event(out: dict, obj: dict) -> None:
    kind = obj.get("type")
    if kind in ("header", "summary"):
        out[kind] = obj
    elif kind == "face":
        out["faces"].append(obj)
    elif kind in ("marker", "gap"):
        out[kind + "s"].append(obj)
