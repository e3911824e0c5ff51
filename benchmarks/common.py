"""Shared helpers for the benchmark scripts: machine description and robust statistics."""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED_VIDEOS = REPO.parent / "shared" / "videos"


def machine() -> str:
    """One line saying what these numbers were measured on."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}, numpy {np.__version__}; "
        f"load average {os.getloadavg()[0]:.2f}; {cpu_check()}"
    )


def cpu_check() -> str:
    """How fast this machine runs plain Python right now (best of 3), so that numbers from
    different days of this shared VM can be told apart from changes of the code (on
    2026-12-02 the code that measured 2.0 ms a frame before measured 4.3 ms)."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return f"cpu check: a 10M-step Python loop in {5 * best:.2f} s"


def stats(values_ms: list[float]) -> str:
    a = np.asarray(values_ms)
    return f"median {np.median(a):7.3f} ms   p95 {np.percentile(a, 95):7.3f} ms   (n={len(a)})"


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def shared_video(name: str) -> Path:
    path = SHARED_VIDEOS / name
    if not path.exists():
        sys.exit(f"benchmark needs ../shared/videos/{name}")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
