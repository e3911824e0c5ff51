"""Yale faces (../shared/faces/yale) through the app's own detector and crop."""

from __future__ import annotations

import numpy as np

from training import data as D


def yale_faces(margin: float | None = None, align: bool | None = None):
    """Yale happy/sad photos through the app's detector and crop: (faces, 0=happy/1=sad)."""
    import cv2

    from fer_desktop.detector import FaceDetector
    from fer_desktop.preprocess import DEFAULT_ALIGN, DEFAULT_MARGIN, face_to_input

    root = D.DEFAULT_NPZ.parent.parent / "faces" / "yale"
    if not root.exists():
        return None
    margin = DEFAULT_MARGIN if margin is None else margin
    align = DEFAULT_ALIGN if align is None else align
    faces, labels = [], []
    with FaceDetector("short", min_confidence=0.3) as det:
        for label, cls in enumerate(("happy", "sad")):
            for f in sorted((root / cls).glob("*.png")):
                img = cv2.imread(str(f))
                found = det.detect(img, None)
                if not found:
                    continue
                d = max(found, key=lambda d: d.box[2] * d.box[3])
                faces.append(face_to_input(img, d.box, d.eyes, margin, align))
                labels.append(label)
    return np.stack(faces), np.array(labels)
