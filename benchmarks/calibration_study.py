"""Per-person calibration measured on Yale faces (../shared/faces/yale).

Each subject's `normal` photo is their baseline (their resting face). Their happy and sad
photos are then read with and without calibration, and so are their side-lit neutral photos
(`leftlight`, `rightlight`), which should stay neutral. Run it: `python -m
benchmarks.calibration_study [3class|2class]`; tests/test_calibration.py runs it too.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.calibration import Baseline, calibrate, neutral_reference
from fer_desktop.classifier import MoodModel
from fer_desktop.detector import FaceDetector
from fer_desktop.preprocess import face_to_input

YALE = Path(__file__).resolve().parent.parent.parent / "shared" / "faces" / "yale"


def crops() -> dict[str, dict[str, np.ndarray]]:
    """subject -> photo kind (happy, sad, normal, leftlight, rightlight) -> 48x48 face."""
    out: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    with FaceDetector("short", min_confidence=0.3) as detector:
        for path in sorted(YALE.glob("*/yale_subject*.png")):
            subject, kind = path.stem.split("_")[1:3]
            img = cv2.imread(str(path))
            found = detector.detect(img, None)
            if found:
                d = max(found, key=lambda d: d.box[2] * d.box[3])
                out[subject][kind] = face_to_input(img, d.box, d.eyes)
    return out


def study(model_name: str = "3class") -> dict:
    """Recall of happy and sad photos, and side-lit neutrals called sad, raw vs calibrated."""
    model = MoodModel(model_name)
    labels = model.labels
    reference = neutral_reference(labels, model.card.raw)
    counts = {k: defaultdict(int) for k in ("raw", "calibrated")}
    n: dict[str, int] = defaultdict(int)
    for _subject, faces in crops().items():
        if "normal" not in faces:
            continue
        baseline = Baseline.of(labels, model.predict(faces["normal"][None])).log_probs
        for kind, face in faces.items():
            if kind == "normal":
                continue
            raw = model.predict(face[None])[0]
            read = {"raw": raw, "calibrated": calibrate(raw, baseline, reference)}
            truth = kind if kind in ("happy", "sad") else "side-lit neutral"
            n[truth] += 1
            for how, probs in read.items():
                label = labels[int(np.argmax(probs))]
                if truth == "side-lit neutral":
                    counts[how][truth] += label == "sad"
                else:
                    counts[how][truth] += label == truth
    return {"model": model_name, "n": dict(n), **{k: dict(v) for k, v in counts.items()}}


def table(result: dict) -> str:
    n = result["n"]
    lines = [
        f"Yale, {result['model']} model: each subject's normal photo is their baseline",
        "| reading | happy read as happy | sad read as sad | side-lit neutral read as sad |",
        "|---|---|---|---|",
    ]
    for how in ("raw", "calibrated"):
        c = result[how]
        lines.append(
            f"| {how} | {c.get('happy', 0)} of {n.get('happy', 0)} | {c.get('sad', 0)} of "
            f"{n.get('sad', 0)} | {c.get('side-lit neutral', 0)} of "
            f"{n.get('side-lit neutral', 0)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if not YALE.exists():
        sys.exit("needs ../shared/faces/yale")
    for name in sys.argv[1:] or ["3class", "2class"]:
        print(table(study(name)), "\n")
