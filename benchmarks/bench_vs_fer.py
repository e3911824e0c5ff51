"""Throughput against fer 25.10.3 on the same clip, same machine, one run, alternating.

The clip is ../shared/videos/talking_head_512.mp4 looped 8x (64 s, 1,600 frames). Each run is
a fresh process timed from start to exit, start-up included:
- ours: `fer-desktop analyze CLIP --out DIR` (default settings, CSV timeline);
- fer: a short script in fer's own venv that reads every frame with OpenCV and calls
  `FER().detect_emotions(frame)` (fer's defaults: Haar cascade, its quantized TFLite model),
  which is what fer's `Video.analyze` does per frame, without its moviepy output.

fer (MIT) needs TensorFlow, so it goes into a throwaway venv outside the repository
(default: $TMPDIR/fer_desktop_bench_fer_venv, made on first use from the package index);
none of its files enter git. Run: .venv/bin/python -m benchmarks.bench_vs_fer [--rounds 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_pipeline import CLI, looped
from benchmarks.common import machine, shared_video

FER_VERSION = "25.10.3"
FER_VENV = Path(tempfile.gettempdir()) / "fer_desktop_bench_fer_venv"
FER_DEPS = [
    "tensorflow-cpu==2.21.*",
    "opencv-contrib-python",
    "pandas",
    "requests",
    "tqdm",
    "setuptools<81",  # fer imports pkg_resources
    "Pillow",
    "matplotlib",
]
FER_SCRIPT = """
import sys, cv2
from fer.fer import FER
detector = FER()
cap = cv2.VideoCapture(sys.argv[1])
frames = faces = 0
while True:
    ok, frame = cap.read()
    if not ok:
        break
    faces += len(detector.detect_emotions(frame))
    frames += 1
print(frames, faces)
"""


def fer_python(venv: Path) -> Path:
    """fer's venv (made if missing); returns its python."""
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        print(f"making fer's venv in {venv} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--no-deps", f"fer=={FER_VERSION}"], check=True)
        subprocess.run([*pip, *FER_DEPS], check=True)
        (venv / ".ready").touch()
    return python


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, done.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="ours-then-fer rounds (default 2)")
    ap.add_argument("--fer-venv", type=Path, default=FER_VENV)
    args = ap.parse_args()
    python = fer_python(args.fer_venv)
    print(f"machine: {machine()}")
    ours, fers = [], []
    with tempfile.TemporaryDirectory() as tmp:
        clip = looped(shared_video("talking_head_512.mp4"), 8, Path(tmp) / "head_x8.mp4")
        script = Path(tmp) / "fer_run.py"
        script.write_text(FER_SCRIPT)
        for i in range(args.rounds):
            wall, _ = timed([str(CLI), "analyze", str(clip), "--out", f"{tmp}/o{i}", "--quiet"])
            ours.append(wall)
            print(f"  round {i + 1}: ours {wall:6.1f} s", flush=True)
            wall, out = timed([str(python), str(script), str(clip)])
            fers.append(wall)
            frames, faces = out.split()[-2:]
            print(f"  round {i + 1}: fer  {wall:6.1f} s ({frames} frames, {faces} faces)")
    o, f = float(np.median(ours)), float(np.median(fers))
    print(
        f"\n64 s clip, start-up included: ours {o:.1f} s ({64 / o:.1f}x real time), "
        f"fer {f:.1f} s ({64 / f:.2f}x real time) -> ours is {f / o:.1f}x fer's throughput"
    )
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
