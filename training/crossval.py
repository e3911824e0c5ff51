"""Reproduce the seed study: its MLP and CNNs A, B, C with 5-fold cross-validation on
FER2013 Training (happy vs sad), then one fit on all of Training scored on PrivateTest.
Also score the seed's own trained weights (opt_a_trained.h5).

The seed's recipe, from its notebook: Adam, categorical cross-entropy, batch 32, raw 0..255
pixels for the CNNs (the MLP min-max scales). B and C were fit for a fixed number of steps
(B: 50x10 + 150x5 steps, C: 50x10 + 60x8 steps, batch 32); A's epochs are not recorded, so
A and the MLP get 10 full epochs. That step budget is also what keeps B (3.8 M parameters of
per-pixel Dense layers) within a sensible run time here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from training import data as D
from training.architectures import SEED_MODELS
from training.evaluate import metrics
from training.train import say, set_seeds
from training.yale import yale_faces

SEED_H5 = D.DEFAULT_NPZ.parent.parent / "seed" / "opt_a_trained.h5"
STEP_BUDGETS = {"cnn_b": 50 * 10 + 150 * 5, "cnn_c": 50 * 10 + 60 * 8}
EPOCHS = {"mlp": 10, "cnn_a": 10}
BATCH = 32


def _fit_seed_model(name: str, x: np.ndarray, y: np.ndarray, seed: int, quick: bool):
    set_seeds(seed)
    model = SEED_MODELS[name](2)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    targets = np.eye(2, dtype=np.float32)[y]
    xin = x[..., None].astype(np.float32)
    if quick:
        model.fit(xin, targets, batch_size=BATCH, epochs=1, verbose=0)
    elif name in STEP_BUDGETS:
        steps_per_epoch = int(np.ceil(len(x) / BATCH))
        epochs = max(1, round(STEP_BUDGETS[name] / steps_per_epoch))
        model.fit(xin, targets, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True)
    else:
        model.fit(xin, targets, batch_size=BATCH, epochs=EPOCHS[name], verbose=0, shuffle=True)
    return model


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    pred = model.predict(x[..., None].astype(np.float32), verbose=0, batch_size=512).argmax(1)
    return float(np.mean(pred == y))


def run(data_path: Path | None, folds: int, names: list[str], quick: bool, runs: Path) -> dict:
    task = D.make_task(D.load(data_path), "2class")
    if quick:
        task = D.subsample(task, 300)
    x_tr, y_tr = task.subset("Training", dedup=False)
    rng = np.random.default_rng(42)
    order = rng.permutation(len(x_tr))
    fold_of = np.empty(len(x_tr), int)
    fold_of[order] = np.arange(len(x_tr)) % folds
    results: dict = {
        "protocol": __doc__.strip().splitlines()[0],
        "folds": folds,
        "n_train": len(x_tr),
        "quick": quick,
        "models": {},
    }
    previous = runs / ("seed_study_quick.json" if quick else "seed_study.json")
    if previous.exists():  # keep models scored in earlier runs (e.g. B with fewer folds)
        results["models"] = json.loads(previous.read_text()).get("models", {})
    for name in names:
        t0 = time.time()
        scores = []
        for k in range(folds if folds >= 2 else 0):  # folds < 2: no CV, the final fit only
            tr, va = fold_of != k, fold_of == k
            model = _fit_seed_model(name, x_tr[tr], y_tr[tr], seed=k, quick=quick)
            scores.append(round(_accuracy(model, x_tr[va], y_tr[va]), 4))
            say(f"[seed {name}] fold {k + 1}/{folds}: {scores[-1]:.4f}")
        model = _fit_seed_model(name, x_tr, y_tr, seed=99, quick=quick)
        entry = {
            "folds": folds,
            "cv_accuracy": scores,
            "cv_mean": round(float(np.mean(scores)), 4) if scores else None,
            "cv_std": round(float(np.std(scores)), 4) if scores else None,
            "parameters": int(model.count_params()),
        }
        for key, dedup in (("private_dedup", True), ("private_full", False)):
            x, y = task.subset("PrivateTest", dedup)
            pred = model.predict(x[..., None].astype(np.float32), verbose=0).argmax(1)
            entry[key] = metrics(y, pred, task.labels)
        entry["seconds"] = round(time.time() - t0, 1)
        results["models"][name] = entry
        say(
            f"[seed {name}] CV {entry['cv_mean']} ± {entry['cv_std']}; PrivateTest "
            f"(dedup) {entry['private_dedup']['accuracy']:.4f}; {entry['seconds']:.0f} s"
        )
        _save(results, runs, quick)
    results["original_weights"] = score_original_weights(task)
    _save(results, runs, quick)
    return results


def score_original_weights(task: D.Task) -> dict | None:
    """The seed's trained Model A on PrivateTest (unfair: it saw part of it) and on Yale."""
    if not SEED_H5.exists():
        return None
    model = keras.models.load_model(SEED_H5, compile=False)
    out = {}
    for key, dedup in (("private_dedup", True), ("private_full", False)):
        x, y = task.subset("PrivateTest", dedup)
        pred = model.predict(x[..., None].astype(np.float32), verbose=0).argmax(1)
        out[key] = metrics(y, pred, task.labels)
    yale = yale_faces()
    if yale is not None:
        x, y = yale
        pred = model.predict(x[..., None].astype(np.float32), verbose=0).argmax(1)
        out["yale"] = metrics(y, pred, task.labels)
    say(
        f"[seed weights] PrivateTest(dedup) {out['private_dedup']['accuracy']:.4f}"
        + (f", Yale {out['yale']['accuracy']:.4f}" if "yale" in out else "")
    )
    return out


def rescore_original_weights(data_path: Path | None, runs: Path) -> None:
    """Score opt_a_trained.h5 again (e.g. after the crop defaults changed) into the results."""
    path = runs / "seed_study.json"
    results = json.loads(path.read_text())
    results["original_weights"] = score_original_weights(D.make_task(D.load(data_path), "2class"))
    _save(results, runs, quick=False)


def _save(results: dict, runs: Path, quick: bool) -> None:
    runs.mkdir(parents=True, exist_ok=True)
    name = "seed_study_quick.json" if quick else "seed_study.json"
    (runs / name).write_text(json.dumps(results, indent=2) + "\n")
