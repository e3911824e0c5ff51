"""The face-mesh stage of the pipeline: every face followed by its own mesh, so the detector
runs only every DETECT_EVERY frames, or when a face is lost or has no mesh.

As in MediaPipe's face-landmark graph, the previous frame's landmarks give the next frame's
crop (`mesh.MeshTracker`). On a frame the detector reads, each detection continues the mesh
track it overlaps (its crop from the last landmarks, steadier than the detector's box) or
starts a new one; tracks that no detection confirms end. On the frames between, each track
gives its own "detection": the box the detector gave it last, moved and scaled with the
mesh, and six keypoints from the mesh, so that Model A's crop and the face tracker see the
same kind of box either way. When a track's mesh loses the face, the frame is read by the
detector after all. A face too small for the mesh (under measures.MIN_FACE_PX, whose
measures would be withheld anyway) gets none, and keeps the detector reading every frame
while it is in view: the mesh never loses a face that the detector finds.

Which frames the detector reads depends only on the frame numbers and on what the faces
do, not on timing: the same file gives the same results with or without reading ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_desktop.detector import Detection
from fer_desktop.eye_visibility import eye_contrast
from fer_desktop.measures import MIN_FACE_PX, FaceMeasures, measure
from fer_desktop.mesh import FaceMesh, Mesh, MeshTracker
from fer_desktop.results import Box
from fer_desktop.tracking import iou

DETECT_EVERY = 10  # frames: new faces are found within a third of a second at 30 fps
MATCH_IOU = 0.3  # a detection continues the mesh track whose last box it overlaps this much
# Mesh landmarks standing in for BlazeFace's six keypoints on frames the detector skips:
# the eyes' corners (their midpoints), nose tip, upper lip, and the face's edge at the ears.
KEYPOINT_LANDMARKS = ((33, 133), (263, 362), (1,), (13,), (234,), (454,))


def mesh_box(points: np.ndarray) -> Box:
    """The landmarks' extent in the image (x, y, w, h)."""
    lo, hi = points[:, :2].min(0), points[:, :2].max(0)
    return float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])


def keypoints_of(points: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Six keypoints in BlazeFace's order (right eye, left eye, nose, mouth, right ear, left
    ear) from the mesh."""
    return tuple(
        (float(points[list(ids), 0].mean()), float(points[list(ids), 1].mean()))
        for ids in KEYPOINT_LANDMARKS
    )


def _box_fit(box: Box, around: Box) -> tuple[float, float, float, float]:
    """`box` relative to `around`: offsets and sizes in units of `around`'s size."""
    x, y, w, h = around
    return (box[0] - x) / w, (box[1] - y) / h, box[2] / w, box[3] / h


def _apply_fit(fit: tuple[float, float, float, float], around: Box) -> Box:
    x, y, w, h = around
    return x + fit[0] * w, y + fit[1] * h, fit[2] * w, fit[3] * h


def _meshed(bgr: np.ndarray, detection: Detection, found: Mesh) -> MeshedFace:
    contrast = eye_contrast(bgr, found.points) if found.present else None
    return MeshedFace(detection, found, contrast)


@dataclass
class _Track:
    follower: MeshTracker
    box: Box  # the box this face was last given (the detector's, or moved with the mesh)
    fit: tuple[float, float, float, float]  # the detector's last box relative to the mesh's
    score: float  # the detector's last score for this face


@dataclass(frozen=True)
class MeshedFace:
    """One face of a frame: its detection (the detector's, or one made from the mesh) and its
    mesh (its presence is low when the mesh found no face in the detector's box)."""

    detection: Detection
    mesh: Mesh | None  # None: too small for the mesh
    eye_contrast: tuple[float, float] | None = None  # eye_visibility.eye_contrast

    def measures(self) -> FaceMeasures:
        if self.mesh is None:
            width = self.detection.box[2]
            reason = f"face too small: {width:.0f} px < {MIN_FACE_PX:.0f}"
            return FaceMeasures(None, None, None, None, reason)
        iris = None if self.mesh.iris is None else self.mesh.iris.centres
        return measure(self.mesh.points, iris, self.mesh.presence, self.eye_contrast)


class MeshStage:
    """Face meshes for every face in view, and the decision when the detector must look.

    `iris` adds the iris model (gaze); a missing one leaves `iris_error` set and the mesh runs
    without it. One thread only, like the models it holds.
    """

    def __init__(self, iris: bool):
        self.mesh = FaceMesh(iris=iris)
        self.iris_error = self.mesh.iris_error
        self._tracks: list[_Track] = []
        self._unmeshed = False  # a face the detector found has no mesh: it must look again

    def reset(self) -> None:
        self._tracks, self._unmeshed = [], False

    def follow(self, bgr: np.ndarray, index: int) -> list[MeshedFace] | None:
        """Frame `index`'s faces from the meshes alone, or None when the detector must look:
        it is due (every DETECT_EVERY frames), no face is followed, a face has no mesh, or one
        of them was lost."""
        if index % DETECT_EVERY == 0 or not self._tracks or self._unmeshed:
            return None
        out = []
        for track in self._tracks:
            found = track.follower.update(bgr)
            if found is None or not found.present:
                return None
            track.box = _apply_fit(track.fit, mesh_box(found.points))
            detection = Detection(track.box, keypoints_of(found.points), track.score)
            out.append(_meshed(bgr, detection, found))
        return out

    def start(self, bgr: np.ndarray, detections: list[Detection]) -> list[MeshedFace]:
        """This frame's faces from the detector's detections: each continues the track it
        overlaps most (from its last landmarks) or starts one; unconfirmed tracks end."""
        taken: set[int] = set()
        tracks, out = [], []
        self._unmeshed = False
        for det in detections:
            if det.box[2] < MIN_FACE_PX:
                out.append(MeshedFace(det, None))
                self._unmeshed = True
                continue
            best, best_iou = None, MATCH_IOU
            for i, track in enumerate(self._tracks):
                overlap = iou(det.box, track.box)
                if i not in taken and overlap >= best_iou:
                    best, best_iou = i, overlap
            if best is not None and not self._tracks[best].follower.lost:
                taken.add(best)
                follower = self._tracks[best].follower
                found = follower.update(bgr)
                if found is None or not found.present:
                    found = follower.update(bgr, det)  # the old crop lost it: the detector's
            else:
                follower = MeshTracker(self.mesh)
                found = follower.update(bgr, det)
            if found is not None and found.present:
                fit = _box_fit(det.box, mesh_box(found.points))
                tracks.append(_Track(follower, det.box, fit, det.score))
            else:
                self._unmeshed = True
            out.append(_meshed(bgr, det, found))  # a low presence says why there are no measures
        self._tracks = tracks
        return out

    def on_still(self, bgr: np.ndarray, detection: Detection) -> MeshedFace:
        """A face of a still image, nothing carried over."""
        return _meshed(bgr, detection, self.mesh.on_still(bgr, detection.box))
