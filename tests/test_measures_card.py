"""The measures' card holds: each of its numbers, recomputed here on the same real data, is
within the bound the card states (models/measures_card.json)."""

from __future__ import annotations

import json

import cv2
import pytest

from benchmarks import measures_card as card
from fer_desktop.detector import FaceDetector
from fer_desktop.mesh import FaceMesh
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def bounds() -> dict:
    stated = json.loads(card.CARD_JSON.read_text())["bounds"]
    return {name: tuple(bound) for name, bound in stated.items()}


@pytest.fixture(scope="module")
def models():
    with FaceDetector("short") as detector:
        yield detector, FaceMesh(iris=False)


def holds(part: dict, bounds: dict) -> list[str]:
    """The card's bounds that name this part's numbers, checked."""
    return card.check({"part": part}, {k: v for k, v in bounds.items() if k in part})


def test_the_card_states_a_bound_for_every_number_it_checks(bounds):
    assert set(bounds) == set(card.BOUNDS)
    md = card.CARD_MD.read_text()
    assert "Measures card" in md and "| blinks |" in md


def test_head_pose_on_rendered_views_within_the_card(models, bounds, astronaut_bgr):
    part = card.head_pose_views(*models, astronaut_bgr)
    assert part["pose_views_found"] == part["views"]
    assert holds(part, bounds) == []
    # the sign follows the turn in every view the card reads
    for row in part["rows"]:
        for truth, read in zip(row["truth"], row["read"], strict=True):
            if abs(truth) >= 10:
                assert (read > 0) == (truth > 0), row


def test_landmark_jitter_on_a_still_face_within_the_card(models, bounds, astronaut_bgr):
    assert holds(card.jitter(*models, astronaut_bgr), bounds) == []


def test_eye_closure_on_yale_within_the_card(models, bounds):
    shared_path("faces", "yale", "sleepy")
    part = card.eye_closure(*models)
    assert part["subjects"] == 15
    assert holds(part, bounds) == []


def test_blinks_on_the_talking_head_within_the_card(models, bounds):
    shared_path("videos", "talking_head_512.mp4")
    part = card.blink_count(*models)
    assert part["frames"] == 200
    assert holds(part, bounds) == []


def test_a_render_is_a_face_the_detector_finds_where_it_was_drawn(models, astronaut_bgr):
    detector, mesh = models
    frontal = card.still_mesh(detector, mesh, astronaut_bgr)
    renderer = card.FaceRenderer(astronaut_bgr, frontal.points)
    view = renderer.render(30, 0, 0)
    grey = cv2.cvtColor(view, cv2.COLOR_BGR2GRAY)
    drawn = (grey != 96).nonzero()
    face = detector.detect(view, None)[0]
    x, y, w, h = face.box
    cx, cy = drawn[1].mean(), drawn[0].mean()
    assert x < cx < x + w and y < cy < y + h
