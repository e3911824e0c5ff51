"""Per-person neutral calibration: read each face against its own resting face.

A resting face is not a neutral one: some people look sad at rest, others happy. The method,
in log-probability space:

    baseline     = mean of log p over the person's calibration frames (a few seconds of their
                   resting face, or a saved baseline)
    calibrated p = softmax(log p − baseline + log q)

where q is what the model says, on average, for a neutral face (the model card's
`neutral_reference`, measured on FER+ neutral faces of PublicTest; uniform when a card has
none). The person's resting face then reads as the model's typical neutral face, and every
change from it moves the reading the same way it moves the raw model. Raw and calibrated
values are both kept; labels follow the calibrated ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fer_desktop.errors import FerDesktopError

EPS = 1e-6


class CalibrationError(FerDesktopError):
    """A baseline file is missing, unreadable or made for other labels."""


@dataclass
class Baseline:
    """Mean log-probabilities of one person's resting face, in label order."""

    labels: list[str]
    log_probs: np.ndarray
    frames: int

    @classmethod
    def of(cls, labels: list[str], probs: np.ndarray) -> Baseline:
        """The baseline of a stack of probability rows (N, labels)."""
        logp = np.log(np.clip(np.asarray(probs, np.float64), EPS, 1.0))
        return cls(list(labels), logp.mean(axis=0), len(logp))

    def save(self, path: Path) -> None:
        record = {
            "format": "fer_desktop baseline",
            "labels": self.labels,
            "log_probs": [round(float(v), 6) for v in self.log_probs],
            "frames": self.frames,
        }
        try:
            Path(path).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CalibrationError(f"cannot write {path}: {exc.strerror or exc}") from exc

    @classmethod
    def load(cls, path: Path, labels: list[str]) -> Baseline:
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
            log_probs = np.asarray(record["log_probs"], float)
            baseline = cls(record["labels"], log_probs, int(record["frames"]))
        except FileNotFoundError as exc:
            raise CalibrationError(f"baseline not found: {path}") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"{path} is not a fer_desktop baseline: {exc}") from exc
        if baseline.labels != list(labels) or len(baseline.log_probs) != len(labels):
            raise CalibrationError(
                f"{path} was made for labels {baseline.labels}, but the model has {labels}"
            )
        return baseline


def calibrate(probs: np.ndarray, baseline: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """softmax(log p − baseline + log q) for one row or a stack of rows."""
    z = np.log(np.clip(probs, EPS, 1.0)) - baseline + np.log(np.clip(reference, EPS, 1.0))
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def neutral_reference(labels: list[str], card: dict) -> np.ndarray:
    """The model's mean output on neutral faces (its card's), uniform when a card has none."""
    ref = card.get("neutral_reference")
    if not isinstance(ref, list) or len(ref) != len(labels):
        ref = [1.0 / len(labels)] * len(labels)
    return np.asarray(ref, np.float64)


@dataclass
class _FaceState:
    collect_until: float = -1.0  # collecting the resting face until this time
    resting: list = field(default_factory=list)  # raw probabilities while collecting
    baseline: np.ndarray | None = None  # mean log-probabilities of this face at rest


class Calibrator:
    """Each face's calibration, by face id: collecting its resting face, then reading it.

    `seconds` > 0 collects every new face's first seconds; `saved` serves faces without a
    baseline of their own; `start` collects the faces named (all known ones by default) anew.
    """

    def __init__(
        self,
        labels: list[str],
        reference: np.ndarray,
        seconds: float = 0.0,
        saved: Baseline | None = None,
    ):
        self.labels = list(labels)
        self.reference = np.asarray(reference, np.float64)
        self.seconds = seconds
        self.saved = saved
        self._faces: dict[int, _FaceState] = {}

    @classmethod
    def for_model(
        cls, labels: list[str], card: dict, seconds: float = 0.0, saved: Baseline | None = None
    ) -> Calibrator:
        return cls(labels, neutral_reference(labels, card), seconds, saved)

    def start(self, t: float, seconds: float, ids: list[int]) -> None:
        """Collect the next `seconds` of these faces as their resting face."""
        for face_id in ids:
            self._faces[face_id] = _FaceState(collect_until=t + seconds)

    def read(self, face_id: int, probs: np.ndarray, t: float) -> np.ndarray | None:
        """This face's calibrated probabilities, or None while it has no baseline."""
        state = self._faces.get(face_id)
        if state is None:
            state = self._faces[face_id] = _FaceState()
            if self.seconds > 0:
                state.collect_until = t + self.seconds
        if t < state.collect_until:
            state.resting.append(probs)
        elif state.resting and state.collect_until >= 0:
            state.baseline = Baseline.of(self.labels, np.stack(state.resting)).log_probs
            state.collect_until = -1.0
        baseline = state.baseline
        if baseline is None and self.saved is not None:
            baseline = self.saved.log_probs
        return None if baseline is None else calibrate(probs, baseline, self.reference)

    def baselines(self) -> dict[int, Baseline]:
        """The faces that have a baseline of their own."""
        return {
            face_id: Baseline(self.labels, s.baseline, len(s.resting))
            for face_id, s in self._faces.items()
            if s.baseline is not None
        }

    def reset(self) -> None:
        """Forget every face's baseline (the saved one stays)."""
        self._faces.clear()
