"""The face mesh's budgets (issue #31), printed side by side with the mesh off / face / eyes:

- one face at 640x480 (talking_head_512.mp4 letterboxed): detect + mesh + crop + classify +
  track per frame, median and mean (the detector reads one frame in DETECT_EVERY, so the
  median is a followed frame and the mean carries the detector's share), on one core;
  goal <= 2.0 ms with the mesh on `face`;
- what DETECT_EVERY buys (1, 5, 10, 20, 30) with the mesh on `face`;
- where a followed frame's mesh time goes: crop, model, points back to the image, next ROI,
  measures;
- crowd_1080p.mp4: faces found per frame and speed (x real time) with each mesh setting;
  goal >= 1x real time with the mesh on, every face the detector finds with it off;
- PyAV decoding with thread_type AUTO (what VideoSource uses) and without, per frame;
- `fer-desktop analyze` of talking_head_512.mp4 looped 8x (64 s), a fresh process each run,
  start-up included, alternating the settings (and fer 25.10.3 with --fer, as
  bench_vs_fer.py runs it); goal >= 20x fer's throughput with the mesh on.

Run: nice .venv/bin/python -m benchmarks.bench_mesh_budgets [--fer] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from benchmarks.bench_pipeline import CLI, letterbox_640x480, looped
from benchmarks.bench_vs_fer import FER_SCRIPT, FER_VENV, fer_python
from benchmarks.bench_vs_fer import timed as timed_run
from benchmarks.common import machine, shared_video, stats
from fer_desktop import mesh as mesh_mod
from fer_desktop import mesh_stage
from fer_desktop.commands.analyze import analyze_video
from fer_desktop.measures import measure
from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import Frame
from fer_desktop.timeline import read_timeline

MESH_MODES = ("off", "face", "eyes")
CORE_STAGES = ("detect", "mesh", "crop", "classify", "track")
WARM_UP = 10  # frames dropped from each run's per-frame numbers


def decoded(path: Path, threaded: bool) -> tuple[list[np.ndarray], list[float]]:
    """Every frame of a file as BGR, and each frame's decode + convert time in ms."""
    frames, times = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if threaded:
            stream.thread_type = "AUTO"
        it = container.decode(stream)
        while True:
            t0 = time.perf_counter()
            frame = next(it, None)
            if frame is None:
                break
            frames.append(frame.to_ndarray(format="bgr24"))
            times.append((time.perf_counter() - t0) * 1e3)
    return frames, times


def per_frame(frames: list[np.ndarray], config: Settings, loops: int = 3) -> dict:
    """Core time (detect + mesh + crop + classify + track) of each frame, after warm-up, and
    how many frames the detector read."""
    core, detected = [], 0
    with Pipeline(config) as pipe:
        index = 0
        for _ in range(loops):
            for bgr in frames:
                result = pipe.process(Frame(index, index / 25.0, bgr))
                t = result.timings_ms
                if index >= WARM_UP:
                    core.append(sum(t.get(s, 0.0) for s in CORE_STAGES))
                detected += t["detect"] > 0
                index += 1
    return {"core": core, "detector_frames": detected, "frames": index}


def one_face(frames: list[np.ndarray]) -> None:
    print("\n== 1 face, 640x480: detect + mesh + crop + classify + track per frame")
    for mode in MESH_MODES:
        r = per_frame(frames, Settings(mesh=mode))
        print(
            f"  mesh {mode:<5} {stats(r['core'])}   mean {np.mean(r['core']):6.3f} ms   "
            f"detector read {r['detector_frames']}/{r['frames']} frames"
        )


def detect_every(frames: list[np.ndarray]) -> None:
    print("\n== DETECT_EVERY with the mesh on `face` (1 face, 640x480; same measure as above)")
    default = mesh_stage.DETECT_EVERY
    try:
        for n in (1, 5, 10, 20, 30):
            mesh_stage.DETECT_EVERY = n
            r = per_frame(frames, Settings(mesh="face"))
            print(
                f"  every {n:>2}: {stats(r['core'])}   mean {np.mean(r['core']):6.3f} ms   "
                f"detector read {r['detector_frames']}/{r['frames']} frames"
            )
    finally:
        mesh_stage.DETECT_EVERY = default


def mesh_profile(frames: list[np.ndarray]) -> None:
    """A followed frame's mesh cost, step by step (mesh.FaceMesh.run's own steps)."""
    print("\n== where a followed frame's mesh time goes (1 face, 640x480, mesh `face`)")
    face = mesh_mod.FaceMesh(iris=False)
    with Pipeline(Settings(mesh="off")) as pipe:
        first = pipe.detector.detect(frames[0], None)[0]
    roi = mesh_mod.roi_from_detection(first)
    steps: dict[str, list[float]] = {
        k: [] for k in ("crop", "model", "to image", "next roi", "measures")
    }
    for bgr in frames * 2:
        t0 = time.perf_counter()
        rgb, to_image = mesh_mod._crop(bgr, roi, mesh_mod.MESH_SIZE)
        t1 = time.perf_counter()
        face._face.set_tensor(face._face_in, rgb)
        face._face.invoke()
        raw = face._face.get_tensor(face._face_points).reshape(468, 3)
        t2 = time.perf_counter()
        points = mesh_mod._to_image(raw, to_image)
        t3 = time.perf_counter()
        roi = mesh_mod.roi_from_points(points)
        t4 = time.perf_counter()
        measure(points)
        t5 = time.perf_counter()
        for k, a, b in zip(steps, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5), strict=True):
            steps[k].append((b - a) * 1e3)
    for k, v in steps.items():
        print(f"  {k:<10} {stats(v[WARM_UP:])}")


def crowd() -> None:
    video = shared_video("crowd_1080p.mp4")
    print("\n== crowd_1080p.mp4 (1920x1080, 4.2 s, default range auto): faces and speed")
    for mode in MESH_MODES:
        speeds = []
        with Pipeline(Settings(mesh=mode)) as pipe, tempfile.TemporaryDirectory() as tmp:
            for _ in range(3):
                speeds.append(
                    analyze_video(pipe, video, Path(tmp), "csv", 1, False)["speed_x_realtime"]
                )
            rows = read_timeline(Path(tmp) / f"{video.stem}.csv")["frames"]
            faces = [row["faces"] for row in rows]
        print(
            f"  mesh {mode:<5} faces per frame median {np.median(faces):.0f} (max {max(faces)}, "
            f"face-frames {sum(faces)}), {np.median(speeds):.2f}x real time (median of 3: "
            f"{', '.join(f'{s:.2f}' for s in speeds)})"
        )


def decoding() -> None:
    print("\n== PyAV decoding to BGR per frame: thread_type AUTO (VideoSource) vs default")
    for name in ("talking_head_512.mp4", "crowd_1080p.mp4"):
        path = shared_video(name)
        for threaded in (False, True, False, True):
            _, times = decoded(path, threaded)
            label = "AUTO   " if threaded else "default"
            print(f"  {name:<22} {label} {stats(times[WARM_UP:])}")


def analyze_vs_fer(rounds: int, with_fer: bool) -> None:
    print("\n== fer-desktop analyze talking_head_512.mp4 looped 8x (64 s), start-up included")
    walls: dict[str, list[float]] = {m: [] for m in MESH_MODES}
    fers: list[float] = []
    python = fer_python(FER_VENV) if with_fer else None
    with tempfile.TemporaryDirectory() as tmp:
        clip = looped(shared_video("talking_head_512.mp4"), 8, Path(tmp) / "head_x8.mp4")
        script = Path(tmp) / "fer_run.py"
        script.write_text(FER_SCRIPT)
        for i in range(rounds):
            for mode in MESH_MODES:
                out = f"{tmp}/{mode}{i}"
                wall, _ = timed_run(
                    [str(CLI), "analyze", str(clip), "--out", out, "--quiet", "--mesh", mode]
                )
                walls[mode].append(wall)
                print(f"  round {i + 1}: mesh {mode:<5} {wall:6.1f} s", flush=True)
            if python is not None:
                wall, _ = timed_run([str(python), str(script), str(clip)])
                fers.append(wall)
                print(f"  round {i + 1}: fer        {wall:6.1f} s", flush=True)
    f = float(np.median(fers)) if fers else None
    for mode, values in walls.items():
        o = float(np.median(values))
        vs = f" -> {f / o:.1f}x fer's throughput (fer {f:.1f} s)" if f else ""
        print(f"  mesh {mode:<5} median {o:5.1f} s, {64 / o:5.1f}x real time{vs}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="alternating analyze rounds")
    ap.add_argument("--fer", action="store_true", help="time fer 25.10.3 too (makes its venv)")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip")
    ap.add_argument("--one-core", action="store_true", help="pin this process to one CPU")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    if args.one_core and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"machine: {machine()}")
    print(f"(per-frame numbers drop the first {WARM_UP} frames; DETECT_EVERY = "
          f"{mesh_stage.DETECT_EVERY}; LiteRT one thread per model)")  # fmt: skip
    frames = [letterbox_640x480(f) for f in decoded(shared_video("talking_head_512.mp4"), 1)[0]]
    parts = {
        "one_face": lambda: one_face(frames),
        "detect_every": lambda: detect_every(frames),
        "profile": lambda: mesh_profile(frames),
        "crowd": crowd,
        "decode": decoding,
        "analyze": lambda: analyze_vs_fer(args.rounds, args.fer),
    }
    for name, run in parts.items():
        if name not in skip:
            run()
    print(f"\nmachine at the end: {machine()}")


if __name__ == "__main__":
    main()
