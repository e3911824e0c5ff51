"""fer-desktop predict: labels and probabilities for the faces in images."""

from __future__ import annotations

import json
import sys

import numpy as np

from fer_desktop.detector import Detection
from fer_desktop.measures import as_record
from fer_desktop.pipeline import Pipeline
from fer_desktop.preprocess import to_model_input
from fer_desktop.settings import Settings
from fer_desktop.sources import Frame, SourceError, read_image


def predict_image(pipeline: Pipeline, image: np.ndarray, no_detect: bool) -> list[dict]:
    """Faces in one still image: box, label and probabilities (no smoothing), and with the
    face mesh on (settings.mesh) the eyes-and-head measures of each (`mesh`)."""
    labels = pipeline.labels
    if no_detect:  # the whole image is the face
        h, w = image.shape[:2]
        probs = pipeline.model.predict(to_model_input(image)[None])[0]
        label = labels[int(probs.argmax())]
        faces = [{"face": 1, "box": [0, 0, w, h], "label": label, "probs": _rounded(labels, probs)}]
        if pipeline.meshes is not None:
            meshed = pipeline.meshes.on_still(image, Detection((0.0, 0.0, w, h), (), 1.0))
            faces[0]["mesh"] = as_record(meshed.measures(), meshed.mesh.presence)
    else:
        result = pipeline.read_still(Frame(0, 0.0, image, still=True))  # nothing carried over
        faces = [
            {
                "face": face.id,  # 1..N in this image, from the left
                "box": [round(v) for v in face.box],
                "label": face.label,
                "probs": _rounded(labels, face.probs),
                "calibrated": None
                if face.calibrated is None
                else _rounded(labels, face.calibrated),
                **(
                    {}
                    if face.measures is None
                    else {"mesh": as_record(face.measures, face.presence)}
                ),
            }
            for face in result.faces
        ]
    return faces


def _rounded(labels: list[str], probs: np.ndarray) -> dict[str, float]:
    return {lab: round(float(x), 4) for lab, x in zip(labels, probs, strict=True)}


def run(args, settings: Settings) -> int:
    failed = 0
    with Pipeline(settings) as pipeline:
        for notice in pipeline.notices:
            print(f"fer-desktop: {notice}", file=sys.stderr)
        for path in args.images:
            entry: dict = {"file": str(path), "faces": []}
            try:
                image = read_image(path)
                entry["faces"] = predict_image(pipeline, image, args.no_detect)
            except SourceError as exc:
                entry["error"] = str(exc)
                failed += 1
            if args.json:  # one line per image, failed ones too (their "error")
                print(json.dumps(entry), flush=True)
            elif "error" not in entry:
                print(describe(entry), flush=True)
            if "error" in entry:
                print(f"fer-desktop: {entry['error']}", file=sys.stderr)
    return 1 if failed else 0


def describe(entry: dict) -> str:
    """The text lines of an image's faces (errors go to stderr, see `run`)."""
    if not entry["faces"]:
        return f"{entry['file']}: no face found"
    lines = []
    for face in entry["faces"]:
        i = face.get("face", 1)
        probs = ", ".join(f"{k} {v:.2f}" for k, v in face["probs"].items())
        lines.append(
            f"{entry['file']}: face {i} at {face['box']}: {face['label'].upper()} ({probs})"
        )
        if "mesh" in face:
            lines.append(f"  eyes and head: {describe_mesh(face['mesh'])}")
    return "\n".join(lines)


def describe_mesh(mesh: dict) -> str:
    """One line of a face's measures (`as_record`), or the reason they are missing."""
    parts = []
    if pose := mesh["head_pose_deg"]:
        parts.append(
            f"yaw {pose['yaw']:+.0f}°, pitch {pose['pitch']:+.0f}°, roll {pose['roll']:+.0f}°"
        )
    if eyes := mesh["eye_openness"]:
        parts.append(f"eye openness right {eyes['right']:.2f} left {eyes['left']:.2f}")
    if mesh["mouth_opening"] is not None:
        parts.append(f"mouth {mesh['mouth_opening']:.2f}")
    if gaze := mesh["gaze_eye_widths"]:
        parts.append(f"gaze x {gaze['x']:+.2f} y {gaze['y']:+.2f} eye widths")
    if mesh["reason"]:
        parts.append(mesh["reason"])
    return "; ".join(parts)
