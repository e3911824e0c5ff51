"""Frame -> FrameResult: detect faces, crop each to 48x48, classify in one batch, track.

The GUI, the command line and the benchmarks all drive this same class. No Qt here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer_desktop._version import __version__
from fer_desktop.action_units import Geometry, RestingFaces, proxies
from fer_desktop.calibration import (
    CALIBRATED,
    COLLECTING,
    NO_BASELINE,
    Baseline,
    Calibrator,
    Notice,
)
from fer_desktop.classifier import MoodModel, NoExpressionModel, open_model
from fer_desktop.detector import Detection, FaceDetector
from fer_desktop.mesh_stage import MeshedFace, MeshStage
from fer_desktop.preprocess import face_to_input
from fer_desktop.results import FrameResult, TrackedFace, iso_time
from fer_desktop.settings import Settings
from fer_desktop.sources import Frame
from fer_desktop.tracking import Tracker

DETECTOR_FIELDS = ("detector_range", "min_confidence", "min_face_px", "detector_tiles")
CALIBRATION_FIELDS = ("calibrate_s", "baseline")
# a face's calibration states in which its resting face is being taken or was taken
RESTING_STATES = (COLLECTING, NO_BASELINE, CALIBRATED)


@dataclass(frozen=True)
class Detected:
    """A frame's faces, found (perhaps ahead of time, on another thread): the detector's
    (`ms`: 0 when the face mesh followed every face and the detector skipped the frame) and,
    with the mesh on, each face's mesh (`meshed`, in the same order, in `mesh_ms`)."""

    frame: Frame
    detections: list[Detection]
    ms: float
    meshed: list[MeshedFace] | None = None
    mesh_ms: float = 0.0


def tracker_options(settings: Settings) -> dict:
    """The Tracker's arguments that `settings` decide (its calibrator aside)."""
    s = settings
    return {
        "smoothing": s.smoothing,
        "hysteresis": s.hysteresis,
        "grace": s.grace_seconds,
        "min_hits": s.min_hits,
        "reid": s.reid_seconds,
    }


class Pipeline:
    """Runs detector, crop, classifier and tracker on frames, timing each stage.

    It owns the tracker and the per-person calibrator: the session steers them only through
    the methods below (`seeked`, `calibrate`, `reset_calibration`, `calibration_notices`).
    Its settings change only through `apply(new_settings)`, which rebuilds just the stages
    that the change concerns; face ids and tracks survive every change.
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.model = open_model(self.settings.model)
        # a bad baseline file fails before the detector opens
        self._calibrator = self._new_calibrator(self.settings, self.model)
        self.detector = self._new_detector()
        self._detector_lock = threading.Lock()  # detection may run ahead on another thread
        self._last_size: tuple[int, ...] = ()
        self._tracker = Tracker(
            self.labels, calibrator=self._calibrator, **tracker_options(self.settings)
        )
        self.meshes = self._new_meshes(self.settings)
        self._resting = RestingFaces(keep_s=self.settings.calibrate_s + 2.0)

    @staticmethod
    def _new_meshes(settings: Settings) -> MeshStage | None:
        return None if settings.mesh == "off" else MeshStage(iris=settings.mesh == "eyes")

    @property
    def notices(self) -> list[str]:
        """One-line problems the stages live with (the iris model missing: no gaze)."""
        return [self.meshes.iris_error] if self.meshes and self.meshes.iris_error else []

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    def describe(self) -> dict:
        """The settings and what made the results: for timeline headers and the index."""
        return {
            **self.settings.as_dict(),
            "model_name": self.model.name,
            "model_file": self.model.path.name,
            "model_sha256": self.model.sha256,
            "labels": self.labels,
            "app_version": __version__,
        }

    def reset(self, restart_ids: bool = False) -> None:
        """Start afresh, as for a new video: a new detector (no state carried over) and no
        tracks nor baselines; with `restart_ids` the next face is face 1 again."""
        self._replace_detector()
        self._reset_meshes()
        self._tracker.reset(restart_ids=restart_ids)
        self.reset_calibration()
        self._last_size = ()

    def seeked(self) -> None:
        """The source jumped: the faces in view are remembered, so that the same people at
        the same places keep their ids."""
        self._tracker.reset(remember=True)
        self._reset_meshes()

    def _reset_meshes(self) -> None:
        with self._detector_lock:  # the run-ahead thread uses them
            if self.meshes is not None:
                self.meshes.reset()

    # --- calibration: one calibrator, made here from the settings and the model's card -----
    @staticmethod
    def _new_calibrator(settings: Settings, model: MoodModel | NoExpressionModel) -> Calibrator:
        """Per-person calibration as set (baselines are per model: labels differ); with
        neither `calibrate_s` nor `baseline` it reads raw until `calibrate` is asked for."""
        saved = Baseline.load(Path(settings.baseline), model.labels) if settings.baseline else None
        return Calibrator.for_model(model.labels, model.card.raw, settings.calibrate_s, saved)

    def calibrate(self, seconds: float, t: float) -> list[int]:
        """Collect the resting face of every face in view anew, from `t` for its next neutral
        `seconds` (the window's "Calibrate neutral"); returns their ids."""
        ids = self._tracker.active_ids
        self._calibrator.start(t, seconds, ids)
        self._resting.keep_s = max(self._resting.keep_s, seconds + 2.0)
        return ids

    def reset_calibration(self) -> None:
        """Forget every face's own baseline (a saved one stays)."""
        self._calibrator.reset()
        self._resting.reset()

    def calibration_notices(self) -> list[Notice]:
        """The faces' changes of calibration state since the last call."""
        return self._calibrator.notices()

    def baselines(self) -> dict[int, Baseline]:
        """The resting faces taken so far, by face id (`live --save-baseline`)."""
        return self._calibrator.baselines()

    def apply(self, settings: Settings) -> dict:
        """Change to `settings`, rebuilding only what changed; returns the changed values.

        A model or baseline that cannot be loaded raises before anything changes.
        """
        old, new = self.settings.as_dict(), settings.as_dict()
        changed = {k: v for k, v in new.items() if old[k] != v}
        if not changed:
            return {}
        model = open_model(settings.model) if "model" in changed else self.model
        calibrator = self._calibrator
        if changed.keys() & {"model", *CALIBRATION_FIELDS}:
            calibrator = self._new_calibrator(settings, model)
            self._resting = RestingFaces(keep_s=settings.calibrate_s + 2.0)
        self._tracker.configure(calibrator=calibrator, **tracker_options(settings))
        self.settings, self.model, self._calibrator = settings, model, calibrator
        if "mesh" in changed:
            meshes = self._new_meshes(settings)
            with self._detector_lock:  # the run-ahead thread uses them
                self.meshes = meshes
        if "model" in changed:
            self._tracker.relabel(model.labels)
        if changed.keys() & set(DETECTOR_FIELDS):
            self._replace_detector()
        return changed

    def _replace_detector(self) -> None:
        with self._detector_lock:
            old = self.detector
            self.detector = self._new_detector()
        old.close()

    def _new_detector(self) -> FaceDetector:
        s = self.settings
        return FaceDetector(s.detector_range, s.min_confidence, s.min_face_px, s.detector_tiles)

    def crops(self, bgr: np.ndarray, detections: list[Detection]) -> np.ndarray:
        s = self.settings
        if not detections:
            return np.zeros((0, 48, 48), np.uint8)
        return np.stack([face_to_input(bgr, d.box, d.eyes, s.margin, s.align) for d in detections])

    def detect(self, frame: Frame) -> Detected:
        """The faces of one frame: the step that may run ahead, on a thread of its own,
        frames in order. With the face mesh on, the meshes follow the faces here too, and the
        detector reads only the frames they ask for (mesh_stage.py)."""
        with self._detector_lock:
            meshes = None if frame.still else self.meshes
            t0 = time.perf_counter()
            meshed = None if meshes is None else meshes.follow(frame.bgr, frame.index)
            t1 = time.perf_counter()
            if meshed is not None:
                return Detected(frame, [m.detection for m in meshed], 0.0, meshed, (t1 - t0) * 1e3)
            detections = self.detector.detect(frame.bgr, None if frame.still else frame.t_source)
            t2 = time.perf_counter()
            if meshes is None:
                return Detected(frame, detections, (t2 - t1) * 1e3)
            meshed = meshes.start(frame.bgr, detections)
            mesh_ms = (t1 - t0 + time.perf_counter() - t2) * 1e3
        return Detected(frame, detections, (t2 - t1) * 1e3, meshed, mesh_ms)

    def process(self, frame: Frame, detected: Detected | None = None) -> FrameResult:
        """Analyse one frame (its faces found here, unless `detected` brings them)."""
        if frame.still:
            return self.read_still(frame)
        if frame.bgr.shape[:2] != self._last_size:  # new geometry: old boxes mean nothing
            self._tracker.reset()
            self._last_size = frame.bgr.shape[:2]
        if detected is None:
            detected = self.detect(frame)
        detections, meshed = detected.detections, detected.meshed
        t1 = time.perf_counter()
        faces = self.crops(frame.bgr, detections if self.labels else [])
        t2 = time.perf_counter()
        probs = self.model.predict(faces) if self.labels else np.zeros((len(detections), 0))
        t3 = time.perf_counter()
        tracked = self._tracker.update(
            [d.box for d in detections], [d.score for d in detections], probs, frame.t_source
        )
        t4 = time.perf_counter()
        _attach(tracked, detections, meshed)  # with the mesh: measures and action units
        if meshed is not None:
            self._action_units(tracked, frame.t_source)
        h, w = frame.bgr.shape[:2]
        timings = {
            "detect": detected.ms,
            "crop": (t2 - t1) * 1e3,
            "classify": (t3 - t2) * 1e3,
            "track": (t4 - t3) * 1e3,
        }
        if meshed is not None:
            timings["mesh"] = detected.mesh_ms + (time.perf_counter() - t4) * 1e3
        return FrameResult(
            frame.index, frame.t_source, iso_time(frame.captured), w, h, self.labels, tracked,
            timings, frame.arrived,
        )  # fmt: skip

    def _action_units(self, faces: list[TrackedFace], t: float) -> None:
        """Each face's action-unit proxies against its resting face (calibration's stretch)."""
        baselines = self._calibrator.baselines()
        for face in faces:
            if face.cal_state not in RESTING_STATES:
                continue  # no resting face being taken nor taken: no proxies to give
            if face.measures is None or face.measures.eye_openness is None:
                continue  # too small or turned too far: no geometry to trust
            geometry = Geometry.of(face.landmarks)
            self._resting.observe(face.id, t, geometry)
            rest = self._resting.rest(face.id, baselines.get(face.id))
            face.action_units = None if rest is None else proxies(geometry, rest)

    def read_still(self, frame: Frame) -> FrameResult:
        """One still image on its own: every detector range searched, faces numbered 1..N
        from the left, nothing carried over from the last image nor into the next."""
        detected = self.detect(frame)
        dets = sorted(detected.detections, key=lambda d: (d.box[0], d.box[1]))
        probs = self.model.predict(self.crops(frame.bgr, dets))
        still = Tracker(
            self.labels, smoothing=0.0, hysteresis=0.0, calibrator=self._calibrator.for_still()
        )
        faces = still.update([d.box for d in dets], [d.score for d in dets], probs, 0.0)
        meshed = None
        if self.meshes is not None:
            meshed = [self.meshes.on_still(frame.bgr, d) for d in dets]
        _attach(faces, dets, meshed)
        h, w = frame.bgr.shape[:2]
        timings = {"detect": detected.ms}
        return FrameResult(
            frame.index, frame.t_source, iso_time(frame.captured), w, h, self.labels, faces,
            timings, frame.arrived,
        )  # fmt: skip

    def close(self) -> None:
        self.detector.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _attach(
    faces: list[TrackedFace], detections: list[Detection], meshed: list[MeshedFace] | None
) -> None:
    """Give each tracked face its detection's keypoints and, with the mesh on, its mesh and
    measures (the tracker returns the boxes it was given: that is how they are paired)."""
    index = {id(d.box): i for i, d in enumerate(detections)}
    for face in faces:
        i = index[id(face.box)]
        face.keypoints = detections[i].keypoints
        if meshed is not None:
            found = meshed[i].mesh
            face.measures = meshed[i].measures()
            if found is not None:  # None: a face too small for the mesh
                face.landmarks = found.points
                face.iris = None if found.iris is None else found.iris.centres
                face.presence = found.presence
