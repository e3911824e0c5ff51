"""Many recordings read as one study: one tidy table of every face-frame, the events, and
the expression locked to each event across participants.

A study is a folder of timelines (recordings and analysed videos, each with the edits review
saved beside it). Who each one belongs to comes from `participants.csv` in the folder
(columns `file`, `participant`, `session`; `file` relative to the folder) or, without it,
from the folder layout `P01/day1/clip.csv` (a file directly in a participant's folder: its
name is the session). Each timeline is read through `fer_desktop.recording.read_recording`,
as its report shows it (`Recording.shown`): `t_rel` is its recording time (0 at its first
frame), `t_source` the file's own time.

Event-locked analysis (`event_locked`): around each event (a marker's note, else "marker N")
each recording's face rows are put in bins of `STEP_S` from -window to +window s and
corrected by the mean of its rows from -baseline to 0 s; a participant's value at a point is
the mean over their events, and each point gives the mean and 95% CI (Student's t) across
participants, with how many participants and events it stands on, and how many participants
with that event it leaves out (too little data: no reading at that point, or no baseline).
Markers outside their recording's span are listed as kind "outside" and placed nowhere.
Segments across participants: `fer_desktop.study_segments`.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fer_desktop import measure_columns
from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.recording import Recording, read_recording
from fer_desktop.sidecar import SidecarError
from fer_desktop.stats import coverage, frame_step, segments, truncation
from fer_desktop.timeline import column_labels, face_row, is_timeline

if TYPE_CHECKING:
    import pandas

PARTICIPANTS_CSV = "participants.csv"
TIMELINE_SUFFIXES = (".csv", ".jsonl")
# Settings that may differ between a study's recordings: they change no reading.
FREE_SETTINGS = ("app_version",)
# Event-locked bins: the model reads 25-30 frames a second, so a half-second bin holds about
# 12 readings per event; a point needs MIN_PARTICIPANTS for a mean across people and a CI.
STEP_S = 0.5
MIN_PARTICIPANTS = 2
ID_COLUMNS = ["participant", "session", "source"]
END_SUFFIX = " (end)"  # an imported annotation's end (game_markers)


class StudyError(FerDesktopError):
    """The folder cannot be read as one study."""


@dataclass
class StudySession:
    """One timeline of the study: whose it is, and what became of reading it."""

    path: Path
    participant: str
    session: str
    source: str  # its path relative to the study folder
    rec: Recording | None = None  # None: it could not be read (see `problem`)
    problem: str = ""  # why it was not read, or what is wrong with it (a sidecar, say)
    group: str = ""  # its settings' group (--group-by settings)


@dataclass
class Study:
    """A study read as tables (see the module)."""

    folder: Path
    rule: str  # how participants and sessions were assigned
    sessions: list[StudySession]
    faces: pandas.DataFrame
    events: pandas.DataFrame
    labels: list[str] = field(default_factory=list)

    @property
    def participants(self) -> list[str]:
        """Every participant, read or not, in name order."""
        return sorted({s.participant for s in self.sessions})

    @property
    def problems(self) -> list[str]:
        return [f"{s.source}: {s.problem}" for s in self.sessions if s.problem]


def _pandas():
    try:
        import pandas
    except ImportError:
        raise FerDesktopError("studies need pandas: pip install 'fer-desktop[study]'") from None
    return pandas


def find_timelines(folder: Path) -> list[Path]:
    """Every fer_desktop timeline under `folder`, in path order."""
    return sorted(p for p in folder.rglob("*") if p.suffix in TIMELINE_SUFFIXES and is_timeline(p))


def assign(folder: Path, paths: list[Path]) -> tuple[list[StudySession], str]:
    """Each timeline's participant and session, and the rule that gave them."""
    table = folder / PARTICIPANTS_CSV
    if table.exists():
        return _from_table(folder, table, paths)
    out = []
    for p in paths:
        rel = p.relative_to(folder)
        parts = rel.parts[:-1]
        if not parts:
            raise StudyError(
                f"{rel}: not in a participant's folder (lay the study out as "
                f"P01/day1/{rel.name}, or list its files in {PARTICIPANTS_CSV})"
            )
        session = parts[1] if len(parts) > 1 else p.stem
        out.append(StudySession(p, parts[0], session, rel.as_posix()))
    rule = "folder layout: PARTICIPANT/SESSION/file (a file in a participant's folder: its name)"
    return out, rule


def _from_table(folder: Path, table: Path, paths: list[Path]) -> tuple[list[StudySession], str]:
    """Participants and sessions as `participants.csv` gives them (file, participant, session)."""
    with open(table, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = {"file", "participant"} - set(rows[0] if rows else {})
    if missing:
        raise StudyError(f"{table}: needs the columns file, participant (and session)")
    given = {Path(r["file"]).as_posix(): r for r in rows}
    out, unlisted = [], []
    for p in paths:
        rel = p.relative_to(folder).as_posix()
        row = given.get(rel)
        if row is None:
            unlisted.append(rel)
            continue
        out.append(StudySession(p, row["participant"], row.get("session") or p.stem, rel))
    if unlisted:
        raise StudyError(
            f"{table} does not list {len(unlisted)} timeline(s): {', '.join(unlisted)}"
        )
    return out, f"{PARTICIPANTS_CSV}: file, participant, session"


def _read(s: StudySession) -> None:
    """Read one timeline into `s`: an unreadable sidecar is named and the timeline read without
    it; an unreadable timeline is named and left out."""
    try:
        s.rec = read_recording(s.path)
    except SidecarError as exc:
        s.problem = f"review's edits not read ({exc}); read without them"
        s.rec = read_recording(s.path, edits=False)
    except (OSError, ValueError, KeyError) as exc:
        s.problem = f"failed: not readable ({exc})"
        return
    cut = truncation(s.rec.shown)
    closed = "" if s.rec.closing is not None else "cut short (no summary row)"
    unset = "" if settings_key(s.rec) else "its header gives no settings (not compared)"
    s.problem = "; ".join(x for x in (s.problem, cut, closed, unset) if x)


def settings_key(rec: Recording) -> dict:
    """The settings that must agree across a study (all but FREE_SETTINGS)."""
    settings = rec.header.get("settings") or {}
    return {k: v for k, v in settings.items() if k not in FREE_SETTINGS}


def check_settings(sessions: list[StudySession], group_by: str | None) -> None:
    """Refuse recordings made with differing settings, naming the first that differs, or
    (group_by "settings") put each in the group of its settings."""
    read = [s for s in sessions if s.rec is not None and settings_key(s.rec)]
    if not read:
        return
    if group_by == "settings":
        groups: dict[str, str] = {}
        for s in read:
            key = json.dumps(settings_key(s.rec), sort_keys=True)
            s.group = groups.setdefault(key, f"settings {len(groups) + 1}")
        return
    first = settings_key(read[0].rec)
    for s in read[1:]:
        other = settings_key(s.rec)
        differing = sorted(k for k in first.keys() | other.keys() if first.get(k) != other.get(k))
        if differing:
            name = differing[0]
            raise StudyError(
                f"the recordings differ in setting {name!r}: {first.get(name)!r} in "
                f"{read[0].source}, {other.get(name)!r} in {s.source} "
                "(read them per group with --group-by settings)"
            )


def load_study(folder: str | Path, group_by: str | None = None) -> Study:
    """A folder read as a study (see the module); StudyError when it cannot be."""
    folder = Path(folder)
    if group_by not in (None, "settings"):
        raise UsageError(f"group_by must be 'settings' or None (got {group_by!r})")
    if not folder.is_dir():
        raise StudyError(f"{folder}: no such folder")
    paths = find_timelines(folder)
    if not paths:
        raise StudyError(f"{folder}: no fer_desktop timeline (.csv or .jsonl) in it")
    sessions, rule = assign(folder, paths)
    for s in sessions:
        _read(s)
    check_settings(sessions, group_by)
    read = [s for s in sessions if s.rec is not None]
    labels = column_labels([lab for s in read for lab in s.rec.labels])
    faces = _faces_table(read, labels, group_by is not None)
    events = _events_table(read, group_by is not None)
    faces.attrs = {"rule": rule, "labels": labels}
    return Study(folder, rule, sessions, faces, events, labels)


def read_study(path: str | Path, group_by: str | None = None) -> pandas.DataFrame:
    """Every face-frame of a study folder as one table: participant, session, source, face,
    name, t_source, t_rel, every probability, label and valence (see the module). `attrs`:
    "rule" (how participants and sessions were assigned) and "labels"."""
    return load_study(path, group_by).faces


def id_columns(grouped: bool) -> list[str]:
    """The columns that say whose a row is (and its settings' group, when grouped)."""
    return [*ID_COLUMNS, "group"] if grouped else list(ID_COLUMNS)


def _ids(s: StudySession, grouped: bool) -> dict:
    ids = {"participant": s.participant, "session": s.session, "source": s.source}
    return {**ids, "group": s.group} if grouped else ids


def _faces_table(sessions: list[StudySession], labels: list[str], grouped: bool):
    pd = _pandas()
    frames = []
    for s in sessions:
        shown = s.rec.shown
        rows = []
        for f in shown.faces:
            row = face_row(f, labels)
            row["t_rel"], row["t_source"] = row["t_source"], f["source_t"]
            row["face"] = row.pop("face_id")
            row["name"] = shown.names.get(int(row["face"]), "")
            rows.append(row)
        if rows:
            df = pd.DataFrame(rows)
            for k, v in _ids(s, grouped).items():
                df[k] = v
            frames.append(df)
    order = [*id_columns(grouped), "face", "name", "t_source", "t_rel"]
    if not frames:
        return pd.DataFrame(columns=order)
    df = pd.concat(frames, ignore_index=True)
    df = df[order + [c for c in df.columns if c not in order]]
    text = {c: "string" for c in [*order[: order.index("face")], "name", "label", "cal"] if c in df}
    df = df.astype({"face": "Int64", "frame": "Int64", **text})
    numbers = [c for c in df.columns if c.startswith("p_") or c in ("t_source", "t_rel")]
    numbers += [c for c in measure_columns.NUMBERS if c in df]  # NaN where empty
    df[numbers] = df[numbers].astype("float64")
    df = df.astype({c: "string" for c in measure_columns.TEXT if c in df})
    df["t_wall"] = pd.to_datetime(df["t_wall"], utc=True, format="ISO8601")
    return df


def _events_table(sessions: list[StudySession], grouped: bool):
    """Markers, annotated states (an imported "X" to its "X (end)"), segments between the
    markers and gaps, one row each, on each recording's time; a marker outside its
    recording's span is kind "outside" (listed, never placed)."""
    pd = _pandas()
    rows = []
    for s in sessions:
        ids = _ids(s, grouped)
        shown = s.rec.shown
        inside = []
        first, last = source_span(s.rec)
        for m in s.rec.placed_markers():
            name = " ".join(m.note.split()) or f"marker {m.number}"
            t_source = m.t_source if m.t_source is not None else m.t
            kind = "marker" if first <= t_source <= last else "outside"
            rows.append({**ids, "kind": kind, "name": name, "t_rel": m.t, "end_rel": m.t,
                         "t_source": m.t_source, "placed_by": m.source})  # fmt: skip
            if kind == "marker":
                inside.append((m.t, name))
        end = coverage(shown)[0]
        for name, a, b in segments(inside, end)[1:]:
            rows.append({**ids, "kind": "segment", "name": name, "t_rel": a, "end_rel": b,
                         "t_source": None, "placed_by": ""})  # fmt: skip
        for name, a, b in states(inside):
            rows.append({**ids, "kind": "state", "name": name, "t_rel": a, "end_rel": b,
                         "t_source": None, "placed_by": ""})  # fmt: skip
        for g in shown.gaps:
            rows.append({**ids, "kind": "gap", "name": g.get("note") or "gap",
                         "t_rel": g["t_source"], "end_rel": g["t_source"], "t_source": None,
                         "placed_by": ""})  # fmt: skip
    columns = [*id_columns(grouped), "kind", "name", "t_rel", "end_rel", "t_source", "placed_by"]
    df = pd.DataFrame(rows, columns=columns)
    return df.astype(dict.fromkeys([*id_columns(grouped), "kind", "name", "placed_by"], "string"))


def source_span(rec: Recording) -> tuple[float, float]:
    """The file time a recording's frames cover, one frame step wider at each end."""
    times = [f["source_t"] for f in rec.shown.frames or rec.shown.faces if "source_t" in f]
    if not times:
        return 0.0, 0.0
    step = frame_step(rec)
    return min(times) - step, max(times) + step


def states(markers: list[tuple[float, str]]) -> list[tuple[str, float, float]]:
    """(name, start, end) for each annotated state: a marker "X" and the next "X (end)"
    after it (how `report --import-events` places an annotation with an end)."""
    out, open_at = [], {}
    for t, name in sorted(markers):
        if name.endswith(END_SUFFIX) and name[: -len(END_SUFFIX)] in open_at:
            start_name = name[: -len(END_SUFFIX)]
            out.append((start_name, open_at.pop(start_name), t))
        elif not name.endswith(END_SUFFIX):
            open_at.setdefault(name, t)
    return out


def measures(labels: list[str], extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The columns the event-locked analysis averages: each class probability, valence,
    then `extra` (measure columns asked for: `fer_desktop.study_measures.chosen_columns`)."""
    return [f"p_{lab}" for lab in labels] + ["valence"] + [c for c in extra if c != "valence"]


def event_locked(
    study: Study,
    window: float = 5.0,
    baseline: float = 2.0,
    step: float = STEP_S,
    min_participants: int = MIN_PARTICIPANTS,
    extra: list[str] | tuple[str, ...] = (),
):
    """Per event name (and group), per point from -window to +window s and per measure
    (the class probabilities, valence and the `extra` columns): the baseline-corrected mean
    across participants, its 95% CI, and how many participants and events it stands on (see
    the module). Points on fewer than `min_participants` are dropped; `left_out` counts, per
    point, the participants with that event who are not in it: no reading at that point, or
    none in any of their events' baseline windows. An empty cell (a face the mesh could not
    measure) counts nowhere: not in the baseline, not at its point."""
    pd = _pandas()
    if not (window > 0 and 0 < baseline <= window and step > 0):
        raise UsageError(
            f"need window > 0 and 0 < baseline <= window (got window {window}, baseline {baseline})"
        )
    faces, cols = study.faces, measures(study.labels, extra)
    keys = ["group"] if "group" in faces else []
    by_source = {src: df for src, df in faces.groupby("source", sort=False)}
    markers = study.events[study.events["kind"] == "marker"]
    per_event, having = [], {}
    for ev in markers.itertuples(index=False):
        rows = by_source.get(ev.source)
        having.setdefault((ev.name, *(getattr(ev, k) for k in keys)), set()).add(ev.participant)
        if rows is None:
            continue
        offset = rows["t_rel"] - ev.t_rel
        near = rows[(offset >= -window) & (offset <= window)]
        offset = offset[near.index]
        base = near[(offset >= -baseline) & (offset < 0)]
        if base.empty:
            continue
        shifted = near[cols] - base[cols].mean()
        shifted["t"] = (offset / step).round() * step + 0.0  # + 0.0: no -0.0
        binned = shifted.groupby("t")[cols].mean().reset_index()
        binned["event"], binned["participant"] = ev.name, ev.participant
        for k in keys:
            binned[k] = getattr(ev, k)
        per_event.append(binned)
    out_cols = ["event", *keys, "t", "measure", "mean", "ci_low", "ci_high", "participants",
                "events", "left_out"]  # fmt: skip
    if not per_event:
        return pd.DataFrame(columns=out_cols)
    events = pd.concat(per_event, ignore_index=True)
    long = events.melt(["event", *keys, "participant", "t"], cols, "measure", "value")
    long = long.dropna(subset=["value"])  # no reading there, or no baseline for it
    person = long.groupby(["event", *keys, "measure", "t", "participant"], sort=False)["value"]
    person = person.agg(["mean", "size"]).reset_index()
    across = person.groupby(["event", *keys, "measure", "t"], sort=True)
    table = across["mean"].agg(["mean", "std", "size"]).reset_index()
    table["events"] = across["size"].sum().to_numpy()
    table = table.rename(columns={"size": "participants"})
    table = table[table["participants"] >= min_participants].copy()
    half = table.apply(lambda r: _t975(int(r.participants)), axis=1) * table["std"]
    half = half / table["participants"].pow(0.5)
    table["ci_low"], table["ci_high"] = table["mean"] - half, table["mean"] + half
    table["left_out"] = [
        len(having[tuple(r)]) for r in table[["event", *keys]].itertuples(index=False)
    ] - table["participants"]
    order = {m: i for i, m in enumerate(cols)}
    table = table.sort_values(["event", *keys, "measure", "t"], key=lambda c: c.map(order)
                              if c.name == "measure" else c, ignore_index=True)  # fmt: skip
    return table[out_cols]


def _t975(n: int) -> float:
    """Student's t at 97.5% for n values (n - 1 degrees of freedom)."""
    from scipy.stats import t  # scipy comes with the [study] extra

    return float(t.ppf(0.975, n - 1)) if n > 1 else math.nan
