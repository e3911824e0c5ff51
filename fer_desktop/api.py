"""The Python API for notebooks: timelines as pandas DataFrames, and one call to analyse a file.

    import fer_desktop
    faces = fer_desktop.read_timeline("results/interview.csv")      # one row per face seen
    faces.groupby("face_id").valence.mean()
    faces = fer_desktop.analyze_file("interview.mp4", smoothing=0.8)  # the same frame, no files
    study = fer_desktop.read_study("study/")  # every face of P01/day1/..., P02/... in one table

pandas is an optional extra (`pip install pandas`); without it these functions say so.
Columns keep their types: numbers are floats, ids and frame numbers integers (nullable
Int64), `t_wall` a UTC datetime, `label` text. A value that is absent (no calibrated value
yet, say) is NaN, never an empty string. The timeline's header, summary and events are in
`df.attrs`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fer_desktop import measure_columns
from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.recording import Recording, read_recording, recording_of
from fer_desktop.settings import Settings
from fer_desktop.study import read_study
from fer_desktop.timeline import (
    MemoryTimeline,
    TimelineError,
    TimelineWriter,
    column_labels,
    face_row,
    open_timeline,
)

if TYPE_CHECKING:
    import pandas

ROWS = ("faces", "frames", "events")
__all__ = ["analyze_file", "read_study", "read_timeline"]


def _pandas():
    try:
        import pandas
    except ImportError:
        raise FerDesktopError(
            "fer_desktop.read_timeline needs pandas: pip install pandas"
        ) from None
    return pandas


def read_timeline(path: str | Path, rows: str = "faces") -> pandas.DataFrame:
    """A timeline (.csv or .jsonl, also one cut short by a crash) as a DataFrame.

    rows: "faces" (default: one row per face per frame), "frames" (one per analysed frame,
    with its number of faces) or "events" (markers, camera gaps, seeks, setting changes,
    calibration).
    """
    _pandas()
    if rows not in ROWS:
        raise UsageError(f"rows must be one of {', '.join(ROWS)} (got {rows!r})")
    path = Path(path)
    try:
        rec = read_recording(path, edits=False)
    except FileNotFoundError:
        raise TimelineError(f"{path}: no such timeline") from None
    except (OSError, ValueError, KeyError) as exc:
        raise TimelineError(f"{path} is not a fer_desktop timeline: {exc}") from None
    df = _table(rec, rows)
    df.attrs["path"] = str(path)
    return df


def _table(rec: Recording, rows: str) -> pandas.DataFrame:
    """One view of a recording (see `read_timeline`), its header and summary in attrs."""
    pd = _pandas()
    labels = column_labels(rec.header.get("labels", []))
    if rows == "faces":
        df = pd.DataFrame([face_row(f, labels) for f in rec.faces])
        if df.empty:
            df = pd.DataFrame(columns=list(face_row(_EMPTY_FACE, labels)))
        text = {"label": "string", **({"cal": "string"} if "cal" in df else {})}
        df = df.astype({"face_id": "Int64", "frame": "Int64", **text})
        prob_columns = [c for c in df.columns if c.startswith("p_")]
        prob_columns += [c for c in measure_columns.NUMBERS if c in df]
        df[prob_columns] = df[prob_columns].astype("float64")
        df = df.astype({c: "string" for c in measure_columns.TEXT if c in df})
    elif rows == "frames":
        df = pd.DataFrame(rec.frames, columns=["t_source", "t_wall", "frame", "faces"])
        df = df.astype({"frame": "Int64", "faces": "Int64"})
    else:
        events = [
            {k: v for k, v in e.items() if k != "type"}
            for kind in ("markers", "gaps", "seeks", "settings", "calibrations")
            for e in getattr(rec, kind)
        ]
        df = pd.DataFrame(events, columns=_event_columns(events))
        df = df.sort_values("t_wall", kind="stable", ignore_index=True)
    df["t_source"] = df["t_source"].astype("float64")
    df["t_wall"] = pd.to_datetime(df["t_wall"], utc=True, format="ISO8601")
    df.attrs = {"header": rec.header, "summary": rec.closing}
    return df


_EMPTY_FACE = {
    "t_source": None, "t_wall": None, "frame": None, "face_id": None, "box": [None] * 4,
    "score": None, "label": None, "valence": None,
}  # fmt: skip


def _event_columns(events: list[dict]) -> list[str]:
    columns = ["event", "t_source", "t_wall", "note"]
    for e in events:
        columns += [k for k in e if k not in columns]
    return columns


def analyze_file(
    path: str | Path, *, every: int = 1, timeline: str | Path | None = None, **settings: Any
) -> pandas.DataFrame:
    """Analyse one video file as `fer-desktop analyze` does and return its faces, as
    `read_timeline` gives them. Keyword settings are `Settings` fields (smoothing=0.8,
    model="2class", …; an unknown one or a value out of range raises UsageError).
    `timeline` keeps the timeline file there (.csv or .jsonl); by default nothing is written.

    `df.attrs` hold the header (with `source_fps` and `source_duration_s`), the summary,
    `analysed_s` (seconds of the video read) and `truncated`: as the CLI says it, e.g.
    "truncated: 3.9 s of 8.0 s analysed" when the file ends before its container's length
    (a cut copy; also given as a warning), else "". `path` is the timeline file, or None.
    """
    from fer_desktop._quiet import quiet_native_logs

    quiet_native_logs()  # before the session loads LiteRT and FFmpeg
    from fer_desktop.batch import file_session, timeline_meta
    from fer_desktop.pipeline import Pipeline
    from fer_desktop.sources import VideoSource
    from fer_desktop.stats import truncation

    _pandas()  # fail before the work, not after
    chosen = Settings.of(**settings)
    if not isinstance(every, int) or every < 1:
        raise UsageError(f"every must be a whole number 1 or more (got {every!r})")
    source = VideoSource(Path(path), every=every)
    meta = timeline_meta(Path(path), source.fps, source.duration, every)
    if timeline is None:
        writer: TimelineWriter = MemoryTimeline(meta)
    else:
        writer = open_timeline(Path(timeline), _format(Path(timeline)), meta, keep=True)
    with Pipeline(chosen) as pipeline:  # built here, closed here: one owner
        file_session(source, pipeline, every, [writer]).run()
    rec = recording_of(writer)  # as its file reads back, without reading it
    df = _table(rec, "faces")
    cut = truncation(rec, source.read_s)
    if cut:
        warnings.warn(f"{path}: {cut} (the file ends early)", stacklevel=2)
    df.attrs.update(
        path=None if timeline is None else str(timeline),
        analysed_s=round(source.read_s, 3),
        truncated=cut,
    )
    return df


def _format(path: Path) -> str:
    return "jsonl" if path.suffix == ".jsonl" else "csv"
