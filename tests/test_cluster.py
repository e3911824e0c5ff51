"""The batch on a real Dask LocalCluster (2 worker processes), one worker killed mid-batch."""

import os
import shutil
import signal
import threading
import time

import pytest

from fer_desktop.batch import Index, Job, expand_inputs, output_names, run_jobs, run_on_dask
from fer_desktop.settings import Settings
from fer_desktop.timeline import read_timeline
from tests.conftest import shared_path

distributed = pytest.importorskip("distributed", reason="the [cluster] extra is not installed")


def jobs_for(folder, out):
    videos, problems = expand_inputs([folder])
    assert not problems
    names = output_names(videos)
    return [Job(v, names[v], out, "csv", 1, False, Settings()) for v in videos]


def face_rows(path):
    return [{k: v for k, v in f.items() if k != "t_wall"} for f in read_timeline(path)["faces"]]


def test_cluster_matches_the_local_run_and_survives_a_killed_worker(tmp_path):
    head = shared_path("videos", "talking_head_512.mp4")
    folder = tmp_path / "videos"
    folder.mkdir()
    for k in range(4):
        shutil.copy(head, folder / f"interview{k}.mp4")
    local_out, cluster_out = tmp_path / "local", tmp_path / "cluster"
    local_out.mkdir()
    cluster_out.mkdir()
    run_jobs(jobs_for(folder, local_out), 1, Settings(), Index(local_out).put)

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    client = distributed.Client(cluster)
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                time.sleep(0.8)  # mid-video
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.1)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    index = Index(cluster_out)
    try:
        run_on_dask(jobs_for(folder, cluster_out), cluster.scheduler_address, index.put)
    finally:
        killer.join()
        client.close()
        cluster.close()
    assert killed, "no worker was busy to kill"
    assert {row["status"] for row in index.rows.values()} == {"ok"}
    for k in range(4):
        name = f"interview{k}.csv"
        frames = read_timeline(cluster_out / name)["frames"]
        assert [f["frame"] for f in frames] == list(range(200))  # once each: nothing twice
        assert face_rows(cluster_out / name) == face_rows(local_out / name)
