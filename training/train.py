"""Fit the 8-way network of a recipe (`fit`): seeds, batches, schedule, checkpoints and
resume; the epoch is chosen on PublicTest (selection.py). Shipping it: ship.py."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from training import checkpoint as ckpt
from training.architectures import (
    averaged_logits,
    ferplus_cnn,
    model_a_sep,
    with_softmax,
)
from training.augment import augment_batch
from training.data import (
    EMOTIONS,
    FerData,
    VoteTargets,
    make_task,
    subsample,
    subsample_votes,
    vote_targets,
)
from training.recipe import Recipe, data_key_of, plateau_rates, recipe_hash
from training.selection import (
    ANCHOR_SET,
    SELECTION_TASKS,
    BestOnValidation,
    Validation,
    validated_tasks,
)

REPO = Path(__file__).resolve().parent.parent


def set_seeds(seed: int) -> None:
    keras.utils.set_random_seed(seed)


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of one epoch's shuffle, augmentation and dropout: a function of (seed, epoch)
    only, so a resumed run draws what an uninterrupted one would."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1, np.uint32)[0] >> 1)


def deterministic() -> None:
    """Same inputs, same weights: deterministic kernels (CPU), seeds fixed per epoch."""
    tf.config.experimental.enable_op_determinism()


class _StallForTests(keras.callbacks.Callback):
    """FER_TRAIN_STALL=E:B makes training stop after batch B of epoch E (1-based) and wait:
    the resume test kills the process there, in the middle of an epoch."""

    def __init__(self, epoch: int, where: str):
        super().__init__()
        self.epoch = epoch
        self.at = tuple(int(v) for v in where.split(":"))

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch + 1, batch + 1) == self.at:
            print(f"stalled at epoch {self.at[0]} batch {self.at[1]}", flush=True)
            time.sleep(3600)


def teacher_probs(paths: tuple[str, ...], x: np.ndarray) -> np.ndarray:
    """The teachers' eight-way distribution for images x (N, 48, 48, 1) on 0..255: every
    fitted network on every image and its mirror, logits averaged (`averaged_logits`), so a
    renormalised geometric mean of their predictions."""
    nets = [keras.models.load_model(REPO / path) for path in paths]
    head = with_softmax(averaged_logits(nets, mirror=True), list(range(len(EMOTIONS))), None)
    return head.predict(x, batch_size=512, verbose=0).astype(np.float32)


def epoch_dataset(x: np.ndarray, t: np.ndarray, recipe: Recipe, epoch: int) -> tf.data.Dataset:
    """One epoch of shuffled, augmented batches (x uint8 (N, 48, 48, 1)), drawn from
    `epoch_seed(recipe.seed, epoch)` alone. With `mixup_alpha`, each batch is blended with
    itself reversed, images and targets, by one Beta(alpha, alpha) weight per image."""
    es = epoch_seed(recipe.seed, epoch)
    order = np.random.default_rng(es).permutation(len(x))
    aug, alpha = recipe.augment, recipe.mixup_alpha

    def transform(i, batch):
        xb, tb = batch
        seed = tf.stack([tf.constant(es, tf.int64), i])
        xb = augment_batch(tf.cast(xb, tf.float32), aug, seed)
        if alpha > 0:
            n = tf.shape(xb)[0]
            key = tf.random.experimental.stateless_fold_in(seed, 1_000_003)
            g1 = tf.random.stateless_gamma([n], key, alpha)
            g2 = tf.random.stateless_gamma([n], key + 1, alpha)
            lam = g1 / (g1 + g2)
            xb = lam[:, None, None, None] * xb + (1 - lam[:, None, None, None]) * xb[::-1]
            tb = lam[:, None] * tb + (1 - lam[:, None]) * tb[::-1]
        return xb, tb

    return (
        tf.data.Dataset.from_tensor_slices((x[order], t[order]))
        .batch(recipe.batch_size, drop_remainder=True)
        .enumerate()
        .map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def build(recipe: Recipe) -> keras.Model:
    """The recipe's 8-way network (uncompiled: see `_compile`)."""
    set_seeds(recipe.seed)
    if recipe.architecture == "ferplus_cnn":
        return ferplus_cnn(len(EMOTIONS), spatial_dropout=recipe.spatial_dropout, l2=recipe.l2)
    return model_a_sep(
        len(EMOTIONS),
        recipe.width,
        recipe.blocks,
        recipe.dropout,
        recipe.spatial_dropout,
        l2=recipe.l2,
        first_stage=recipe.first_stage,
    )


def _compile(model: keras.Model, recipe: Recipe, steps_per_epoch: int) -> None:
    """AdamW and the recipe's schedule: one-cycle as a per-step schedule; "plateau" as a
    plain rate that `fit` sets before each epoch (`plateau_rates`)."""
    if recipe.schedule == "plateau":
        schedule = recipe.learning_rate
    else:
        steps = recipe.epochs * steps_per_epoch
        warmup = int(steps * recipe.warmup_fraction)
        schedule = keras.optimizers.schedules.CosineDecay(
            recipe.learning_rate / 10,
            max(steps - warmup, 1),
            alpha=0.01,
            warmup_target=recipe.learning_rate,
            warmup_steps=warmup,
        )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=recipe.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(),
        jit_compile=False,  # XLA on this CPU is 10x slower for these layers (measured)
    )
    model.optimizer.build(model.trainable_variables)


def _seed_dropout(model: keras.Model, seed: int) -> None:
    """Every dropout layer's random state set from the epoch's seed (and the layer's place)."""
    k = 0
    for layer in model._flatten_layers(include_self=False):
        gen = getattr(layer, "seed_generator", None)
        if gen is not None:
            k += 1
            gen.state.assign(np.array([seed, k], dtype=gen.state.dtype))


def _set_plateau_rate(model: keras.Model, recipe: Recipe, history: list[dict], log) -> None:
    """The epoch's learning rate from the PublicTest losses so far (so a resumed run sets
    what an uninterrupted one would)."""
    rate = plateau_rates(recipe, [e[ANCHOR_SET][2] for e in history])[-1]
    if not np.isclose(float(model.optimizer.learning_rate.numpy()), rate):
        log(f"  learning rate {rate:g} from epoch {len(history) + 1}")
    model.optimizer.learning_rate.assign(rate)


def fit(
    votes: VoteTargets,
    val: Validation,
    recipe: Recipe,
    log=None,
    checkpoints: Path | None = None,
    data_key: str = "",
    provenance: dict | None = None,
) -> tuple[keras.Model, dict]:
    """Fit the 8-way network on Training's vote distributions; choose the epoch on PublicTest.

    With teachers in the recipe, the target is (1 - w) x votes + w x the teachers' prediction.
    With `checkpoints` (a folder), every epoch ends with a checkpoint there, and a run that
    finds one continues after it: refused (CheckpointError) when it was made with another
    recipe or other data. The result equals an uninterrupted run's (deterministic kernels,
    per-epoch seeds).
    """
    log = log or say
    if recipe.schedule == "plateau" and ANCHOR_SET not in val.sets:
        raise ValueError(f"the plateau schedule watches the {ANCHOR_SET} PublicTest loss")
    deterministic()
    train = votes.usage == "Training"
    x_tr = votes.x[train][..., None].astype(np.uint8)
    t_tr = votes.soft[train].astype(np.float32)
    if recipe.teachers and recipe.teacher_weight > 0:
        log(f"teacher targets from {', '.join(recipe.teachers)}")
        w = recipe.teacher_weight
        t_tr = (1.0 - w) * t_tr + w * teacher_probs(recipe.teachers, x_tr.astype(np.float32))
    model = build(recipe)
    steps_per_epoch = len(x_tr) // recipe.batch_size
    _compile(model, recipe, steps_per_epoch)
    tracker = BestOnValidation(val, log)
    r_hash = recipe_hash(recipe)
    header = {
        "recipe": asdict(recipe),
        "recipe_hash": r_hash,
        "data_key": data_key,
        "epoch_seconds": [],
        "segments": [],
    }
    start = 0
    if checkpoints is not None:
        state = ckpt.latest(checkpoints, log)
        if state is not None:
            ckpt.check_compatible(state, r_hash, data_key, checkpoints)
            for var, value in zip(model.variables, state.model, strict=True):
                var.assign(value)
            for var, value in zip(model.optimizer.variables, state.optimizer, strict=True):
                var.assign(value)
            tracker.restore(state.header, state.best_weights)
            header.update({k: state.header[k] for k in ("epoch_seconds", "segments")})
            start = state.epoch
            log(f"resuming {checkpoints} after epoch {start} of {recipe.epochs}")
    header["segments"].append(dict(provenance or {}, first_epoch=start + 1))
    stall = os.environ.get("FER_TRAIN_STALL")
    for epoch in range(start, recipe.epochs):
        t0 = time.time()
        _seed_dropout(model, epoch_seed(recipe.seed, epoch))
        if recipe.schedule == "plateau":
            _set_plateau_rate(model, recipe, tracker.history, log)
        ds = epoch_dataset(x_tr, t_tr, recipe, epoch)
        callbacks = [_StallForTests(epoch, stall)] if stall else []
        hist = model.fit(ds, epochs=1, verbose=0, callbacks=callbacks, shuffle=False)
        seconds = time.time() - t0
        tracker.epoch_end(model, epoch, float(hist.history["loss"][-1]), seconds)
        header["epoch_seconds"].append(round(time.time() - t0, 2))
        if checkpoints is not None:
            ckpt.save(
                checkpoints,
                ckpt.State(
                    epoch + 1,
                    [v.numpy() for v in model.variables],
                    [v.numpy() for v in model.optimizer.variables],
                    tracker.best_weights,
                    dict(header, **tracker.state()),
                ),
            )
    if tracker.best_weights is not None:
        model.set_weights(tracker.best_weights)
    seconds = float(np.sum(header["epoch_seconds"]))
    info = {
        "train_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(len(header["epoch_seconds"]), 1), 1),
        "best_epoch": tracker.best_epoch,
        "public_dedup_by_epoch": tracker.history,
        "n_train": len(x_tr),
        "recipe_hash": r_hash,
        "segments": header["segments"],
    }
    return model, info


def say(message: str) -> None:
    """Progress to stdout, flushed at once so a log file shows it while training runs."""
    print(message, flush=True)


def prepare(data: FerData, recipe: Recipe, quick: bool = False, tasks=SELECTION_TASKS):
    """Vote targets, the tasks, and the key a checkpoint's data must match."""
    votes = vote_targets(data, recipe.min_votes, recipe.targets)
    names = (*validated_tasks(recipe), *tasks)
    all_tasks = {n: make_task(data, n) for n in dict.fromkeys(names)}
    if quick:
        votes = subsample_votes(votes, 600)
        all_tasks = {n: subsample(t, 200) for n, t in all_tasks.items()}
    return votes, all_tasks, data_key_of(data.sha256, quick)
