"""The training recipe: every hyper-parameter of the shipped network, and its hash.

Kept free of TensorFlow, so a command can check a checkpoint against its recipe (and refuse
it) in a second, before the heavy imports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Augment:
    """Ranges of the random changes; 0 turns one off."""

    rotation_deg: float = 20.0
    shift: float = 0.15  # fraction of the side
    zoom: float = 0.15  # scale in [1 - zoom, 1 + zoom]
    brightness: float = 0.25  # multiply by [1 - b, 1 + b]
    contrast: float = 0.25  # stretch about the mean by [1 - c, 1 + c]
    erase_prob: float = 0.25  # one gray rectangle of 15-40% side
    flip: bool = True


@dataclass
class Recipe:
    """Hyper-parameters of the shipped network; recorded in both cards."""

    width: int = 32
    blocks: tuple[int, int, int] = (2, 2, 2)
    epochs: int = 70
    batch_size: int = 128
    learning_rate: float = 4e-3  # the peak of a one-cycle schedule
    warmup_fraction: float = 0.1
    weight_decay: float = 5e-4
    dropout: float = 0.3
    spatial_dropout: float = 0.1
    min_votes: int = 2  # FER+ counts below this are dropped as outliers
    augment: Augment = field(default_factory=Augment)
    seed: int = 1234
    # Distillation: fitted networks whose flip-averaged predictions are blended into the
    # vote targets with this weight (0 = votes only).
    teachers: tuple[str, ...] = ()
    teacher_weight: float = 0.0
    # Layers at the full 48 px before the first pooling (architectures.parse_first_stage);
    # "" keeps the stride-2 stem.
    first_stage: str = ""
    mixup_alpha: float = 0.0  # 0 = no mixup


def recipe_hash(recipe: Recipe) -> str:
    """A short hash of every field of the recipe (what a checkpoint must match)."""
    text = json.dumps(asdict(recipe), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_key_of(sha256: str, quick: bool) -> str:
    """What a checkpoint's data must match: the dataset file's checksum and the subset."""
    return f"{sha256[:16]}{'-quick' if quick else ''}"


FIRST_STAGE_LAYERS = {"c": "plain 3x3 convolution", "s": "separable 3x3 convolution"}


def parse_first_stage(spec: str) -> list[tuple[str, int]]:
    """ "c16-s32" -> [("c", 16), ("s", 32)]: the layers run at the full 48 px, in order."""
    layers_ = []
    for part in spec.split("-"):
        kind, filters = part[:1], part[1:]
        if kind not in FIRST_STAGE_LAYERS or not filters.isdigit() or int(filters) < 1:
            raise ValueError(
                f"bad first stage {spec!r}: layers are c<filters> (plain 3x3 conv) or "
                "s<filters> (separable 3x3 conv), joined by '-', e.g. c16-c16"
            )
        layers_.append((kind, int(filters)))
    return layers_
