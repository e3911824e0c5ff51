"""Many videos: inputs expanded, unique output names, a process pool, resume and an index.

`analyze` hands each video to `analyze_one` (one session per video), in this process or in a
pool of worker processes that each own their detector and model. Results are the same either
way: every video starts from a fresh detector and tracker. `DIR/index.csv` holds one row per
video; a second run with the same settings skips videos already finished (same content hash
and settings) and redoes failed or partial ones. Results made with other settings are not
replaced without --force (see `Index.conflict`); a video redone loses its old timeline, report
and index row together (`Index.clear`).

The index's shares and mean valence are weighted by time (see `stats.summarise`): each
face's time in view counts, summed over faces (`face_seconds`).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import glob
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from fer_desktop._quiet import quiet_native_logs
from fer_desktop._version import __version__
from fer_desktop.classifier import resolve_model_path
from fer_desktop.detector_models import sha256_of as file_sha256
from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.pipeline import Pipeline
from fer_desktop.recording import Recording, read_recording
from fer_desktop.report import report_paths, write_recording_report
from fer_desktop.results import FrameResult
from fer_desktop.session import FrameAnalysed, Session, SessionOptions
from fer_desktop.settings import Settings
from fer_desktop.sources import IMAGE_SUFFIXES, SourceError, VideoSource
from fer_desktop.stats import coverage, truncation
from fer_desktop.timeline import open_timeline

# What a folder is searched for (a file named on its own is tried whatever its name): the
# usual containers, camcorders' AVCHD (.mts, .m2ts) and phones' 3GPP (.3gp, .3g2).
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv",
                  ".mts", ".m2ts", ".3gp", ".3g2", ".flv", ".ogv", ".mxf"}  # fmt: skip
# status: ok, truncated (the file ends before its container's duration: `analysed_s` says how
# far it was read), failed (see error) or partial (interrupted, or not analysed yet).
# The shares and mean valence are weighted by time over all faces: `face_seconds` is their
# weight (see stats.summarise); `note` says why they are empty ("no faces found", "too
# little face data…") or what to doubt. app_version and model_sha256: what made the results.
INDEX_COLUMNS = [
    "path", "name", "sha256", "settings_key", "app_version", "model_sha256", "status",
    "error", "note", "duration_s", "analysed_s", "frames", "faces", "brief_or_small_faces",
    "face_seconds", "share_happy_by_time", "share_neutral_by_time", "share_sad_by_time",
    "mean_valence_by_time", "seconds", "timeline", "report",
]  # fmt: skip
FINISHED = ("ok", "truncated")


def expand_inputs(items: Iterable[str | Path]) -> tuple[list[Path], list[str], list[str]]:
    """Files as given; folders -> the videos inside (recursively); globs expanded (also on
    Windows, where the shell does not). Returns the videos, a one-line problem for each input
    that gave none (the batch goes on without it) and a line for each file in a folder that
    is left out, with the reason."""
    out: list[Path] = []
    problems: list[str] = []
    left_out: list[str] = []
    for item in map(str, items):
        path = Path(item)
        if path.is_dir():
            found, skipped = videos_in(path)
            if not found:
                problems.append(f"{path}: is a directory with no videos in it")
            out += found
            left_out += skipped
        elif not path.exists() and glob.has_magic(item):
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            if not found:
                problems.append(f"{item}: no file matches")
            out += found
        else:
            out.append(path)
    seen: set[Path] = set()
    unique = [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]
    return unique, problems, left_out


def videos_in(folder: Path) -> tuple[list[Path], list[str]]:
    """The videos in a folder and its subfolders (by name: VIDEO_SUFFIXES), and a line for
    every other file saying why it is left out."""
    videos, left_out = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix in VIDEO_SUFFIXES:
            videos.append(path)
        elif suffix in IMAGE_SUFFIXES:
            left_out.append(f"{path}: left out: an image (fer-desktop predict reads images)")
        else:
            kind = f"{path.suffix} is" if path.suffix else "a name without a suffix is"
            left_out.append(
                f"{path}: left out: {kind} not a video type analyze looks for in a folder "
                f"(name the file on its own to try it)"
            )
    return videos, left_out


def output_names(paths: list[Path]) -> dict[Path, str]:
    """A unique, stable output name per video: its path relative to the inputs' common folder,
    without the suffix (day1/interview.mp4 and day2/interview.mp4 stay apart)."""
    absolute = [p.resolve() for p in paths]
    root = Path(os.path.commonpath([a.parent for a in absolute])) if absolute else Path()
    names = {
        p: a.relative_to(root).with_suffix("").as_posix()
        for p, a in zip(paths, absolute, strict=True)
    }
    taken: dict[str, int] = {}
    for p, name in names.items():  # a.mp4 and a.mkv in one folder
        if name in taken:
            names[p] = f"{name}.{p.suffix.lstrip('.')}"
        taken[names[p]] = 1
    return names


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


def _open_video(job: Job, pipeline: Pipeline) -> VideoSource:
    if job.path.suffix.lower() in IMAGE_SUFFIXES:
        raise SourceError(f"{job.path}: is an image, not a video (use `fer-desktop predict`)")
    source = VideoSource(job.path, every=job.every)
    pipeline.reset(restart_ids=True)  # each video starts fresh: face 1, new detector state
    return source


def file_session(
    source: VideoSource, pipeline: Pipeline | Settings, every: int, outputs, on_frame=None
) -> Session:
    """A session that reads a video file as fast as it can (analyze, the API)."""
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


def _timeline(job: Job, fps: float, duration: float | None):
    job.timeline_path.parent.mkdir(parents=True, exist_ok=True)
    meta = timeline_meta(job.path, fps, duration, job.every)
    return open_timeline(job.timeline_path, job.fmt, meta)


def analyze_one(
    job: Job,
    pipeline: Pipeline,
    on_frame: Callable[[FrameAnalysed], None] | None = None,
) -> dict:
    """Analyse one video into its timeline, written as it goes (and a report); its index row."""
    sha = file_sha256(job.path) if job.path.is_file() else ""
    source = _open_video(job, pipeline)
    timeline = _timeline(job, source.fps, source.duration)
    try:
        result = file_session(source, pipeline, job.every, [timeline], on_frame).run()
    except SourceError:
        if timeline.frames == 0:
            job.timeline_path.unlink(missing_ok=True)  # nothing was analysed: leave no file
        raise
    return _finished(job, sha, source.read_s, result.elapsed_s)


def _finished(job: Job, sha: str, read_s: float, elapsed: float) -> dict:
    """The index row (and the report) of a video whose timeline is complete; `read_s` is
    how much of the video the source read."""
    rec = read_recording(job.timeline_path, edits=job.report)  # the report shows the edits
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
        **{f"share_{lab}_by_time": v for lab, v in summary["share"].items()},
        "mean_valence_by_time": summary["mean_valence"],
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
    )
    return html


class Collector(Output):
    """Keeps a session's results in memory (a cluster worker sends them to the client)."""

    name = "collector"

    def __init__(self):
        self.info: SessionInfo | None = None
        self.results: list[FrameResult] = []

    def start(self, info: SessionInfo) -> None:
        self.info = info

    def frame(self, result: FrameResult, bgr) -> None:
        self.results.append(result)


def analyze_collected(job: Job) -> dict:
    """On a cluster worker: analyse one video into memory and return it; nothing is written
    there, so a worker that dies mid-video leaves nothing behind to clean up."""
    quiet_native_logs()  # a worker started by `dask worker` did not run our entry point
    pipeline = _pipeline_for(job.config)
    sha = file_sha256(job.path) if job.path.is_file() else ""
    source = _open_video(job, pipeline)
    collector = Collector()
    result = file_session(source, pipeline, job.every, [collector]).run()
    return {
        "sha": sha,
        "fps": source.fps,
        "duration": source.duration,
        "read_s": source.read_s,
        "last_t": result.last_t,
        "elapsed": result.elapsed_s,
        "info": collector.info,
        "results": collector.results,
    }


def write_collected(job: Job, payload: dict) -> dict:
    """On the client: write a video's collected results as its timeline; its index row."""
    timeline = _timeline(job, payload["fps"], payload["duration"])
    timeline.start(payload["info"])
    for result in payload["results"]:
        timeline.frame(result)
    timeline.close({"elapsed_s": round(payload["elapsed"], 3), "analysed_on": "cluster"})
    read_s = payload.get("read_s", payload["last_t"] + job.every / payload["fps"])
    return _finished(job, payload["sha"], read_s, payload["elapsed"])


# --- the pool -------------------------------------------------------------------------------
_worker_pipeline: Pipeline | None = None


def _pipeline_for(config: Settings) -> Pipeline:
    """One pipeline per worker process, reused for every video it is given."""
    global _worker_pipeline
    if _worker_pipeline is None or _worker_pipeline.settings != config:
        _worker_pipeline = Pipeline(config)
    return _worker_pipeline


def _run_in_worker(job: Job, progress=None) -> dict:
    """A pool worker; `progress` is a queue for (video name, seconds done, duration)."""
    return _guarded(
        job, _pipeline_for(job.config), _reporter(job, progress.put) if progress else None
    )


def _reporter(job: Job, send: Callable[[tuple], None], every_s: float = 0.3):
    """An on_event callback that sends a video's progress at most every `every_s` seconds."""
    last = [0.0]

    def on_event(event) -> None:
        now = time.monotonic()
        if isinstance(event, FrameAnalysed) and now - last[0] >= every_s:
            last[0] = now
            send((job.name, event.result.t_source, event.position))

    return on_event


def unfinished(job: Job, status: str, error: str) -> dict:
    """The index row of a video that failed ('failed') or was cut short ('partial')."""
    return {
        "path": str(job.path),
        "name": job.name,
        "status": status,
        "error": error,
        "settings_key": job.settings_key(),
    }


def _ignore_ctrl_c() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops them (see `run_jobs`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _guarded(job: Job, pipeline: Pipeline, on_frame=None) -> dict:
    try:
        return analyze_one(job, pipeline, on_frame)
    except KeyboardInterrupt:
        return unfinished(job, "partial", "interrupted")
    except SourceError as exc:  # this video: listed as failed, the batch goes on
        return unfinished(job, "failed", str(exc))
    # Any other FerDesktopError (a full disk, an unwritable folder) stops the whole batch.


Progress = Callable[[str, float, float | None], None]  # video name, seconds done, fraction


def run_jobs(
    jobs: list[Job],
    n_workers: int,
    config: Settings,
    on_row: Callable[[dict], None],
    on_progress: Progress | None = None,
) -> None:
    """Run every job, here (n_workers 1) or on a pool; `on_row` gets each finished row and
    `on_progress` (in this process) how far each running video is."""
    if n_workers <= 1 or len(jobs) <= 1:
        with Pipeline(config) as pipeline:
            for i, job in enumerate(jobs):
                report = _reporter(job, lambda p: on_progress(*p)) if on_progress else None
                row = _guarded(job, pipeline, report)
                on_row(row)
                if row.get("error") == "interrupted":  # Ctrl-C stops the batch, not one video
                    for rest in jobs[i + 1 :]:
                        on_row(unfinished(rest, "partial", "not started (interrupted)"))
                    raise KeyboardInterrupt
        return
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # LiteRT and decoder threads do not fork
    manager = ctx.Manager() if on_progress else None
    progress = manager.Queue() if manager else None
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_ignore_ctrl_c)
    pending: dict[Future, Job] = {}
    queue = list(jobs)
    try:
        while queue or pending:
            while queue and len(pending) < n_workers:
                job = queue.pop(0)
                pending[pool.submit(_run_in_worker, job, progress)] = job
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            while progress is not None and not progress.empty():
                on_progress(*progress.get_nowait())
            for future in done:
                job = pending.pop(future)
                try:
                    row = future.result()
                except FerDesktopError:
                    raise  # an output problem (disk full…): every other video would fail too
                except Exception as exc:  # the worker process died
                    row = unfinished(job, "failed", f"worker died: {exc}")
                on_row(row)
    except KeyboardInterrupt:
        # Stop the workers now: the videos they were on keep a timeline without a summary
        # line (cut short) and are marked partial, so a resume redoes them.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        for future, job in pending.items():
            future.cancel()
            on_row(unfinished(job, "partial", "interrupted"))
        for job in queue:
            on_row(unfinished(job, "partial", "not started (interrupted)"))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if manager is not None:
            manager.shutdown()


# --- the index ------------------------------------------------------------------------------
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
            self.rows = {r["name"]: {k: r.get(k, "") for k in INDEX_COLUMNS} for r in rows}
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
        self.rows[row["name"]] = {k: row.get(k, "") for k in INDEX_COLUMNS}
        if write:
            self.write()

    def write(self) -> None:
        tmp = self.path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, INDEX_COLUMNS)
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


# --- a Dask cluster -------------------------------------------------------------------------
def run_on_dask(
    jobs: list[Job], scheduler: str, on_row: Callable[[dict], None], workers: int = 2
) -> None:
    """Run the jobs on a Dask cluster: `tcp://HOST:8786`, or `local` for a LocalCluster.

    Workers read each video by its absolute path (resolved here: workers started in another
    folder see the same file only on a shared filesystem, as on HPC and NFS) and send its
    results back; this process writes every timeline and the index, so resume works as for
    the local pool. Before any work, every worker must run this app's version with the same
    model file and have the detector models (else one UsageError naming each worker). Each
    result is released once written, so a worker that dies later costs only its own video:
    Dask runs that one again on another worker, and it is written once. Ctrl-C marks every
    video not yet written partial before it stops the batch.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError("--scheduler needs Dask: pip install 'fer-desktop[cluster]'") from exc
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
    try:
        client = Client(cluster or scheduler, timeout="20s")
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
    try:
        check_workers(client, jobs)
        _gather_on_dask(client, jobs, on_row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _gather_on_dask(client, jobs: list[Job], on_row: Callable[[dict], None]) -> None:
    """Submit every job, write each result as it arrives and release it at once."""
    from distributed import as_completed

    futures = {
        client.submit(
            analyze_collected, on_worker(job), key=f"fer-{job.settings_key()}-{job.name}"
        ): job
        for job in jobs
    }
    try:
        for future in as_completed(list(futures)):
            job = futures.pop(future)
            with ctrl_c_deferred():
                on_row(_written(job, future))
    except KeyboardInterrupt:
        with ctrl_c_deferred():
            for future, job in futures.items():
                future.cancel()
                on_row(unfinished(job, "partial", "interrupted"))
        raise


@contextlib.contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Ctrl-C while a video is written and indexed is taken once that is done (as a
    KeyboardInterrupt then), so that no timeline, index or overview is left half-made."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _written(job: Job, future) -> dict:
    """A finished future's video written here (its index row); the future released first,
    so that the cluster forgets the result and never computes it again."""
    try:
        payload = future.result()
    except SourceError as exc:
        return unfinished(job, "failed", str(exc))
    except (KeyboardInterrupt, FerDesktopError):
        raise
    except Exception as exc:  # the cluster gave up on it (workers kept dying…)
        return unfinished(job, "failed", f"on the cluster: {exc}")
    finally:
        future.release()
    try:
        return write_collected(job, payload)
    except SourceError as exc:
        return unfinished(job, "failed", str(exc))


def on_worker(job: Job) -> Job:
    """The job as a worker gets it: the video's path absolute (as this process sees it)."""
    return dataclasses.replace(job, path=job.path.absolute())


def worker_identity(models: list[str]) -> dict:
    """On a worker: its app version, each model's sha256 and a detector problem ('' if
    none)."""
    from fer_desktop import detector_models

    problem = ""
    try:
        for range_ in ("short", "full"):
            detector_models.find(range_)
    except FerDesktopError as exc:
        problem = str(exc)
    return {
        "version": __version__,
        "models": {m: model_sha256(m) for m in models},
        "detector": problem,
    }


def check_workers(client, jobs: list[Job]) -> None:
    """Refuse (one UsageError line naming each worker) when a worker runs another version of
    the app, another model file, or lacks the detector models; or when there is no worker."""
    models = sorted({str(job.config.model) for job in jobs})
    seen = client.run(worker_identity, models)
    if not seen:
        raise UsageError("the Dask cluster has no workers")
    here = worker_identity(models)
    problems = [
        p for address, info in sorted(seen.items()) if (p := _mismatch(address, info, here))
    ]
    if problems:
        raise UsageError("; ".join(problems))


def _mismatch(address: str, info: dict, here: dict) -> str:
    """What is wrong with one worker ('' when nothing)."""
    if info["version"] != here["version"]:
        return (
            f"worker {address} runs fer-desktop {info['version']} (this is "
            f"{here['version']}): install the same version on every worker"
        )
    for model, sha in here["models"].items():
        if info["models"].get(model) != sha:
            theirs = info["models"].get(model) or "missing"
            return f"worker {address} has another model file {model} (sha256 {theirs[:12]})"
    if info["detector"]:
        return f"worker {address}: {info['detector']}"
    return ""
