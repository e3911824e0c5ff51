"""Train, export, evaluate and card one shipped Model A variant."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from training import evaluate as ev
from training import export
from training.architectures import augmenter, model_a_plus
from training.data import FerData, Task, file_sha256

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Recipe:
    """Hyper-parameters of a shipped model; recorded in its card."""

    width: int = 12
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    soft_targets: bool = False
    dropout: float = 0.3
    seed: int = 1234


def set_seeds(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


class BestOnValidation(keras.callbacks.Callback):
    """Tracks accuracy on PublicTest (dedup) each epoch and restores the best weights."""

    def __init__(self, x: np.ndarray, y: np.ndarray, log):
        super().__init__()
        self.x, self.y, self.log = x, y, log
        self.best, self.best_epoch, self.best_weights, self.history = -1.0, 0, None, []

    def on_epoch_end(self, epoch, logs=None):
        acc = float(np.mean(self.model.predict(self.x, verbose=0).argmax(1) == self.y))
        self.history.append(round(acc, 4))
        if acc > self.best:
            self.best, self.best_epoch = acc, epoch + 1
            self.best_weights = self.model.get_weights()
        self.log(
            f"  epoch {epoch + 1}: loss {logs.get('loss', 0):.4f}  "
            f"PublicTest(dedup) acc {acc:.4f}  best {self.best:.4f}@{self.best_epoch}"
        )

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def fit(task: Task, recipe: Recipe, log=None) -> tuple[keras.Model, dict]:
    """Fit on Training, choose the epoch on PublicTest (duplicates removed)."""
    log = log or say
    set_seeds(recipe.seed)
    x_tr = task.x[task.usage == "Training"][..., None].astype(np.float32)
    t_tr = task.soft[task.usage == "Training"]
    if not recipe.soft_targets:
        t_tr = np.eye(len(task.labels), dtype=np.float32)[task.y[task.usage == "Training"]]
    x_val, y_val = task.subset("PublicTest", dedup=True)
    aug = augmenter(recipe.seed)
    ds = (
        tf.data.Dataset.from_tensor_slices((x_tr, t_tr))
        .shuffle(len(x_tr), seed=recipe.seed, reshuffle_each_iteration=True)
        .batch(recipe.batch_size)
        .map(lambda x, t: (aug(x, training=True), t), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    model = model_a_plus(len(task.labels), recipe.width, recipe.dropout)
    steps = recipe.epochs * int(np.ceil(len(x_tr) / recipe.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps, alpha=0.01)
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=recipe.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
    )
    tracker = BestOnValidation(x_val[..., None].astype(np.float32), y_val, log)
    t0 = time.time()
    model.fit(ds, epochs=recipe.epochs, callbacks=[tracker], verbose=0)
    info = {
        "train_seconds": round(time.time() - t0, 1),
        "best_epoch": tracker.best_epoch,
        "public_dedup_by_epoch": tracker.history,
        "n_train": len(x_tr),
    }
    return model, info


def say(message: str) -> None:
    """Progress to stdout, flushed at once so a log file shows it while training runs."""
    print(message, flush=True)


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "training", "fer_desktop"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


PROTOCOL = (
    "Fit on FER2013 Training; choose the epoch on PublicTest with every image that has an exact "
    "pixel copy in Training removed; report PrivateTest with those copies removed (and in full). "
    "Seeds fixed. Evaluated with fer_desktop's MoodModel on LiteRT, the runtime that ships."
)
TASK_DESCRIPTIONS = {
    "2class": "FER2013 labels Happy (3) and Sad (4).",
    "3class": "FER+ crowd-vote majority among happiness / neutral / sadness (images with a tied "
    "or other majority, or voted not-a-face, are left out); trained on the vote "
    "distribution over those three as soft targets.",
}


def ship(
    data: FerData,
    task: Task,
    recipe: Recipe,
    out_dir: Path,
    float_dir: Path,
    log=say,
    latency_runs: int = 2000,
) -> dict:
    """Train, export both TFLite files, evaluate them and write the model card."""
    out_dir.mkdir(parents=True, exist_ok=True)
    float_dir.mkdir(parents=True, exist_ok=True)
    log(f"[{task.name}] training {recipe}")
    model, info = fit(task, recipe, log)
    stem = f"model_a_{task.name}"
    int8_path = out_dir / f"{stem}_int8.tflite"
    float_path = float_dir / f"{stem}_float32.tflite"
    rng = np.random.default_rng(recipe.seed)
    train_x = task.x[task.usage == "Training"]
    rep = train_x[rng.choice(len(train_x), size=min(500, len(train_x)), replace=False)]
    export.to_float32(model, float_path)
    export.to_int8(model, int8_path, rep)
    card_path = int8_path.with_suffix(".json")
    card = {
        "name": f"Model A, {task.name[0]}-class ({' / '.join(task.labels)})",
        "labels": task.labels,
    }
    card_path.write_text(json.dumps(card))  # MoodModel needs the labels to evaluate
    float_path.with_suffix(".json").write_text(json.dumps(card))
    res_int8 = ev.evaluate(ev.litert_predictor(int8_path), task)
    res_float = ev.evaluate(ev.litert_predictor(float_path), task)
    agree = ev.agreement(res_int8, res_float)
    card.update(
        {
            "file": int8_path.name,
            "file_sha256": file_sha256(int8_path),
            "size_bytes": int8_path.stat().st_size,
            "architecture": model.name,
            "parameters": int(model.count_params()),
            "tensors": export.tensor_details(int8_path),
            "input_contract": "48x48x1 grayscale pixels on the 0-255 scale (uint8); any rescaling "
            "is inside the model. Faces are cropped and resized by "
            "fer_desktop.preprocess.face_to_input.",
            "task": TASK_DESCRIPTIONS[task.name],
            "data": {
                "source": Path(data.source).name,
                "sha256": data.sha256,
                "duplicates_removed": {
                    u: int(((task.usage == u) & task.duplicate).sum())
                    for u in ("PublicTest", "PrivateTest")
                },
            },
            "protocol": PROTOCOL,
            "recipe": asdict(recipe),
            "metrics_int8": ev.strip_predictions(res_int8),
            "metrics_float32": ev.strip_predictions(res_float),
            "int8_float32_label_agreement": agree,
            "int8_minus_float32_accuracy_pp": {
                k: round(100 * (res_int8[k]["accuracy"] - res_float[k]["accuracy"]), 2)
                for k in res_int8
            },
            "latency_int8_one_face_one_thread": ev.latency_ms(int8_path, latency_runs),
            "training": info,
            "git_commit": git_commit(),
        }
    )
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    float_path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    log(
        f"[{task.name}] PrivateTest(dedup) int8 acc {res_int8['private_dedup']['accuracy']:.4f} "
        f"float {res_float['private_dedup']['accuracy']:.4f}  agreement {agree}"
    )
    return card
