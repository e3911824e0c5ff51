"""Where the shipped model files are: models/ in a source tree, fer_desktop.model_files in a
wheel or bundle. A leaf: the classifier, the detector and the measures all read from it."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def _models_dir() -> Path:
    source_tree = Path(__file__).resolve().parent.parent / "models"
    if source_tree.is_dir():
        return source_tree
    return Path(str(importlib.resources.files("fer_desktop") / "model_files"))


MODELS_DIR = _models_dir()
