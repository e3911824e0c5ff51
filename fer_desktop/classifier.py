"""MoodModel: Model A on LiteRT (ai-edge-litert), never TensorFlow.

A model is a `.tflite` file plus its model card, a JSON file beside it (`<name>.json`) that
names the labels in output order and records how the model was trained and measured.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fer_desktop.errors import FerDesktopError
from fer_desktop.models_dir import MODELS_DIR
from fer_desktop.preprocess import INPUT_SIZE

MODEL_FILES = {
    "3class": "model_a_3class_int8.tflite",
    "2class": "model_a_2class_int8.tflite",
    "8class": "model_a_8class_int8.tflite",
}
DEFAULT_MODEL = "3class"
OPTIONAL_MODELS = ("8class",)  # installed when its file is there; the others always are


def shipped_models() -> list[str]:
    """The model names whose files this installation has, in MODEL_FILES order."""
    return [name for name, file in MODEL_FILES.items() if (MODELS_DIR / file).is_file()]


def shipped_labels() -> list[str]:
    """Every label of the shipped models, each once: the columns a recording keeps so that
    the model can change while it records."""
    labels: dict[str, None] = {}
    for name in shipped_models():
        path = card_path_for(MODELS_DIR / MODEL_FILES[name])
        with contextlib.suppress(FerDesktopError):  # a broken card fails when it is chosen
            labels.update(dict.fromkeys(ModelCard.load(path).labels))
    return list(labels)


class ModelError(FerDesktopError):
    """A model file or its card is missing, unreadable or inconsistent."""


@dataclass
class ModelCard:
    """What the app needs from a model card; the full card stays in `raw`."""

    name: str
    labels: list[str]
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError(f"model card missing: {path}") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"model card {path} is not valid JSON: {exc}") from exc
        labels = raw.get("labels") if isinstance(raw, dict) else None
        if (
            not isinstance(labels, list)
            or len(labels) < 2
            or not all(isinstance(x, str) for x in labels)
        ):
            raise ModelError(f"model card {path} has no valid 'labels' list")
        return cls(name=str(raw.get("name", path.stem)), labels=labels, raw=raw)


def resolve_model_path(model: str | os.PathLike[str]) -> Path:
    """'3class' / '2class' / '8class' name a shipped model; anything else is a path to a
    .tflite file."""
    if str(model) in MODEL_FILES:
        path = MODELS_DIR / MODEL_FILES[str(model)]
        if not path.is_file():
            raise ModelError(
                f"model {model}: not in this installation ({path} is missing); "
                f"installed: {', '.join(shipped_models()) or 'none'}"
            )
        return path
    return Path(model)


def card_path_for(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


class MoodModel:
    """Classifies batches of 48x48 uint8 faces; returns probabilities in the card's order."""

    def __init__(self, model: str | os.PathLike[str] = DEFAULT_MODEL, num_threads: int = 1):
        from fer_desktop._quiet import native_stderr_silenced

        with native_stderr_silenced():
            self._load(model, num_threads)
            self.predict(np.zeros((1, INPUT_SIZE, INPUT_SIZE), np.uint8))  # warm-up

    def _load(self, model: str | os.PathLike[str], num_threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = resolve_model_path(model)
        if not self.path.is_file():
            raise ModelError(f"model file missing: {self.path}")
        self.card = ModelCard.load(card_path_for(self.path))
        try:
            self._interp = Interpreter(model_path=str(self.path), num_threads=num_threads)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.path} is not a usable TFLite model: {exc}") from exc
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        shape = tuple(int(v) for v in self._in["shape"][1:])
        if shape not in ((INPUT_SIZE, INPUT_SIZE, 1), (INPUT_SIZE, INPUT_SIZE)):
            raise ModelError(f"{self.path} takes input {shape}, expected (48, 48, 1)")
        n_out = int(self._out["shape"][-1])
        if n_out != len(self.card.labels):
            raise ModelError(
                f"model card {card_path_for(self.path).name} lists {len(self.card.labels)} "
                f"labels but {self.path.name} has {n_out} outputs"
            )
        self._batch = int(self._in["shape"][0])

    @property
    def labels(self) -> list[str]:
        return self.card.labels

    @property
    def name(self) -> str:
        return self.card.name

    @functools.cached_property
    def sha256(self) -> str:
        """The model file's sha256: which model made a result."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def _quantize_input(self, faces: np.ndarray) -> np.ndarray:
        dtype = self._in["dtype"]
        scale, zero = self._in["quantization"]
        if dtype == np.uint8 and scale == 1.0 and zero == 0 and faces.dtype == np.uint8:
            return faces  # fully int8 exports take pixels as they are (the shipped: float32)
        x = faces.astype(np.float32)
        if dtype == np.float32:
            return x
        if scale:  # pixels are fed on the 0..255 scale; quantize as the model asks
            x = np.round(x / scale + zero)
        info = np.iinfo(dtype)
        return np.clip(x, info.min, info.max).astype(dtype)

    def _dequantize_output(self, y: np.ndarray) -> np.ndarray:
        scale, zero = self._out["quantization"]
        if y.dtype != np.float32 and scale:
            y = (y.astype(np.float32) - zero) * scale
        y = y.astype(np.float32)
        return y / np.clip(y.sum(axis=1, keepdims=True), 1e-6, None)

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """faces: (N, 48, 48) uint8 -> (N, n_labels) float32 probabilities."""
        faces = np.asarray(faces)
        if faces.ndim == 2:
            faces = faces[None]
        if faces.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"faces must be (N, 48, 48), got {faces.shape}")
        n = faces.shape[0]
        if n == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        if n != self._batch:
            shape = [n, *self._in["shape"][1:]]
            self._interp.resize_tensor_input(self._in["index"], shape)
            self._interp.allocate_tensors()
            self._in = self._interp.get_input_details()[0]
            self._out = self._interp.get_output_details()[0]
            self._batch = n
        x = self._quantize_input(faces.reshape(self._in["shape"]))
        self._interp.set_tensor(self._in["index"], x)
        self._interp.invoke()
        return self._dequantize_output(self._interp.get_tensor(self._out["index"]))


NO_MODEL = "none"  # `--model none`: no expression model; faces and measures only


class NoExpressionModel:
    """`--model none`: MoodModel's interface with no labels and nothing run, for rigs where
    only safety alerts are lawful (an expression read at work may not be)."""

    def __init__(self) -> None:
        self.name, self.path, self.sha256 = NO_MODEL, Path(NO_MODEL), ""
        self.card = ModelCard(NO_MODEL, [], {})
        self.labels: list[str] = []

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """No probabilities: (N, 0)."""
        return np.zeros((len(np.asarray(faces)), 0), np.float32)


def open_model(model: str | os.PathLike[str]) -> MoodModel | NoExpressionModel:
    """The model `settings.model` names: a MoodModel, or NoExpressionModel for 'none'."""
    return NoExpressionModel() if str(model) == NO_MODEL else MoodModel(model)
