"""A job run into memory (on a cluster worker) and written where the batch runs (on the
client): nothing is written on a worker, so one that dies mid-video leaves nothing behind."""

from __future__ import annotations

import dataclasses

from fer_desktop._quiet import quiet_native_logs
from fer_desktop.batch.job import (
    Job,
    file_session,
    finished_row,
    open_job_timeline,
    open_video,
    worker_pipeline,
)
from fer_desktop.detector_models import sha256_of as file_sha256
from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.results import FrameResult


class Collector(Output):
    """Keeps a session's results in memory (a cluster worker sends them to the client)."""

    name = "collector"

    def __init__(self):
        self.info: SessionInfo | None = None
        self.results: list[FrameResult] = []

    def start(self, info: SessionInfo) -> None:
        self.info = dataclasses.replace(info, place_marker=None)  # data only: it is pickled

    def frame(self, result: FrameResult, bgr) -> None:
        self.results.append(result)


def analyze_collected(job: Job) -> dict:
    """On a cluster worker: analyse one video into memory and return it."""
    quiet_native_logs()  # a worker started by `dask worker` did not run our entry point
    pipeline = worker_pipeline(job.config)
    sha = file_sha256(job.path) if job.path.is_file() else ""
    source = open_video(job, pipeline)
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
    timeline = open_job_timeline(job, payload["fps"], payload["duration"])
    timeline.start(payload["info"])
    for result in payload["results"]:
        timeline.frame(result)
    timeline.close({"elapsed_s": round(payload["elapsed"], 3), "analysed_on": "cluster"})
    read_s = payload.get("read_s", payload["last_t"] + job.every / payload["fps"])
    return finished_row(job, timeline, payload["sha"], read_s, payload["elapsed"])
