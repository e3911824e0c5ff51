"""Small shared pieces of training/REPORT.md: a fraction as a percentage, a JSON record
that may be missing, and the selection score of one epoch's PublicTest record."""

from __future__ import annotations

import json
from pathlib import Path


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def epoch_score(epoch: dict) -> float:
    """The selection score of one epoch's PublicTest record (as
    training.selection.selection_score)."""
    return (epoch["3class"][0] + epoch["3class"][1] + epoch["2class"][0]) / 3
