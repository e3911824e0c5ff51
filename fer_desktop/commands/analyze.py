"""fer-desktop analyze: a timeline (and a report) for each video file, faster than real time.

Results already in --out that were made with other settings are never replaced silently:
the run stops (exit 2) unless --force is given. Options read here that the parser may not
have yet: `no_thumbnails` (reports without the faces' pictures) and `segments` (each
report also has segments of that length, as `report --segments`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from fer_desktop.batch import (
    FINISHED,
    Index,
    Job,
    analyze_one,
    expand_inputs,
    output_names,
    run_jobs,
    run_on_dask,
    write_job_report,
)
from fer_desktop.commands import install_stop_signals
from fer_desktop.commands.report import segment_length
from fer_desktop.errors import UsageError
from fer_desktop.overview import write_overview
from fer_desktop.pipeline import Pipeline
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
        self.media_s += float(row.get("analysed_s") or row.get("duration_s") or 0.0)
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


def refuse_other_settings(jobs: list[Job], index: Index, out: Path) -> None:
    """Stop, touching nothing, when `out` holds results for these videos made with other
    settings: replacing them takes --force."""
    conflicts = [c for job in jobs if (c := index.conflict(job))]
    if conflicts:
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        raise UsageError(
            f"{out} holds results made with other settings ({conflicts[0]}{more}): use another "
            "--out folder, or --force to replace their timelines, reports and index rows"
        )


def _damaged(row: dict) -> str:
    """The stderr line for a video analysed only in part (its file ends early), else ''."""
    if row.get("status") != "truncated":
        return ""
    analysed, duration = _float(row["analysed_s"]), _float(row["duration_s"])
    return (
        f"fer-desktop: {row['path']}: truncated: {analysed:.1f} s of {duration:.1f} s analysed "
        "(the file ends early)"
    )


def run(args, config: Settings) -> int:
    install_stop_signals()
    if args.every < 1:
        raise UsageError("--every must be 1 or more")
    segment_s = segment_length(args.segments) if getattr(args, "segments", None) else None
    videos, problems, left_out = expand_inputs(args.videos)
    for problem in problems + left_out:  # left-out files are said, but fail nothing
        print(f"fer-desktop: {problem}", file=sys.stderr)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TimelineError(f"cannot create output folder {args.out}: {exc.strerror}") from exc
    index = Index(args.out)
    names = output_names(videos)
    for video, name in names.items():
        names[video] = index.place(video, name, args.format)
        if names[video] != name:
            print(
                f"{video}: {args.out} holds another video's results as {name}: "
                f"writing these as {names[video]}"
            )
    thumbnails = not getattr(args, "no_thumbnails", False)
    jobs = [
        Job(v, names[v], args.out, args.format, args.every, args.report, config, thumbnails,
            segment_s)
        for v in videos
    ]  # fmt: skip
    if not args.force:
        refuse_other_settings(jobs, index, args.out)
    todo = [job for job in jobs if args.force or not index.finished(job)]
    failed = len(problems)
    for job in jobs:
        if job not in todo:
            row = index.rows[job.name]
            print(f"{job.path}: already analysed with these settings (--force redoes it)")
            if job.report and (job.name in index.upgraded or not _is_file(row["report"])):
                analysed, duration = _float(row["analysed_s"]), _float(row["duration_s"])
                row["report"] = str(write_job_report(job, analysed, duration))
            if damaged := _damaged(row):
                print(damaged, file=sys.stderr)
                failed += 1
    for job in todo:
        index.clear(job)  # old timeline, report and row go together, before anything new
    index.write()
    write_overview(list(index.rows.values()), args.out)
    overall = BatchProgress(len(todo), not args.quiet)

    def on_row(row: dict) -> None:
        nonlocal failed
        index.put(row)
        write_overview(list(index.rows.values()), args.out)  # always as the index says
        if row["status"] not in FINISHED:
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
        if damaged := _damaged(row):
            print(damaged, file=sys.stderr)
            failed += 1
        if raw := row.get("raw_faces"):  # calibration on, yet no baseline for these faces
            faces = ", ".join(map(str, raw))
            print(
                f"fer-desktop: {row['path']}: calibration: no neutral, steady stretch for face "
                f"{faces} (raw values)",
                file=sys.stderr,
            )

    jobs_n = args.jobs or os.cpu_count() or 1
    if args.scheduler:
        run_on_dask(todo, args.scheduler, on_row, workers=jobs_n)
    else:
        run_jobs(todo, jobs_n, config, on_row, overall.video if overall.enabled else None)
    print(f"index: {index.path}\noverview: {args.out / 'overview.html'}")
    return 1 if failed else 0


def _is_file(path: str) -> bool:
    return bool(path) and Path(path).is_file()


def _float(value) -> float | None:
    return float(value) if value not in ("", None) else None
