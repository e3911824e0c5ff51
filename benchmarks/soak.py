"""Soak: run the pipeline (or the window, offscreen) over a looping video for a set time,
sampling RSS and per-frame time, and report their growth from the first to the last tenth;
or run `live` as a rig does and report its threads, RSS and open files at every part.

  .venv/bin/python -m benchmarks.soak --minutes 30            # the pipeline
  .venv/bin/python -m benchmarks.soak --minutes 30 --window   # the window, offscreen
  .venv/bin/python -m benchmarks.soak --minutes 60 --rig      # `live`, every output

`--rig` plays the video as a camera into `live` with every output at once (stdout, LSL,
WebSocket, a recording cut every `--part-seconds` with `--keep-gb` retention) while
clients come and go (a WebSocket client and an LSL inlet, each connecting, reading and
leaving in turn). At each cut it prints one JSON line on the `live` process: threads
(/proc/PID/task), open files (/proc/PID/fd), RSS, and the parts and megabytes on disk;
then a summary line. All stay flat when nothing leaks (tests/test_soak.py, 10 parts).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, SHARED_VIDEOS, free_port, machine, rss_mb
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


def process_figures(pid: int) -> dict:
    """Threads, open files and resident memory of process `pid` (Linux /proc)."""
    proc = Path(f"/proc/{pid}")
    status = (proc / "status").read_text().splitlines()
    rss_kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return {
        "threads": len(os.listdir(proc / "task")),
        "open_files": len(os.listdir(proc / "fd")),
        "rss_mb": round(rss_kb / 1024, 1),
    }


class ClientChurn(threading.Thread):
    """A WebSocket client and an LSL inlet that connect, read a little and leave, in turn,
    until stopped: what a dashboard or a fusion process restarting does to a rig."""

    def __init__(self, url: str, lsl_name: str):
        super().__init__(name="churn", daemon=True)
        self.url, self.lsl_name = url, lsl_name
        self.visits = {"websocket": 0, "lsl": 0}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for client, visit in (("websocket", self._websocket), ("lsl", self._lsl)):
                try:
                    visit()
                    self.visits[client] += 1
                except Exception as exc:  # reported; the rig may be stopping, the soak goes on
                    if not self.stopped.is_set():
                        print(f"{client} client: {exc!r}", file=sys.stderr)
                    time.sleep(0.5)

    def _websocket(self) -> None:
        from websockets.sync.client import connect

        with connect(self.url, proxy=None, open_timeout=10) as ws:
            for _ in range(10):
                ws.recv(timeout=5)

    def _lsl(self) -> None:
        from mne_lsl import lsl

        (info,) = lsl.resolve_streams(timeout=5, name=self.lsl_name)
        inlet = lsl.StreamInlet(info)
        try:
            inlet.open_stream(timeout=5)
            inlet.pull_chunk(timeout=0.5)
        finally:
            inlet.close_stream()


def newest_part(folder: Path) -> int:
    """The highest part number recorded in `folder` so far (0: none yet)."""
    numbers = [int(p.stem.rsplit("-part", 1)[1]) for p in folder.glob("session-*-part*.mkv")]
    return max(numbers, default=0)


def disk(folder: Path) -> dict:
    files = [p for p in folder.glob("session-*") if p.is_file()]
    stems = {p.name.split(".", 1)[0] for p in files}
    return {
        "parts_on_disk": len(stems),
        "disk_mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
    }


def soak_rig(video: Path, parts: int, part_s: float, keep_gb: float) -> list[dict]:
    """`live` with every output for `parts` cuts; one record per cut (printed as it comes)."""
    name = f"fer_soak_{os.getpid()}"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        folder = Path(tmp)
        command = [
            sys.executable, "-m", "fer_desktop", "live", "--source", str(video),
            "--as-camera", "--loop", "--lsl", "--name", name,
            "--serve", f"ws://127.0.0.1:{port}", "--record", str(folder),
            "--rotate-minutes", str(part_s / 60), "--keep-gb", str(keep_gb),
        ]  # fmt: skip
        live = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        lines = {"stdout": 0, "stderr": []}
        readers = [
            threading.Thread(target=_count_lines, args=(live.stdout, lines), daemon=True),
            threading.Thread(target=_keep_lines, args=(live.stderr, lines), daemon=True),
        ]
        for reader in readers:
            reader.start()
        churn = ClientChurn(f"ws://127.0.0.1:{port}", name)
        records: list[dict] = []
        try:
            while newest_part(folder) == 0:
                if live.poll() is not None:
                    raise RuntimeError(f"live ended: {''.join(lines['stderr'])[-2000:]}")
                time.sleep(0.2)
            churn.start()
            seen = 1
            while seen <= parts and live.poll() is None:
                part = newest_part(folder)
                if part > seen:  # part `seen` was just closed
                    record = {"part": seen, **process_figures(live.pid), **disk(folder)}
                    record.update(clients=dict(churn.visits), stdout_lines=lines["stdout"])
                    print(json.dumps(record), flush=True)
                    records.append(record)
                    seen = part
                time.sleep(0.1)
        finally:
            churn.stopped.set()
            live.send_signal(signal.SIGTERM)
            code = live.wait(timeout=60)
            churn.join(15)
            for reader in readers:
                reader.join(5)
        if code != 0 or len(records) < parts:
            raise RuntimeError(f"live ended with {code}: {''.join(lines['stderr'])[-2000:]}")
        deleted = sum("retention: deleted" in line for line in lines["stderr"])
        records[-1]["deleted_parts"] = deleted
    return records


def _count_lines(stream, lines: dict) -> None:
    for _ in stream:
        lines["stdout"] += 1


def _keep_lines(stream, lines: dict) -> None:
    for line in stream:
        lines["stderr"].append(line)


def summarise_rig(records: list[dict], part_s: float) -> dict:
    """First part after warm-up (the second) against the last: threads, files, RSS."""
    first, last = records[min(1, len(records) - 1)], records[-1]
    return {
        "what": f"live with every output, a part every {part_s:g} s, retention, client churn",
        "parts": len(records),
        **{f"{key}_start": first[key] for key in ("threads", "open_files", "rss_mb")},
        **{f"{key}_end": last[key] for key in ("threads", "open_files", "rss_mb")},
        "threads_max": max(r["threads"] for r in records[1:] or records),
        "open_files_max": max(r["open_files"] for r in records[1:] or records),
        "parts_on_disk_max": max(r["parts_on_disk"] for r in records),
        "deleted_parts": last["deleted_parts"],
        "clients": last["clients"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=None, help="overrides --minutes")
    p.add_argument("--window", action="store_true", help="soak the window, offscreen")
    p.add_argument("--video", type=Path, default=SHARED_VIDEOS / "talking_head_512.mp4")
    p.add_argument("--rig", action="store_true", help="soak `live` with every output")
    p.add_argument("--part-seconds", type=float, default=60.0, help="--rig: a cut every S s")
    p.add_argument("--parts", type=int, default=None, help="--rig: overrides --minutes")
    p.add_argument("--keep-gb", type=float, default=0.1, help="--rig: live's retention")
    args = p.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    video = args.video if args.video.exists() else None
    print(f"machine: {machine()}", flush=True)
    if args.rig:
        if video is None:
            sys.exit(f"--rig needs a video file: {args.video} is not there")
        parts = args.parts or max(2, round(seconds / args.part_seconds))
        records = soak_rig(video, parts, args.part_seconds, args.keep_gb)
        summary = summarise_rig(records, args.part_seconds)
        summary["load_average_end"] = round(os.getloadavg()[0], 2)
        print(json.dumps(summary), flush=True)
        return 0
    run = soak_window if args.window else soak_pipeline
    label = (
        "window (offscreen)" if args.window else "pipeline"
    ) + f" on {video.name if video else 'the demo'}"
    result = summarise(run(video, seconds), label)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
