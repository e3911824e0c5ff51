"""REPORT.md's sections on the training runs: the full-resolution first stage (speed,
screening, each long run's export beside the shipped files) and the size/accuracy curve."""

from __future__ import annotations

from pathlib import Path

from training.report_format import epoch_score, load, pct
from training.report_goals import SIZE_BUDGET


def shipped_score(cards: dict[str, dict | None]) -> float:
    """The selection score of the exported files: PublicTest (dedup), int8, with priors."""
    p3 = cards["3class"]["metrics_int8"]["public_dedup"]
    p2 = cards["2class"]["metrics_int8"]["public_dedup"]
    return (p3["accuracy"] + p3["balanced_accuracy"] + p2["accuracy"]) / 3


def full_resolution(runs: Path, cards: dict[str, dict | None]) -> str:
    """Issue #21's first stage: speed of each candidate, the 5-epoch screening, and each long
    run's export beside the shipped files (all from run records and cards)."""
    lines = [
        "## The full-resolution first stage (issue #21)",
        "",
        "Candidates for the layers before the first pooling, timed on this machine (25 "
        "training batches of 128, untrained weights; `python -m training speed`):",
        "",
        "| first stage | parameters | s/batch (wall) | CPU-s/batch | int8 latency | int8 size | "
        "load | record |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(runs.glob("speed_*.json")):
        r = load(path)
        lat = r["int8_latency_one_face_one_thread"]["median_ms"]
        lines.append(
            f"| {r['recipe'].get('first_stage') or 'stride-2 stem'}"
            f"{'' if r.get('op_determinism', True) else ', non-deterministic kernels'} | "
            f"{r['parameters']:,} | "
            f"{r['seconds_per_batch_median']:.2f} | {r['cpu_seconds_per_batch_median']:.2f} | "
            f"{lat:.2f} ms | {r['int8_size_bytes'] / 1000:.0f} KB | {r['load_average_1min']} | "
            f"training/runs/{path.name} |"
        )
    lines += [
        "",
        "Screening, one-cycle over 5 epochs (PublicTest, duplicates removed):",
        "",
        "| first stage | score by epoch | 3-class acc | 3-class balanced | 2-class acc | record |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted(runs.glob("fit_short5_*.json")):
        r = load(path)
        scores = ", ".join(f"{epoch_score(e):.3f}" for e in r["training"]["public_dedup_by_epoch"])
        b = r["public_dedup_best"]
        lines.append(
            f"| {r['recipe'].get('first_stage') or 'stride-2 stem'} | {scores} | "
            f"{pct(b['3class']['accuracy'])} | {pct(b['3class']['balanced_accuracy'])} | "
            f"{pct(b['2class']['accuracy'])} | training/runs/{path.name} |"
        )
    for path in sorted(runs.glob("export_*_3class_int8.json")):
        run = path.name.removeprefix("export_").removesuffix("_3class_int8.json")
        exported = {t: load(runs / f"export_{run}_{t}_int8.json") for t in ("3class", "2class")}
        if all(exported.values()) and all(cards.get(t) for t in exported):
            lines += ["", *against_shipped(run, exported, cards)]
    return "\n".join(lines)


def against_shipped(run: str, exported: dict[str, dict], cards: dict[str, dict]) -> list[str]:
    """A long run's 3- and 2-class export (its cards, kept in training/runs/) beside the
    shipped files: PublicTest decides; PrivateTest is shown for the record."""
    new, old = exported["3class"], cards["3class"]
    epoch_new, epoch_old = public_score(new["training"]), public_score(old["training"])
    as_new, as_old = shipped_score(exported), shipped_score(cards)
    segments = new["training"].get("segments") or []
    verdict = (
        "it scores higher as exported, so it should replace the shipped files"
        if as_new > as_old
        else "it does not score higher as exported, so the shipped 3- and 2-class files stay"
    )
    lines = [
        f"The long run `{run}` ({new['architecture']}): {new['recipe']['epochs']} epochs in "
        f"{len(segments) or 1} session{'s' if len(segments) > 1 else ''}, "
        f"{new['training']['train_seconds'] / 3600:.1f} h of training "
        f"({new['training']['seconds_per_epoch']:.0f} s per epoch beside other work). "
        f"PublicTest, which decides: epoch score {epoch_new:.4f} at epoch "
        f"{new['training']['best_epoch']} against the shipped network's {epoch_old:.4f}; as "
        f"exported (int8, sad log-priors chosen on PublicTest) {as_new:.4f} against "
        f"{as_old:.4f}: {verdict}. Its cards: `training/runs/export_{run}_*_int8.json`. "
        "PrivateTest (dedup, int8), for the record:",
        "",
        f"| | shipped | {run} export |",
        "|---|---|---|",
    ]
    for task in ("3class", "2class"):
        ma = cards[task]["metrics_int8"]["private_dedup"]
        mb = exported[task]["metrics_int8"]["private_dedup"]
        lines.append(f"| {task} accuracy | {pct(ma['accuracy'])} | {pct(mb['accuracy'])} |")
        lines.append(
            f"| {task} balanced accuracy | {pct(ma['balanced_accuracy'])} | "
            f"{pct(mb['balanced_accuracy'])} |"
        )
        lines += [
            f"| {task} {lab} recall | {pct(ma['recall'].get(lab))} | {pct(mb['recall'].get(lab))} |"
            for lab in cards[task]["labels"]
        ]
    agree = [c["int8_float32_label_agreement"]["private_dedup"] for c in (old, new)]
    lines += [
        f"| 3class int8/float32 agreement | {pct(agree[0])} | {pct(agree[1])} |",
        f"| 3class latency (each card's, timed the day it was exported) | "
        f"{old['latency_int8_one_face_one_thread']['median_ms']:.3f} ms | "
        f"{new['latency_int8_one_face_one_thread']['median_ms']:.3f} ms |",
        f"| size | {old['size_bytes'] / 1000:.0f} KB | {new['size_bytes'] / 1000:.0f} KB |",
    ]
    return lines


def curve(models_dir: Path, runs: Path) -> str:
    """The accuracy-latency table: the shipped 3-class card, every curve-point card in
    `runs` (curve_*_3class.json: other widths, trained and scored the same way), others."""
    ours = [("the shipped card", load(models_dir / "model_a_3class_int8.json"))]
    ours += [(f"training/runs/{p.name}", load(p)) for p in sorted(runs.glob("curve_*_3class.json"))]
    rows = []
    for source, card in ours:
        if not card or "metrics_int8" not in card:
            continue
        m = card["metrics_int8"]["private_dedup"]
        ms = card["latency_int8_one_face_one_thread"]["median_ms"]
        fits = card["size_bytes"] <= SIZE_BUDGET
        epochs = f", {card['recipe']['epochs']} epochs" if "recipe" in card else ""
        score = card.get("public_score") or public_score(card["training"])
        what = (
            f"{card['architecture']} ({card['parameters'] / 1000:.0f}k parameters, "
            f"{card['size_bytes'] / 1000:.0f} KB{epochs}, PublicTest score {score:.3f})"
            + ("" if fits else f": over the {SIZE_BUDGET // 1000} KB size budget, not shippable")
        )
        rows.append((ms, what, m["accuracy"], m["recall"]["sad"], source))
    others = load(runs / "other_points.json") or []
    rows += [
        (o["ms"], o["model"], o["accuracy_3class"], o["sad_recall"], o["source"]) for o in others
    ]
    lines = [
        "## Accuracy against latency (int8, one thread, batch 1, this machine)",
        "",
        "| ms per face | model | 3-class acc | sad recall | source |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {ms:.2f} | {what} | {pct(acc)} | {pct(sad)} | {src} |"
        for ms, what, acc, sad, src in sorted(rows, key=lambda r: r[0])
    ]
    return "\n".join(lines)


def public_score(training: dict) -> float:
    """The selection score at the chosen epoch (as training.selection.selection_score)."""
    return epoch_score(training["public_dedup_by_epoch"][training["best_epoch"] - 1])
