"""Per-epoch training checkpoints that a killed run resumes from.

One checkpoint is one .npz file (`epoch-NNNN.npz`) in the run's folder, holding every model
variable, the optimiser's variables (its step count is the schedule's position), the epoch
tracker's best weights and history, and a JSON header (the recipe and its hash, the data's
checksum, the epochs done, the time spent, the commands that ran). Files are written to a
temporary name, flushed and renamed (`os.replace`), so a kill never leaves a half-written
checkpoint under a real name; the two newest are kept, and each carries a digest of its
contents so a damaged file is recognised and the one before it used.

Randomness needs no saved generator state: every epoch's shuffle, augmentation and dropout
draw from seeds derived from (recipe seed, epoch) alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = 1
KEEP = 2


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used for this run (another recipe, other data, or damaged)."""


@dataclass
class State:
    """What a run needs to continue after `epoch` completed epochs."""

    epoch: int
    model: list[np.ndarray]
    optimizer: list[np.ndarray]
    best_weights: list[np.ndarray] | None
    header: dict = field(default_factory=dict)


def _digest(header_text: str, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(header_text.encode())
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(key.encode())
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(folder: Path, state: State) -> Path:
    """Write `state` atomically as folder/epoch-NNNN.npz; keep the newest KEEP files."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for prefix, values in (("m", state.model), ("o", state.optimizer), ("b", state.best_weights)):
        for i, v in enumerate(values or []):
            arrays[f"{prefix}{i:04d}"] = np.asarray(v)
    header = dict(state.header, format=FORMAT, epoch=state.epoch)
    header["counts"] = {
        "model": len(state.model),
        "optimizer": len(state.optimizer),
        "best": len(state.best_weights or []),
    }
    text = json.dumps(header, sort_keys=True)
    arrays["header"] = np.array(text)
    arrays["digest"] = np.array(_digest(text, {k: v for k, v in arrays.items() if k != "header"}))
    path = folder / f"epoch-{state.epoch:04d}.npz"
    tmp = folder / f".{path.name}.tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for old in sorted(folder.glob("epoch-*.npz"))[:-KEEP]:
        old.unlink()
    return path


def load_file(path: Path) -> State:
    """Read and verify one checkpoint; CheckpointError (one line) when it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as d:
            arrays = {k: d[k] for k in d.files}
        text = str(arrays.pop("header"))
        digest = str(arrays.pop("digest"))
        header = json.loads(text)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"checkpoint {path} is damaged ({type(exc).__name__})") from exc
    if _digest(text, arrays) != digest:
        raise CheckpointError(f"checkpoint {path} is damaged (its digest does not match)")
    counts = header["counts"]

    def take(prefix: str, n: int) -> list[np.ndarray]:
        return [arrays[f"{prefix}{i:04d}"] for i in range(n)]

    return State(
        epoch=int(header["epoch"]),
        model=take("m", counts["model"]),
        optimizer=take("o", counts["optimizer"]),
        best_weights=take("b", counts["best"]) or None,
        header=header,
    )


def latest(folder: Path, log=print) -> State | None:
    """The newest undamaged checkpoint in `folder`, or None when there is none at all.

    A damaged file is reported in one line and renamed *.damaged, and the one before it is
    used; when every file is damaged, CheckpointError."""
    files = sorted(folder.glob("epoch-*.npz"), reverse=True) if folder.is_dir() else []
    errors = []
    for path in files:
        try:
            return load_file(path)
        except CheckpointError as exc:
            errors.append(str(exc))
            log(f"warning: {exc}; set aside as {path.name}.damaged, trying the one before")
            path.rename(path.with_name(path.name + ".damaged"))
    if errors:
        raise CheckpointError(
            f"no usable checkpoint in {folder} ({'; '.join(errors)}); start again with --restart"
        )
    return None


def clear(folder: Path) -> None:
    """Remove a run's checkpoints (--restart)."""
    if folder.is_dir():
        for path in list(folder.glob("epoch-*.npz*")) + list(folder.glob(".epoch-*.tmp")):
            path.unlink()


def check_compatible(state: State, recipe_hash: str, data_key: str, folder: Path) -> None:
    """Refuse, in one line, a checkpoint made with another recipe or other data."""
    h = state.header
    if h.get("recipe_hash") != recipe_hash:
        raise CheckpointError(
            f"{folder} holds a checkpoint of another recipe (hash {h.get('recipe_hash')}, "
            f"this run's is {recipe_hash}); use another --run name, or --restart to discard it"
        )
    if h.get("data_key") != data_key:
        raise CheckpointError(
            f"{folder} holds a checkpoint trained on other data ({h.get('data_key')}, this "
            f"run's is {data_key}); use another --run name, or --restart to discard it"
        )
