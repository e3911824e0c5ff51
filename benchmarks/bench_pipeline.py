"""The speed table of the README: time per frame by stage, crowds, and `analyze` as a multiple
of real time with start-up included.

- one face at 640x480 (talking_head_512.mp4 letterboxed, as a 640x480 camera shows it):
  decode, detect, crop, classify, track, write; default settings and near-only;
- crowd_1080p.mp4: faces found per frame and speed, with the default settings and with the
  exhaustive `--range full --tiles 2`;
- `fer-desktop analyze` of talking_head_512.mp4 looped 8x (64 s), a fresh process each run,
  start-up included.

Run: make bench (or .venv/bin/python -m benchmarks.bench_pipeline). Prints medians, p95, the
machine and its load.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import machine, shared_video, stats
from fer_desktop.commands.analyze import analyze_video
from fer_desktop.outputs import SessionInfo
from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import Frame, VideoSource
from fer_desktop.timeline import open_timeline, read_timeline

STAGES = ("decode", "detect", "crop", "classify", "track", "write")
CLI = Path(sys.executable).parent / "fer-desktop"


def letterbox_640x480(bgr: np.ndarray) -> np.ndarray:
    """What a 640x480 camera shows of a square clip: scaled to 480 high, padded at the sides."""
    square = cv2.resize(bgr, (480, 480), interpolation=cv2.INTER_AREA)
    return cv2.copyMakeBorder(square, 0, 0, 80, 80, cv2.BORDER_CONSTANT, value=(0, 0, 0))


def bench_stages(video: Path, config: Settings, to_640x480: bool, loops: int) -> dict:
    """Per-stage times of every frame (the first 10 dropped as warm-up)."""
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    faces = []
    with Pipeline(config) as pipe, tempfile.TemporaryDirectory() as tmp:
        timeline = open_timeline(Path(tmp) / "t.csv", "csv")
        timeline.start(SessionInfo(video.name, pipe.labels, pipe.describe()))
        index = 0
        for _ in range(loops):
            src = VideoSource(video)
            it = iter(src)
            while True:
                t0 = time.perf_counter()
                frame = next(it, None)
                if frame is None:
                    break
                bgr = letterbox_640x480(frame.bgr) if to_640x480 else frame.bgr
                t1 = time.perf_counter()
                result = pipe.process(Frame(index, index / src.fps, bgr))
                t2 = time.perf_counter()
                timeline.frame(result)
                t3 = time.perf_counter()
                times["decode"].append((t1 - t0) * 1e3)
                for k, v in result.timings_ms.items():
                    times[k].append(v)
                times["write"].append((t3 - t2) * 1e3)
                faces.append(len(result.faces))
                index += 1
            src.close()
        timeline.close()
    parts = [times[s] for s in ("detect", "crop", "classify", "track")]
    core = [sum(v) for v in zip(*parts, strict=True)]
    return {"times": {k: v[10:] for k, v in times.items()}, "core": core[10:], "faces": faces}


def one_face() -> None:
    head = shared_video("talking_head_512.mp4")
    for title, config in [
        ("default settings (auto)", Settings()),
        ("near faces only (--range short)", Settings(detector_range="short")),
    ]:
        r = bench_stages(head, config, True, 3)
        print(f"\n== 1 face, 640x480, {title}")
        for stage in STAGES:
            print(f"  {stage:<27} {stats(r['times'][stage])}")
        print(f"  {'detect+crop+classify+track':<27} {stats(r['core'])}")


def crowd() -> None:
    video = shared_video("crowd_1080p.mp4")
    print("\n== crowd_1080p.mp4 (1920x1080, 4.2 s): faces per frame and speed, decode included")
    for title, config in [
        ("default settings (auto)", Settings()),
        ("--range full --tiles 2", Settings(detector_range="full", detector_tiles=2)),
        ("--range full", Settings(detector_range="full")),
        ("--range short", Settings(detector_range="short")),
    ]:
        speeds = []
        with Pipeline(config) as pipe, tempfile.TemporaryDirectory() as tmp:
            for _ in range(3):
                speeds.append(
                    analyze_video(pipe, video, Path(tmp), "csv", 1, False)["speed_x_realtime"]
                )
            frames = read_timeline(Path(tmp) / f"{video.stem}.csv")["frames"]
            faces = [row["faces"] for row in frames]
        print(
            f"  {title:<24} faces median {np.median(faces):.0f} (max {max(faces)}), "
            f"{np.median(speeds):.2f}x real time (median of 3)"
        )


def looped(video: Path, times: int, out: Path) -> Path:
    """The clip repeated `times` times, as one MPEG-4 file."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for _ in range(times):
        for frame in frames:
            writer.write(frame)
    writer.release()
    return out


def analyze_cli(clip: Path, runs: int = 3) -> list[float]:
    """Wall time of `fer-desktop analyze CLIP` in a fresh process, start-up included."""
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            t0 = time.perf_counter()
            subprocess.run(
                [str(CLI), "analyze", str(clip), "--out", f"{tmp}/{i}", "--quiet"], check=True
            )
            walls.append(time.perf_counter() - t0)
    return walls


def analyze_speed() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clip = looped(shared_video("talking_head_512.mp4"), 8, Path(tmp) / "head_x8.mp4")
        walls = analyze_cli(clip)
    print("\n== fer-desktop analyze talking_head_512.mp4 looped 8x (64 s), start-up included")
    print(
        f"  wall median {np.median(walls):.1f} s -> {64.0 / np.median(walls):.1f}x real time "
        f"(runs: {', '.join(f'{w:.1f}' for w in walls)} s)"
    )


def main() -> None:
    print(f"machine: {machine()}")
    print("(per-frame medians drop the first 10 frames of each run as warm-up)")
    one_face()
    crowd()
    analyze_speed()
    print(f"\nmachine at the end: {machine()}")


if __name__ == "__main__":
    main()
