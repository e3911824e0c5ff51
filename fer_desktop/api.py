"""The Python API for notebooks: timelines as pandas DataFrames, and one call to analyse a file.

    import fer_desktop
    faces = fer_desktop.read_timeline("results/interview.csv")      # one row per face seen
    faces.groupby("face_id").valence.mean()
    faces = fer_desktop.analyze_file("interview.mp4", smoothing=0.8)  # the same frame, no files

pandas is an optional extra (`pip install pandas`); without it these functions say so.
Columns keep their types: numbers are floats, ids and frame numbers integers (nullable
Int64), `t_wall` a UTC datetime, `label` text. A value that is absent (no calibrated value
yet, say) is NaN, never an empty string. The timeline's header, summary and events are in
`df.attrs`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.settings import Settings
from fer_desktop.timeline import TimelineError, column_labels
from fer_desktop.timeline import read_timeline as read_timeline_records

if TYPE_CHECKING:
    import pandas

ROWS = ("faces", "frames", "events")


def _pandas():
    try:
        import pandas
    except ImportError:
        raise FerDesktopError(
            "fer_desktop.read_timeline needs pandas: pip install pandas"
        ) from None
    return pandas


def _face_row(face: dict, labels: list[str]) -> dict[str, Any]:
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


def read_timeline(path: str | Path, rows: str = "faces") -> pandas.DataFrame:
    """A timeline (.csv or .jsonl, also one cut short by a crash) as a DataFrame.

    rows: "faces" (default: one row per face per frame), "frames" (one per analysed frame,
    with its number of faces) or "events" (markers, camera gaps, seeks, setting changes,
    calibration).
    """
    pd = _pandas()
    if rows not in ROWS:
        raise UsageError(f"rows must be one of {', '.join(ROWS)} (got {rows!r})")
    path = Path(path)
    try:
        timeline = read_timeline_records(path)
    except FileNotFoundError:
        raise TimelineError(f"{path}: no such timeline") from None
    except (OSError, ValueError, KeyError) as exc:
        raise TimelineError(f"{path} is not a fer_desktop timeline: {exc}") from None
    header = timeline["header"] or {}
    labels = column_labels(header.get("labels", []))
    if rows == "faces":
        df = pd.DataFrame([_face_row(f, labels) for f in timeline["faces"]])
        if df.empty:
            df = pd.DataFrame(columns=list(_face_row(_EMPTY_FACE, labels)))
        df = df.astype({"face_id": "Int64", "frame": "Int64", "label": "string"})
        prob_columns = [c for c in df.columns if c.startswith("p_")]
        df[prob_columns] = df[prob_columns].astype("float64")
    elif rows == "frames":
        df = pd.DataFrame(timeline["frames"], columns=["t_source", "t_wall", "frame", "faces"])
        df = df.astype({"frame": "Int64", "faces": "Int64"})
    else:
        events = [
            {k: v for k, v in e.items() if k != "type"}
            for kind in ("markers", "gaps", "seeks", "settings", "calibrations")
            for e in timeline[kind]
        ]
        df = pd.DataFrame(events, columns=_event_columns(events))
        df = df.sort_values("t_wall", kind="stable", ignore_index=True)
    df["t_source"] = df["t_source"].astype("float64")
    df["t_wall"] = pd.to_datetime(df["t_wall"], utc=True, format="ISO8601")
    df.attrs = {"header": header, "summary": timeline["summary"], "path": str(path)}
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
    `timeline` keeps the timeline file there (.csv or .jsonl); by default nothing is written
    anywhere that outlives the call.
    """
    from fer_desktop._quiet import quiet_native_logs

    quiet_native_logs()  # before the session loads LiteRT and FFmpeg
    from fer_desktop.session import Session, SessionOptions
    from fer_desktop.sources import VideoSource
    from fer_desktop.timeline import open_timeline

    _pandas()  # fail before the work, not after
    chosen = Settings.of(**settings)
    if not isinstance(every, int) or every < 1:
        raise UsageError(f"every must be a whole number 1 or more (got {every!r})")
    with tempfile.TemporaryDirectory(prefix="fer_desktop_") as tmp:
        out = Path(timeline) if timeline is not None else Path(tmp) / "timeline.jsonl"
        fmt = "jsonl" if out.suffix == ".jsonl" else "csv"
        source = VideoSource(Path(path), every=every)
        writer = open_timeline(out, fmt, {"source_path": str(path), "every": every})
        options = SessionOptions(realtime=False, every=every, reconnect=False, prefetch=True)
        Session(source, chosen, options, [writer]).run()
        return read_timeline(out)
