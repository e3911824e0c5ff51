"""Face detection with MediaPipe Tasks `FaceDetector` in VIDEO mode (synchronous)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from fer_desktop import (
    _quiet,  # noqa: F401  (before mediapipe loads)
    detector_models,
)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Detection:
    """A face: box (x, y, w, h) in pixels, six keypoints in pixels, and a score.

    Keypoints, in MediaPipe's order: right eye, left eye, nose tip, mouth, right ear, left ear
    (the subject's right and left).
    """

    box: Box
    keypoints: tuple[tuple[float, float], ...]
    score: float

    @property
    def eyes(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        return (self.keypoints[0], self.keypoints[1]) if len(self.keypoints) >= 2 else None


class FaceDetector:
    """MediaPipe face detector. `range_` is 'short' (near, default) or 'full' (far)."""

    def __init__(self, range_: str = "short", min_confidence: float = 0.5, min_face_px: int = 0):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        if range_ not in detector_models.DETECTOR_MODELS:
            raise ValueError(f"detection range must be 'short' or 'full', not {range_!r}")
        self.range = range_
        self.min_face_px = min_face_px
        self.model_path = detector_models.find(range_)
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            min_detection_confidence=min_confidence,
        )
        self._mp = mp
        self._detector = vision.FaceDetector.create_from_options(options)
        self._last_ts = -1

    def detect(self, bgr: np.ndarray, t_seconds: float | None = None) -> list[Detection]:
        """Faces in one BGR frame. Timestamps must grow; they are made to if they do not."""
        h, w = bgr.shape[:2]
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        ts = round((t_seconds or 0.0) * 1000)
        ts = max(ts, self._last_ts + 1)
        self._last_ts = ts
        result = self._detector.detect_for_video(image, ts)
        faces = []
        for d in result.detections:
            bb = d.bounding_box
            box = (float(bb.origin_x), float(bb.origin_y), float(bb.width), float(bb.height))
            if min(box[2], box[3]) < self.min_face_px:
                continue
            kps = tuple((k.x * w, k.y * h) for k in (d.keypoints or []))
            score = float(d.categories[0].score) if d.categories else 0.0
            faces.append(Detection(box, kps, score))
        return faces

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
