"""Frame -> FrameResult: detect faces, crop each to 48x48, classify in one batch, track.

The GUI, the command line and the benchmarks all drive this same class. No Qt here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fer_desktop.calibration import Baseline, Calibration, CalibrationError
from fer_desktop.classifier import DEFAULT_MODEL, MoodModel
from fer_desktop.detector import Detection, FaceDetector
from fer_desktop.preprocess import DEFAULT_ALIGN, DEFAULT_MARGIN, face_to_input
from fer_desktop.results import FrameResult, now_iso
from fer_desktop.sources import Frame
from fer_desktop.tracking import Tracker


@dataclass(frozen=True)
class Detected:
    """A frame's faces, found (perhaps ahead of time, on another thread) in `ms`."""

    frame: Frame
    detections: list[Detection]
    ms: float


@dataclass
class PipelineConfig:
    """Everything that changes what the pipeline reports; recorded in timeline headers."""

    model: str = DEFAULT_MODEL  # '3class', '2class' or a path to a .tflite file
    detector_range: str = "auto"  # 'auto', 'short' (near) or 'full' (far): see FaceDetector
    min_confidence: float = 0.5
    min_face_px: int = 0
    detector_tiles: int = 0  # rows of tiles: auto's survey (0: by frame size); >1 short/full: all
    smoothing: float = 0.6
    hysteresis: float = 0.1
    grace_seconds: float = 1.0
    min_hits: int = 2  # a new face is reported from its second frame (not for still images)
    margin: float = DEFAULT_MARGIN
    align: bool = DEFAULT_ALIGN
    calibrate_s: float = 0.0  # read each face against its own first seconds (0: off)
    baseline: str | None = None  # a saved baseline (JSON) for faces without their own


class Pipeline:
    """Runs detector, crop, classifier and tracker on frames, timing each stage."""

    def __init__(self, config: PipelineConfig | None = None):
        self.config = config or PipelineConfig()
        c = self.config
        self.model = MoodModel(c.model)
        calibration = self._calibration()  # a bad baseline file fails before the detector opens
        self.detector = self._new_detector()
        self._detector_lock = threading.Lock()  # detection may run ahead on another thread
        self._last_size: tuple[int, ...] = ()
        self.tracker = Tracker(
            self.model.labels,
            c.smoothing,
            c.hysteresis,
            c.grace_seconds,
            min_hits=c.min_hits,
            calibration=calibration,
        )

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    def settings(self) -> dict:
        return {
            **asdict(self.config),
            "model_name": self.model.name,
            "model_file": self.model.path.name,
            "labels": self.labels,
        }

    def reset(self, restart_ids: bool = False) -> None:
        """Start afresh, as for a new video: a new detector (no state carried over) and no
        tracks; with `restart_ids` the next face is face 1 again."""
        self.set_detector()
        self.tracker.reset(restart_ids=restart_ids)
        self._last_size = ()

    def _calibration(self) -> Calibration | None:
        """Per-person calibration as configured (baselines are per model: labels differ)."""
        c = self.config
        if not c.calibrate_s and not c.baseline:
            return None
        saved = Baseline.load(Path(c.baseline), self.labels) if c.baseline else None
        return Calibration.for_model(self.labels, self.model.card.raw, c.calibrate_s, saved)

    def set_model(self, model: str) -> None:
        """Switch the classifier; ids restart because the label set may change."""
        self.model = MoodModel(model)
        self.config.model = model
        self.tracker.reset(self.model.labels)
        try:
            self.tracker.calibration = self._calibration()
        except CalibrationError:
            self.tracker.calibration = None  # a saved baseline holds another model's labels
            raise

    def set_detector(
        self, range_: str | None = None, min_face_px: int | None = None, tiles: int | None = None
    ) -> None:
        """Change the detector's range, minimum face size or tiling; the rest stays."""
        c = self.config
        c.detector_range = range_ or c.detector_range
        c.min_face_px = c.min_face_px if min_face_px is None else min_face_px
        c.detector_tiles = c.detector_tiles if tiles is None else tiles
        with self._detector_lock:
            old = self.detector
            self.detector = self._new_detector()
        old.close()

    def _new_detector(self) -> FaceDetector:
        c = self.config
        return FaceDetector(c.detector_range, c.min_confidence, c.min_face_px, c.detector_tiles)

    def set_smoothing(self, smoothing: float) -> None:
        self.config.smoothing = self.tracker.smoothing = float(smoothing)

    def crops(self, bgr: np.ndarray, detections: list[Detection]) -> np.ndarray:
        c = self.config
        if not detections:
            return np.zeros((0, 48, 48), np.uint8)
        return np.stack([face_to_input(bgr, d.box, d.eyes, c.margin, c.align) for d in detections])

    def detect(self, frame: Frame) -> Detected:
        """The faces of one frame: the step that may run ahead, on a thread of its own."""
        t0 = time.perf_counter()
        with self._detector_lock:
            detections = self.detector.detect(frame.bgr, frame.t_source)
        return Detected(frame, detections, (time.perf_counter() - t0) * 1e3)

    def process(self, frame: Frame, detected: Detected | None = None) -> FrameResult:
        """Analyse one frame (its faces found here, unless `detected` brings them)."""
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
            frame.index, frame.t_source, now_iso(), w, h, self.labels, tracked, timings
        )

    def close(self) -> None:
        self.detector.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
