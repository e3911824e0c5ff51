"""Points of the accuracy-latency curve made from networks already fitted: ensembles and
mirror averaging, exported and scored like a shipped model, carded in training/runs.

No training happens here. Every fitted network sees the face (and, with `mirror`, its
left-right mirror); their logits are averaged, so a restricted head is the renormalised
geometric mean of the members' predictions. The sad log-prior is chosen on PublicTest,
exactly as for a shipped model (`selection.choose_priors`).

The cards on file were exported fully int8, before `export.to_int8` kept the first stage in
float32. Run again, an ensemble keeps only the ops before its graph's first max-pooling (one
member's first stage) in float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from training import evaluate as ev
from training import export
from training.architectures import averaged_logits, with_softmax
from training.data import EMOTIONS, TASK_COLUMNS, FerData, file_sha256, make_task, vote_targets
from training.selection import Validation, choose_priors, selection_score
from training.ship import CALIBRATION_IMAGES
from training.train import REPO, say


def run(
    data: FerData,
    fitted: list[Path],
    mirror: bool,
    name: str,
    runs: Path,
    log=say,
    latency_runs: int = 2000,
) -> dict[str, dict]:
    """Export, score and card one curve point for both tasks; returns the cards."""
    nets = [keras.models.load_model(p) for p in fitted]
    logits = averaged_logits(nets, mirror)
    tasks = {n: make_task(data, n) for n in ("3class", "2class")}
    val = Validation(tasks)
    eight = with_softmax(logits, list(range(len(EMOTIONS))), None)
    priors = choose_priors(eight, val)
    public = selection_score(val.scores(val.logits(eight), priors))
    log(f"[{name}] log-priors {priors}; PublicTest score {public:.4f}")
    votes = vote_targets(data)
    train_x = votes.x[votes.usage == "Training"]
    rng = np.random.default_rng(1234)
    rep = train_x[rng.choice(len(train_x), size=CALIBRATION_IMAGES, replace=False)]
    out_dir = runs / "curve" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    members = " + ".join(n.name for n in nets)
    cards = {}
    for task_name, task in tasks.items():
        head = with_softmax(logits, TASK_COLUMNS[task_name], priors[task_name])
        int8 = export.to_int8(head, out_dir / f"{task_name}_int8.tflite", rep)
        flt = export.to_float32(head, out_dir / f"{task_name}_float32.tflite")
        labels = {"labels": task.labels}
        for path in (int8, flt):
            path.with_suffix(".json").write_text(json.dumps(labels))
        res_int8 = ev.evaluate(ev.litert_predictor(int8), task)
        res_float = ev.evaluate(ev.litert_predictor(flt), task)
        card = {
            "name": f"curve point {name}, {task_name}",
            "labels": task.labels,
            "file": str(int8.relative_to(REPO)),
            "file_sha256": file_sha256(int8),
            "size_bytes": int8.stat().st_size,
            "architecture": f"{members}" + (", each on the face and its mirror" if mirror else ""),
            "members": [str(Path(p).resolve().relative_to(REPO)) for p in fitted],
            "mirror": mirror,
            "parameters": int(sum(n.count_params() for n in nets)),
            "sad_log_prior": priors[task_name],
            "public_score": round(public, 4),
            "metrics_int8": ev.strip_predictions(res_int8),
            "metrics_float32": ev.strip_predictions(res_float),
            "int8_float32_label_agreement": ev.agreement(res_int8, res_float),
            "latency_int8_one_face_one_thread": ev.latency_ms(int8, latency_runs),
        }
        (runs / f"curve_{name}_{task_name}.json").write_text(json.dumps(card, indent=2) + "\n")
        m = res_int8["private_dedup"]
        log(
            f"[{name} {task_name}] PrivateTest(dedup) int8 acc {m['accuracy']:.4f} "
            f"bal {m['balanced_accuracy']:.4f} recall {m['recall']}  "
            f"{card['latency_int8_one_face_one_thread']['median_ms']} ms  "
            f"{card['size_bytes'] / 1000:.0f} KB"
        )
        cards[task_name] = card
    return cards
