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
from fer_desktop.calibration import Baseline, Calibrator
from fer_desktop.classifier import MoodModel
from fer_desktop.detector import Detection, FaceDetector
from fer_desktop.preprocess import face_to_input
from fer_desktop.results import FrameResult, iso_time
from fer_desktop.settings import Settings
from fer_desktop.sources import Frame
from fer_desktop.tracking import Tracker

DETECTOR_FIELDS = ("detector_range", "min_confidence", "min_face_px", "detector_tiles")
CALIBRATION_FIELDS = ("calibrate_s", "baseline")


@dataclass(frozen=True)
class Detected:
    """A frame's faces, found (perhaps ahead of time, on another thread) in `ms`."""

    frame: Frame
    detections: list[Detection]
    ms: float


class Pipeline:
    """Runs detector, crop, classifier and tracker on frames, timing each stage.

    Its settings change only through `apply(new_settings)`, which rebuilds just the stages
    that the change concerns; face ids and tracks survive every change.
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        s = self.settings
        self.model = MoodModel(s.model)
        calibrator = self._calibrator()  # a bad baseline file fails before the detector opens
        self.detector = self._new_detector()
        self._detector_lock = threading.Lock()  # detection may run ahead on another thread
        self._last_size: tuple[int, ...] = ()
        self.tracker = Tracker(
            self.model.labels,
            s.smoothing,
            s.hysteresis,
            s.grace_seconds,
            min_hits=s.min_hits,
            calibrator=calibrator,
            reid=s.reid_seconds,
        )

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
        tracks; with `restart_ids` the next face is face 1 again."""
        self._replace_detector()
        self.tracker.reset(restart_ids=restart_ids)
        if self.tracker.calibrator is not None:
            self.tracker.calibrator.reset()
        self._last_size = ()

    def _calibrator(self) -> Calibrator | None:
        """Per-person calibration as set (baselines are per model: labels differ)."""
        s = self.settings
        if not s.calibrate_s and not s.baseline:
            return None
        saved = Baseline.load(Path(s.baseline), self.labels) if s.baseline else None
        return Calibrator.for_model(self.labels, self.model.card.raw, s.calibrate_s, saved)

    def calibrator(self) -> Calibrator:
        """The calibrator, made on demand (the window's "Calibrate neutral")."""
        if self.tracker.calibrator is None:
            self.tracker.calibrator = Calibrator.for_model(self.labels, self.model.card.raw)
        return self.tracker.calibrator

    def apply(self, settings: Settings) -> dict:
        """Change to `settings`, rebuilding only what changed; returns the changed values.

        A model or baseline that cannot be loaded raises before anything changes.
        """
        old, new = self.settings.as_dict(), settings.as_dict()
        changed = {k: v for k, v in new.items() if old[k] != v}
        if not changed:
            return {}
        model = MoodModel(settings.model) if "model" in changed else self.model
        saved = None
        if settings.baseline and ("baseline" in changed or "model" in changed):
            saved = Baseline.load(Path(settings.baseline), model.labels)
        self.settings, self.model = settings, model
        tr = self.tracker
        if "model" in changed:
            tr.relabel(model.labels)
        if "model" in changed or any(k in changed for k in CALIBRATION_FIELDS):
            has = settings.calibrate_s or settings.baseline
            tr.calibrator = (
                Calibrator.for_model(model.labels, model.card.raw, settings.calibrate_s, saved)
                if has
                else None
            )
        tr.smoothing, tr.hysteresis = settings.smoothing, settings.hysteresis
        tr.grace, tr.min_hits, tr.reid = (
            settings.grace_seconds,
            settings.min_hits,
            settings.reid_seconds,
        )
        if any(k in changed for k in DETECTOR_FIELDS):
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
        """The faces of one frame: the step that may run ahead, on a thread of its own."""
        t0 = time.perf_counter()
        with self._detector_lock:
            detections = self.detector.detect(frame.bgr, None if frame.still else frame.t_source)
        return Detected(frame, detections, (time.perf_counter() - t0) * 1e3)

    def process(self, frame: Frame, detected: Detected | None = None) -> FrameResult:
        """Analyse one frame (its faces found here, unless `detected` brings them)."""
        if frame.still:
            return self.read_still(frame)
        if frame.bgr.shape[:2] != self._last_size:  # new geometry: old boxes mean nothing
            self.tracker.reset()
            self._last_size = frame.bgr.shape[:2]
        if detected is None:
            detected = self.detect(frame)
        detections = detected.detections
        t1 = time.perf_counter()
        faces = self.crops(frame.bgr, detections)
        t2 = time.perf_counter()
        probs = self.model.predict(faces)
        t3 = time.perf_counter()
        tracked = self.tracker.update(
            [d.box for d in detections], [d.score for d in detections], probs, frame.t_source
        )
        t4 = time.perf_counter()
        h, w = frame.bgr.shape[:2]
        timings = {
            "detect": detected.ms,
            "crop": (t2 - t1) * 1e3,
            "classify": (t3 - t2) * 1e3,
            "track": (t4 - t3) * 1e3,
        }
        return FrameResult(
            frame.index, frame.t_source, iso_time(frame.captured), w, h, self.labels, tracked,
            timings, frame.arrived,
        )  # fmt: skip

    def read_still(self, frame: Frame) -> FrameResult:
        """One still image on its own: every detector range searched, faces numbered 1..N
        from the left, nothing carried over from the last image nor into the next."""
        detected = self.detect(frame)
        dets = sorted(detected.detections, key=lambda d: (d.box[0], d.box[1]))
        probs = self.model.predict(self.crops(frame.bgr, dets))
        saved = self.tracker.calibrator.saved if self.tracker.calibrator else None
        still = Tracker(self.labels, smoothing=0.0, hysteresis=0.0, min_hits=1)
        if saved is not None:  # a saved baseline applies to stills; collecting one does not
            still.calibrator = Calibrator.for_model(self.labels, self.model.card.raw, 0, saved)
        faces = still.update([d.box for d in dets], [d.score for d in dets], probs, 0.0)
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
