"""SIGTERM to exit for `live` as a rig runs it, and what the machine's load does to it.

Two cases, each a fresh process stopped once it is up:
- the demo served over WebSocket, one client reading and one never reading;
- a camera whose open blocks (a FIFO with no writer, as a wedged V4L2 device).

Prints the median and the spread of each, with the load average before and after, since on
a busy machine the stop waits for the analysis thread's turn on a core.

    python -m benchmarks.bench_sigterm [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_outputs import seconds_stats, sigterm_to_exit
from benchmarks.common import machine

LIVE = [sys.executable, "-m", "fer_desktop", "live"]


def blocked_camera_to_exit() -> float:
    """SIGTERM to exit while the camera's open waits on a FIFO that has no writer."""
    with tempfile.TemporaryDirectory() as folder:
        fifo = Path(folder) / "cam.fifo"
        os.mkfifo(fifo)
        live = subprocess.Popen(
            [*LIVE, "--camera", str(fifo), "--wait-for-camera", "--no-stdout", "--health", "0.2"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        live.stderr.readline()  # the first health line: the session waits for the camera
        t0 = time.perf_counter()
        live.terminate()
        live.wait(60)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    for what, measure in [
        ("a WebSocket client reading and one never reading", sigterm_to_exit),
        ("a camera whose open blocks (FIFO)", blocked_camera_to_exit),
    ]:
        load = os.getloadavg()[0]
        times = [measure() for _ in range(args.runs)]
        print(
            f"SIGTERM to exit, {what}: {seconds_stats(times)} "
            f"(load average {load:.2f} -> {os.getloadavg()[0]:.2f})"
        )


if __name__ == "__main__":
    main()
