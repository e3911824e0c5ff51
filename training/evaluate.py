"""Metrics for a classifier on a task's test usages, and the LiteRT evaluation of a file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from training.data import Task

Predict = Callable[[np.ndarray], np.ndarray]  # (N, 48, 48) uint8 -> (N, C) probabilities

SPLITS = {
    "private_dedup": ("PrivateTest", True),
    "private_full": ("PrivateTest", False),
    "public_dedup": ("PublicTest", True),
}


def metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """Accuracy, balanced accuracy, per-class recall and the confusion matrix."""
    n = len(labels)
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    support = cm.sum(axis=1)
    recall = np.divide(np.diag(cm), support, out=np.zeros(n), where=support > 0)
    out = {
        "n": len(y_true),
        "accuracy": round(float(np.mean(y_true == y_pred)) if len(y_true) else 0.0, 4),
        "balanced_accuracy": round(float(recall[support > 0].mean()) if n else 0.0, 4),
        "recall": {lab: round(float(r), 4) for lab, r in zip(labels, recall, strict=True)},
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_axes": "rows = true label, columns = predicted, in label order",
    }
    if "neutral" in labels and "sad" in labels:
        neutral, sad = labels.index("neutral"), labels.index("sad")
        called = cm[neutral, sad] / support[neutral] if support[neutral] else 0.0
        out["neutral_called_sad"] = round(float(called), 4)
    return out


def predict_in_batches(predict: Predict, x: np.ndarray, batch: int = 256) -> np.ndarray:
    return np.concatenate([predict(x[i : i + batch]) for i in range(0, len(x), batch)])


def evaluate(predict: Predict, task: Task) -> dict[str, dict]:
    """Metrics on PrivateTest (duplicates removed, and full) and PublicTest (dedup)."""
    out = {}
    for key, (usage, dedup) in SPLITS.items():
        x, y = task.subset(usage, dedup)
        probs = predict_in_batches(predict, x)
        out[key] = metrics(y, probs.argmax(axis=1), task.labels)
        out[key]["predicted"] = probs.argmax(axis=1)  # kept for the agreement check
    return out


def strip_predictions(results: dict[str, dict]) -> dict[str, dict]:
    return {k: {kk: vv for kk, vv in v.items() if kk != "predicted"} for k, v in results.items()}


def agreement(a: dict[str, dict], b: dict[str, dict]) -> dict[str, float]:
    """How often two models give the same label, per split."""
    return {k: round(float(np.mean(a[k]["predicted"] == b[k]["predicted"])), 4) for k in a}


def litert_predictor(path: Path) -> Predict:
    """Predict with the app's own MoodModel on LiteRT, so the card describes what ships."""
    from fer_desktop.classifier import MoodModel

    return MoodModel(path, num_threads=2).predict


def latency_ms(path: Path, runs: int = 2000) -> dict[str, float]:
    """Median and p95 time for one face (batch 1) on one thread."""
    from fer_desktop.classifier import MoodModel

    model = MoodModel(path, num_threads=1)
    face = np.random.default_rng(0).integers(0, 256, (1, 48, 48), dtype=np.uint8)
    for _ in range(50):
        model.predict(face)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.predict(face)
        times.append((time.perf_counter() - t0) * 1000.0)
    return {
        "median_ms": round(float(np.median(times)), 4),
        "p95_ms": round(float(np.percentile(times, 95)), 4),
        "runs": runs,
    }


def _resize_round_trip(side: int):
    def f(img: np.ndarray) -> np.ndarray:
        small = cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (48, 48), interpolation=cv2.INTER_LINEAR)

    return f


def _blur(sigma: float):
    return lambda img: cv2.GaussianBlur(img, (0, 0), sigma)


def _gain(k: float):
    return lambda img: np.clip(img.astype(np.float32) * k, 0, 255).astype(np.uint8)


def _rotate(deg: float):
    matrix = cv2.getRotationMatrix2D((23.5, 23.5), deg, 1.0)
    return lambda img: cv2.warpAffine(img, matrix, (48, 48), borderMode=cv2.BORDER_REPLICATE)


def _jpeg(quality: int):
    def f(img: np.ndarray) -> np.ndarray:
        _ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)

    return f


def _hide_lower_third(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[32:, :] = 0
    return out


CONDITIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as recorded": lambda img: img,
    "face 32 px (down and up)": _resize_round_trip(32),
    "face 24 px (down and up)": _resize_round_trip(24),
    "blur sigma 1": _blur(1.0),
    "blur sigma 2": _blur(2.0),
    "dark (x0.4)": _gain(0.4),
    "bright (x1.6)": _gain(1.6),
    "rotated +15 deg": _rotate(15.0),
    "rotated -15 deg": _rotate(-15.0),
    "JPEG quality 20": _jpeg(20),
    "lower third hidden": _hide_lower_third,
}


def by_condition(predict: Predict, task: Task) -> list[dict]:
    """Accuracy and sad recall on PrivateTest (dedup) with each image changed as named."""
    x, y = task.subset("PrivateTest", dedup=True)
    sad = task.labels.index("sad")
    rows = []
    for name, change in CONDITIONS.items():
        changed = np.stack([change(img) for img in x]) if len(x) else x
        pred = predict_in_batches(predict, changed).argmax(axis=1) if len(x) else y
        is_sad = y == sad
        sad_recall = float(np.mean(pred[is_sad] == sad)) if is_sad.any() else 0.0
        rows.append(
            {
                "condition": name,
                "accuracy": round(float(np.mean(pred == y)) if len(y) else 0.0, 4),
                "sad_recall": round(sad_recall, 4),
            }
        )
    return rows
