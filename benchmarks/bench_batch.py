"""Batch analysis at scale: pool speed-up, Dask overhead, and a 1,000-clip study with a resume.

1. A folder of 8 copies of talking_head_512.mp4: `--jobs 1` against `--jobs 2` (wall time).
2. The same folder on a 2-worker Dask LocalCluster: overhead per video against the pool.
3. `--study N` (default 1000) short generated clips (2 s each, a real face moving): RSS of
   the pool's workers sampled through the run, the index checked, then the batch is killed
   half-way (SIGINT) and resumed: the resume must redo only what was unfinished.
Prints medians where there are repeats, and the machine and its load.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import machine, shared_video

CLI = [sys.executable, "-m", "fer_desktop"]


def analyze(folder: Path, out: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([*CLI, "analyze", str(folder), "--out", str(out), "--quiet", *extra],
                   check=False, capture_output=True)  # fmt: skip
    return time.perf_counter() - t0


def index_rows(out: Path) -> list[dict]:
    with open(out / "index.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def make_clip(path: Path, face: np.ndarray, seed: int, seconds: float = 2.0, fps: int = 10):
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (320, 240))
    x, y = rng.integers(20, 120), rng.integers(10, 60)
    for _ in range(int(seconds * fps)):
        frame = np.full((240, 320, 3), 90, np.uint8)
        x, y = (
            int(np.clip(x + rng.integers(-3, 4), 0, 160)),
            int(np.clip(y + rng.integers(-2, 3), 0, 80)),
        )
        frame[y : y + 160, x : x + 160] = face
        writer.write(frame)
    writer.release()


def worker_rss_mb() -> list[float]:
    """RSS of every fer_desktop pool worker running now (Linux /proc)."""
    out = []
    for pid in os.listdir("/proc"):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"multiprocessing" in cmd and b"spawn" in cmd:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError):
            continue
    return out


def scale(tmp: Path) -> None:
    head = shared_video("talking_head_512.mp4")
    folder = tmp / "eight"
    folder.mkdir()
    for k in range(8):
        shutil.copy(head, folder / f"clip{k}.mp4")
    one = [analyze(folder, tmp / f"j1_{r}", "--jobs", "1") for r in range(2)]
    two = [analyze(folder, tmp / f"j2_{r}", "--jobs", "2") for r in range(2)]
    dask = [
        analyze(folder, tmp / f"dask_{r}", "--jobs", "2", "--scheduler", "local") for r in range(2)
    ]
    print(f"8 clips x 8 s: --jobs 1 {np.median(one):.1f} s, --jobs 2 {np.median(two):.1f} s "
          f"-> speed-up {np.median(one) / np.median(two):.2f}x")  # fmt: skip
    print(f"same on a 2-worker Dask LocalCluster: {np.median(dask):.1f} s "
          f"(cluster start included), {(np.median(dask) - np.median(two)) / 8:+.2f} s per video "
          "against the local pool")  # fmt: skip


def study(tmp: Path, n: int) -> None:
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        portrait = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)
    face = cv2.resize(portrait[60:460, 90:430], (160, 160))
    folder = tmp / "study"
    folder.mkdir()
    t0 = time.perf_counter()
    for k in range(n):
        make_clip(folder / f"c{k:04d}.avi", face, k)
    print(f"{n} clips generated in {time.perf_counter() - t0:.0f} s")
    out = tmp / "study_out"
    command = [*CLI, "analyze", str(folder), "--out", str(out), "--quiet", "--jobs", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[int, list[float]]] = []
    while proc.poll() is None:
        done = len(index_rows(out)) if (out / "index.csv").exists() else 0
        rss = worker_rss_mb()
        if rss:
            samples.append((done, rss))
        if done >= n // 2:
            proc.send_signal(signal.SIGINT)  # kill the batch half-way
            break
        time.sleep(1.0)
    proc.wait()
    rows = index_rows(out)
    ok_before = sum(r["status"] == "ok" for r in rows)
    print(f"killed at {len(rows)} indexed ({ok_before} ok, "
          f"{sum(r['status'] == 'partial' for r in rows)} partial)")  # fmt: skip
    first = [np.mean(r) for d, r in samples if n // 10 <= d < n // 5]  # after start-up
    last = [np.mean(r) for d, r in samples if d >= n // 2 - n // 10]
    if first and last:
        print(f"worker RSS: {np.median(first):.0f} MB in the second tenth, "
              f"{np.median(last):.0f} MB near the kill")  # fmt: skip
    t0 = time.perf_counter()
    resume = subprocess.run(command, capture_output=True, text=True)
    skipped = resume.stdout.count("already analysed")
    rows = index_rows(out)
    print(f"resume: {skipped} skipped (were ok: {ok_before}), {n - skipped} analysed in "
          f"{time.perf_counter() - t0:.0f} s; index rows {len(rows)}, all ok: "
          f"{all(r['status'] == 'ok' for r in rows)}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--study", type=int, default=1000, help="clips in the study (0: skip)")
    p.add_argument("--no-scale", action="store_true", help="skip the 8-clip measurements")
    args = p.parse_args()
    print(f"machine: {machine()}")
    tmp = Path(tempfile.mkdtemp(prefix="fer_bench_batch_"))
    try:
        if not args.no_scale:
            scale(tmp)
        if args.study:
            study(tmp, args.study)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
