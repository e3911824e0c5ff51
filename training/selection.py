"""What PublicTest chooses for a run (duplicates of Training removed): the epoch
(`Validation`, `selection_score`, `BestOnValidation`, tracked after every epoch) and the sad
log-prior of each shipped head (`choose_priors`)."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from training import evaluate as ev
from training.data import TASK_COLUMNS, Task
from training.recipe import Recipe

# The public FER+ CNN's own validation set: PublicTest under the FER+ majority rule, Training's
# pixel copies kept as that repository kept them (its curve's axis). Its loss drives the
# "plateau" schedule, as the validation loss drove that network's learning rate.
ANCHOR_SET = "8class_majority"


@dataclass
class Validation:
    """PublicTest for each task, scored on the 8-way network: duplicates of Training removed,
    except in ANCHOR_SET."""

    tasks: dict[str, Task]

    def __post_init__(self):
        self.sets = {
            n: t.subset("PublicTest", dedup=n != ANCHOR_SET) for n, t in self.tasks.items()
        }

    def logits(self, model: keras.Model) -> dict[str, np.ndarray]:
        """log-probabilities over the eight emotions for each task's PublicTest images."""
        return {
            n: np.log(np.clip(model.predict(x[..., None].astype(np.float32), verbose=0), 1e-7, 1))
            for n, (x, _y) in self.sets.items()
        }

    def scores(self, logits: dict[str, np.ndarray], priors: dict | None = None) -> dict:
        """Accuracy, balanced accuracy and cross-entropy ("loss") of each task's head
        (optionally with log-priors)."""
        out = {}
        for name, (_x, y) in self.sets.items():
            z = logits[name][:, TASK_COLUMNS[name]]
            if priors:
                z = z + np.asarray(priors[name])
            m = ev.metrics(y, z.argmax(axis=1), self.tasks[name].labels)
            log_norm = np.logaddexp.reduce(z, axis=1)
            m["loss"] = float(np.mean(log_norm - z[np.arange(len(y)), y]))
            out[name] = m
        return out


def selection_score(scores: dict) -> float:
    """What chooses the epoch: mean of 3-class accuracy, 3-class balanced accuracy and
    2-class accuracy on PublicTest (duplicates removed)."""
    parts = []
    if "3class" in scores:
        parts += [scores["3class"]["accuracy"], scores["3class"]["balanced_accuracy"]]
    if "2class" in scores:
        parts.append(scores["2class"]["accuracy"])
    return float(np.mean(parts))


class BestOnValidation:
    """Scores PublicTest (dedup) after each epoch and keeps the best weights and the history
    (both saved in every checkpoint)."""

    def __init__(self, val: Validation, log):
        self.val, self.log = val, log
        self.best, self.best_epoch, self.best_weights, self.history = -1.0, 0, None, []

    def state(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "history": self.history}

    def restore(self, header: dict, best_weights) -> None:
        self.best, self.best_epoch = header["best"], header["best_epoch"]
        self.history, self.best_weights = header["history"], best_weights

    def epoch_end(self, model: keras.Model, epoch: int, loss: float, seconds: float) -> None:
        scores = self.val.scores(self.val.logits(model))
        score = selection_score(scores)
        self.history.append(
            {n: [m["accuracy"], m["balanced_accuracy"], m["loss"]] for n, m in scores.items()}
        )
        if score > self.best:
            self.best, self.best_epoch = score, epoch + 1
            self.best_weights = model.get_weights()
        shown = "  ".join(
            f"{n} acc {m['accuracy']:.4f} bal {m['balanced_accuracy']:.4f}"
            for n, m in scores.items()
        )
        self.log(
            f"  epoch {epoch + 1}: loss {loss:.4f}  {shown}  "
            f"score {score:.4f} best {self.best:.4f}@{self.best_epoch}  {seconds:.0f} s"
        )


# The heads that choose the epoch (selection_score) and get a sad log-prior; "8class" is
# exported from the same network as it is.
SELECTION_TASKS = ("3class", "2class")
# What `fit` scores on PublicTest after every epoch besides them: the 8-class head, on our
# labels (duplicates removed) and on the public FER+ CNN's (ANCHOR_SET).
TRACKED_TASKS = ("8class", ANCHOR_SET)


def validated_tasks(recipe: Recipe) -> tuple[str, ...]:
    """The tasks scored on PublicTest after every epoch: those that choose the epoch, and
    the one the plateau schedule watches."""
    return (*SELECTION_TASKS, *((ANCHOR_SET,) if recipe.schedule == "plateau" else ()))


PRIOR_GRID = np.round(np.arange(-1.0, 2.01, 0.1), 2)
MAX_NEUTRAL_CALLED_SAD = 0.06


def choose_priors(model: keras.Model, val: Validation) -> dict[str, list[float]]:
    """A log-prior added to "sad" in each head, chosen on PublicTest (duplicates removed).

    3-class: the shift that maximises the mean of accuracy and balanced accuracy while at most
    6% of neutral faces are called sad. 2-class: the shift that maximises accuracy.
    """
    logits = val.logits(model)
    priors = {}
    for name in SELECTION_TASKS:
        task = val.tasks[name]
        sad = task.labels.index("sad")
        best, best_shift = -1.0, 0.0
        for shift in sorted(PRIOR_GRID, key=abs):  # on a tie, the smallest shift
            prior = np.zeros(len(task.labels))
            prior[sad] = shift
            z = logits[name][:, TASK_COLUMNS[name]] + prior
            m = ev.metrics(val.sets[name][1], z.argmax(axis=1), task.labels)
            if name == "3class":
                if m.get("neutral_called_sad", 0.0) > MAX_NEUTRAL_CALLED_SAD:
                    continue
                value = (m["accuracy"] + m["balanced_accuracy"]) / 2
            else:
                value = m["accuracy"]
            if value > best + 1e-9:
                best, best_shift = value, float(shift)
        prior = [0.0] * len(task.labels)
        prior[sad] = best_shift + 0.0  # no "-0.0" in the card
        priors[name] = prior
    return priors
