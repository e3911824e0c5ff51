"""The goals and budgets of a shipped model (issue #21), and REPORT.md's section that checks
the shipped cards against them."""

from __future__ import annotations

from training.report_format import epoch_score, pct

# The goals of issue #21 (int8, PrivateTest with Training's pixel copies removed).
GOALS = {
    "3-class accuracy": ("3class", "accuracy", ">=", 0.915),
    "3-class balanced accuracy": ("3class", "balanced_accuracy", ">=", 0.88),
    "3-class sad recall": ("3class", "sad_recall", ">=", 0.75),
    "neutral faces called sad": ("3class", "neutral_called_sad", "<=", 0.06),
    "2-class accuracy": ("2class", "accuracy", ">=", 0.955),
    "8-class accuracy": ("8class", "accuracy", ">=", 0.86),
}
LATENCY_BUDGET_MS = 1.0  # int8, one face, one thread
SIZE_BUDGET = 400_000  # bytes of int8 TFLite per shipped model (issue #21; #14 had 300 KB)
AGREEMENT_GOAL = 0.99  # int8/float32 label agreement


def _value(card: dict | None, key: str) -> float | None:
    if not card or "metrics_int8" not in card:
        return None
    m = card["metrics_int8"]["private_dedup"]
    return m["recall"].get("sad") if key == "sad_recall" else m.get(key)


def goals(cards: dict[str, dict | None]) -> str:
    """The issue's goals against the shipped cards, and the budgets every shipped file must
    keep (the models before are in git: benchmarks/bench_side_by_side.py scores them)."""
    lines = [
        "## Goals, reached and not",
        "",
        "| number (int8, PrivateTest dedup) | now | goal |",
        "|---|---|---|",
    ]
    for what, (task, key, op, goal) in GOALS.items():
        now = _value(cards.get(task), key)
        met = now is not None and (now >= goal if op == ">=" else now <= goal)
        verdict = "reached" if met else "not reached"
        lines.append(
            f"| {what} | {pct(now)} | {op.replace('>=', '≥').replace('<=', '≤')} "
            f"{pct(goal)} — {verdict} |"
        )
    shipped = [c for c in cards.values() if c and "metrics_int8" in c]
    ms = [c["latency_int8_one_face_one_thread"]["median_ms"] for c in shipped]
    size = [c["size_bytes"] for c in shipped]
    agree = [c["int8_float32_label_agreement"]["private_dedup"] for c in shipped]
    names = " / ".join(f"{len(c['labels'])}-class" for c in shipped)
    lines += [
        f"| latency per face ({names}) | {' / '.join(f'{v:.2f}' for v in ms)} ms | "
        f"≤ {LATENCY_BUDGET_MS} ms — {'kept' if max(ms) <= LATENCY_BUDGET_MS else 'over'} |",
        f"| size ({names}) | {' / '.join(f'{v / 1000:.0f}' for v in size)} KB | "
        f"≤ {SIZE_BUDGET // 1000} KB — {'kept' if max(size) <= SIZE_BUDGET else 'over'} |",
        f"| int8/float32 label agreement ({names}) | {' / '.join(map(pct, agree))} | "
        f"≥ {pct(AGREEMENT_GOAL)} — {'kept' if min(agree) >= AGREEMENT_GOAL else 'not kept'} |",
    ]
    return "\n".join([*lines, "", plateau(cards.get("3class"))])


def plateau(card: dict | None) -> str:
    """Where the shipped network's PublicTest curve flattened, and sadness's main confusion,
    from its card."""
    if not card or "metrics_int8" not in card:
        return ""
    training = card["training"]
    by_epoch = [epoch_score(e) for e in training["public_dedup_by_epoch"]]
    best, last = training["best_epoch"], len(by_epoch)
    tail = by_epoch[max(0, last - 10) :]
    labels = card["labels"]
    sad_row = card["metrics_int8"]["private_dedup"]["confusion_matrix"][labels.index("sad")]
    return (
        f"Where it plateaued: the PublicTest score (the mean of 3-class accuracy, 3-class "
        f"balanced accuracy and 2-class accuracy) peaked at {by_epoch[best - 1]:.4f} in epoch "
        f"{best} of {last} and stayed between {min(tail):.4f} and {max(tail):.4f} over the "
        f"last {len(tail)} epochs. Sadness is still the weak class: "
        f"{sad_row[labels.index('neutral')]} of {sum(sad_row)} sad PrivateTest faces are read "
        f"as neutral, the pair the FER+ raters disagree on most."
    )
