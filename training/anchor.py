"""Our training curve against the public FER+ CNN's (issue #33): epoch against 8-class
PublicTest accuracy on that network's own validation labels.

The anchor's history is a record of facts (`training/runs/anchor_ferplus_cnn.json`, from
github.com/vicksam/fer-model). Ours is read from a fit run's newest checkpoint, so the
comparison can be written while the run still trains. No TensorFlow here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training import checkpoint as ckpt
from training.recipe import Recipe, plateau_rates

ANCHOR_RECORD = "anchor_ferplus_cnn.json"
SET = "8class_majority"  # train.ANCHOR_SET, named here without importing TensorFlow
# The epochs the comparison table shows (those the run has reached): the anchor passes
# 0.80 at epoch 17, 0.84 at 38, 0.86 at 83; its rate first halves at 108.
TABLE_EPOCHS = (1, 2, 3, 5, 10, 17, 20, 30, 38, 50, 83, 100, 107, 120, 150, 177, 200, 222)
# Within this many points at equal epochs (the last few), the curves count as matching:
# twice the standard error of an accuracy near 0.87 on 3,199 images (about 0.6 points).
MATCH_PP = 1.2


def load_anchor(runs: Path) -> dict:
    """The anchor's record (its published val_accuracy per epoch, and the facts read)."""
    return json.loads((runs / ANCHOR_RECORD).read_text())


def our_curve(run_folder: Path) -> dict:
    """A fit run's PublicTest history from its newest checkpoint, by epoch."""
    state = ckpt.latest(run_folder)
    if state is None:
        raise ckpt.CheckpointError(f"no checkpoint in {run_folder}: has the fit run started?")
    header = state.header
    history = header["history"]
    if not history or SET not in history[0]:
        raise ckpt.CheckpointError(
            f"{run_folder} does not record 8-class PublicTest accuracy by epoch (a fit run "
            "made before issue #33); train one with python -m training fit"
        )
    recipe = header["recipe"]
    fields = {k: v for k, v in recipe.items() if k in Recipe.__dataclass_fields__}
    losses = [e[SET][2] for e in history]
    rates = (
        plateau_rates(Recipe(**fields), losses)[: len(history)]
        if recipe.get("schedule") == "plateau"
        else None
    )
    return {
        "recipe": recipe,
        "recipe_hash": header["recipe_hash"],
        "segments": header["segments"],
        "epochs_done": len(history),
        "seconds_per_epoch": header["epoch_seconds"],
        "public_8class_majority": [round(e[SET][0], 4) for e in history],
        "public_8class_majority_loss": [round(e[SET][2], 4) for e in history],
        "public_8class_dedup": [round(e["8class"][0], 4) for e in history],
        "public_8class_dedup_balanced": [round(e["8class"][1], 4) for e in history],
        "learning_rate": rates,
    }


def compare(ours: list[float], anchor: list[float]) -> dict:
    """Our accuracy minus the anchor's at equal epochs: the table's rows, and a verdict on
    the last five epochs both have (lags, matches or leads)."""
    n = min(len(ours), len(anchor))
    rows = [
        {"epoch": e, "ours": ours[e - 1], "anchor": round(anchor[e - 1], 4)}
        for e in TABLE_EPOCHS
        if e <= n
    ]
    if n < 5:
        return {"rows": rows, "last5_difference_pp": None, "verdict": "too few epochs"}
    diff = 100 * float(np.mean(np.subtract(ours[n - 5 : n], anchor[n - 5 : n])))
    verdict = "matches" if abs(diff) <= MATCH_PP else ("lags" if diff < 0 else "leads")
    return {"rows": rows, "last5_difference_pp": round(diff, 2), "verdict": verdict}


def write_curve(run_folder: Path, runs: Path, command: str) -> Path:
    """training/runs/anchor_curve_RUN.json: our curve, the anchor's, and the comparison."""
    anchor = load_anchor(runs)
    ours = our_curve(run_folder)
    record = {
        "what": "Epoch against 8-class PublicTest accuracy on the public FER+ CNN's validation "
        "labels (FER+ majority, more than half the votes; 3,199 images; Training's copies "
        "kept, as that repository kept them): our fit run against that network's published "
        "curve. public_8class_dedup is the same network on our 8-class labels (unique top "
        "vote, duplicates removed).",
        "command": command,
        "run": run_folder.name,
        **ours,
        "anchor_source": f"training/runs/{ANCHOR_RECORD}",
        "anchor_public_8class_majority": [round(v, 4) for v in anchor["val_accuracy"]],
        "comparison": compare(ours["public_8class_majority"], anchor["val_accuracy"]),
    }
    out = runs / f"anchor_curve_{run_folder.name}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    return out
