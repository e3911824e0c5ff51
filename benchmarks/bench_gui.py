"""The window, offscreen: frame rate, arrival-to-paint latency, memory, closing and start-up
time.

1. A 640x480, 30 fps clip (talking_head_512.mp4 letterboxed, looped to 60 s) plays at its own
   speed in the window; we report shown fps, the median and p95 time from a frame's arrival in
   the worker to its paint, frames dropped, and RSS.
2. The window is closed while the demo plays, five times: the time until its worker stopped.
3. `fer-desktop gui --source demo` is launched as a new process five times, from the venv and,
   when `make package` has built it, from the bundle; we report the time from launch to the
   first frame painted with a labelled face.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.bench_pipeline import letterbox_640x480
from benchmarks.common import REPO, machine, rss_mb, shared_video, stats

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_clip(path: Path, seconds: float = 60.0) -> Path:
    src = cv2.VideoCapture(str(shared_video("talking_head_512.mp4")))
    frames = []
    while True:
        ok, f = src.read()
        if not ok:
            break
        frames.append(letterbox_640x480(f))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (640, 480))
    for i in range(int(seconds * 30)):
        k = i % (2 * len(frames) - 2)  # ping-pong so the face never jumps
        writer.write(frames[k if k < len(frames) else 2 * len(frames) - 2 - k])
    writer.release()
    return path


def new_window(folder: str):
    """The live window with settings in `folder`, and the application it runs in."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from fer_desktop.gui import prepare_qt_environment
    from fer_desktop.gui.main_window import MainWindow

    prepare_qt_environment()  # cv2's Qt 5 variables undone, as the window's start does
    app = QApplication.instance() or QApplication([])
    return app, MainWindow(QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat))


def bench_window(clip: Path, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, w = new_window(tmp)
        w.resize(1100, 760)
        w.show()
        w.start_source(str(clip))
        t_end = time.perf_counter() + seconds
        shown_at, rss = [], []
        last = 0
        while time.perf_counter() < t_end:
            app.processEvents()
            if w.frames_shown != last:
                last = w.frames_shown
                shown_at.append(time.perf_counter())
            if len(shown_at) % 150 == 1:
                rss.append(rss_mb())
            time.sleep(0.001)
        dropped = w.worker.dropped if w.worker else 0
        lat = list(w.latencies_ms)[30:]
        w.close()
    span = shown_at[-1] - shown_at[30]
    print(
        f"  shown {len(shown_at)} frames, {(len(shown_at) - 31) / span:.1f} fps "
        f"(source 30 fps), dropped {dropped}"
    )
    print(f"  arrival-to-paint {stats(lat)}")
    print(f"  RSS first/last/max {rss[1]:.0f} / {rss[-1]:.0f} / {max(rss):.0f} MB")


def bench_close(runs: int = 5) -> None:
    """Closing the window while the demo plays: from close() until its worker has stopped."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            app, w = new_window(tmp)
            w.show()
            w.start_source("demo")
            while w.frames_shown < 3:
                app.processEvents()
                time.sleep(0.01)
            t0 = time.perf_counter()
            w.close()
            times.append(time.perf_counter() - t0)
    print(f"  close while playing: median {np.median(times):.2f} s, max {max(times):.2f} s")


BUNDLE = REPO / "dist" / "fer-desktop" / "fer-desktop"


def bench_startup(program: list[str], what: str, runs: int = 5) -> None:
    env = {**os.environ, "FER_DESKTOP_TIMING": "1", "QT_QPA_PLATFORM": "offscreen"}
    times = []
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run(
            [*program, "gui", "--source", "demo", "--exit-after", "8"],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
        )
        line = [ln for ln in out.stderr.splitlines() if ln.startswith("timing:")]
        first = float(line[0].split("first_labelled_at=")[1].split()[0])
        times.append(first - t0)
    print(
        f"  {what}: launch to first labelled frame: median {np.median(times):.2f} s, "
        f"max {max(times):.2f} s over {runs} launches"
    )


def main() -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "clip.avi")
        print("== window on a 640x480 30 fps video, offscreen, 60 s")
        bench_window(clip, 60.0)
    print("== close (the window stops its worker within 2 s, else waits up to 15 s more)")
    bench_close()
    print("== start-up")
    bench_startup([sys.executable, "-m", "fer_desktop"], "venv")
    if BUNDLE.exists():  # `make package` builds it
        bench_startup([str(BUNDLE)], f"bundle ({BUNDLE.parent.relative_to(REPO)})")


if __name__ == "__main__":
    main()
