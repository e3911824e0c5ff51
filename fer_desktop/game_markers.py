"""Markers from a game: its event log imported into a recording, or its LSL marker stream
followed while `live` runs.

An event log is CSV (a header row) or JSON lines, one event per row, with a wall-clock time
and a note: columns `t_wall,note`, `time,event`, `timestamp,marker`… (TIME_COLUMNS and
NOTE_COLUMNS, first match wins). A time is ISO 8601 with a time zone
(`2026-12-01T22:15:03.120Z`) or seconds since 1970 (milliseconds above 1e12). Rows that
cannot be read, or fall outside the recording, are named; the others are imported. They go
into the recording's sidecar as markers with `"source": "import"`; the timeline itself is
never rewritten, and importing the same log again adds nothing twice.

`LslMarkerInlet` follows an LSL marker stream (string channel; the first channel of each
sample is the note) on a thread and hands each marker, with the wall time it was pushed, to
a callback (`Session.inbound_marker`).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fer_desktop import sidecar as sidecars
from fer_desktop.errors import FerDesktopError
from fer_desktop.results import iso_time
from fer_desktop.sidecar import SidecarMarker
from fer_desktop.timeaxis import time_axis, wall_seconds
from fer_desktop.timeline import read_timeline

TIME_COLUMNS = ("t_wall", "time", "timestamp", "wall_time", "datetime", "ts")
NOTE_COLUMNS = ("note", "event", "marker", "label", "message", "name")
MAX_NOTE_CHARS = 1000
SHOWN_BAD_ROWS = 10  # named one by one; the rest counted


class EventLogError(FerDesktopError):
    """An event log that cannot be read at all (no such file, no time or note column)."""


@dataclass
class LogEvent:
    line: int  # the file's line number, for messages
    wall: float  # seconds since 1970
    note: str


@dataclass
class ImportResult:
    imported: list[SidecarMarker] = field(default_factory=list)
    already: int = 0  # in the sidecar from an earlier import
    bad: list[str] = field(default_factory=list)  # "line 7: …", one per row left out
    sidecar_path: Path | None = None

    def lines(self) -> list[str]:
        """What to tell the user: the rows left out, then what was imported."""
        out = [f"left out {b}" for b in self.bad[:SHOWN_BAD_ROWS]]
        if len(self.bad) > SHOWN_BAD_ROWS:
            out.append(f"left out {len(self.bad) - SHOWN_BAD_ROWS} more rows")
        again = f" ({self.already} already there)" if self.already else ""
        where = f" into {self.sidecar_path}" if self.sidecar_path else ""
        out.append(f"imported {len(self.imported)} markers{again}{where}")
        return out


def parse_time(value) -> float:
    """A log's time as seconds since 1970: ISO 8601 with a zone, or epoch seconds / ms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float) or _is_number(value):
        number = float(value)
        if number > 1e12:  # milliseconds
            number /= 1000
        if not 1e9 < number < 1e10:
            raise ValueError(f"{value!r} is not seconds since 1970")
        return number
    text = str(value).strip()
    if not text:
        raise ValueError("no time")
    wall = wall_seconds(text)
    if wall is None:
        raise ValueError(f"{text!r} is not an ISO 8601 time (e.g. 2026-12-01T22:15:03.120Z)")
    from datetime import datetime

    if datetime.fromisoformat(text).tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: add Z (UTC) or e.g. +01:00")
    return wall


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _column(names: list[str], wanted: tuple[str, ...]) -> str | None:
    lower = {n.strip().lower(): n for n in names if n}
    return next((lower[w] for w in wanted if w in lower), None)


def read_event_log(path: Path) -> tuple[list[LogEvent], list[str]]:
    """(events, bad rows named) from a CSV or JSON-lines event log."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EventLogError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise EventLogError(f"{path}: not a text file (UTF-8)") from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise EventLogError(f"{path}: empty event log")
    rows = _json_rows(text) if first.lstrip().startswith("{") else _csv_rows(text, path)
    events, bad = [], []
    for line, row in rows:
        if isinstance(row, str):  # why the row cannot be read
            bad.append(f"line {line}: {row}")
            continue
        try:
            events.append(_event(line, row))
        except ValueError as exc:
            bad.append(f"line {line}: {exc}")
    return events, bad


def _event(line: int, row: dict) -> LogEvent:
    names = list(row)
    time_key, note_key = _column(names, TIME_COLUMNS), _column(names, NOTE_COLUMNS)
    if time_key is None or row.get(time_key) in (None, ""):
        raise ValueError(f"no time (a column named one of {', '.join(TIME_COLUMNS)})")
    note = row.get(note_key) if note_key else ""
    note = "" if note is None else note if isinstance(note, str) else json.dumps(note)
    if len(note) > MAX_NOTE_CHARS:
        raise ValueError(f"note longer than {MAX_NOTE_CHARS} characters")
    return LogEvent(line, parse_time(row[time_key]), note.strip())


def _json_rows(text: str) -> list[tuple[int, dict | str]]:
    rows: list[tuple[int, dict | str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            rows.append((n, f"not JSON ({exc.msg})"))
            continue
        rows.append((n, obj if isinstance(obj, dict) else "not a JSON object"))
    return rows


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict | str]]:
    reader = csv.DictReader(io.StringIO(text))
    names = reader.fieldnames or []
    if _column(names, TIME_COLUMNS) is None:
        raise EventLogError(
            f"{path}: no time column (the first row names the columns: one of "
            f"{', '.join(TIME_COLUMNS)}, and a note: {', '.join(NOTE_COLUMNS)})"
        )
    rows: list[tuple[int, dict | str]] = []
    for row in reader:
        line = reader.line_num
        if None in row:  # more cells than columns
            rows.append((line, f"{len(names) + len(row[None])} cells for {len(names)} columns"))
        elif any(v is None for v in row.values()):
            rows.append((line, f"fewer cells than the {len(names)} columns"))
        else:
            rows.append((line, row))
    return rows


def import_events(timeline_path: Path, log_path: Path) -> ImportResult:
    """Import a game's event log into a recording's sidecar as markers (source "import");
    rows outside the recording's wall-clock span are named and left out."""
    timeline_path = Path(timeline_path)
    events, bad = read_event_log(log_path)
    t = read_timeline(timeline_path)
    frames = t["frames"]
    walls = [wall_seconds(f.get("t_wall")) for f in frames]
    if not frames or any(w is None for w in walls):
        raise EventLogError(f"{timeline_path}: no analysed frames with wall-clock times")
    axis = time_axis(frames, t["seeks"])
    first, last = walls[0], walls[-1] + axis.step
    side = sidecars.load(timeline_path)
    markers = side.markers if side.markers is not None else _timeline_markers(t, axis)
    seen = {(m.t_wall, m.note) for m in markers if m.source == "import"}
    result = ImportResult(bad=bad)
    for e in events:
        if not first <= e.wall <= last:
            result.bad.append(
                f"line {e.line}: {iso_time(e.wall)} is outside the recording "
                f"({iso_time(first)} – {iso_time(last)})"
            )
            continue
        k = max(_last_at_or_before(walls, e.wall + 1e-6), 0)  # times hold microseconds
        t_source = frames[k]["t_source"] + min(max(e.wall - walls[k], 0.0), axis.step)
        frame = int(frames[k]["frame"])
        marker = SidecarMarker(t_source, e.note, frame, "import", iso_time(e.wall))
        if (marker.t_wall, marker.note) in seen:
            result.already += 1
            continue
        seen.add((marker.t_wall, marker.note))
        result.imported.append(marker)
    if result.imported:
        side.markers = sorted([*markers, *result.imported], key=lambda m: _order(axis, m))
        result.sidecar_path = sidecars.save(timeline_path, side)
    return result


def _last_at_or_before(walls: list[float], wall: float) -> int:
    import bisect

    return bisect.bisect_right(walls, wall) - 1


def _order(axis, m: SidecarMarker) -> float:
    return axis.time_of(m.t_source, m.t_wall, m.frame)


def _timeline_markers(t: dict, axis) -> list[SidecarMarker]:
    """The timeline's own markers as sidecar markers (a sidecar's list replaces them)."""
    out = []
    for m in t["markers"]:
        if m.get("t_source") is None:
            continue
        k = axis.place(m["t_source"], m.get("t_wall"))
        out.append(
            SidecarMarker(
                m["t_source"],
                m.get("note") or "",
                int(axis.frame[k]),
                m.get("source") or "",
                m.get("t_wall"),
            )
        )
    return out


class LslMarkerInlet:
    """Follows the LSL marker stream `name` on a thread: each sample's first channel is a
    marker's note, placed at the wall time it was pushed. Waits for the stream to appear;
    `log` says when it is found, lost or a marker is refused."""

    def __init__(
        self,
        name: str,
        on_marker: Callable[[str, str | None], None],
        log: Callable[[str], None] | None = None,
    ):
        try:
            from mne_lsl import lsl
        except ImportError as exc:
            raise EventLogError(
                "--marker-inlet needs mne-lsl (the [lsl] extra): pip install mne-lsl"
            ) from exc
        self._lsl = lsl
        self.name = name
        self.on_marker = on_marker
        self.log = log or (lambda line: None)
        self.markers = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="marker-inlet", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)

    def _run(self) -> None:
        lsl = self._lsl
        while not self._stop.is_set():
            found = lsl.resolve_streams(timeout=0.5, name=self.name)
            if not found:
                continue
            inlet = lsl.StreamInlet(found[0])
            try:
                inlet.open_stream(timeout=5.0)
                self.log(f"following the LSL marker stream {self.name}")
                self._follow(inlet)
            except Exception as exc:  # liblsl reports a lost stream as a plain RuntimeError
                self.log(f"LSL marker stream {self.name}: {exc}; looking for it again")
            finally:
                inlet.close_stream()
                del inlet

    def _follow(self, inlet) -> None:
        lsl = self._lsl
        while not self._stop.is_set():
            sample, stamp = inlet.pull_sample(timeout=0.2)
            if stamp is None or not len(sample):
                continue
            age = max(lsl.local_clock() - (stamp + inlet.time_correction(timeout=2.0)), 0.0)
            note = str(sample[0])
            try:
                self.on_marker(note, iso_time(time.time() - age))
            except FerDesktopError as exc:
                self.log(f"LSL marker {note[:40]!r} left out: {exc}")
                continue
            self.markers += 1
