"""Our BlazeFace runner against MediaPipe Tasks' FaceDetector, the reference, on real video:
the same faces on every frame, boxes and keypoints within a pixel and a half, same scores."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_desktop import detector_models
from fer_desktop.blazeface import SPECS, BlazeFace, anchor_centres, weighted_nms
from tests.conftest import shared_path

TOLERANCE_PX = 1.5  # MediaPipe rounds boxes to whole pixels; we keep fractions
SCORE_TOLERANCE = 0.01
LABEL_AGREEMENT = 0.95  # measured 0.98: faces near a class boundary flip with a 1 px shift


def _mediapipe(range_: str):
    """MediaPipe Tasks' own face detector on the same model file (IMAGE mode)."""
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_path=str(detector_models.find(range_))),
        running_mode=vision.RunningMode.IMAGE,
        min_detection_confidence=0.5,
    )
    return vision.FaceDetector.create_from_options(options)


def _reference(mp_detector, bgr: np.ndarray):
    import mediapipe as mp

    h, w = bgr.shape[:2]
    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    result = mp_detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    return [
        (
            np.array(
                [
                    d.bounding_box.origin_x,
                    d.bounding_box.origin_y,
                    d.bounding_box.width,
                    d.bounding_box.height,
                ],
                float,
            ),
            np.array([(k.x * w, k.y * h) for k in d.keypoints]),
            d.categories[0].score,
        )
        for d in result.detections
    ]


def _frames(path, step: int, limit: int):
    cap = cv2.VideoCapture(str(path))
    i = 0
    while i < limit * step:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            yield frame
        i += 1
    cap.release()


@pytest.mark.parametrize(
    ("range_", "video", "scale"),
    [
        ("short", "talking_head_512.mp4", 1.0),
        ("full", "crowd_1080p.mp4", 1.0),
        ("short", "talking_head_512.mp4", 1.25),
    ],  # 640x640: no letterbox either way
)
@pytest.mark.slow
def test_same_faces_as_mediapipe(range_, video, scale):
    ours = BlazeFace(detector_models.find(range_), range_)
    reference = _mediapipe(range_)
    checked = 0
    try:
        for frame in _frames(shared_path("videos", video), step=3, limit=60):
            if scale != 1.0:
                frame = cv2.resize(frame, None, fx=scale, fy=scale)
            want = sorted(_reference(reference, frame), key=lambda r: r[0][0])
            got = ours.detect(frame)
            order = np.argsort(got.boxes[:, 0])
            assert len(got) == len(want), f"frame {checked}: {len(got)} faces, want {len(want)}"
            for i, (box, kps, score) in zip(order, want, strict=True):
                assert np.abs(got.boxes[i] - box).max() <= TOLERANCE_PX
                assert np.abs(got.keypoints[i] - kps).max() <= TOLERANCE_PX
                assert abs(got.scores[i] - score) <= SCORE_TOLERANCE
                checked += 1
    finally:
        reference.close()
    assert checked >= 50  # faces compared, not just frames


def test_same_labels_as_with_mediapipes_boxes():
    """Model A on crops from our boxes and from MediaPipe's: the same label on (nearly) every
    face of the talking head, and probabilities within a few points."""
    from fer_desktop.classifier import MoodModel
    from fer_desktop.preprocess import face_to_input

    ours = BlazeFace(detector_models.find("short"), "short")
    reference = _mediapipe("short")
    model = MoodModel("3class")
    a, b = [], []
    try:
        for frame in _frames(shared_path("videos", "talking_head_512.mp4"), step=2, limit=100):
            want = _reference(reference, frame)
            got = ours.detect(frame)
            if len(want) != 1 or len(got) != 1:
                continue
            eyes = lambda k: (tuple(k[0]), tuple(k[1]))  # noqa: E731
            a.append(face_to_input(frame, tuple(want[0][0]), eyes(want[0][1])))
            b.append(face_to_input(frame, tuple(got.boxes[0]), eyes(got.keypoints[0])))
    finally:
        reference.close()
    pa, pb = model.predict(np.stack(a)), model.predict(np.stack(b))
    assert len(a) >= 90
    assert (pa.argmax(1) == pb.argmax(1)).mean() >= LABEL_AGREEMENT
    assert np.median(np.abs(pa - pb).max(1)) <= 0.03  # measured 0.017


def test_anchor_layout_matches_the_models_outputs():
    assert len(anchor_centres(SPECS["short"])) == 896  # 16x16x2 + 8x8x6
    assert len(anchor_centres(SPECS["full"])) == 2304  # 48x48x1
    centres = anchor_centres(SPECS["short"])
    assert centres[0].tolist() == pytest.approx([0.5 / 16, 0.5 / 16])
    assert centres[-1].tolist() == pytest.approx([7.5 / 8, 7.5 / 8])


def test_weighted_nms_averages_overlapping_boxes_by_score():
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [3.0, 3.0, 4.0, 4.0]])
    kps = np.zeros((3, 6, 2))
    kps[1] += 1.0
    scores = np.array([0.9, 0.6, 0.7])
    out_boxes, out_kps, out_scores = weighted_nms(boxes, kps, scores, 0.3)
    assert out_scores.tolist() == [0.9, 0.7]  # the top score stays, the far box stays apart
    assert out_boxes[0][0] == pytest.approx(0.1 * 0.6 / 1.5)
    assert out_kps[0][0][0] == pytest.approx(0.6 / 1.5)
    assert out_boxes[1].tolist() == pytest.approx([3.0, 3.0, 4.0, 4.0])
