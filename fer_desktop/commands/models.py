"""fer-desktop models fetch | list."""

from __future__ import annotations

import os
import sys

from fer_desktop import detector_models
from fer_desktop.classifier import (
    MODEL_FILES,
    OPTIONAL_MODELS,
    ModelError,
    MoodModel,
    shipped_models,
)


def run(args) -> int:
    try:
        status = _run(args)
        sys.stdout.flush()  # here, so that a closed pipe is met in the try
    except BrokenPipeError:  # `models list | head -1`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # quiet at exit too
        return 0
    return status


def _run(args) -> int:
    if args.models_command == "fetch":
        paths = detector_models.fetch(args.dest, args.wheel, args.force)
        for p in paths:
            print(f"ok  {p}  (sha256 verified)")
        return 0
    status = 0
    for rng, _model in detector_models.DETECTOR_MODELS.items():
        try:
            print(f"ok       detector {rng:<5} {detector_models.find(rng)}")
        except detector_models.DetectorModelError as exc:
            print(f"MISSING  detector {rng:<5} {exc}")
            status = 2
    for name in detector_models.MESH_MODELS:  # optional: nothing uses them by default yet
        try:
            print(f"ok       mesh     {name:<9} {detector_models.find(name)}")
        except detector_models.DetectorModelError as exc:
            print(f"-        mesh     {name:<9} {exc}")
    for name in MODEL_FILES:
        if name in OPTIONAL_MODELS and name not in shipped_models():
            print(f"-        mood     {name:<6} not installed (optional)")
            continue
        try:
            m = MoodModel(name)
            acc = m.card.raw.get("metrics_int8", {}).get("private_dedup", {}).get("accuracy")
            extra = f"PrivateTest (dedup) accuracy {acc:.1%}" if acc is not None else ""
            print(f"ok       mood     {name:<6} {m.path.name}: {', '.join(m.labels)}  {extra}")
        except ModelError as exc:
            print(f"BROKEN   mood     {name:<6} {exc}", file=sys.stdout)
            status = 2
    return status
