"""DIR/index.csv: one row per video, and the rules a second run follows with it.

A second run with the same settings skips videos already finished (same content hash,
settings and model) and redoes failed or partial ones (`Index.finished`). Results made with
other settings are not replaced without --force (`Index.conflict`); a video redone loses its
old timeline, report and index row together (`Index.clear`). A video whose name another
video's results already hold gets its folders in front (`Index.place`).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from fer_desktop.batch.job import Job, model_sha256, summary_columns, unfinished
from fer_desktop.detector_models import sha256_of as file_sha256
from fer_desktop.recording import read_recording
from fer_desktop.report import report_paths
from fer_desktop.settings import Settings
from fer_desktop.sources import SourceError, VideoSource
from fer_desktop.stats import coverage, share_column, share_labels, truncation
from fer_desktop.timeline import STANDARD_LABELS

# status: ok, truncated (the file ends before its container's duration: `analysed_s` says how
# far it was read), failed (see error) or partial (interrupted, or not analysed yet).
# The shares and mean valence are weighted by time over all faces: `face_seconds` is their
# weight (see stats.summarise); `note` says why they are empty ("no faces found", "too
# little face data…") or what to doubt. app_version and model_sha256: what made the results.
# Every class of the model used has its share column, before the mean valence
# (`index_columns`): happy, neutral and sad always, the 8-class model's others when a row has
# them (a 3-class row leaves those empty).
INDEX_COLUMNS = [
    "path", "name", "sha256", "settings_key", "app_version", "model_sha256", "status",
    "error", "note", "duration_s", "analysed_s", "frames", "faces", "brief_or_small_faces",
    "face_seconds", *(share_column(lab) for lab in STANDARD_LABELS),
    "mean_valence_by_time", "seconds", "timeline", "report",
]  # fmt: skip
FINISHED = ("ok", "truncated")


def index_columns(rows) -> list[str]:
    """INDEX_COLUMNS with a share column for every class the rows hold."""
    first = INDEX_COLUMNS.index(share_column(STANDARD_LABELS[0]))
    rest = INDEX_COLUMNS.index("mean_valence_by_time")
    shares = [share_column(lab) for lab in share_labels(rows)]
    return [*INDEX_COLUMNS[:first], *shares, *INDEX_COLUMNS[rest:]]


class Index:
    """DIR/index.csv: one row per video, rewritten whole (atomically) after each video."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / "index.csv"
        self.rows: dict[str, dict] = {}
        self.upgraded: set[str] = set()  # rows of an older index, their figures recomputed
        if self.path.exists():
            with open(self.path, newline="", encoding="utf-8") as fh:
                old = list(csv.DictReader(fh))
            rows = [_upgraded(r) for r in old]
            columns = index_columns(rows)
            self.rows = {r["name"]: {k: r.get(k, "") for k in columns} for r in rows}
            self.upgraded = {r["name"] for r, new in zip(old, rows, strict=True) if r is not new}

    def place(self, path: Path, name: str, fmt: str) -> str:
        """The output name for `path`: `name`, unless this folder already holds another
        video's results under it (a run on another folder with a video of the same name):
        then its parent folders are put in front until the name is free or its own, so that
        p1/interview.mp4 and p2/interview.mp4 analysed in two runs keep both results."""
        parents = path.resolve().parent.parts[1:]  # without the root
        above = list(parents[: len(parents) - name.count("/")])  # folders the name lacks
        while self._other_video(path, name, fmt) and above:
            name = f"{above.pop()}/{name}"
        return name

    def _other_video(self, path: Path, name: str, fmt: str) -> bool:
        """True when the results under `name` are those of a video other than `path`: made
        from another path that still exists, or from other content (a moved file is the
        same video when its bytes are the same)."""
        row = self.rows.get(name)
        if row is not None:
            old, sha = Path(row.get("path") or ""), row.get("sha256", "")
        else:  # a timeline without an index row: its header names its video
            header = timeline_header(self.out_dir / f"{name}.{fmt}") or {}
            if not header.get("source_path"):
                return False
            old, sha = Path(header["source_path"]), ""
        if not str(old) or old.resolve() == path.resolve():
            return False
        if old.exists():
            return True
        return not sha or not path.is_file() or sha != file_sha256(path)

    def finished(self, job: Job) -> bool:
        """Done before with the same content, settings and model, and its timeline is still
        there (a truncated file is finished too: analysing it again reads no more)."""
        row = self.rows.get(job.name)
        return bool(
            row
            and row.get("status") in FINISHED
            and row.get("settings_key") == job.settings_key()
            and row.get("model_sha256", "") in ("", model_sha256(str(job.config.model)))
            and Path(row.get("timeline", "")).exists()
            and row.get("sha256") == file_sha256(job.path)
        )

    def conflict(self, job: Job) -> str | None:
        """What differs when this folder holds results for the video made with other settings
        (or another model file), which a new run would replace; None when it holds none."""
        row = self.rows.get(job.name)
        if row is None:  # no index row: a timeline left by a run whose index is gone?
            if not job.timeline_path.is_file():
                return None
            old = settings_in(job.timeline_path)
            return None if old == job.settings() else f"{job.name}: {_changes(old, job)}"
        outputs = [Path(row.get(k) or "") for k in ("timeline", "report")]
        if not any(p.is_file() for p in outputs):
            return None  # nothing on disk to replace (failed, or removed by hand)
        old_model, new_model = row.get("model_sha256", ""), model_sha256(str(job.config.model))
        if old_model and new_model and old_model != new_model:
            return f"{job.name}: another model file (sha256 {old_model[:12]}…)"
        if row.get("settings_key") == job.settings_key():
            return None
        old = settings_in(outputs[0]) if outputs[0].is_file() else None
        return f"{job.name}: {_changes(old, job)}"

    def clear(self, job: Job) -> None:
        """Before a video is analysed (again): remove its old timeline and report, and mark
        its row partial, so that an interrupted run never leaves old results beside new."""
        row = self.rows.get(job.name, {})
        timelines = {job.timeline_path, *([Path(row["timeline"])] if row.get("timeline") else [])}
        old = {p for t in timelines for p in (t, *report_paths(t))}
        if row.get("report"):
            old.add(Path(row["report"]))
        root = self.out_dir.resolve()
        for path in old:
            if path.resolve().is_relative_to(root):  # never anything outside --out
                path.unlink(missing_ok=True)
        self.put(unfinished(job, "partial", "not analysed yet"), write=False)

    def put(self, row: dict, write: bool = True) -> None:
        self.rows[row["name"]] = {k: row.get(k, "") for k in index_columns([row])}
        if write:
            self.write()

    def write(self) -> None:
        tmp = self.path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, index_columns(self.rows.values()), restval="")
            writer.writeheader()
            writer.writerows(self.rows.values())
        os.replace(tmp, self.path)


def _upgraded(row: dict) -> dict:
    """A row of an index written before the figures were time-weighted (share_happy…): its
    figures again from its timeline, as they are now computed and named."""
    timeline_path = Path(row.get("timeline") or "")
    if "face_seconds" in row or row.get("status") != "ok" or not timeline_path.is_file():
        return row
    rec = read_recording(timeline_path, edits=False)
    if rec.header.get("source_duration_s") is None:  # not recorded then: ask the video
        rec = rec.with_header(source_duration_s=_container_duration(Path(row.get("path") or "")))
    analysed, duration = coverage(rec)
    cut = truncation(rec)
    return {
        **row,
        "status": "truncated" if cut else "ok",
        "duration_s": round(duration, 3) if duration else row.get("duration_s", ""),
        "analysed_s": round(analysed, 3),
        **summary_columns(rec, cut),
    }


def _container_duration(path: Path) -> float | None:
    try:
        with VideoSource(path) as source:
            return source.duration
    except SourceError:
        return None


def timeline_header(timeline_path: Path) -> dict | None:
    """A timeline's header line (as written by `open_timeline`), or None when it has none."""
    if not timeline_path.is_file():  # also not a device (/dev/full reads zeros forever)
        return None
    try:
        with open(timeline_path, encoding="utf-8") as fh:
            first = fh.readline(1 << 20)
        header = json.loads(first[2:] if first.startswith("# ") else first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return header if isinstance(header, dict) and header.get("type") == "header" else None


def settings_in(timeline_path: Path) -> dict | None:
    """The results-changing settings recorded in a timeline's header (as `Job.settings`), or
    None when the file has no readable header."""
    header = timeline_header(timeline_path)
    if header is None:
        return None
    settings = header.get("settings") or {}
    fields = Settings().as_dict()
    return {
        "every": header.get("every"),
        "fmt": timeline_path.suffix.lstrip("."),
        **{k: settings.get(k) for k in fields},
    }


def _changes(old: dict | None, job: Job) -> str:
    """'calibrate_s 0.0 -> 2.0, every 1 -> 2', or 'other settings' when unknown."""
    if old is None:
        return "other settings"
    new = job.settings()
    diffs = [f"{k} {old.get(k)!r} -> {v!r}" for k, v in new.items() if old.get(k) != v]
    return ", ".join(diffs) or "other settings"
