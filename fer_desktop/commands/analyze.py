"""fer-desktop analyze: a timeline (and a report) for each video file, faster than real time."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from fer_desktop.batch import (
    Index,
    Job,
    analyze_one,
    expand_inputs,
    output_names,
    run_jobs,
    run_on_dask,
)
from fer_desktop.commands import install_stop_signals
from fer_desktop.errors import UsageError
from fer_desktop.pipeline import Pipeline, PipelineConfig
from fer_desktop.report import write_overview
from fer_desktop.session import FrameAnalysed
from fer_desktop.timeline import TimelineError


class Progress:
    """A one-line progress bar on stderr with the speed as a multiple of real time."""

    def __init__(self, name: str, total: int | None, enabled: bool):
        self.name, self.total, self.enabled = name, total, enabled and sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, frame_index: int, t_source: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.2 and not force):
            return
        self.last = now
        speed = t_source / max(now - self.t0, 1e-6)
        if self.total:
            frac = min(1.0, (frame_index + 1) / self.total)
            bar = "#" * int(frac * 30)
            text = f"[{bar:<30}] {100 * frac:5.1f}% {frame_index + 1}/{self.total} frames"
        else:
            text = f"{frame_index + 1} frames"
        sys.stderr.write(f"\r{self.name}: {text}  {speed:5.1f}x real time ")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class BatchProgress:
    """One line on stderr for a batch: videos done, video-seconds per second, time left."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled and sys.stderr.isatty()
        self.done, self.media_s, self.t0 = 0, 0.0, time.perf_counter()

    def one_done(self, row: dict) -> None:
        self.done += 1
        self.media_s += float(row.get("duration_s") or 0.0)
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * (self.total - self.done)
        sys.stderr.write(
            f"\r[{self.done}/{self.total} videos] {self.media_s / max(elapsed, 1e-6):.1f}x real "
            f"time, about {left:.0f} s left " + ("\n" if self.done == self.total else "")
        )
        sys.stderr.flush()


def analyze_video(
    pipeline: Pipeline,
    path: Path,
    out_dir: Path,
    fmt: str,
    every: int,
    report: bool,
    progress: bool = True,
) -> dict:
    """Analyse one video into out_dir/<stem>.<fmt>; return its index row."""
    job = Job(path, path.stem, out_dir, fmt, every, report, pipeline.config)
    return _one(job, pipeline, progress)


def _one(job: Job, pipeline: Pipeline, progress: bool) -> dict:
    bar = Progress(job.path.name, None, progress)

    def on_frame(event) -> None:
        if isinstance(event, FrameAnalysed):
            bar.update(event.result.index, event.result.t_source)

    try:
        return analyze_one(job, pipeline, on_frame)
    finally:
        bar.done()


def run(args, config: PipelineConfig) -> int:
    install_stop_signals()
    if args.every < 1:
        raise UsageError("--every must be 1 or more")
    videos, problems = expand_inputs(args.videos)
    for problem in problems:
        print(f"fer-desktop: {problem}", file=sys.stderr)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TimelineError(f"cannot create output folder {args.out}: {exc.strerror}") from exc
    names = output_names(videos)
    jobs = [
        Job(v, names[v], args.out, args.format, args.every, args.report, config) for v in videos
    ]
    index = Index(args.out)
    todo = [job for job in jobs if args.force or not index.finished(job)]
    for job in jobs:
        if job not in todo:
            print(f"{job.path}: already analysed with these settings (--force redoes it)")
    failed = len(problems)
    overall = BatchProgress(len(todo), not args.quiet and len(todo) > 1)

    def on_row(row: dict) -> None:
        nonlocal failed
        index.put(row)
        overall.one_done(row)
        if row["status"] != "ok":
            failed += 1
            print(f"fer-desktop: {row['error']}" if row["status"] == "failed"
                  else f"fer-desktop: {row['path']}: {row['error']}", file=sys.stderr)  # fmt: skip
            return
        print(
            f"{row['path']}: {row['frames']} frames, {row['face_rows']} face rows, "
            f"{row['speed_x_realtime']}x real time -> {row['timeline']}"
            + (f", {row['report']}" if row.get("report") else ""),
            flush=True,
        )

    jobs_n = args.jobs or os.cpu_count() or 1
    on_frame = None
    if jobs_n <= 1 or len(todo) <= 1:
        bar = Progress("", None, not args.quiet)

        def on_frame(event) -> None:
            if isinstance(event, FrameAnalysed):
                bar.update(event.result.index, event.result.t_source)

    if args.scheduler:
        run_on_dask(todo, args.scheduler, on_row, workers=jobs_n)
    else:
        run_jobs(todo, jobs_n, config, on_row, on_frame)
    if len(jobs) > 1:
        print(
            f"index: {index.path}\noverview: {write_overview(list(index.rows.values()), args.out)}"
        )
    return 1 if failed else 0
