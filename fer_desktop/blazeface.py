"""MediaPipe's BlazeFace face-detection models, run directly on LiteRT.

MediaPipe Tasks wraps the same .tflite files in a graph that converts and copies the whole
frame and hops to a dispatcher thread on every call: about 1–1.5 ms of a 3 ms detection on a
640x480 frame. Here the frame is shrunk first (one OpenCV warp into a letterboxed square),
the model runs on LiteRT, and the outputs are decoded in numpy exactly as MediaPipe's face
detector graph does: SSD anchors, sigmoid scores, box and keypoint offsets scaled by the
input size, then weighted non-maximum suppression. tests/test_blazeface.py checks the
faces, boxes and keypoints against MediaPipe Tasks on real video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class Spec:
    """The anchor layout of one model (MediaPipe's SsdAnchorsCalculator options; its anchors
    have a fixed size, so their scales do not matter here)."""

    size: int  # square input side in pixels
    strides: tuple[int, ...]
    interpolated_anchor: bool  # an extra anchor per cell (aspect ratio 1, interpolated scale)


SPECS = {
    "short": Spec(128, (8, 16, 16, 16), True),  # 896 anchors: faces within ~2 m
    "full": Spec(192, (4,), False),  # 2304 anchors: faces up to ~5 m
}
MIN_SUPPRESSION_IOU = 0.3  # MediaPipe's FaceDetectorOptions default
SCORE_CLIP = 100.0


def anchor_centres(spec: Spec) -> np.ndarray:
    """(N, 2) anchor centres (x, y), normalised, in the model's output order.

    Anchors have a fixed size of 1, so only their centres matter. Consecutive layers with
    the same stride share one feature map, whose cells each carry all their anchors.
    """
    centres = []
    layer = 0
    while layer < len(spec.strides):
        per_cell = 0
        last = layer
        while last < len(spec.strides) and spec.strides[last] == spec.strides[layer]:
            per_cell += 1 + int(spec.interpolated_anchor)  # aspect ratio 1 (+ interpolated)
            last += 1
        side = math.ceil(spec.size / spec.strides[layer])
        ys, xs = np.mgrid[0:side, 0:side]
        cells = np.stack([(xs.ravel() + 0.5) / side, (ys.ravel() + 0.5) / side], axis=1)
        centres.append(np.repeat(cells, per_cell, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)


@dataclass
class Faces:
    """Detections in image pixels: boxes (n, 4) x, y, w, h; keypoints (n, 6, 2); scores (n,)."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou: float):
    """MediaPipe's weighted non-maximum suppression on normalised (xmin, ymin, xmax, ymax).

    The best-scoring detection takes every remaining one that overlaps it by IoU > `iou`
    (itself included); its box and keypoints become their score-weighted mean, its score
    stays its own.
    """
    order = np.argsort(-scores, kind="stable")
    out_boxes, out_kps, out_scores = [], [], []
    while len(order):
        top = order[0]
        taken = _iou(boxes[order], boxes[top]) > iou
        taken[0] = True  # a degenerate box overlaps nothing, not even itself
        group, order = order[taken], order[~taken]
        w = scores[group][:, None]
        out_boxes.append((boxes[group] * w).sum(0) / w.sum())
        out_kps.append((keypoints[group] * w[:, :, None]).sum(0) / w.sum())
        out_scores.append(scores[top])
    return np.array(out_boxes), np.array(out_kps), np.array(out_scores)


def _iou(boxes: np.ndarray, one: np.ndarray) -> np.ndarray:
    """IoU of each (xmin, ymin, xmax, ymax) box with one box."""
    lo = np.maximum(boxes[:, :2], one[:2])
    hi = np.minimum(boxes[:, 2:], one[2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    union = area + np.prod(one[2:] - one[:2]) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


class BlazeFace:
    """One BlazeFace model on one LiteRT interpreter (not thread-safe: one per thread)."""

    def __init__(self, model: Path, range_: str, min_score: float = 0.5):
        from ai_edge_litert.interpreter import Interpreter

        self.spec = SPECS[range_]
        # sigmoid(logit) >= min_score  <=>  logit >= log(p / (1 - p))
        p = min(max(min_score, 1e-6), 1 - 1e-6)
        self._min_logit = math.log(p / (1 - p))
        # One thread: a second one makes a call faster alone but `analyze` slower, since
        # decoding and the rest of the pipeline need the other core (README, Performance).
        self._interp = Interpreter(model_path=str(model), num_threads=1)
        self._interp.allocate_tensors()
        self._input = self._interp.get_input_details()[0]["index"]
        outputs = self._interp.get_output_details()
        by_width = {int(d["shape"][-1]): d["index"] for d in outputs}
        self._regressors, self._scores = by_width[16], by_width[1]
        self._anchors = anchor_centres(self.spec)
        # pixel value -> the model's [-1, 1] input scale, in one table look-up per pixel
        self._to_unit = np.arange(256, dtype=np.float32) * np.float32(2 / 255) - np.float32(1)
        n = int(outputs[0]["shape"][1])
        if n != len(self._anchors):
            raise ValueError(f"{model.name}: {n} outputs, but {len(self._anchors)} anchors")

    def detect(self, bgr: np.ndarray) -> Faces:
        """Faces in a BGR image (any size), in that image's pixels."""
        h, w = bgr.shape[:2]
        side = self.spec.size
        longest = max(h, w)
        # Letterbox as MediaPipe does: the image centred in a black square of its longest
        # side, warped to the input size with bilinear sampling.
        pad = np.array([(longest - w) / 2, (longest - h) / 2])
        s = side / longest
        warp = np.array([[s, 0, pad[0] * s], [0, s, pad[1] * s]], np.float64)
        small = cv2.warpAffine(bgr, warp, (side, side), flags=cv2.INTER_LINEAR, borderValue=0)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        self._interp.set_tensor(self._input, cv2.LUT(rgb, self._to_unit)[None])
        self._interp.invoke()
        raw = self._interp.get_tensor(self._regressors)[0]
        logits = self._interp.get_tensor(self._scores)[0, :, 0]
        keep = logits >= self._min_logit
        if not keep.any():
            return Faces(np.zeros((0, 4)), np.zeros((0, 6, 2)), np.zeros(0))
        raw, anchors = raw[keep] / side, self._anchors[keep]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[keep], -SCORE_CLIP, SCORE_CLIP)))
        centre = raw[:, 0:2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        kps = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
        boxes, kps, scores = weighted_nms(boxes, kps, scores, MIN_SUPPRESSION_IOU)
        # From the letterboxed square back to image pixels.
        xy0 = boxes[:, 0:2] * longest - pad
        xy1 = boxes[:, 2:4] * longest - pad
        return Faces(np.concatenate([xy0, xy1 - xy0], axis=1), kps * longest - pad, scores)
