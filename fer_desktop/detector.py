"""Face detection with MediaPipe's BlazeFace models: near, far, tiled, and automatic."""

from __future__ import annotations

import contextlib
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fer_desktop import detector_models
from fer_desktop._quiet import native_stderr_silenced
from fer_desktop.blazeface import BlazeFace
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


# Two detections overlapping by more than this (intersection over the smaller box) are one
# face. Measured on the crowd clip, real neighbours overlap by under 0.3 and duplicates (a
# face in two tiles) by over 0.5; the near model's rare second box under a chin close to the
# camera (score 0.5-0.6, on the built-in demo) overlaps the face by 0.42-0.46.
DUPLICATE_OVERLAP = 0.4


def _covered(
    face: Detection, others: list[Detection], max_overlap: float = DUPLICATE_OVERLAP
) -> bool:
    """Whether another detection overlaps this face by more than `max_overlap`."""
    return any(_overlap(face.box, o.box) > max_overlap for o in others)


def suppress_duplicates(
    faces: list[Detection], max_overlap: float = DUPLICATE_OVERLAP
) -> list[Detection]:
    """Keep the best-scoring of overlapping detections (a "face" inside a face is one face)."""
    kept: list[Detection] = []
    for f in sorted(faces, key=lambda d: d.score, reverse=True):
        if not _covered(f, kept, max_overlap):
            kept.append(f)
    return kept


RANGES = ("auto", "short", "full")


SURVEY_SECONDS = 1.0  # how often 'auto' looks for far faces over the whole frame
TILE_MIN_HEIGHT = 720  # 'auto' surveys frames at least this tall in tiles


def survey_regions(h: int, w: int, rows: int = 0) -> list[tuple[int, int, int, int]]:
    """Where 'auto' looks for far faces: the whole frame, or tiles for tall frames.

    rows 0 chooses by frame height: two rows of tiles from 720 px up (a 75 px face in a
    1080p frame is 7 px to a far model that sees the frame at 192 px), else the whole frame.
    """
    rows = rows or (2 if h >= TILE_MIN_HEIGHT else 1)
    return tile_grid(h, w, rows)


class FaceDetector:
    """Face detection with MediaPipe's BlazeFace models on LiteRT (`fer_desktop.blazeface`).

    `range_` is 'auto' (default), 'short' (near) or 'full' (far).

    - 'short' / 'full' with `tiles` <= 1: that model on the whole frame.
    - 'short' / 'full' with `tiles` > 1: that model on the whole frame and on `tiles` rows of
      overlapping tiles, every frame (slow, exhaustive).
    - 'auto': the near model on every frame; once a second (and for every still image) a
      survey with the far model over the whole frame, or over tiles of tall frames
      (`survey_regions`; `tiles` > 0 sets the rows). Regions where the survey found a face
      that the near model missed are searched with the far model on every frame until the
      next survey. A webcam with one person at the desk costs the near model plus one far
      pass a second; a crowd costs the regions that hold faces.

    Tiles run on `threads` threads, each with its own far-model interpreter (LiteRT releases
    the GIL while it runs). Near faces win over far ones where both find the same face, so
    one face near the camera gets the same box as with 'short'.
    """

    def __init__(
        self,
        range_: str = "auto",
        min_confidence: float = 0.5,
        min_face_px: int = 0,
        tiles: int = 0,
        threads: int = 2,
        survey_seconds: float = SURVEY_SECONDS,
    ):
        if range_ not in RANGES:
            raise ValueError(f"detection range must be one of {', '.join(RANGES)}, not {range_!r}")
        self.range = range_
        self.min_confidence = min_confidence
        self.min_face_px = min_face_px
        self.tiles = max(0, int(tiles))
        self.survey_seconds = survey_seconds
        self.threads = max(1, int(threads))
        exhaustive = range_ != "auto" and self.tiles > 1
        whole_range = "short" if range_ == "auto" else range_
        self._pooled_range = "full" if range_ == "auto" else range_
        self._model_files = {r: detector_models.find(r) for r in {whole_range, self._pooled_range}}
        self._whole = None if exhaustive else self._create(whole_range)
        self._pool: queue.SimpleQueue = queue.SimpleQueue()
        self._pooled: list[BlazeFace] = []  # far models, one per thread, made when needed
        self._executor = None
        if exhaustive or range_ == "auto":
            self._grow(1)
            if self.threads > 1:
                self._executor = ThreadPoolExecutor(self.threads)
        self._last_survey: float | None = None
        self._active: list[tuple[int, int, int, int]] = []  # regions searched every frame

    def _grow(self, n: int) -> None:
        """Have at least n far-model interpreters (a webcam frame needs one)."""
        while len(self._pooled) < n:
            det = self._create(self._pooled_range)
            self._pooled.append(det)
            self._pool.put(det)

    def _create(self, range_: str) -> BlazeFace:
        """One model, run once on a blank image so that its first real frame is not slow
        (and the runtime's one-time log line stays hidden)."""
        with native_stderr_silenced():
            det = BlazeFace(self._model_files[range_], range_, self.min_confidence)
            det.detect(np.zeros((64, 64, 3), np.uint8))
        return det

    def detect(self, bgr: np.ndarray, t_seconds: float | None = None) -> list[Detection]:
        """Faces in one BGR frame (t_seconds None: a still image)."""
        h, w = bgr.shape[:2]
        if self._whole is None:  # exhaustive tiles
            regions = [(0, 0, w, h), *tile_grid(h, w, self.tiles)]
            faces = suppress_duplicates(self._regions(bgr, regions))
        elif self.range != "auto":
            faces = suppress_duplicates(self._on_whole(bgr))
        else:
            faces = self._auto(bgr, t_seconds)
        return [f for f in faces if min(f.box[2], f.box[3]) >= self.min_face_px]

    def _auto(self, bgr: np.ndarray, t: float | None) -> list[Detection]:
        h, w = bgr.shape[:2]
        survey = (
            t is None
            or self._last_survey is None
            or not 0 <= t - self._last_survey < self.survey_seconds
        )
        regions = survey_regions(h, w, self.tiles) if survey else self._active
        # nothing far to look for: no thread hop for the near model
        near_job = self._submit(lambda: self._on_whole(bgr), inline=not regions)
        far = self._regions(bgr, regions)
        near = suppress_duplicates(near_job())
        far_only = [f for f in suppress_duplicates(far) if not _covered(f, near)]
        if survey:
            self._last_survey = t
            self._active = [r for r in regions if any(_inside(f.box, r) for f in far_only)]
        return near + far_only

    def _submit(self, fn, inline: bool = False):
        """Run fn on the pool's threads if there are two; returns a callable for its result."""
        if self._executor is None or inline:
            result = fn()
            return lambda: result
        return self._executor.submit(fn).result

    def _on_whole(self, bgr: np.ndarray) -> list[Detection]:
        return _detections(self._whole, bgr, 0, 0)

    def _regions(self, bgr: np.ndarray, regions: list) -> list[Detection]:
        """The pooled model on each region (x, y, w, h), spread over the threads."""

        def one(region) -> list[Detection]:
            x, y, tw, th = region
            det = self._pool.get()
            try:
                return _detections(det, bgr[y : y + th, x : x + tw], x, y)
            finally:
                self._pool.put(det)

        if self._executor is None or len(regions) < 2:
            return [f for r in regions for f in one(r)]
        self._grow(min(len(regions), self.threads))
        return [f for found in self._executor.map(one, regions) for f in found]

    def close(self, wait: bool = True) -> None:
        """Release the models and threads (at once, and only once)."""
        self._whole, self._pooled, self._pool = None, [], queue.SimpleQueue()
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
            self._executor = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close(wait=False)  # the GC may run this on one of the pool's own threads


def _detections(model: BlazeFace, bgr: np.ndarray, x0: int, y0: int) -> list[Detection]:
    """The model's faces in an image that sits at (x0, y0) of the frame, in frame pixels."""
    found = model.detect(bgr)
    shift = np.array([x0, y0], np.float64)
    return [
        Detection(
            (float(x + x0), float(y + y0), float(w), float(h)),
            tuple((float(px), float(py)) for px, py in kps + shift),
            float(score),
        )
        for (x, y, w, h), kps, score in zip(found.boxes, found.keypoints, found.scores, strict=True)
    ]


def _inside(box: Box, region: tuple[int, int, int, int]) -> bool:
    """Whether the box's centre lies in the region."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    x, y, w, h = region
    return x <= cx < x + w and y <= cy < y + h
