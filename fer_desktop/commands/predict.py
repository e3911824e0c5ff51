"""fer-desktop predict: labels and probabilities for the faces in images."""

from __future__ import annotations

import json
import sys

import numpy as np

from fer_desktop.pipeline import Pipeline, PipelineConfig
from fer_desktop.preprocess import to_model_input
from fer_desktop.sources import Frame, SourceError, read_image


def predict_image(pipeline: Pipeline, image: np.ndarray, no_detect: bool) -> list[dict]:
    """Faces in one still image: box, label and probabilities (no smoothing)."""
    labels = pipeline.labels
    if no_detect:
        h, w = image.shape[:2]
        probs = pipeline.model.predict(to_model_input(image)[None])
        boxes = [(0.0, 0.0, float(w), float(h))]
    else:
        pipeline.tracker.reset()
        result = pipeline.process(Frame(0, 0.0, image))
        probs = np.array([f.probs for f in result.faces]).reshape(-1, len(labels))
        boxes = [f.box for f in result.faces]
    return [
        {
            "box": [round(v) for v in box],
            "label": labels[int(p.argmax())],
            "probs": {lab: round(float(x), 4) for lab, x in zip(labels, p, strict=True)},
        }
        for box, p in zip(boxes, probs, strict=True)
    ]


def run(args, config: PipelineConfig) -> int:
    failed = 0
    with Pipeline(config) as pipeline:
        for path in args.images:
            entry: dict = {"file": str(path), "faces": []}
            try:
                entry["faces"] = predict_image(pipeline, read_image(path), args.no_detect)
            except SourceError as exc:
                entry["error"] = str(exc)
                failed += 1
            if args.json:
                print(json.dumps(entry), flush=True)
            else:
                print(describe(entry), flush=True)
            if "error" in entry:
                print(f"fer-desktop: {entry['error']}", file=sys.stderr)
    return 1 if failed else 0


def describe(entry: dict) -> str:
    if "error" in entry:
        return f"{entry['file']}: error: {entry['error']}"
    if not entry["faces"]:
        return f"{entry['file']}: no face found"
    lines = []
    for i, face in enumerate(entry["faces"], 1):
        probs = ", ".join(f"{k} {v:.2f}" for k, v in face["probs"].items())
        lines.append(
            f"{entry['file']}: face {i} at {face['box']}: {face['label'].upper()} ({probs})"
        )
    return "\n".join(lines)
