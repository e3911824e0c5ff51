"""Seek latency in review mode on a 10-minute recording: a seek asked -> that frame shown.

Makes a 10-minute 640x480 video of the built-in demo (MJPEG, 25 fps), analyses it with
`fer-desktop analyze`, opens it in the review window (offscreen) and times 200 seeks to
random places (decode, boxes and paint included), then 200 one-frame steps. Prints medians,
p95, the machine and its load.
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import machine, stats
from fer_desktop.sources import DemoSource

MINUTES = 10
FPS = 25


def make_video(path: Path) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 480))
    demo = DemoSource(realtime=False)
    for n, frame in enumerate(demo):
        if n >= MINUTES * 60 * FPS:
            break
        writer.write(frame.bgr)
    writer.release()
    demo.close()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fer_bench_review_"))
    video = tmp / "ten_minutes.avi"
    t0 = time.perf_counter()
    make_video(video)
    subprocess.run([sys.executable, "-m", "fer_desktop", "analyze", str(video), "--out",
                    str(tmp), "--quiet"], check=True)  # fmt: skip
    print(f"made and analysed a {MINUTES}-minute video in {time.perf_counter() - t0:.0f} s")

    from PySide6.QtWidgets import QApplication

    from fer_desktop.gui import prepare_qt_environment
    from fer_desktop.gui.review_window import ReviewWindow

    prepare_qt_environment()  # cv2's Qt 5 variables undone, as the window's start does
    app = QApplication.instance() or QApplication([])
    w = ReviewWindow(tmp / "ten_minutes.csv")
    w.resize(1200, 800)
    w.show()
    app.processEvents()
    rng = np.random.default_rng(0)
    end = w.rec.frames[-1].t_source
    seek_ms, step_ms = [], []
    for t in rng.uniform(0, end, 200):
        t0 = time.perf_counter()
        w.seek(float(t))
        w.view.repaint()
        seek_ms.append((time.perf_counter() - t0) * 1e3)
    for _ in range(200):
        t0 = time.perf_counter()
        w.show_frame(w.current + 1)
        w.view.repaint()
        step_ms.append((time.perf_counter() - t0) * 1e3)
    print(f"machine: {machine()}")
    print(f"frames in the recording: {len(w.rec.frames)}")
    print("seek to a random time -> frame shown: " + stats(seek_ms))
    print("step one frame -> frame shown:        " + stats(step_ms))
    w.close()


if __name__ == "__main__":
    main()
