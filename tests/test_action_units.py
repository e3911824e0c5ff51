"""Action-unit proxies on real faces: Yale subjects' expressions against their own resting
face, as photos and inside a clip where the calibration takes the resting face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_desktop.action_units import Geometry, proxies
from fer_desktop.detector import FaceDetector
from fer_desktop.mesh import FaceMesh
from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import VideoSource
from tests.conftest import shared_path, write_av_video

SUBJECTS = [f"subject{i:02d}" for i in range(1, 16)]


def _photo(folder: str, subject: str, kind: str) -> np.ndarray:
    return cv2.imread(str(shared_path("faces", "yale", folder, f"yale_{subject}_{kind}.png")))


@pytest.fixture(scope="module")
def geometry():
    mesh = FaceMesh(iris=False)
    with FaceDetector("short") as det:

        def of(img: np.ndarray) -> Geometry:
            face = max(det.detect(img, None), key=lambda d: d.box[2] * d.box[3])
            return Geometry.of(mesh.on_still(img, face.box).points)

        yield of


def test_a_smile_pulls_the_lip_corners_past_any_change_of_light(geometry):
    """Every subject's smile reads a lip-corner pull above what a change of lighting alone
    gives the same resting face (the proxies' noise)."""
    smiles, lights = [], []
    for s in SUBJECTS:
        rest = geometry(_photo("neutral", s, "normal"))
        smiles.append(proxies(geometry(_photo("happy", s, "happy")), rest)["lip_corner_pull"])
        for side in ("leftlight", "rightlight"):
            lit = proxies(geometry(_photo("neutral", s, side)), rest)
            lights.append(lit["lip_corner_pull"])
    assert min(smiles) > max(lights), (smiles, lights)
    assert min(smiles) > 0.05


def test_half_closed_eyes_read_as_eye_closure(geometry):
    for s in SUBJECTS:
        rest = geometry(_photo("neutral", s, "normal"))
        sleepy = proxies(geometry(_photo("sleepy", s, "sleepy")), rest)
        assert sleepy["eye_closure"] > 0.1, (s, sleepy)
        assert abs(proxies(rest, rest)["eye_closure"]) < 1e-9


def test_a_clip_gives_proxies_only_once_the_resting_face_is_taken(tmp_path):
    """3 s of a resting face, then 2 s of the smile: the calibration takes the resting face,
    the proxies start from it and the smile reads a lip-corner pull."""
    rest, smile = _photo("neutral", "subject02", "normal"), _photo("happy", "subject02", "happy")
    clip = write_av_video(tmp_path / "clip.mp4", [rest] * 75 + [smile] * 50, fps=25)
    settings = Settings(mesh="face", calibrate_s=1.0)
    rows = []
    with Pipeline(settings) as pipeline, VideoSource(clip) as source:
        for frame in source:
            for face in pipeline.process(frame).faces:
                rows.append((frame.t_source, face.cal_state, face.action_units))
    before = [au for t, cal, au in rows if cal != "calibrated"]
    assert before and all(au is None for au in before)  # no resting face yet: no proxies
    during_rest = [au for t, cal, au in rows if cal == "calibrated" and t < 2.9]
    during_smile = [au for t, cal, au in rows if cal == "calibrated" and t > 3.2]
    assert during_rest and during_smile
    assert max(abs(au["lip_corner_pull"]) for au in during_rest) < 0.03
    assert min(au["lip_corner_pull"] for au in during_smile) > 0.05
