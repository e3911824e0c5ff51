"""The batch on a real Dask cluster: a `dask scheduler` and `dask worker` processes started
in other folders, on loopback; one worker killed mid-batch, workers that do not match."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fer_desktop.batch import Index, Job, expand_inputs, output_names, run_jobs, run_on_dask
from fer_desktop.errors import UsageError
from fer_desktop.settings import Settings
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, shared_path

distributed = pytest.importorskip("distributed", reason="the [cluster] extra is not installed")

pytestmark = pytest.mark.slow


def _env(code: Path, home: Path) -> dict:
    """A worker's environment: fer_desktop from `code`, its own HOME (no user data)."""
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(code), "HOME": str(home)}


class Cluster:
    """A scheduler and workers as separate processes, each in its own folder; stopped by
    `close`."""

    def __init__(self, root: Path):
        self.root = root
        self.procs: list[subprocess.Popen] = []
        self.file = root / "scheduler.json"
        self.workers: dict[str, subprocess.Popen] = {}  # name -> process
        folder = root / "scheduler"
        folder.mkdir(parents=True)
        self._start(
            "dask_scheduler", folder, _env(REPO, folder),
            "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
        )  # fmt: skip
        deadline = time.time() + 120
        while not self.file.exists() and time.time() < deadline:
            time.sleep(0.2)
        self.client = distributed.Client(scheduler_file=str(self.file), timeout="60s")

    def _start(self, cli: str, cwd: Path, env: dict, *args: str) -> subprocess.Popen:
        log = open(cwd / "log.txt", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.{cli}", "--scheduler-file", str(self.file),
             *args],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def add_worker(self, name: str, code: Path = REPO) -> None:
        """A worker (no nanny: killed, it stays dead) started in a folder of its own."""
        folder = self.root / name
        folder.mkdir(parents=True)
        self.workers[name] = self._start(
            "dask_worker", folder, _env(code, folder / "home"),
            "--name", name, "--nthreads", "1", "--no-nanny", "--no-dashboard",
            "--host", "127.0.0.1",
        )  # fmt: skip

    def wait_for(self, n: int) -> None:
        self.client.wait_for_workers(n, timeout=180)

    def address_of(self, name: str) -> str:
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return next(a for a, w in workers.items() if w.get("name") == name)

    def close(self) -> None:
        self.client.close()
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path / "cluster")
    yield c
    c.close()


def jobs_for(folder, out):
    videos, problems, _left_out = expand_inputs([folder])
    assert not problems
    names = output_names(videos)
    return [Job(v, names[v], out, "csv", 1, False, Settings()) for v in videos]


def face_rows(path):
    return [{k: v for k, v in f.items() if k != "t_wall"} for f in read_timeline(path)["faces"]]


def test_relative_paths_a_killed_worker_and_each_video_computed_once(
    tmp_path, cluster, monkeypatch
):
    """Videos named relative to this process's folder reach workers started elsewhere; the
    worker that finished the first video is killed mid-batch: only its current video runs
    again (written videos were released), and every timeline matches a local run."""
    head = shared_path("videos", "talking_head_512.mp4")
    work = tmp_path / "client"
    (work / "videos").mkdir(parents=True)
    for k in range(4):
        shutil.copy(head, work / "videos" / f"interview{k}.mp4")
    local_out, cluster_out = tmp_path / "local", tmp_path / "out"
    local_out.mkdir()
    cluster_out.mkdir()
    run_jobs(jobs_for(work / "videos", local_out)[:1], 1, Settings(), Index(local_out).put)

    cluster.add_worker("a")
    cluster.add_worker("b")
    cluster.wait_for(2)
    client = cluster.client
    client.get_task_stream()  # the scheduler records every task's run from now on
    monkeypatch.chdir(work)
    index = Index(cluster_out)
    written = threading.Event()
    killed: list[str] = []

    def on_row(row: dict) -> None:
        index.put(row)
        written.set()

    def kill_the_worker_of_the_first_video() -> None:
        if not written.wait(600):
            return
        [first] = [t["worker"] for t in client.get_task_stream()][:1]
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            if client.processing().get(first):  # busy with its next video
                name = next(n for n in "ab" if cluster.address_of(n) == first)
                cluster.workers[name].send_signal(signal.SIGKILL)
                killed.append(name)
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_worker_of_the_first_video)
    killer.start()
    try:
        run_on_dask(jobs_for(Path("videos"), cluster_out), cluster.client.scheduler.address, on_row)
    finally:
        written.set()
        killer.join()
    assert killed, "the first video's worker was never busy again"
    assert {row["status"] for row in index.rows.values()} == {"ok"}, index.rows
    finished = [t["key"] for t in client.get_task_stream()]
    assert sorted(finished) == sorted(set(finished)) and len(finished) == 4  # once each
    for k in range(4):
        name = f"interview{k}.csv"
        frames = read_timeline(cluster_out / name)["frames"]
        assert [f["frame"] for f in frames] == list(range(200))  # written once each
        assert face_rows(cluster_out / name) == face_rows(local_out / "interview0.csv")


def _package_copy(root: Path, version: str | None, detector: bool) -> Path:
    """fer_desktop and its models copied to `root`, optionally with another version or
    without the detector models."""
    shutil.copytree(REPO / "fer_desktop", root / "fer_desktop")
    shutil.copytree(
        REPO / "models", root / "models",
        ignore=None if detector else shutil.ignore_patterns("detector"),
    )  # fmt: skip
    if version:
        (root / "fer_desktop" / "_version.py").write_text(f'__version__ = "{version}"\n')
    return root


def test_workers_that_do_not_match_are_named_before_any_work(tmp_path, cluster, demo_video):
    cluster.add_worker("good")
    cluster.add_worker("old", _package_copy(tmp_path / "old", "0.0.1", detector=True))
    cluster.add_worker("bare", _package_copy(tmp_path / "bare", None, detector=False))
    cluster.wait_for(3)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UsageError) as caught:
        run_on_dask(jobs_for(demo_video.parent, out), cluster.client.scheduler.address, print)
    message = str(caught.value)
    assert "\n" not in message
    assert f"worker {cluster.address_of('old')} runs fer-desktop 0.0.1" in message
    assert f"worker {cluster.address_of('bare')}: face detector model" in message
    assert cluster.address_of("good") not in message
    assert not list(out.iterdir())  # nothing was started


def test_ctrl_c_leaves_an_index_that_says_what_was_not_written(tmp_path, cluster, demo_video):
    """`analyze --scheduler` interrupted (SIGINT) after its first video: the index holds
    every video, written ones ok and the rest partial ("interrupted"); exit status 130."""
    from fer_desktop.cli import EXIT_INTERRUPTED

    work = tmp_path / "client"
    (work / "videos").mkdir(parents=True)
    for k in range(6):
        shutil.copy(demo_video, work / "videos" / f"clip{k}.avi")
    cluster.add_worker("only")
    cluster.wait_for(1)
    index_csv = work / "out" / "index.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fer_desktop", "analyze", "videos", "--out", "out", "--quiet",
         "--scheduler", cluster.client.scheduler.address],
        cwd=work, env=_env(REPO, work / "home"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if index_csv.exists() and ",ok," in index_csv.read_text():
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_INTERRUPTED, err
    rows = Index(work / "out").rows
    assert sorted(rows) == [f"clip{k}" for k in range(6)]
    done = [r for r in rows.values() if r["status"] == "ok"]
    cut = [r for r in rows.values() if r["status"] == "partial"]
    assert done and cut and len(done) + len(cut) == 6, rows
    assert {r["error"] for r in cut} == {"interrupted"}
    for row in done:
        assert len(read_timeline(Path(work / row["timeline"]))["frames"]) == 45
