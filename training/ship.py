"""`ship`: fit one 8-way network (or load a fitted one), then export, evaluate and card each
shipped head, staged and moved into the models folder only once every head passes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from training import checkpoint as ckpt
from training import evaluate as ev
from training import export, staging
from training.architectures import class_head
from training.data import TASK_COLUMNS, FerData, Task, file_sha256
from training.model_card import (
    INTENDED_USE,
    LIMITATIONS,
    OUT_OF_SCOPE,
    PROTOCOL,
    TASK_DESCRIPTIONS,
    TRAINING_TARGETS,
)
from training.provenance import git_commit
from training.recipe import Recipe, recipe_hash
from training.selection import Validation, choose_priors, validated_tasks
from training.train import fit, prepare, say

# int8 calibration images, chosen on PublicTest's int8/float32 label agreement (3-class /
# 2-class; the first n of one draw of 2,000 Training faces): 100: 99.05 / 99.80%,
# 200: 98.93 / 99.53%, 300: 99.38 / 99.87%, 500: 99.14 / 99.80%, 1,000: 98.85 / 99.40%,
# 2,000: 98.77 / 99.80%. More images widen the observed ranges (min/max calibration), so
# each int8 step gets coarser.
CALIBRATION_IMAGES = 300


def ship(
    data: FerData,
    recipe: Recipe,
    out_dir: Path,
    float_dir: Path,
    tasks: list[str],
    log=say,
    latency_runs: int = 2000,
    quick: bool = False,
    fitted: Path | None = None,
    reuse_fit: bool = False,
    checkpoints: Path | None = None,
    origin: dict | None = None,
) -> dict[str, dict]:
    """Train one 8-way network (or load a fitted one), then export, evaluate and card each head.

    The int8 files and their cards are written to a staging folder beside `out_dir` and moved
    into `out_dir` only once every head passed `staging.check_all` (budgets too, unless
    `quick`); otherwise ShipCheckFailed, and `out_dir` is untouched.
    `checkpoints`: the run's checkpoint folder (resumes from it); `origin`: `provenance()`,
    recorded in the cards."""
    float_dir.mkdir(parents=True, exist_ok=True)
    votes, all_tasks, data_key = prepare(data, recipe, quick, tasks)
    val = Validation({n: all_tasks[n] for n in validated_tasks(recipe)})
    if reuse_fit and fitted and fitted.exists():
        log(f"loading the fitted network {fitted}")
        model = keras.models.load_model(fitted)
        info = json.loads(fitted.with_suffix(".json").read_text())
        if "training" in info:  # a `fit` run record: its recipe must be this one
            info = info["training"]
            if info.get("recipe_hash") != recipe_hash(recipe):
                raise ckpt.CheckpointError(
                    f"{fitted} was trained with another recipe (hash {info.get('recipe_hash')}, "
                    f"this command's is {recipe_hash(recipe)}); give the recipe options it "
                    "was fitted with"
                )
    else:
        log(f"training {recipe}")
        model, info = fit(votes, val, recipe, log, checkpoints, data_key, origin)
        if fitted:
            model.save(fitted)
            fitted.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    priors = choose_priors(model, val)
    log(f"log-priors chosen on PublicTest: {priors}")
    rng = np.random.default_rng(recipe.seed)
    train_x = votes.x[votes.usage == "Training"]
    n_rep = min(CALIBRATION_IMAGES, len(train_x))
    rep = train_x[rng.choice(len(train_x), size=n_rep, replace=False)]
    x3, y3 = all_tasks["3class"].subset("PublicTest", dedup=True)
    neutral_faces = x3[y3 == all_tasks["3class"].labels.index("neutral")]
    folder = staging.new_folder(out_dir)
    run = _Run(data, model, recipe, info, folder, float_dir, rep, latency_runs, log, neutral_faces)
    run.origin = origin or {}
    staged = {}
    for name in tasks:
        card = _ship_head(
            run, all_tasks[name], priors.get(name, [0.0] * len(all_tasks[name].labels))
        )
        staged[name] = (folder / card["file"], card)
    staging.check_all(staged, folder, budgets=not quick)
    for path in staging.move_in(staged, folder, out_dir):
        log(f"shipped {path}")
    return {name: card for name, (_path, card) in staged.items()}


@dataclass
class _Run:
    """What every exported head shares: the trained network and where things go."""

    data: FerData
    model: keras.Model
    recipe: Recipe
    info: dict
    out_dir: Path
    float_dir: Path
    rep: np.ndarray  # calibration images for int8
    latency_runs: int
    log: object
    neutral_faces: np.ndarray  # FER+ neutral PublicTest faces (the card's neutral reference)
    origin: dict = field(default_factory=dict)  # provenance(): commit, dirty, command


def _ship_head(run: _Run, task: Task, prior: list[float]) -> dict:
    data, model, recipe, info = run.data, run.model, run.recipe, run.info
    out_dir, float_dir, rep, log = run.out_dir, run.float_dir, run.rep, run.log
    latency_runs, neutral_faces = run.latency_runs, run.neutral_faces
    stem = f"model_a_{task.name}"
    int8_path = out_dir / f"{stem}_int8.tflite"
    float_path = float_dir / f"{stem}_float32.tflite"
    head = class_head(model, TASK_COLUMNS[task.name], prior)
    export.to_float32(head, float_path)
    export.to_int8(head, int8_path, rep, export.float_pools_for(recipe.first_stage))
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
            "parameters": int(head.count_params()),
            "tensors": export.tensor_details(int8_path),
            "quantization": f"{export.quantization_text(recipe.first_stage)}; "
            f"calibrated on {len(rep)} Training faces",
            "input_contract": "48x48x1 grayscale pixels on the 0-255 scale (float32); any "
            "rescaling is inside the model. Faces are cropped and resized by "
            "fer_desktop.preprocess.face_to_input.",
            "training_targets": TRAINING_TARGETS,
            "task": TASK_DESCRIPTIONS[task.name],
            "sad_log_prior": prior,
            "intended_use": INTENDED_USE,
            "out_of_scope": OUT_OF_SCOPE,
            "limitations": LIMITATIONS,
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
            "accuracy_by_condition": ev.by_condition(ev.litert_predictor(int8_path), task),
            # What the model says, on average, for a neutral face (FER+ majority neutral,
            # PublicTest): per-person calibration maps each person's resting face onto it.
            "neutral_reference": [
                round(float(v), 4)
                for v in ev.predict_in_batches(ev.litert_predictor(int8_path), neutral_faces).mean(
                    0
                )
            ],
            "latency_int8_one_face_one_thread": ev.latency_ms(int8_path, latency_runs),
            "training": info,
            "git_commit": run.origin.get("git_commit") or git_commit(),
            "git_dirty": run.origin.get("git_dirty", git_commit().endswith("+dirty")),
            "command": run.origin.get("command", ""),
        }
    )
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    float_path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    m = res_int8["private_dedup"]
    log(
        f"[{task.name}] PrivateTest(dedup) int8 acc {m['accuracy']:.4f} "
        f"bal {m['balanced_accuracy']:.4f} recall {m['recall']}  "
        f"float {res_float['private_dedup']['accuracy']:.4f}  agreement {agree}"
    )
    return card
