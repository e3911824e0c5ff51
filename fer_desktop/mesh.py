"""MediaPipe's face mesh (468 3D points) and iris models, run directly on LiteRT.

As in MediaPipe's face-landmark graph, each face is cropped from a region of interest (ROI):
a square around the face, turned so that the eyes are level, enlarged 1.5x, and warped to the
model's 192x192 input. The first ROI comes from a BlazeFace detection (box and eye
keypoints); after that, the previous frame's landmarks give the next ROI (`MeshTracker`), so
the detector only has to find new faces and recover lost ones. The iris model reads a 64x64
crop around each eye (2.3x the eye's corner-to-corner width), the subject's left eye as is and
the right eye mirrored, as MediaPipe's iris graph feeds it.

Points come back in image pixels: x right, y down, z depth on the same pixel scale (smaller
is nearer the camera, relative to the face's centre). Landmark numbers follow MediaPipe's
mesh topology (e.g. 33/133 the corners of the subject's right eye, 362/263 of the left).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_desktop import detector_models
from fer_desktop._quiet import native_stderr_silenced
from fer_desktop.detector import Detection
from fer_desktop.measures import MIN_PRESENCE
from fer_desktop.results import Box

MESH_SIZE = 192  # the face model's square input side
IRIS_SIZE = 64  # the iris model's square input side
FACE_SCALE = 1.5  # ROI side over the face box (detection) or the landmarks' extent (tracking)
EYE_SCALE = 2.3  # eye ROI side over the eye's corner-to-corner width (MediaPipe's value)
RIGHT_EYE_CORNERS = (33, 133)  # subject's right eye: outer, inner
LEFT_EYE_CORNERS = (263, 362)  # subject's left eye: outer, inner


@dataclass(frozen=True)
class Roi:
    """A square crop of the image: centre (x, y) and side in pixels, and its rotation in
    radians (the angle of the subject's right-to-left eye line in the image; 0 when level)."""

    cx: float
    cy: float
    side: float
    angle: float

    def to_image(self, size: int) -> np.ndarray:
        """The 2x3 affine map from a size x size crop's pixels to image pixels."""
        s = self.side / size
        c, n = math.cos(self.angle) * s, math.sin(self.angle) * s
        half = size / 2
        return np.array(
            [[c, -n, self.cx - c * half + n * half], [n, c, self.cy - n * half - c * half]]
        )


def roi_from_box(box: Box, angle: float = 0.0) -> Roi:
    """The mesh ROI of a face box (x, y, w, h): its centre, 1.5x its longer side."""
    x, y, w, h = box
    return Roi(x + w / 2, y + h / 2, max(w, h) * FACE_SCALE, angle)


def roi_from_detection(det: Detection) -> Roi:
    """The mesh ROI of a BlazeFace detection: its box, levelled by the eye keypoints."""
    (rx, ry), (lx, ly) = det.keypoints[0], det.keypoints[1]
    # The keypoints are the subject's right eye (image left) then left eye (image right).
    return roi_from_box(det.box, math.atan2(ly - ry, lx - rx))


def roi_from_points(points: np.ndarray) -> Roi:
    """The next frame's ROI from this frame's landmarks (468, 3): their extent in the frame
    levelled by the outer eye corners, enlarged 1.5x."""
    r, l_ = points[RIGHT_EYE_CORNERS[0], :2], points[LEFT_EYE_CORNERS[0], :2]
    angle = math.atan2(l_[1] - r[1], l_[0] - r[0])
    c, s = math.cos(angle), math.sin(angle)
    upright = points[:, :2] @ np.array([[c, -s], [s, c]])  # rotate by -angle
    lo, hi = upright.min(0), upright.max(0)
    mid = (lo + hi) / 2
    centre = np.array([[c, -s], [s, c]]) @ mid  # back into the image
    return Roi(float(centre[0]), float(centre[1]), float(max(hi - lo)) * FACE_SCALE, angle)


def _crop(
    bgr: np.ndarray, roi: Roi, size: int, mirror: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The ROI warped to size x size RGB in [0, 1], and its crop-to-image map."""
    to_image = roi.to_image(size)
    if mirror:
        flip = np.array([[-1.0, 0.0, size], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        to_image = to_image @ flip
    crop = cv2.warpAffine(
        bgr,
        to_image,
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
    )
    rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) * np.float32(1 / 255)
    return rgb[None], to_image


def _to_image(xyz: np.ndarray, to_image: np.ndarray) -> np.ndarray:
    """Crop-pixel points (n, 3) into image pixels; z is scaled like x and y."""
    out = np.empty_like(xyz, dtype=np.float64)
    out[:, :2] = xyz[:, :2] @ to_image[:, :2].T + to_image[:, 2]
    out[:, 2] = xyz[:, 2] * math.hypot(*to_image[:, 0])
    return out


@dataclass(frozen=True)
class Iris:
    """Both irises in image pixels: centres (2, 2) and radii (2,), subject's right eye
    first."""

    centres: np.ndarray
    radii: np.ndarray


@dataclass(frozen=True)
class Mesh:
    """One face's mesh: points (468, 3) in image pixels, the model's presence score (0-1,
    below MIN_PRESENCE the crop held no face), the ROI it was read from, and the irises
    (None without the iris model)."""

    points: np.ndarray
    presence: float
    roi: Roi
    iris: Iris | None = None

    @property
    def present(self) -> bool:
        return self.presence >= MIN_PRESENCE


class FaceMesh:
    """The face-mesh model, and the iris model when it is installed, on LiteRT (one
    interpreter each, one thread: not thread-safe, one per thread).

    `iris` True reads the iris model (`iris_model`, else the fetched one); a missing or corrupt
    iris file leaves `iris_error` set (one line, for the caller to show) and the mesh runs
    without gaze. A missing or corrupt
    face-mesh file raises DetectorModelError naming the fetch command.
    """

    def __init__(self, iris: bool = True, iris_model: Path | None = None):
        from ai_edge_litert.interpreter import Interpreter

        self.iris_error: str | None = None
        self._iris = None
        with native_stderr_silenced():
            face = detector_models.find("face_mesh")
            self._face = Interpreter(model_path=str(face), num_threads=1)
            self._face.allocate_tensors()
            if iris:
                try:
                    path = iris_model or detector_models.find("iris", check=False)
                    detector_models.verify(path, detector_models.MESH_MODELS["iris"])
                    self._iris = Interpreter(model_path=str(path), num_threads=1)
                    self._iris.allocate_tensors()
                except detector_models.DetectorModelError as exc:
                    self.iris_error = f"gaze off: {exc}"
        self._face_in = self._face.get_input_details()[0]["index"]
        outs = {int(np.prod(d["shape"])): d["index"] for d in self._face.get_output_details()}
        self._face_points, self._face_score = outs[468 * 3], outs[1]
        if self._iris is not None:
            self._iris_in = self._iris.get_input_details()[0]["index"]
            outs = {int(np.prod(d["shape"])): d["index"] for d in self._iris.get_output_details()}
            self._iris_points = outs[15]  # iris centre, then 4 points on its rim

    @property
    def has_iris(self) -> bool:
        return self._iris is not None

    def run(self, bgr: np.ndarray, roi: Roi) -> Mesh:
        """The mesh (and irises) of the face in `roi` of a BGR image."""
        rgb, to_image = _crop(bgr, roi, MESH_SIZE)
        self._face.set_tensor(self._face_in, rgb)
        self._face.invoke()
        raw = self._face.get_tensor(self._face_points).reshape(468, 3)
        logit = float(self._face.get_tensor(self._face_score).ravel()[0])
        presence = 1.0 / (1.0 + math.exp(-max(-100.0, min(100.0, logit))))
        points = _to_image(raw, to_image)
        iris = self._irises(bgr, points) if self._iris is not None else None
        return Mesh(points, presence, roi, iris)

    def on_still(self, bgr: np.ndarray, box: Box) -> Mesh:
        """A face in a still image from its box alone: a level crop first, then a second
        crop from those landmarks (as a tracked frame would be)."""
        first = self.run(bgr, roi_from_box(box))
        return self.run(bgr, roi_from_points(first.points)) if first.present else first

    def _irises(self, bgr: np.ndarray, points: np.ndarray) -> Iris:
        centres, radii = [], []
        for (outer, inner), mirror in ((RIGHT_EYE_CORNERS, True), (LEFT_EYE_CORNERS, False)):
            a, b = points[outer, :2], points[inner, :2]
            mid = (a + b) / 2
            # the crop's x axis runs from the subject's right to left, as the face ROI's
            left_to_right = b - a if mirror else a - b
            angle = math.atan2(left_to_right[1], left_to_right[0])
            roi = Roi(float(mid[0]), float(mid[1]), float(np.hypot(*(b - a))) * EYE_SCALE, angle)
            rgb, to_image = _crop(bgr, roi, IRIS_SIZE, mirror=mirror)
            self._iris.set_tensor(self._iris_in, rgb)
            self._iris.invoke()
            ring = _to_image(self._iris.get_tensor(self._iris_points).reshape(5, 3), to_image)
            centres.append(ring[0, :2])
            radii.append(float(np.mean(np.hypot(*(ring[1:, :2] - ring[0, :2]).T))))
        return Iris(np.array(centres), np.array(radii))


class MeshTracker:
    """One face followed across frames: the previous frame's landmarks give the next crop.

    `update(bgr, detection)` starts (or restarts) the track from a detection; `update(bgr)`
    follows it from the last mesh. When the mesh's presence score falls below MIN_PRESENCE
    the track is lost (`lost` True) and needs a detection again.
    """

    def __init__(self, mesh: FaceMesh):
        self._mesh = mesh
        self._roi: Roi | None = None

    @property
    def lost(self) -> bool:
        return self._roi is None

    def update(self, bgr: np.ndarray, detection: Detection | None = None) -> Mesh | None:
        """This frame's mesh, or None when the track is lost and no detection was given."""
        if detection is not None:
            self._roi = roi_from_detection(detection)
        if self._roi is None:
            return None
        found = self._mesh.run(bgr, self._roi)
        self._roi = roi_from_points(found.points) if found.present else None
        return found
