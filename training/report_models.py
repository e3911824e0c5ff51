"""REPORT.md's sections on the models we ship: one table row per card and one section per
model (confusion matrix, accuracy by condition, limitations)."""

from __future__ import annotations

import json
from pathlib import Path

from training.data import SHIPPED_TASKS
from training.report_format import load, pct


def conditions(card: dict) -> str:
    rows = card.get("accuracy_by_condition") or []
    if not rows:
        return ""
    lines = ["| condition | accuracy | sad recall |", "|---|---|---|"]
    lines += [f"| {r['condition']} | {pct(r['accuracy'])} | {pct(r['sad_recall'])} |" for r in rows]
    return "\n".join(lines)


def card_rows(card: dict) -> list[str]:
    m8, mf = card["metrics_int8"], card["metrics_float32"]
    recall = ", ".join(f"{k} {pct(v)}" for k, v in m8["private_dedup"]["recall"].items())
    return [
        f"| {card['name']} | {pct(m8['private_dedup']['accuracy'])} "
        f"| {pct(m8['private_dedup']['balanced_accuracy'])} | {recall} "
        f"| {pct(m8['private_dedup'].get('neutral_called_sad'))} "
        f"| {pct(m8['private_full']['accuracy'])} | {pct(m8['public_dedup']['accuracy'])} "
        f"| {pct(mf['private_dedup']['accuracy'])} "
        f"| {pct(card['int8_float32_label_agreement']['private_dedup'])} "
        f"| {card['size_bytes'] / 1000:.0f} KB "
        f"| {card['latency_int8_one_face_one_thread']['median_ms']:.3f} ms "
        f"| {card['training']['train_seconds'] / 60:.0f} min |"
    ]


def confusion(card: dict) -> str:
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
        for c in (load(models_dir / f"model_a_{t}_int8.json") for t in SHIPPED_TASKS)
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
        lines += card_rows(card)
    return "\n".join(lines)


def card_section(card: dict) -> list[str]:
    """One shipped model's section: its task, recipe, confusion matrix, accuracy by
    condition and limitations."""
    return [
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
        confusion(card),
        "",
        "Accuracy by condition (PrivateTest, duplicates removed, int8): when not to trust a label.",
        "",
        conditions(card),
        "",
        "Limitations: " + " ".join(card.get("limitations", [])),
        "",
    ]
