"""Soak: run the pipeline (or the window, offscreen) over a looping video for a set time,
sampling RSS and per-frame time, and report their growth from the first to the last tenth.

  .venv/bin/python benchmarks/soak.py --minutes 30            # the pipeline
  .venv/bin/python benchmarks/soak.py --minutes 30 --window   # the window, offscreen
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_VIDEOS, machine, rss_mb

from fer_desktop.pipeline import Pipeline
from fer_desktop.sources import DemoSource, Frame, VideoSource


def looping_frames(video: Path | None):
    """Frames forever, with source time that keeps growing across loops."""
    index, t_offset = 0, 0.0
    while True:
        src = VideoSource(video) if video else DemoSource(realtime=False, duration=10.0)
        last = 0.0
        for f in src:
            yield Frame(index, t_offset + f.t_source, f.bgr)
            index += 1
            last = f.t_source
        src.close()
        t_offset += last + 0.04


class Sampler:
    """One sample per half second: (elapsed s, RSS MB, median frame ms in that half second).

    Keeping one tuple per frame would itself grow the RSS being measured (about 13 MB over
    100,000 frames), so frame times are folded into a sample as they come.
    """

    def __init__(self):
        self.t0 = time.perf_counter()
        self.samples: list[tuple[float, float, float]] = []
        self._frame_ms: list[float] = []
        self._next = 0.5
        self.frames = 0

    def add(self, frame_ms: float) -> float:
        self.frames += 1
        self._frame_ms.append(frame_ms)
        elapsed = time.perf_counter() - self.t0
        if elapsed >= self._next:
            self.samples.append((elapsed, rss_mb(), float(np.median(self._frame_ms))))
            self._frame_ms.clear()
            self._next = elapsed + 0.5
        return elapsed


def soak_pipeline(video: Path | None, seconds: float) -> Sampler:
    sampler = Sampler()
    with Pipeline() as pipe:
        for frame in looping_frames(video):
            t1 = time.perf_counter()
            pipe.process(frame)
            if sampler.add((time.perf_counter() - t1) * 1e3) > seconds:
                return sampler


def soak_window(video: Path | None, seconds: float) -> Sampler:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from fer_desktop.gui import prepare_qt_environment
    from fer_desktop.gui.main_window import MainWindow

    prepare_qt_environment()  # cv2's Qt 5 variables undone, as the window's start does
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        w = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        w.show()
        w.fast.setChecked(True)
        spec = str(video) if video else "demo"
        w.start_source(spec)
        deadline = time.perf_counter() + 60.0  # start-up (model loading) is not soak time
        while w.frames_shown == 0 and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.01)
        sampler = Sampler()
        last_shown = 0
        while time.perf_counter() - sampler.t0 < seconds:
            app.processEvents()
            if w.frames_shown != last_shown and w.latencies_ms:
                last_shown = w.frames_shown
                sampler.add(w.latencies_ms[-1])
            if w.source_spec != spec or w.state.at_end:
                w.start_source(spec)  # loop the file
            time.sleep(0.001)
        w.close()
    return sampler


def summarise(sampler: Sampler, label: str) -> dict:
    """Growth from the second tenth of the run (after warm-up) to the last tenth."""
    s = np.array(sampler.samples, dtype=float)
    n = len(s)
    tenth = max(1, n // 10)
    rss = s[:, 1]
    first_rss = np.nanmedian(rss[tenth : 2 * tenth]) if n >= 20 else np.nanmedian(rss)
    last_rss = np.nanmedian(rss[-tenth:])
    first_ms = np.median(s[tenth : 2 * tenth, 2]) if n >= 20 else np.median(s[:, 2])
    last_ms = np.median(s[-tenth:, 2])
    out = {
        "what": label,
        "frames": sampler.frames,
        "samples": n,
        "seconds": round(float(s[-1, 0]), 1),
        "rss_mb_start": round(float(first_rss), 1),
        "rss_mb_end": round(float(last_rss), 1),
        "rss_growth_pct": round(100 * (last_rss - first_rss) / first_rss, 2),
        "frame_ms_start": round(float(first_ms), 3),
        "frame_ms_end": round(float(last_ms), 3),
        "frame_time_growth_pct": round(100 * (last_ms - first_ms) / first_ms, 2),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=None, help="overrides --minutes")
    p.add_argument("--window", action="store_true", help="soak the window, offscreen")
    p.add_argument("--video", type=Path, default=SHARED_VIDEOS / "talking_head_512.mp4")
    args = p.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    video = args.video if args.video.exists() else None
    print(f"machine: {machine()}", flush=True)
    run = soak_window if args.window else soak_pipeline
    label = (
        "window (offscreen)" if args.window else "pipeline"
    ) + f" on {video.name if video else 'the demo'}"
    result = summarise(run(video, seconds), label)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
