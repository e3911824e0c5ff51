"""Whether a face's eyes can be seen at all: the spread of the pixels inside each eye's mesh
contour.

The mesh places eyes where a face's eyes should be even when something covers them (a black
band, a dark patch): its eye measures would then be made up. Inside a real eye's contour the
lid, white, iris and pupil differ by tens of grey levels (Yale's photos: a standard deviation
of 7.5 or more, winks and half-closed eyes included); a cover is nearly uniform (a black band:
0). `measures.measure` withholds the eye measures below measures.MIN_EYE_CONTRAST (3 grey
levels). Dark, reflective sunglasses may still show enough texture to pass.
"""

from __future__ import annotations

import cv2
import numpy as np

# Each eye's contour in MediaPipe's mesh topology (the subject's right, then left eye).
RIGHT_EYE_RING = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE_RING = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)


def _contrast(bgr: np.ndarray, ring: np.ndarray) -> float:
    x0, y0 = np.floor(ring.min(0)).astype(int)
    x1, y1 = np.ceil(ring.max(0)).astype(int) + 1
    h, w = bgr.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0  # outside the image: not seen
    patch = cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    mask = np.zeros(patch.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(ring - (x0, y0)).astype(np.int32)], 1)
    inside = patch[mask > 0]
    return float(inside.std()) if inside.size > 1 else 0.0


def eye_contrast(bgr: np.ndarray, points: np.ndarray) -> tuple[float, float]:
    """(right, left) standard deviation of the grey levels inside each eye's contour."""
    return (
        _contrast(bgr, points[list(RIGHT_EYE_RING), :2]),
        _contrast(bgr, points[list(LEFT_EYE_RING), :2]),
    )
