"""A job: one video analysed by one session into its timeline (and report), and its index
row. Every video starts from a fresh detector and tracker, so a job's results do not depend
on the process it runs in (here, a pool worker or a cluster worker)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fer_desktop._version import __version__
from fer_desktop.classifier import resolve_model_path
from fer_desktop.detector_models import sha256_of as file_sha256
from fer_desktop.outputs import Output
from fer_desktop.pipeline import Pipeline
from fer_desktop.recording import Recording, read_recording, recording_of
from fer_desktop.report import write_recording_report
from fer_desktop.session import Session, SessionOptions
from fer_desktop.session_messages import FrameAnalysed
from fer_desktop.settings import Settings
from fer_desktop.sources import IMAGE_SUFFIXES, SourceError, VideoSource
from fer_desktop.stats import share_column, truncation
from fer_desktop.timeline import TimelineWriter, open_timeline


@dataclass(frozen=True)
class Job:
    """One video to analyse and where its results go."""

    path: Path
    name: str
    out_dir: Path
    fmt: str
    every: int
    report: bool
    config: Settings
    thumbnails: bool = True  # the report embeds a small picture of each face
    segment_s: float | None = None  # the report: also segments this long (--segments)

    @property
    def timeline_path(self) -> Path:
        return self.out_dir / f"{self.name}.{self.fmt}"

    def settings(self) -> dict:
        """Everything that changes the results (report options do not)."""
        return {"every": self.every, "fmt": self.fmt, **self.config.as_dict()}

    def settings_key(self) -> str:
        return self.config.key(every=self.every, fmt=self.fmt)


@functools.cache
def model_sha256(model: str) -> str:
    """The sha256 of the model file `model` names ('' when it is missing)."""
    path = resolve_model_path(model)
    return file_sha256(path) if path.is_file() else ""


def provenance(settings: dict, config: Settings) -> dict:
    """What made a result: the app's version and the model file's sha256, from the timeline
    header's settings when the pipeline records them, else from this installation."""
    return {
        "app_version": settings.get("app_version") or __version__,
        "model_sha256": settings.get("model_sha256") or model_sha256(str(config.model)),
    }


_worker_pipeline: Pipeline | None = None


def worker_pipeline(config: Settings) -> Pipeline:
    """One pipeline per worker process (pool or cluster), reused for every video it is given."""
    global _worker_pipeline
    if _worker_pipeline is None or _worker_pipeline.settings != config:
        _worker_pipeline = Pipeline(config)
    return _worker_pipeline


def open_video(job: Job, pipeline: Pipeline) -> VideoSource:
    """The job's video, opened, and `pipeline` reset for it."""
    if job.path.suffix.lower() in IMAGE_SUFFIXES:
        raise SourceError(f"{job.path}: is an image, not a video (use `fer-desktop predict`)")
    source = VideoSource(job.path, every=job.every)
    pipeline.reset(restart_ids=True)  # each video starts fresh: face 1, new detector state
    return source


def file_session(
    source: VideoSource,
    pipeline: Pipeline,
    every: int,
    outputs: list[Output],
    on_frame: Callable[[FrameAnalysed], None] | None = None,
) -> Session:
    """A session that reads a video file as fast as it can, every `every`-th frame (a job,
    the API)."""
    options = SessionOptions(realtime=False, every=every, reconnect=False, prefetch=True)
    return Session(source, pipeline, options, outputs, on_event=on_frame)


def timeline_meta(path: Path, fps: float, duration: float | None, every: int) -> dict:
    """What a video's timeline header says of the file it was made from."""
    return {
        "source_path": str(path),
        "source_fps": fps,
        "source_duration_s": duration,  # as the container gives it; the report checks it
        "every": every,
    }


def open_job_timeline(job: Job, fps: float, duration: float | None) -> TimelineWriter:
    """The job's timeline writer, its folder made; it keeps its rows for `finished_row`."""
    job.timeline_path.parent.mkdir(parents=True, exist_ok=True)
    meta = timeline_meta(job.path, fps, duration, job.every)
    return open_timeline(job.timeline_path, job.fmt, meta, keep=True)


def analyze_one(
    job: Job,
    pipeline: Pipeline,
    on_frame: Callable[[FrameAnalysed], None] | None = None,
) -> dict:
    """Analyse one video into its timeline, written as it goes (and a report); its index row."""
    sha = file_sha256(job.path) if job.path.is_file() else ""
    source = open_video(job, pipeline)
    timeline = open_job_timeline(job, source.fps, source.duration)
    try:
        result = file_session(source, pipeline, job.every, [timeline], on_frame).run()
    except SourceError:
        if timeline.frames == 0:
            job.timeline_path.unlink(missing_ok=True)  # nothing was analysed: leave no file
        raise
    return finished_row(job, timeline, sha, source.read_s, result.elapsed_s)


def finished_row(
    job: Job, timeline: TimelineWriter, sha: str, read_s: float, elapsed: float
) -> dict:
    """The index row (and the report) of a video whose `timeline` is complete (its rows
    kept, not read back); `read_s` is how much of the video the source read."""
    rec = recording_of(timeline, edits=job.report)  # the report shows the edits
    duration = rec.header.get("source_duration_s")
    cut = truncation(rec, read_s)
    row = {
        "path": str(job.path),
        "name": job.name,
        "sha256": sha,
        "settings_key": job.settings_key(),
        **provenance(rec.header.get("settings") or {}, job.config),
        "status": "truncated" if cut else "ok",
        "error": "",
        "duration_s": round(duration or read_s, 3),
        "analysed_s": round(read_s, 3),
        "frames": len(rec.frames),
        "face_rows": len(rec.faces),
        **summary_columns(rec, cut),
        "seconds": round(elapsed, 2),
        "timeline": str(job.timeline_path),
        "speed_x_realtime": round(read_s / max(elapsed, 1e-6), 2),
    }
    if job.report:
        row["report"] = str(write_job_report(job, read_s, recording=rec))
    return row


def summary_columns(rec: Recording, truncated: str = "") -> dict:
    """The index's figures of a video (time-weighted, see `stats.summarise`) and its note."""
    summary = rec.summary.figures()
    return {
        "note": "; ".join(n for n in (truncated, summary["note"]) if n),
        "faces": summary["faces"],
        "brief_or_small_faces": summary["brief_or_small_faces"],
        "face_seconds": summary["face_seconds"],
        **{share_column(lab): v for lab, v in summary["share"].items()},
        "mean_valence_by_time": summary["mean_valence"],
        "raw_faces": summary["raw_faces"],  # for analyze's stderr; not an index column
    }


def write_job_report(
    job: Job,
    read_s: float | None,
    duration_s: float | None = None,
    recording: Recording | None = None,
) -> Path:
    """A video's report from its timeline (`recording`, when it was read already); the HTML
    file's path."""
    _chart, html = write_recording_report(
        recording or read_recording(job.timeline_path),
        job.timeline_path.parent,
        thumbnails=job.thumbnails,
        analysed_s=read_s,
        duration_s=duration_s,
        segment_s=job.segment_s,
    )
    return html


def unfinished(job: Job, status: str, error: str) -> dict:
    """The index row of a video that failed ('failed') or was cut short ('partial')."""
    return {
        "path": str(job.path),
        "name": job.name,
        "status": status,
        "error": error,
        "settings_key": job.settings_key(),
    }
