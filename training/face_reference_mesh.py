"""Build models/face_reference_mesh.npy, the frontal face that head pose is measured against.

It is the mean face mesh of the 15 Yale `normal` photos (../shared/faces/yale/neutral,
subjects facing the camera): each mesh centred and scaled to unit size, rotated onto the
running mean (generalised Procrustes, a few rounds), then the mean turned to the photos'
average orientation and levelled so that its
outer eye corners (33, 263) lie on the x axis. Run: python -m training.face_reference_mesh
"""

from __future__ import annotations

import cv2
import numpy as np

from fer_desktop.classifier import MODELS_DIR
from fer_desktop.detector import FaceDetector
from fer_desktop.measures import REFERENCE_FILE
from fer_desktop.mesh import FaceMesh, roi_from_detection
from training import data as D

ROUNDS = 5


def yale_normal_meshes() -> list[np.ndarray]:
    """The mesh (468, 3) of each Yale subject's `normal` photo."""
    root = D.DEFAULT_NPZ.parent.parent / "faces" / "yale" / "neutral"
    face_mesh = FaceMesh(iris=False)
    meshes = []
    with FaceDetector("short") as det:
        for path in sorted(root.glob("*_normal.png")):
            img = cv2.imread(str(path))
            face = max(det.detect(img, None), key=lambda d: d.box[2] * d.box[3])
            meshes.append(face_mesh.run(img, roi_from_detection(face)).points)
    return meshes


def _unit(points: np.ndarray) -> np.ndarray:
    centred = points - points.mean(0)
    return centred / np.sqrt((centred**2).sum(1).mean())


def _rotated_onto(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(target.T @ points)
    d = np.sign(np.linalg.det(u @ vt))
    return points @ (u @ np.diag([1.0, 1.0, d]) @ vt).T


def mean_mesh(meshes: list[np.ndarray]) -> np.ndarray:
    """Generalised Procrustes mean, levelled (eye line along +x)."""
    shapes = [_unit(m) for m in meshes]
    mean = shapes[0]
    for _ in range(ROUNDS):
        mean = _unit(np.mean([_rotated_onto(s, mean) for s in shapes], axis=0))
    # The rounds keep the first face's orientation: turn the mean to the faces' average one.
    mean = _rotated_onto(mean, np.mean(shapes, axis=0))
    eye = mean[263] - mean[33]
    yaw = np.arctan2(eye[2], eye[0])  # turn about y until the eye line has no depth...
    c, s = np.cos(yaw), np.sin(yaw)
    mean = mean @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T
    eye = mean[263] - mean[33]
    roll = np.arctan2(eye[1], eye[0])  # ...then about z until it is level
    c, s = np.cos(roll), np.sin(roll)
    return mean @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]).T


def main() -> None:
    meshes = yale_normal_meshes()
    ref = mean_mesh(meshes).astype(np.float32)
    np.save(MODELS_DIR / REFERENCE_FILE, ref)
    print(f"{MODELS_DIR / REFERENCE_FILE}: mean of {len(meshes)} Yale normal meshes")


if __name__ == "__main__":
    main()
