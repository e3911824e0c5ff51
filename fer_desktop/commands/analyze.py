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
from fer_desktop.pipeline import Pipeline
from fer_desktop.report import write_overview
from fer_desktop.settings import Settings
from fer_desktop.timeline import TimelineError


class BatchProgress:
    """Progress on stderr when it is a terminal: one line for the batch (videos done, speed,
    time left) and one line per video being analysed."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled and sys.stderr.isatty()
        self.done, self.media_s, self.t0 = 0, 0.0, time.perf_counter()
        self.running: dict[str, str] = {}
        self._drawn = 0

    def video(self, name: str, t_done: float, fraction: float | None) -> None:
        share = f" {100 * fraction:3.0f}%" if fraction is not None else ""
        self.running[name] = f"  {name}: {t_done:6.1f} s{share}"
        self._draw()

    def one_done(self, row: dict, message: str, stream) -> None:
        """A video finished: print its line above the progress lines, then redraw them."""
        self.done += 1
        self.media_s += float(row.get("duration_s") or 0.0)
        self.running.pop(row.get("name", ""), None)
        if self.enabled and self._drawn:
            sys.stderr.write(f"\x1b[{self._drawn}F\x1b[J")
            sys.stderr.flush()
            self._drawn = 0
        print(message, file=stream, flush=True)
        self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        left = (
            f"about {elapsed / self.done * (self.total - self.done):.0f} s left"
            if self.done
            else "time left: after the first video"
        )
        lines = [
            f"[{self.done}/{self.total} videos] {self.media_s / max(elapsed, 1e-6):.1f}x real "
            f"time, {left}",
            *self.running.values(),
        ]
        up = f"\x1b[{self._drawn}F" if self._drawn else "\r"
        sys.stderr.write(up + "".join(f"\x1b[2K{line}\n" for line in lines) + "\x1b[J")
        sys.stderr.flush()
        self._drawn = len(lines)


def analyze_video(
    pipeline: Pipeline, path: Path, out_dir: Path, fmt: str, every: int, report: bool
) -> dict:
    """Analyse one video into out_dir/<stem>.<fmt> (a benchmark's and a test's entry point)."""
    return analyze_one(
        Job(path, path.stem, out_dir, fmt, every, report, pipeline.settings), pipeline
    )


def run(args, config: Settings) -> int:
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
    overall = BatchProgress(len(todo), not args.quiet)

    def on_row(row: dict) -> None:
        nonlocal failed
        index.put(row)
        if row["status"] != "ok":
            failed += 1
            where = "" if row["status"] == "failed" else f"{row['path']}: "
            overall.one_done(row, f"fer-desktop: {where}{row['error']}", sys.stderr)
            return
        overall.one_done(
            row,
            f"{row['path']}: {row['frames']} frames, {row['face_rows']} face rows, "
            f"{row['speed_x_realtime']}x real time -> {row['timeline']}"
            + (f", {row['report']}" if row.get("report") else ""),
            sys.stdout,
        )

    jobs_n = args.jobs or os.cpu_count() or 1
    if args.scheduler:
        run_on_dask(todo, args.scheduler, on_row, workers=jobs_n)
    else:
        run_jobs(todo, jobs_n, config, on_row, overall.video if overall.enabled else None)
    if len(jobs) > 1:
        print(
            f"index: {index.path}\noverview: {write_overview(list(index.rows.values()), args.out)}"
        )
    return 1 if failed else 0
