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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fer_desktop import sidecar as sidecars
from fer_desktop.annotations import (
    NOTE_COLUMNS,
    WALL_COLUMNS,
    Annotations,
    column,
    json_rows,
    note_text,
    read_annotations,
)
from fer_desktop.errors import FerDesktopError
from fer_desktop.results import iso_time
from fer_desktop.sidecar import SidecarMarker
from fer_desktop.timeaxis import TimeAxis, time_axis, wall_seconds
from fer_desktop.timeline import read_timeline

TIME_COLUMNS = WALL_COLUMNS
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
    kind: str = ""  # what an annotation file was read as ("" for a wall-clock log)

    def lines(self) -> list[str]:
        """What to tell the user: the rows left out, then what was imported."""
        out = [f"left out {b}" for b in self.bad[:SHOWN_BAD_ROWS]]
        if len(self.bad) > SHOWN_BAD_ROWS:
            out.append(f"left out {len(self.bad) - SHOWN_BAD_ROWS} more rows")
        again = f" ({self.already} already there)" if self.already else ""
        where = f" into {self.sidecar_path}" if self.sidecar_path else ""
        read_as = f" (read as {self.kind})" if self.kind else ""
        out.append(f"imported {len(self.imported)} markers{again}{where}{read_as}")
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


def read_log_text(path: Path) -> str:
    """An event log's text, or an EventLogError naming why it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EventLogError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise EventLogError(f"{path}: not a text file (UTF-8)") from exc
    if not text.strip():
        raise EventLogError(f"{path}: empty event log")
    return text


def read_event_log(path: Path) -> tuple[list[LogEvent], list[str]]:
    """(events, bad rows named) from a CSV or JSON-lines event log in wall-clock time."""
    text = read_log_text(path)
    first = next(line for line in text.splitlines() if line.strip())
    rows = json_rows(text) if first.lstrip().startswith("{") else _csv_rows(text, path)
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
    time_key, note_key = column(names, TIME_COLUMNS), column(names, NOTE_COLUMNS)
    if time_key is None or row.get(time_key) in (None, ""):
        raise ValueError(f"no time (a column named one of {', '.join(TIME_COLUMNS)})")
    note = note_text(row.get(note_key) if note_key else "")
    return LogEvent(line, parse_time(row[time_key]), note)


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict | str]]:
    reader = csv.DictReader(io.StringIO(text))
    names = reader.fieldnames or []
    if column(names, TIME_COLUMNS) is None:
        raise EventLogError(
            f"{path}: no time column (the first row names the columns: t_source, or time in "
            f"seconds or hh:mm:ss.fff, or a wall-clock one of {', '.join(TIME_COLUMNS)}; and "
            f"a note: {', '.join(NOTE_COLUMNS)}), and not BORIS's or ELAN's export"
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
    """Import annotations in video time (`annotations`) or a game's event log in wall-clock
    time into a recording's sidecar as markers (source "import"); rows outside the
    recording are named and left out, and a state event gives two markers, its note at its
    start and "<note> (end)" at its end."""
    timeline_path = Path(timeline_path)
    annotations = read_annotations(read_log_text(log_path))
    t = read_timeline(timeline_path)
    frames = t["frames"]
    if not frames:
        raise EventLogError(f"{timeline_path}: no analysed frames")
    axis = time_axis(frames, t["seeks"])
    if annotations is None:
        placed, bad = _wall_markers(read_event_log(log_path), axis, timeline_path)
    else:
        placed, bad = _video_markers(annotations, axis)
    side = sidecars.load(timeline_path)
    markers = side.markers if side.markers is not None else _timeline_markers(t, axis)
    seen = {_key(m) for m in markers if m.source == "import"}
    result = ImportResult(bad=bad, kind=annotations.kind if annotations else "")
    for marker in placed:
        if _key(marker) in seen:
            result.already += 1
            continue
        seen.add(_key(marker))
        result.imported.append(marker)
    if result.imported:
        side.markers = sorted([*markers, *result.imported], key=lambda m: _order(axis, m))
        result.sidecar_path = sidecars.save(timeline_path, side)
    return result


def _key(m: SidecarMarker) -> tuple[float, str]:
    return round(float(m.t_source), 3), m.note


def _wall_markers(
    log: tuple[list[LogEvent], list[str]], axis: TimeAxis, timeline_path: Path
) -> tuple[list[SidecarMarker], list[str]]:
    """A wall-clock log's events placed on the frames by their t_wall."""
    events, bad = log
    walls = axis.walls
    if any(w is None for w in walls):
        raise EventLogError(f"{timeline_path}: no analysed frames with wall-clock times")
    first, last = walls[0], walls[-1] + axis.step
    placed = []
    for e in events:
        if not first <= e.wall <= last:
            bad.append(
                f"line {e.line}: {iso_time(e.wall)} is outside the recording "
                f"({iso_time(first)} – {iso_time(last)})"
            )
            continue
        k = max(_last_at_or_before(walls, e.wall + 1e-6), 0)  # times hold microseconds
        t_source = axis.t_source[k] + min(max(e.wall - walls[k], 0.0), axis.step)
        placed.append(
            SidecarMarker(float(t_source), e.note, int(axis.frame[k]), "import", iso_time(e.wall))
        )
    return placed, bad


def _video_markers(found: Annotations, axis: TimeAxis) -> tuple[list[SidecarMarker], list[str]]:
    """Annotations placed on the frames by their video (or source) time."""
    placed, bad = [], list(found.bad)
    for e in found.events:
        ends = [(e.start, e.note)] + ([(e.end, f"{e.note} (end)")] if e.end is not None else [])
        try:
            placed += [_at_video_time(axis, t, note, e.clock) for t, note in ends]
        except ValueError as exc:
            bad.append(f"line {e.line}: {exc}")
    return placed, bad


def _at_video_time(axis: TimeAxis, t: float, note: str, clock: str) -> SidecarMarker:
    """A marker at video time `t` (0 at the first frame), or at source time `t`."""
    times = axis.t_source if clock == "source" else axis.t
    first, last = float(times.min()), float(times.max()) + axis.step
    if not first - 1e-6 <= t <= last:
        what = "t_source" if clock == "source" else "video time"
        raise ValueError(f"{what} {t:g} s is outside the recording ({first:g} – {last:g} s)")
    k = axis.place(t) if clock == "source" else axis.index_at(t)
    offset = min(max(t - float(times[k]), 0.0), axis.step)
    wall = axis.walls[k]
    return SidecarMarker(
        float(axis.t_source[k]) + offset,
        note,
        int(axis.frame[k]),
        "import",
        iso_time(wall + offset) if wall is not None else None,
    )


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
