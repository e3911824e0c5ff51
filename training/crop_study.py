"""Choose the crop margin and eye alignment of `face_to_input` by measurement.

Two development sets, never PrivateTest:
- Yale faces (../shared/faces/yale): whole head-and-shoulder photos, happy vs sad. The detector
  finds each face; we crop it with each candidate margin and score the shipped models.
- FER2013 PublicTest (duplicates removed): each 48x48 image is enlarged 4x and padded, the
  detector finds the face again, and we re-crop it with each margin. The margin whose crops
  keep the model's accuracy closest to that on the original pixels reproduces FER2013's framing.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.classifier import MoodModel
from fer_desktop.detector import FaceDetector
from fer_desktop.preprocess import face_to_input
from training import data as D
from training.yale import yale_faces

MARGINS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5)


def _fer_redetected(task: D.Task, limit: int) -> tuple[list, np.ndarray, np.ndarray]:
    """(enlarged image, detection) pairs for PublicTest images where a face is found."""
    x, y = task.subset("PublicTest", dedup=True)
    idx = np.random.default_rng(0).permutation(len(x))[:limit]
    found, labels, originals = [], [], []
    with FaceDetector("short", min_confidence=0.3) as det:
        for i in idx:
            big = cv2.resize(x[i], (192, 192), interpolation=cv2.INTER_CUBIC)
            big = cv2.copyMakeBorder(big, 96, 96, 96, 96, cv2.BORDER_REPLICATE)
            faces = det.detect(cv2.cvtColor(big, cv2.COLOR_GRAY2BGR), None)
            if faces:
                found.append((big, max(faces, key=lambda d: d.box[2] * d.box[3])))
                labels.append(y[i])
                originals.append(x[i])
    return found, np.array(labels), np.stack(originals)


def run(data_path: Path | None, out: Path, limit: int = 1500) -> dict:
    dataset = D.load(data_path)
    results: dict = {"margins": list(MARGINS), "yale": {}, "fer_publictest": {}}
    for name in ("2class", "3class"):
        model = MoodModel(name)
        task = D.make_task(dataset, name)
        found, y, originals = _fer_redetected(task, limit)
        base = float(np.mean(model.predict(originals).argmax(1) == y))
        fer = {"n_found": len(found), "n_tried": limit, "accuracy_original_pixels": round(base, 4)}
        for align in (False, True):
            for m in MARGINS:
                crops = np.stack([face_to_input(img, d.box, d.eyes, m, align) for img, d in found])
                acc = float(np.mean(model.predict(crops).argmax(1) == y))
                fer[f"margin={m} align={align}"] = round(acc, 4)
        results["fer_publictest"][name] = fer
        if name == "2class":
            for align in (False, True):
                for m in MARGINS:
                    faces = yale_faces(m, align)
                    if faces is None:
                        break
                    xs, ys = faces
                    acc = float(np.mean(model.predict(xs).argmax(1) == ys))
                    results["yale"][f"margin={m} align={align}"] = round(acc, 4)
                    results["yale"]["n"] = len(ys)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results
