"""Covered eyes are not measured: a black band over a real face's eyes leaves the face found
(and its head pose and mouth measured) but withholds eye openness, with the reason; real eyes,
half-closed and winking ones included, stay measured."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import Frame
from tests.conftest import shared_path

SUBJECTS = [f"subject{i:02d}" for i in range(1, 16)]


@pytest.fixture(scope="module")
def pipeline():
    with Pipeline(Settings(mesh="face")) as p:
        yield p


def _read(pipeline: Pipeline, bgr: np.ndarray):
    (face,) = pipeline.read_still(Frame(0, 0.0, bgr, still=True)).faces
    return face


def _photo(folder: str, name: str) -> np.ndarray:
    return cv2.imread(str(shared_path("faces", "yale", folder, name)))


def _banded(bgr: np.ndarray, face) -> np.ndarray:
    """The photo with a black band over the eyes (the detector's eye keypoints)."""
    out = bgr.copy()
    (_, ry), (_, ly) = face.keypoints[0], face.keypoints[1]
    x, _, w, h = face.box
    half = int(h * 0.12)
    top, bottom = int(min(ry, ly)) - half, int(max(ry, ly)) + half
    cv2.rectangle(out, (int(x), top), (int(x + w), bottom), (0, 0, 0), -1)
    return out


def test_a_black_band_over_the_eyes_withholds_the_eye_measures(pipeline):
    for s in SUBJECTS:
        photo = _photo("neutral", f"yale_{s}_normal.png")
        seen = _read(pipeline, photo)
        assert seen.measures.eye_openness is not None, s
        covered = _read(pipeline, _banded(photo, seen))
        m = covered.measures
        assert m.eye_openness is None and m.gaze is None, s
        assert m.reason.startswith("eyes hidden"), (s, m.reason)
        assert m.pose is not None and m.mouth_opening is not None  # the rest still measured


@pytest.mark.parametrize("folder", ["neutral", "sleepy", "wink"])
def test_real_eyes_are_measured_open_half_closed_or_winking(pipeline, folder):
    for path in sorted(shared_path("faces", "yale", folder).glob("*.png")):
        face = _read(pipeline, cv2.imread(str(path)))
        assert face.measures.eye_openness is not None, (path.name, face.measures.reason)
