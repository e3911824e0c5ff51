"""Annotations made in a video's own time, read for `report --import-events`.

Three kinds of file are read (`read_annotations` tells them apart by their first rows):

- **a table** (CSV, tab-separated or JSON lines) with a `t_source` column (the timeline's
  own source time) or a `time` column (also `onset`, `start`, `begin`, `video_time`) in
  video time: seconds (`62.5`) or `hh:mm:ss.fff` (`00:01:02.500`). An `end` (or `stop`)
  column makes a row a state event. A `time` column holding wall-clock times (ISO 8601 or
  seconds since 1970) is a game's event log instead: `None` is returned and
  `game_markers` reads it.
- **BORIS's tabular export** of events (CSV or TSV; older versions put the observation's
  own rows above the column names): `Time`, `Subject`, `Behavior` and `Behavior type`
  (`Status` before version 8): a POINT is one event; a START and the next STOP of the same
  behaviour and subject make one state event. Its aggregated export (`Start (s)`,
  `Stop (s)`) is read too.
- **ELAN's tab-delimited export**: per annotation the tier, begin and end (and duration)
  in `hh:mm:ss.ms` or `ss.msec`, and the annotation's text; with or without column names
  (with them, `msec` times are read too: without, a whole number is no time, as it could be
  seconds or milliseconds).

Video time is the recording's time: 0 at its first analysed frame, which is the file's
own time when a whole file was analysed. Rows that cannot be read are named, by line.
A leaf module.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

NOTE_COLUMNS = ("note", "event", "marker", "label", "message", "name", "annotation")
WALL_COLUMNS = ("t_wall", "time", "timestamp", "wall_time", "datetime", "ts")
SOURCE_COLUMNS = ("t_source",)
VIDEO_COLUMNS = ("time", "onset", "start", "begin", "video_time", "timestamp", "ts")
END_COLUMNS = ("end", "stop", "t_source_end", "end_time")
NO_SUBJECT = ("", "no focal subject")
MAX_NOTE_CHARS = 1000
CLOCK = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]?\d(?:\.\d+)?)$")  # [h:]mm:ss[.fff]


class AnnotationError(ValueError):
    """A file that holds no annotations it could read (not one row)."""


@dataclass
class Annotation:
    line: int  # the file's line number, for messages
    start: float  # seconds: video time, or source time when `clock` is "source"
    note: str
    end: float | None = None  # a state event's end
    clock: str = "video"  # "video" (0 at the first frame) or "source" (t_source)


@dataclass
class Annotations:
    kind: str  # what the file was read as ("BORIS's tabular export", …)
    events: list[Annotation] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # "line 7: …", one per row left out


def parse_clock(value) -> float:
    """A time in the video, in seconds: a number or `[hh:]mm:ss[.fff]`, 0 or more."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    text = str(value).strip()
    if not text:
        raise ValueError("no time")
    if match := CLOCK.match(text):
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time (seconds, or hh:mm:ss.fff)") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is not a time in the video (seconds from 0)")
    return seconds


def is_wall_clock(value) -> bool:
    """True for a time a game's log holds: ISO 8601 with a date, or seconds since 1970."""
    text = str(value).strip()
    try:
        return float(text) > 1e9
    except ValueError:
        pass
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def column(names, wanted: tuple[str, ...]) -> str | None:
    """The first of `wanted` among `names` (any case, spaces around ignored)."""
    lower = {str(n).strip().lower(): n for n in names if n}
    return next((lower[w] for w in wanted if w in lower), None)


def read_annotations(text: str) -> Annotations | None:
    """The annotations in a file's text, or None when it is a wall-clock event log."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return _table(json_rows(text), "JSON lines")
    delimiter = "\t" if "\t" in first else ","
    rows = [(n, cells) for n, cells in _csv_rows(text, delimiter) if any(c.strip() for c in cells)]
    if not rows:
        return None
    for k, (_, cells) in enumerate(rows[:40]):  # BORIS's own rows come first
        if column(cells, ("behavior",)) and column(cells, ("time", "start (s)")):
            return _boris(cells, rows[k + 1 :])
    header = rows[0][1]
    if any(c.strip().lower().startswith("begin time") for c in header):
        return _elan_named(header, rows[1:])
    if column(header, SOURCE_COLUMNS + VIDEO_COLUMNS + WALL_COLUMNS):
        names = [c.strip() for c in header]
        return _table([(n, dict(zip(names, c, strict=False))) for n, c in rows[1:]], "a table")
    if delimiter == "\t" and any(_is_clock_text(c) for c in header[1:]):
        return _elan_unnamed(rows)
    return None


def _table(rows: list[tuple[int, dict | str]], kind: str) -> Annotations | None:
    """CSV or JSON lines with a t_source or video-time column; None for wall-clock times."""
    dicts = [row for _, row in rows if isinstance(row, dict)]
    names = list(dict.fromkeys(k for row in dicts for k in row))
    source = column(names, SOURCE_COLUMNS)
    time_key = source or column(names, VIDEO_COLUMNS)
    if time_key is None:
        return None  # t_wall or another wall-clock column: game_markers reads it
    firsts = [row[time_key] for row in dicts if row.get(time_key) not in (None, "")]
    if not source and firsts and is_wall_clock(firsts[0]):
        return None
    note_key, end_key = column(names, NOTE_COLUMNS), column(names, END_COLUMNS)
    out = Annotations(f"{kind} in {'source' if source else 'video'} time ({time_key})")
    for line, row in rows:
        if isinstance(row, str):
            out.bad.append(f"line {line}: {row}")
            continue
        try:
            note = row.get(note_key) if note_key else ""
            start = parse_clock(row.get(time_key) if row.get(time_key) is not None else "")
            end = row.get(end_key) if end_key else None
            end = parse_clock(end) if end not in (None, "") else None
            out.events.append(_event(line, start, note, end, "source" if source else "video"))
        except ValueError as exc:
            out.bad.append(f"line {line}: {exc}")
    return out


def _boris(header: list[str], rows: list[tuple[int, list[str]]]) -> Annotations:
    """BORIS's tabular events (POINT, START/STOP paired) or aggregated events."""
    at = {c.strip().lower(): i for i, c in enumerate(header)}
    kind_col = at.get("behavior type", at.get("status"))
    out = Annotations("BORIS's tabular export")
    open_states: dict[tuple[str, str], tuple[int, float, str]] = {}

    def cell(cells: list[str], name: str) -> str:
        i = at.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    for line, cells in rows:
        behavior, subject = cell(cells, "behavior"), cell(cells, "subject")
        note = behavior if subject.lower() in NO_SUBJECT else f"{subject}: {behavior}"
        kind = cells[kind_col].strip().upper() if kind_col is not None else "POINT"
        try:
            if "start (s)" in at:  # aggregated: one row per event
                stop = cell(cells, "stop (s)")
                end = parse_clock(stop) if kind == "STATE" and stop else None
                out.events.append(_event(line, parse_clock(cell(cells, "start (s)")), note, end))
            elif kind == "POINT":
                out.events.append(_event(line, parse_clock(cell(cells, "time")), note))
            elif kind == "START":
                open_states[(subject, behavior)] = (line, parse_clock(cell(cells, "time")), note)
            elif kind == "STOP":
                if (subject, behavior) not in open_states:
                    raise ValueError(f"STOP of {note!r} with no START before it")
                start_line, start, _ = open_states.pop((subject, behavior))
                end = parse_clock(cell(cells, "time"))
                out.events.append(_event(start_line, start, note, end))
            else:
                raise ValueError(f"behavior type {kind!r} is not POINT, START or STOP")
        except ValueError as exc:
            out.bad.append(f"line {line}: {exc}")
    for line, _, note in open_states.values():
        out.bad.append(f"line {line}: START of {note!r} with no STOP after it")
    out.events.sort(key=lambda e: (e.start, e.line))
    return out


def _elan_named(header: list[str], rows: list[tuple[int, list[str]]]) -> Annotations:
    """ELAN's export with its column names (Begin Time - hh:mm:ss.ms, … the annotation)."""
    names = [c.strip().lower() for c in header]
    begin = next(i for i, n in enumerate(names) if n.startswith("begin time"))
    end = next((i for i, n in enumerate(names) if n.startswith("end time")), None)
    timed = [i for i, n in enumerate(names) if n.startswith(("begin time", "end time", "dur"))]
    text_col = max(i for i in range(len(names)) if i not in timed)
    out = Annotations("ELAN's tab-delimited export")
    for line, cells in rows:
        try:
            if len(cells) != len(names):
                raise ValueError(f"{len(cells)} cells for {len(names)} columns")
            note = _elan_note(cells[0] if text_col else "", cells[text_col])
            start = _elan_time(cells[begin], names[begin])
            stop = _elan_time(cells[end], names[end]) if end is not None else None
            out.events.append(_event(line, start, note, stop))
        except ValueError as exc:
            out.bad.append(f"line {line}: {exc}")
    return out


def _elan_unnamed(rows: list[tuple[int, list[str]]]) -> Annotations:
    """ELAN's export without column names: the tier, its times (begin, end, duration, each
    in one or more formats) and the annotation's text last."""
    out = Annotations("ELAN's tab-delimited export")
    for line, cells in rows:
        times = [parse_clock(c) for c in cells[1:] if _is_clock_text(c)]
        if not times:
            out.bad.append(f"line {line}: no time (hh:mm:ss.ms or ss.msec)")
            continue
        runs = [t for k, t in enumerate(times) if k == 0 or t != times[k - 1]]
        end = runs[1] if len(runs) > 1 and runs[1] >= runs[0] else None  # then a duration
        text = "" if _is_clock_text(cells[-1]) else cells[-1]
        try:
            out.events.append(_event(line, runs[0], _elan_note(cells[0], text), end))
        except ValueError as exc:
            out.bad.append(f"line {line}: {exc}")
    return out


def _elan_time(text: str, name: str) -> float:
    seconds = parse_clock(text)
    return seconds / 1000 if name.endswith("msec") and "ss.msec" not in name else seconds


def _elan_note(tier: str, text: str) -> str:
    tier, text = tier.strip(), text.strip()
    return f"{tier}: {text}" if tier and text else tier or text


def _is_clock_text(text: str) -> bool:
    """hh:mm:ss.ms or ss.msec, as ELAN writes them (a whole number could be milliseconds)."""
    text = text.strip()
    return bool(CLOCK.match(text) or re.fullmatch(r"\d+\.\d+", text))


def _event(line: int, start: float, note, end: float | None = None, clock: str = "video"):
    note = note_text(note)
    if end is not None and end < start:
        raise ValueError(f"ends ({end:g} s) before it starts ({start:g} s)")
    return Annotation(line, start, note, end, clock)


def note_text(value) -> str:
    """A row's note as text (JSON for a number or object), checked for length."""
    note = "" if value is None else value if isinstance(value, str) else json.dumps(value)
    if len(note) > MAX_NOTE_CHARS:
        raise ValueError(f"note longer than {MAX_NOTE_CHARS} characters")
    return note.strip()


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [(reader.line_num, cells) for cells in reader]


def json_rows(text: str) -> list[tuple[int, dict | str]]:
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
