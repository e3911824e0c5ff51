"""Per-stage time per frame (decode, detect, crop, classify, track, write) with one face at
640x480 and with many faces at 1080p, plus `analyze` throughput as a multiple of real time.

Run: make bench (or .venv/bin/python benchmarks/bench_pipeline.py). Prints medians and p95.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rss_mb, shared_video, stats

from fer_desktop.commands.analyze import analyze_video
from fer_desktop.pipeline import Pipeline, PipelineConfig
from fer_desktop.sources import Frame, VideoSource
from fer_desktop.timeline import open_timeline

STAGES = ("decode", "detect", "crop", "classify", "track", "write")


def letterbox_640x480(bgr: np.ndarray) -> np.ndarray:
    """What a 640x480 camera shows of a square clip: scaled to 480 high, padded at the sides."""
    square = cv2.resize(bgr, (480, 480), interpolation=cv2.INTER_AREA)
    return cv2.copyMakeBorder(square, 0, 0, 80, 80, cv2.BORDER_CONSTANT, value=(0, 0, 0))


def bench_stages(video: Path, config: PipelineConfig, to_640x480: bool, loops: int) -> dict:
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    faces = []
    with Pipeline(config) as pipe, tempfile.TemporaryDirectory() as tmp:
        meta = {"source": video.name, "settings": pipe.settings()}
        with open_timeline(Path(tmp) / "t.csv", "csv", pipe.labels, meta) as timeline:
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
                    timeline.write(result)
                    t3 = time.perf_counter()
                    times["decode"].append((t1 - t0) * 1e3)
                    for k, v in result.timings_ms.items():
                        times[k].append(v)
                    times["write"].append((t3 - t2) * 1e3)
                    faces.append(len(result.faces))
                    index += 1
                src.close()
    core = [
        d + c + k + t
        for d, c, k, t in zip(
            times["detect"], times["crop"], times["classify"], times["track"], strict=True
        )
    ]
    return {"times": times, "core": core, "faces": faces}


def main() -> None:
    print(f"machine: {machine()}")
    print("(medians over every frame; the first 10 frames of each run are warm-up and dropped)")
    head = shared_video("talking_head_512.mp4")
    crowd = shared_video("crowd_1080p.mp4")
    runs = [
        (
            "1 face, 640x480 (talking_head_512.mp4 letterboxed), short range",
            head,
            PipelineConfig(),
            True,
            3,
        ),
        (
            "many faces, 1920x1080 (crowd_1080p.mp4), full range",
            crowd,
            PipelineConfig(detector_range="full"),
            False,
            2,
        ),
        ("many faces, 1920x1080 (crowd_1080p.mp4), short range", crowd, PipelineConfig(), False, 2),
    ]
    for title, video, config, lb, loops in runs:
        r = bench_stages(video, config, lb, loops)
        print(
            f"\n== {title}: faces per frame median {np.median(r['faces']):.0f}, "
            f"max {max(r['faces'])}"
        )
        for stage in STAGES:
            print(f"  {stage:<9} {stats(r['times'][stage][10:])}")
        print(f"  {'detect+crop+classify+track':<9} {stats(r['core'][10:])}")

    print("\n== analyze (every frame, CSV timeline, no report): speed as a multiple of real time")
    with Pipeline() as pipe, tempfile.TemporaryDirectory() as tmp:
        speeds = []
        rss = []
        for _ in range(3):
            s = analyze_video(pipe, head, Path(tmp), "csv", every=1, report=False)
            speeds.append(s["speed_x_realtime"])
            rss.append(rss_mb())
        print(
            f"  talking_head_512.mp4 (8.0 s, 200 frames): median {np.median(speeds):.1f}x "
            f"real time over {len(speeds)} runs; RSS after each run {[round(x) for x in rss]} MB"
        )


if __name__ == "__main__":
    main()
