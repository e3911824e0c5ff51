"""The face detector on real video: automatic mode finds crowds and changes nothing for one
face near the camera; tiles on threads find what serial tiles found."""

from __future__ import annotations

import collections

import cv2
import numpy as np
import pytest

from fer_desktop.detector import FaceDetector, survey_regions
from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import open_source
from tests.conftest import shared_path


def _frames(path, limit: int | None = None) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while limit is None or len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def test_survey_regions_tile_tall_frames_only():
    assert survey_regions(480, 640) == [(0, 0, 640, 480)]
    tiles = survey_regions(1080, 1920)
    assert len(tiles) > 1
    covered = np.zeros((1080, 1920), bool)
    for x, y, w, h in tiles:
        covered[y : y + h, x : x + w] = True
    assert covered.mean() > 0.99


def test_auto_gives_the_near_models_boxes_for_one_face_at_the_camera(face_video):
    frames = _frames(face_video, 60)
    with FaceDetector("short") as near, FaceDetector("auto") as auto:
        for i, frame in enumerate(frames):
            assert auto.detect(frame, i / 25) == near.detect(frame, i / 25), f"frame {i}"


@pytest.mark.slow
def test_threaded_tiles_find_what_one_thread_finds():
    frames = _frames(shared_path("videos", "crowd_1080p.mp4"), 10)
    with FaceDetector("full", tiles=2, threads=1) as one, FaceDetector("full", tiles=2) as two:
        for frame in frames:
            assert sorted(d.box for d in two.detect(frame)) == sorted(
                d.box for d in one.detect(frame)
            )


@pytest.fixture(scope="module")
def crowd_runs():
    """Faces per frame and frames per id, for the crowd clip, auto and the exhaustive tiles."""
    path = shared_path("videos", "crowd_1080p.mp4")
    runs = {}
    for name, cfg in {
        "auto": Settings(),
        "tiles": Settings(detector_range="full", detector_tiles=2),
    }.items():
        counts, life = [], collections.Counter()
        with Pipeline(cfg) as pipeline, open_source(str(path)) as source:
            for frame in source:
                faces = pipeline.process(frame).faces
                counts.append(len(faces))
                life.update(f.id for f in faces)
        runs[name] = counts, life
    return runs


def test_default_settings_find_the_crowd(crowd_runs):
    auto, tiles = crowd_runs["auto"][0], crowd_runs["tiles"][0]
    assert np.median(auto) >= 5
    assert np.median(auto) >= np.median(tiles) - 0.5


def test_ids_in_the_crowd_last(crowd_runs):
    """No ground truth here, so bounds: far fewer ids than face-frames, few fragments."""
    for name, (counts, life) in crowd_runs.items():
        assert len(life) <= 2 * max(counts), name
        fragments = [n for n in life.values() if n < 10]
        assert len(fragments) <= len(life) // 4, (name, sorted(life.values()))


@pytest.mark.slow
def test_the_app_runs_without_loading_mediapipe():
    """MediaPipe's models run on LiteRT directly: detecting faces never imports mediapipe
    (nor the matplotlib it brings)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from fer_desktop.pipeline import Pipeline\n"
        "with Pipeline() as p:\n"
        "    p.detector.detect(np.zeros((480, 640, 3), np.uint8), 0.0)\n"
        "print('mediapipe' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_a_far_face_at_640x480_is_found_on_every_frame(grace_hopper_bgr):
    """Grace Hopper's face at about 55 px in a 640x480 frame: the near model misses it, the
    survey finds it and the far model follows it on every frame."""
    small = cv2.resize(grace_hopper_bgr, (0, 0), fx=0.22, fy=0.22)
    frame = np.full((480, 640, 3), 90, np.uint8)
    h, w = small.shape[:2]
    frame[300 : 300 + h, 450 : 450 + w] = small
    with FaceDetector("short") as near, FaceDetector("auto") as auto:
        assert [len(near.detect(frame, i / 30)) for i in range(40)] == [0] * 40
        assert [len(auto.detect(frame, i / 30)) for i in range(40)] == [1] * 40


def test_no_second_face_under_the_chin_of_the_demo():
    """On these frames of the built-in demo the near model also finds a 140 px "face" under
    the chin (score 0.5-0.6); it overlaps the real face and is dropped as part of it."""
    from fer_desktop.sources import DemoSource

    demo = DemoSource(realtime=False)
    with FaceDetector("auto") as detector:
        for i in (4165, 4610, 4611, 5659, 5660, 5816, 6230):
            assert len(detector.detect(demo.render(i / 30))) == 1, f"frame {i}"
