"""Build models/face_reference_mesh.npy, the frontal face that head pose is measured against.

It is made from the two portraits that ship in PyPI packages (scikit-image's astronaut and
matplotlib's Grace Hopper), so it owes nothing to any data set. Each face's mesh is made
left-right symmetric (averaged with its own mirror image, matched landmark to landmark), centred
and scaled to unit size; the two are averaged (generalised Procrustes). Its frame then comes
from the face itself:
- x is the normal of the face's plane of symmetry, pointing to the subject's left (image
  right), so yaw and roll 0 mean that plane faces the camera squarely;
- y (down) is the direction from the eyes' midpoint to the mouth's, within that plane, turned
  by the pitch the two portraits held, so that pitch 0 is a face held as people hold it when
  they face a camera;
- z (depth) completes the frame.
Run: python -m training.face_reference_mesh
"""

from __future__ import annotations

import cv2
import numpy as np

from fer_desktop.classifier import MODELS_DIR
from fer_desktop.detector import FaceDetector
from fer_desktop.measures import REFERENCE_FILE
from fer_desktop.mesh import FaceMesh

ROUNDS = 5
EYES = (33, 133, 263, 362)  # both eyes' corners
MOUTH = (61, 291, 13, 14)  # corners and the middle of the inner lips


def portraits() -> dict[str, np.ndarray]:
    """The PyPI portraits as BGR images."""
    from matplotlib import cbook
    from skimage import data

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        hopper = cv2.imdecode(np.frombuffer(fh.read(), np.uint8), cv2.IMREAD_COLOR)
    return {"astronaut": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), "grace_hopper": hopper}


def meshes_of(images: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The mesh (468, 3) of the largest face in each image."""
    face_mesh = FaceMesh(iris=False)
    out = {}
    with FaceDetector("short") as det:
        for name, img in images.items():
            face = max(det.detect(img, None), key=lambda d: d.box[2] * d.box[3])
            out[name] = face_mesh.on_still(img, face.box).points
    return out


def _unit(points: np.ndarray) -> np.ndarray:
    centred = points - points.mean(0)
    return centred / np.sqrt((centred**2).sum(1).mean())


def _rotation_onto(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation R (Kabsch) that takes centred `points` closest to centred `target`."""
    u, _, vt = np.linalg.svd(target.T @ points)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def _levelled(shape: np.ndarray) -> np.ndarray:
    """The shape turned so that its outer eye corners (33, 263) lie along +x."""
    eye = shape[263] - shape[33]
    yaw = np.arctan2(eye[2], eye[0])  # about y until the eye line has no depth...
    c, s = np.cos(yaw), np.sin(yaw)
    shape = shape @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]).T
    eye = shape[263] - shape[33]
    roll = np.arctan2(eye[1], eye[0])  # ...then about z until it is level
    c, s = np.cos(roll), np.sin(roll)
    return shape @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]).T


def mirror_pairs(points: np.ndarray) -> np.ndarray:
    """For each landmark, its mirror partner (itself on the midline): the face is levelled
    by its eye corners, mirrored about the eyes' midpoint, and each mirrored point matched to
    the nearest original one."""
    shape = _levelled(_unit(points))
    centre = (shape[33, 0] + shape[263, 0] + shape[133, 0] + shape[362, 0]) / 4
    mirrored = shape.copy()
    mirrored[:, 0] = 2 * centre - shape[:, 0]
    dist = np.linalg.norm(mirrored[:, None, :] - shape[None, :, :], axis=2)
    return dist.argmin(1)


def symmetric(points: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The face averaged with its own mirror image (landmark i with its partner's mirror)."""
    shape = _unit(points)
    mirrored = (shape * np.array([-1.0, 1.0, 1.0]))[pairs]
    rot = _rotation_onto(mirrored, shape)
    return _unit((shape + mirrored @ rot.T) / 2)


def symmetry_frame(shape: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Rows: the unit x (symmetry normal, to the subject's left), y (eyes to mouth) and z axes
    of a symmetric shape, in the shape's own coordinates."""
    across = shape[pairs] - shape  # every pair's difference lies along the normal
    across = across[np.linalg.norm(across, axis=1) > 1e-6]
    signs = np.sign(across[:, 0])
    x = np.linalg.svd(across * signs[:, None], full_matrices=False)[2][0]
    if x @ (shape[263] - shape[33]) < 0:  # outer eye corners: subject's right -> left
        x = -x
    down = shape[list(MOUTH)].mean(0) - shape[list(EYES)].mean(0)
    y = down - (down @ x) * x
    y /= np.linalg.norm(y)
    return np.stack([x, y, np.cross(x, y)])


def reference(meshes: list[np.ndarray]) -> np.ndarray:
    """The symmetric mean face in its own frame, tilted by the faces' mean pitch."""
    pairs = mirror_pairs(meshes[0])
    shapes = [symmetric(m, pairs) for m in meshes]
    mean = shapes[0]
    for _ in range(ROUNDS):
        mean = _unit(np.mean([s @ _rotation_onto(s, mean).T for s in shapes], axis=0))
    ref = mean @ symmetry_frame(mean, pairs).T  # x the symmetry normal, y down the face
    # Pitch: how far each portrait's eyes-to-mouth axis leans out of the image plane.
    lean = np.mean(
        [np.arctan2(f[1][2], f[1][1]) for f in (symmetry_frame(s, pairs) for s in shapes)]
    )
    c, n = np.cos(lean), np.sin(lean)
    ref = ref @ np.array([[1.0, 0.0, 0.0], [0.0, c, -n], [0.0, n, c]]).T
    assert ref[1, 2] < ref[:, 2].mean(), "the nose tip must be nearest the camera"
    return ref


def main() -> None:
    meshes = meshes_of(portraits())
    ref = reference(list(meshes.values())).astype(np.float32)
    np.save(MODELS_DIR / REFERENCE_FILE, ref)
    print(f"{MODELS_DIR / REFERENCE_FILE}: symmetric mean of {', '.join(meshes)}")


if __name__ == "__main__":
    main()
