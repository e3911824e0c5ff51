"""The jobs on a Dask cluster: workers analyse (see `collector`), this process writes every
timeline and the index, as for the local pool."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
from collections.abc import Callable, Iterator

from fer_desktop._version import __version__
from fer_desktop.batch.collector import analyze_collected, write_collected
from fer_desktop.batch.job import Job, model_sha256, unfinished
from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.sources import SourceError


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
