"""The training recipe: every hyper-parameter of the shipped network, and its hash.

Kept free of TensorFlow, so a command can check a checkpoint against its recipe (and refuse
it) in a second, before the heavy imports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace


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
    """Hyper-parameters of one network and its training; recorded in the cards and run
    records. The named recipes are in RECIPES."""

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
    # Fields added with issue #33. recipe_hash leaves them out while they keep these
    # defaults, so every earlier recipe keeps its hash (and its checkpoints and fits).
    # "model_a": architectures.model_a_sep; "ferplus_cnn": architectures.ferplus_cnn (the
    # public FER+ CNN's layers; it has no width, blocks, first stage or dense dropout).
    architecture: str = "model_a"
    # "one_cycle": warm-up then cosine decay over all epochs (AdamW). "plateau": a constant
    # learning rate, multiplied by plateau_factor after plateau_patience epochs without a
    # lower PublicTest loss (train.plateau_rates), as Keras' ReduceLROnPlateau does.
    schedule: str = "one_cycle"
    plateau_patience: int = 20
    plateau_factor: float = 0.5
    l2: float = 0.0  # L2 on the separable kernels (Keras regularizer), besides weight decay
    # "votes": every emotion with min_votes or more; "top_votes": the FER+ authors' cleaning
    # that the public FER+ CNN trained on (data.top_votes).
    targets: str = "votes"


# The defaults of the fields recipe_hash leaves out (see Recipe).
_LATER_FIELDS = (
    "architecture",
    "schedule",
    "plateau_patience",
    "plateau_factor",
    "l2",
    "targets",
)


def recipe_hash(recipe: Recipe) -> str:
    """A short hash of every field of the recipe (what a checkpoint must match); the
    fields added later count only when they differ from their defaults."""
    values = asdict(recipe)
    for f in fields(Recipe):
        if f.name in _LATER_FIELDS and values[f.name] == f.default:
            del values[f.name]
    text = json.dumps(values, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# The public FER+ CNN (github.com/vicksam/fer-model, training/runs/anchor_ferplus_cnn.json)
# on our data loading, augmentation and vote targets: its layers, leaky ReLU slope 0.02,
# spatial dropout 0.1, batch 128, Adam at 0.005 halved after 20 epochs without a lower
# validation loss, 222 epochs as its published run. Its notebook sets L2 0.01 through
# `kernel_regularizer`, which Keras' SeparableConv2D ignores (tensorflow/tensorflow#41093):
# the network it published trained without L2, and so does this recipe.
_FERPLUS_CNN = Recipe(
    architecture="ferplus_cnn",
    epochs=222,
    batch_size=128,
    learning_rate=5e-3,
    schedule="plateau",
    weight_decay=0.0,
    dropout=0.0,
    spatial_dropout=0.1,
)

RECIPES: dict[str, Recipe] = {
    "model_a": Recipe(),  # the 3- and 2-class files: stride-2 stem, one-cycle, 70 epochs
    "model_a_8class": Recipe(first_stage="c16-c16", epochs=80),  # the 8-class file
    "ferplus_cnn": _FERPLUS_CNN,  # issue #33's diagnosis
}


def named_recipe(name: str) -> Recipe:
    """A fresh copy of one of RECIPES (KeyError names the choices)."""
    if name not in RECIPES:
        raise KeyError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}")
    return replace(RECIPES[name])


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


PLATEAU_MIN_DELTA = 1e-4  # Keras' ReduceLROnPlateau default: a smaller fall is no improvement


def plateau_rates(recipe: Recipe, losses: list[float]) -> list[float]:
    """The "plateau" schedule's learning rate for epoch 1, 2, ... len(losses) + 1, given the
    validation loss after each finished epoch: the rate is multiplied by plateau_factor
    once plateau_patience epochs in a row have not lowered the best loss (by more than
    PLATEAU_MIN_DELTA), and the count starts again, as Keras' ReduceLROnPlateau does."""
    rate, best, wait = recipe.learning_rate, float("inf"), 0
    rates = [rate]
    for loss in losses:
        if loss < best - PLATEAU_MIN_DELTA:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= recipe.plateau_patience:
                rate, wait = rate * recipe.plateau_factor, 0
        rates.append(rate)
    return rates
