"""What a recipe's network costs here: seconds per training batch (so per epoch) on this CPU,
and the per-face latency and size of its int8 export (untrained weights, so no accuracy).

A run record goes to training/runs/speed_NAME.json. Training time is measured with the same
input pipeline, optimiser and deterministic kernels as `fit`, after a few warm-up batches.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from training import data as D
from training import evaluate as ev
from training import export
from training.architectures import class_head
from training.data import TASK_COLUMNS, vote_targets
from training.provenance import git_commit
from training.recipe import Recipe
from training.ship import CALIBRATION_IMAGES
from training.train import _compile, build, deterministic, epoch_dataset, say

WARMUP_BATCHES = 5


def run(
    data_path: Path | None,
    recipe: Recipe,
    batches: int,
    name: str,
    runs: Path,
    command: str,
    log=say,
    determinism: bool = True,
) -> dict:
    data = D.load(data_path)
    votes = vote_targets(data, recipe.min_votes)
    train = votes.usage == "Training"
    x = votes.x[train][..., None].astype(np.uint8)
    t = votes.soft[train].astype(np.float32)
    steps_per_epoch = len(x) // recipe.batch_size
    if determinism:
        deterministic()
    model = build(recipe)
    _compile(model, recipe, steps_per_epoch)
    n = (WARMUP_BATCHES + batches) * recipe.batch_size
    ds = epoch_dataset(x[:n], t[:n], recipe, 0)
    times = []

    cpu_times = []

    class Clock:
        def __init__(self):
            self.t, self.c = time.perf_counter(), time.process_time()

        def tick(self):
            now, cpu = time.perf_counter(), time.process_time()
            times.append(now - self.t)
            cpu_times.append(cpu - self.c)
            self.t, self.c = now, cpu

    import keras

    clock = Clock()

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            clock.tick()

        def on_train_begin(self, logs=None):
            clock.t, clock.c = time.perf_counter(), time.process_time()

    model.fit(ds, epochs=1, verbose=0, callbacks=[Timer()], shuffle=False)
    per_batch = float(np.median(times[WARMUP_BATCHES:]))
    cpu_batch = float(np.median(cpu_times[WARMUP_BATCHES:]))
    epoch_s = per_batch * steps_per_epoch
    log(
        f"[{name}] {model.name}: {per_batch:.3f} s/batch, ~{epoch_s:.0f} s/epoch; "
        f"{cpu_batch:.3f} CPU-s/batch (all threads); load {os.getloadavg()[0]:.1f}"
    )
    rng = np.random.default_rng(recipe.seed)
    rep = votes.x[train][rng.choice(train.sum(), size=CALIBRATION_IMAGES, replace=False)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe_int8.tflite"
        head = class_head(model, TASK_COLUMNS["3class"])
        export.to_int8(head, path, rep, export.float_pools_for(recipe.first_stage))
        labels = ["happy", "neutral", "sad"]  # MoodModel reads the labels from the card
        path.with_suffix(".json").write_text(json.dumps({"labels": labels}))
        latency = ev.latency_ms(path, 500)
        size = path.stat().st_size
    log(f"[{name}] int8 {latency} ms per face, {size / 1024:.0f} KB")
    record = {
        "command": command,
        "git_commit": git_commit(),
        "architecture": model.name,
        "parameters": int(model.count_params()),
        "recipe": asdict(recipe),
        "timed_batches": len(times) - WARMUP_BATCHES,
        "seconds_per_batch_median": round(per_batch, 4),
        "seconds_per_batch_mean": round(float(np.mean(times[WARMUP_BATCHES:])), 4),
        "seconds_per_epoch_estimate": round(per_batch * steps_per_epoch, 1),
        "cpu_seconds_per_batch_median": round(cpu_batch, 4),
        "cpu_seconds_per_epoch_estimate": round(cpu_batch * steps_per_epoch, 1),
        "op_determinism": determinism,
        "steps_per_epoch": steps_per_epoch,
        "int8_latency_one_face_one_thread": latency,
        "int8_size_bytes": size,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "note": "untrained weights: speed and size only. The machine (2 cores) is shared with "
        "other work, so wall-clock times depend on the load (recorded); CPU seconds summed "
        "over threads depend on it less",
    }
    runs.mkdir(parents=True, exist_ok=True)
    out = runs / f"speed_{name}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    log(f"run record {out}")
    return record
