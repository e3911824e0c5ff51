"""Mirror averaging at inference for the shipped int8 files (issue #33): does running each
face and its left-right mirror through the same file, and averaging, pay?

Measured on PublicTest only (duplicates removed), where choices are made; PrivateTest is not
read here. The files, their sad log-priors and the app's MoodModel are used as they ship; the
two passes are averaged in log space (a geometric mean, renormalised), as the earlier curve
points averaged logits; the plain mean of the two predictions is recorded beside it. Time
per face is one thread, one face (two passes: a batch of two).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from training import evaluate as ev
from training.data import SHIPPED_TASKS, FerData, file_sha256, make_task

# The budget: per face, mirror included, one thread.
BUDGET_MS = 1.0


def mirrored(predict: ev.Predict, geometric: bool = True) -> ev.Predict:
    """A predictor that averages each face with its mirror: the geometric mean of the two
    predictions (the choice, made before measuring), or with `geometric=False` their mean."""

    def both(faces: np.ndarray) -> np.ndarray:
        n = len(faces)
        probs = predict(np.concatenate([faces, faces[:, :, ::-1]]))
        if not geometric:
            return (probs[:n] + probs[n:]) / 2
        logp = np.log(np.clip(probs, 1e-7, 1.0))
        avg = np.exp((logp[:n] + logp[n:]) / 2)
        return avg / avg.sum(axis=1, keepdims=True)

    return both


def time_per_face(path: Path, mirror: bool, runs: int = 2000) -> dict[str, float]:
    """Median and p95 milliseconds for one face on one thread (with `mirror`: two passes)."""
    from fer_desktop.classifier import MoodModel

    predict = MoodModel(path, num_threads=1).predict
    if mirror:
        predict = mirrored(predict)
    face = np.random.default_rng(0).integers(0, 256, (1, 48, 48), dtype=np.uint8)
    for _ in range(50):
        predict(face)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        predict(face)
        times.append((time.perf_counter() - t0) * 1000.0)
    return {
        "median_ms": round(float(np.median(times)), 4),
        "p95_ms": round(float(np.percentile(times, 95)), 4),
        "runs": runs,
    }


def _public(predict: ev.Predict, task) -> dict:
    x, y = task.subset("PublicTest", dedup=True)
    probs = ev.predict_in_batches(predict, x)
    m = ev.metrics(y, probs.argmax(axis=1), task.labels)
    return {k: v for k, v in m.items() if k not in ("confusion_matrix_axes",)}


def selection_score(public: dict[str, dict]) -> float | None:
    """selection.selection_score on these metrics: mean of 3-class accuracy, 3-class balanced
    accuracy and 2-class accuracy (None when a file is missing)."""
    if "3class" not in public or "2class" not in public:
        return None
    p3, p2 = public["3class"], public["2class"]
    return round((p3["accuracy"] + p3["balanced_accuracy"] + p2["accuracy"]) / 3, 4)


def run(data: FerData, models_dir: Path, runs: Path, command: str, timing_runs: int = 2000):
    """Score each shipped file on PublicTest once and twice (mirror), time both, decide."""
    from fer_desktop.classifier import MoodModel

    results: dict[str, dict] = {}
    for name in SHIPPED_TASKS:
        path = models_dir / f"model_a_{name}_int8.tflite"
        if not path.exists():
            continue
        task = make_task(data, name)
        predict = MoodModel(path, num_threads=2).predict
        single, mirror = _public(predict, task), _public(mirrored(predict), task)
        results[name] = {
            "file": path.name,
            "file_sha256": file_sha256(path),
            "public_dedup_single": single,
            "public_dedup_mirror": mirror,
            "public_dedup_mirror_mean_of_probabilities": _public(
                mirrored(predict, geometric=False), task
            ),
            "accuracy_pp": round(100 * (mirror["accuracy"] - single["accuracy"]), 2),
            "balanced_accuracy_pp": round(
                100 * (mirror["balanced_accuracy"] - single["balanced_accuracy"]), 2
            ),
            "sad_recall_pp": (
                round(100 * (mirror["recall"]["sad"] - single["recall"]["sad"]), 2)
                if "sad" in single["recall"]
                else None
            ),
            "ms_single": time_per_face(path, False, timing_runs),
            "ms_mirror": time_per_face(path, True, timing_runs),
        }
    single_score = selection_score({n: r["public_dedup_single"] for n, r in results.items()})
    mirror_score = selection_score({n: r["public_dedup_mirror"] for n, r in results.items()})
    worst_ms = max(r["ms_mirror"]["median_ms"] for r in results.values())
    pays = (
        single_score is not None
        and mirror_score is not None
        and mirror_score > single_score
        and results["3class"]["sad_recall_pp"] >= 0
    )
    record = {
        "what": "Mirror averaging at inference for the shipped int8 files: each face and its "
        "mirror through the same file (batch of two), geometric mean; PublicTest with "
        "Training's copies removed; PrivateTest not read. Pays when the selection score "
        "(mean of 3-class accuracy, 3-class balanced accuracy, 2-class accuracy) rises "
        f"without losing sad recall, and it fits {BUDGET_MS} ms per face on one thread.",
        "command": command,
        "load_average_1_5_15min": [round(v, 1) for v in os.getloadavg()],
        "models": results,
        "selection_score_single": single_score,
        "selection_score_mirror": mirror_score,
        "worst_ms_mirror": worst_ms,
        "pays": bool(pays),
        "fits_budget": worst_ms <= BUDGET_MS,
        "kept": bool(pays and worst_ms <= BUDGET_MS),
    }
    out = runs / "mirror_study_shipped.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    return out, record


def report_section(runs: Path) -> str:
    """REPORT.md's lines on mirror averaging of the shipped files (empty without a record)."""
    path = runs / "mirror_study_shipped.json"
    if not path.exists():
        return ""
    r = json.loads(path.read_text())
    lines = [
        "## Mirror averaging at inference, for the shipped files (issue #33)",
        "",
        f"Each face and its mirror through the shipped int8 file, geometric mean of the two "
        f"(`{r['command']}`, record `training/runs/{path.name}`, load average "
        f"{r['load_average_1_5_15min'][0]}: times vary with it, a mirror costs about a "
        "second pass at any load). PublicTest, duplicates removed"
        + ("." if r["kept"] else "; PrivateTest was not scored, since nothing shipped."),
        "",
        "| file | accuracy | balanced | sad recall | ms per face, one thread (median) |",
        "|---|---|---|---|---|",
    ]
    for name, m in r["models"].items():
        one, two = m["public_dedup_single"], m["public_dedup_mirror"]
        sad = (
            f"{_pct(one['recall']['sad'])} → {_pct(two['recall']['sad'])}"
            if "sad" in one["recall"]
            else "–"
        )
        lines.append(
            f"| {name} | {_pct(one['accuracy'])} → {_pct(two['accuracy'])} | "
            f"{_pct(one['balanced_accuracy'])} → {_pct(two['balanced_accuracy'])} | {sad} | "
            f"{m['ms_single']['median_ms']:.2f} → {m['ms_mirror']['median_ms']:.2f} |"
        )
    verdict = "kept" if r["kept"] else "not kept"
    lines += [
        "",
        f"Selection score (mean of 3-class accuracy, 3-class balanced accuracy and 2-class "
        f"accuracy) {r['selection_score_single']:.4f} → {r['selection_score_mirror']:.4f}; "
        f"the slowest file with its mirror {r['worst_ms_mirror']:.2f} ms against the "
        f"{BUDGET_MS} ms budget: {verdict}"
        + ("." if r["kept"] else " (it pays only if the score rises without losing sad recall)."),
    ]
    return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"
