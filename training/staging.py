"""Shipping through a staging folder: `ship` writes every int8 file and its card beside the
destination, checks them, and only then moves them in, so a failed export, check or kill
never leaves models/ half-written.

No TensorFlow here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from training.report import AGREEMENT_GOAL, SIZE_BUDGET


class ShipCheckFailed(Exception):
    """A staged model failed its checks; the destination was not touched."""


def new_folder(out_dir: Path) -> Path:
    """An empty staging folder on the destination's file system (so moving in is a rename):
    a hidden `.NAME-staging-XXXX` folder beside `out_dir`."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-staging-", dir=out_dir.parent))


def problems(int8_path: Path, card: dict, budgets: bool = True) -> list[str]:
    """What is wrong with one staged int8 file and its card (empty: it may ship): the app's
    MoodModel must load it with the card's labels, the card must name the file's checksum,
    and (with `budgets`) the size and int8/float32 agreement must keep the budgets."""
    from fer_desktop.classifier import MoodModel
    from fer_desktop.errors import FerDesktopError

    found = []
    try:
        model = MoodModel(int8_path, num_threads=1)
        if model.labels != card.get("labels"):
            found.append(f"the app reads labels {model.labels}, the card has {card['labels']}")
    except (FerDesktopError, ValueError, OSError) as exc:
        found.append(f"the app cannot load it: {exc}")
    digest = hashlib.sha256(int8_path.read_bytes()).hexdigest()
    if card.get("file_sha256") != digest:
        found.append("the card's file_sha256 is not the file's")
    if budgets:
        size = int8_path.stat().st_size
        if size > SIZE_BUDGET:
            found.append(f"{size / 1000:.0f} KB, over the {SIZE_BUDGET // 1000} KB budget")
        agree = card.get("int8_float32_label_agreement", {}).get("private_dedup", 0.0)
        if agree < AGREEMENT_GOAL:
            found.append(
                f"int8/float32 label agreement {100 * agree:.2f}%, under the "
                f"{100 * AGREEMENT_GOAL:.0f}% budget"
            )
    return found


def check_all(staged: dict[str, tuple[Path, dict]], folder: Path, budgets: bool) -> None:
    """Raise ShipCheckFailed (one line, naming the staging folder) when any file fails."""
    failed = [
        f"{path.name}: {'; '.join(found)}"
        for path, card in staged.values()
        if (found := problems(path, card, budgets))
    ]
    if failed:
        raise ShipCheckFailed(
            f"{' | '.join(failed)}; nothing was shipped (the staged files are in {folder})"
        )


def move_in(staged: dict[str, tuple[Path, dict]], folder: Path, out_dir: Path) -> list[Path]:
    """Move every staged int8 file and its card into `out_dir` (each file by rename), then
    remove the staging folder. Returns the destination paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    for path, _card in staged.values():
        for src in (path, path.with_suffix(".json")):
            dest = out_dir / src.name
            os.replace(src, dest)
            moved.append(dest)
    shutil.rmtree(folder, ignore_errors=True)
    return moved
