"""Face detection with MediaPipe Tasks `FaceDetector` in VIDEO mode (synchronous)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import cv2
import numpy as np

from fer_desktop import detector_models
from fer_desktop._quiet import native_stderr_silenced  # sets log levels before mediapipe loads
from fer_desktop.results import Box


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


def tile_grid(h: int, w: int, rows: int, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles (x, y, w, h) covering a frame: `rows` rows of roughly square tiles."""
    if rows <= 1:
        return [(0, 0, w, h)]
    th = h / (rows - (rows - 1) * overlap)
    cols = max(1, round((w - th * overlap) / (th * (1 - overlap))))
    tw = w / (cols - (cols - 1) * overlap)
    return [
        (int(c * tw * (1 - overlap)), int(r * th * (1 - overlap)), int(tw), int(th))
        for r in range(rows)
        for c in range(cols)
    ]


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box: 1.0 when one box lies inside the other."""
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    smaller = min(a[2] * a[3], b[2] * b[3])
    return iw * ih / smaller if smaller > 0 else 0.0


def suppress_duplicates(faces: list[Detection], max_overlap: float = 0.5) -> list[Detection]:
    """Keep the best-scoring of overlapping detections (a "face" inside a face is one face)."""
    kept: list[Detection] = []
    for f in sorted(faces, key=lambda d: d.score, reverse=True):
        if all(_overlap(f.box, k.box) <= max_overlap for k in kept):
            kept.append(f)
    return kept


class FaceDetector:
    """MediaPipe face detector. `range_` is 'short' (near, default) or 'full' (far).

    `tiles` > 1 also runs the detector on that many rows of overlapping tiles and merges the
    results, for crowds and small faces in large frames (the models see at most 128 or 192 px).
    """

    def __init__(
        self,
        range_: str = "short",
        min_confidence: float = 0.5,
        min_face_px: int = 0,
        tiles: int = 1,
    ):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        if range_ not in detector_models.DETECTOR_MODELS:
            raise ValueError(f"detection range must be 'short' or 'full', not {range_!r}")
        self.range = range_
        self.min_face_px = min_face_px
        self.tiles = max(1, int(tiles))
        self.model_path = detector_models.find(range_)
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO if self.tiles == 1 else vision.RunningMode.IMAGE,
            min_detection_confidence=min_confidence,
        )
        self._mp = mp
        self._last_ts = -1
        with native_stderr_silenced():
            self._detector = vision.FaceDetector.create_from_options(options)
            self.detect(np.zeros((64, 64, 3), np.uint8), 0.0)  # warm-up

    def detect(self, bgr: np.ndarray, t_seconds: float | None = None) -> list[Detection]:
        """Faces in one BGR frame. Timestamps must grow; they are made to if they do not."""
        h, w = bgr.shape[:2]
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if self.tiles == 1:
            ts = max(round((t_seconds or 0.0) * 1000), self._last_ts + 1)
            self._last_ts = ts
            image = self._image(rgb)
            faces = self._convert(self._detector.detect_for_video(image, ts), 0, 0, w, h)
        else:
            faces = []
            for x, y, tw, th in [(0, 0, w, h), *tile_grid(h, w, self.tiles)]:
                image = self._image(rgb[y : y + th, x : x + tw])
                faces += self._convert(self._detector.detect(image), x, y, tw, th)
        faces = suppress_duplicates(faces)
        return [f for f in faces if min(f.box[2], f.box[3]) >= self.min_face_px]

    def _image(self, rgb: np.ndarray):
        return self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)
        )

    @staticmethod
    def _convert(result, x0: int, y0: int, w: int, h: int) -> list[Detection]:
        """MediaPipe detections in a (sub)image at (x0, y0) of size w x h -> frame pixels."""
        faces = []
        for d in result.detections:
            bb = d.bounding_box
            box = (
                float(bb.origin_x + x0),
                float(bb.origin_y + y0),
                float(bb.width),
                float(bb.height),
            )
            kps = tuple((x0 + k.x * w, y0 + k.y * h) for k in (d.keypoints or []))
            score = float(d.categories[0].score) if d.categories else 0.0
            faces.append(Detection(box, kps, score))
        return faces

    def close(self) -> None:
        if self._detector is not None:
            with native_stderr_silenced():
                self._detector.close()
            self._detector = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
