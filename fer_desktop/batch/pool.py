"""The jobs run here (one worker) or on a pool of worker processes that each own their
detector and model; progress comes back to this process, and Ctrl-C stops every worker at
once and marks the videos not finished as partial."""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from fer_desktop.batch.job import Job, analyze_one, unfinished, worker_pipeline
from fer_desktop.errors import FerDesktopError
from fer_desktop.pipeline import Pipeline
from fer_desktop.session_messages import FrameAnalysed
from fer_desktop.settings import Settings
from fer_desktop.sources import SourceError

Progress = Callable[[str, float, float | None], None]  # video name, seconds done, fraction


def _run_in_worker(job: Job, progress=None) -> dict:
    """A pool worker; `progress` is a queue for (video name, seconds done, duration)."""
    return _guarded(
        job, worker_pipeline(job.config), _reporter(job, progress.put) if progress else None
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
        _run_here(jobs, config, on_row, on_progress)
    else:
        _run_on_pool(jobs, n_workers, on_row, on_progress)


def _run_here(
    jobs: list[Job], config: Settings, on_row: Callable[[dict], None], on_progress: Progress | None
) -> None:
    """One job after the other in this process, with one pipeline."""
    with Pipeline(config) as pipeline:
        for i, job in enumerate(jobs):
            report = _reporter(job, lambda p: on_progress(*p)) if on_progress else None
            row = _guarded(job, pipeline, report)
            on_row(row)
            if row.get("error") == "interrupted":  # Ctrl-C stops the batch, not one video
                for rest in jobs[i + 1 :]:
                    on_row(unfinished(rest, "partial", "not started (interrupted)"))
                raise KeyboardInterrupt


def _run_on_pool(
    jobs: list[Job], n_workers: int, on_row: Callable[[dict], None], on_progress: Progress | None
) -> None:
    """At most `n_workers` jobs at a time, each in a worker process."""
    ctx = multiprocessing.get_context("spawn")  # LiteRT and decoder threads do not fork
    manager = ctx.Manager() if on_progress else None
    progress = manager.Queue() if manager else None
    others = set(multiprocessing.active_children())  # the manager's process among them
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
        for worker in set(multiprocessing.active_children()) - others:
            worker.terminate()
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
