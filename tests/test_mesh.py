"""The face mesh and its measures on real faces: Yale's sleepy and wink photos, the talking-head
clip turning its head, a clip of real frames that closes its eyes, a still face."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from fer_desktop import detector_models
from fer_desktop.detector import FaceDetector
from fer_desktop.eye_closure_rule import SLOW_CLOSED_FRACTION
from fer_desktop.measures import (
    blinks,
    eye_openness,
    gaze,
    head_pose,
    measure,
    perclos,
)
from fer_desktop.mesh import FaceMesh, Mesh, MeshTracker, roi_from_detection
from tests.conftest import shared_path, write_av_video

SUBJECTS = range(1, 16)


@pytest.fixture(scope="module")
def detector():
    with FaceDetector("short") as det:
        yield det


@pytest.fixture(scope="module")
def face_mesh():
    return FaceMesh()


@pytest.fixture(scope="module")
def mesh_of(detector, face_mesh):
    """The mesh of the largest face in a BGR image."""

    def run(bgr: np.ndarray) -> Mesh:
        face = max(detector.detect(bgr, None), key=lambda d: d.box[2] * d.box[3])
        return face_mesh.run(bgr, roi_from_detection(face))

    return run


def yale(kind: str, subject: int) -> np.ndarray:
    folder = "neutral" if kind == "normal" else kind
    return cv2.imread(
        str(shared_path("faces", "yale", folder, f"yale_subject{subject:02d}_{kind}.png"))
    )


def test_mesh_fits_the_face_the_detector_found(detector, mesh_of, astronaut_bgr):
    face = detector.detect(astronaut_bgr, None)[0]
    found = mesh_of(astronaut_bgr)
    x, y, w, h = face.box
    inside = (
        (found.points[:, 0] > x - 0.3 * w)
        & (found.points[:, 0] < x + 1.3 * w)
        & (found.points[:, 1] > y - 0.3 * h)
        & (found.points[:, 1] < y + 1.3 * h)
    )
    assert found.points.shape == (468, 3) and inside.all() and found.present
    # the mesh's eye centres lie near the detector's eye keypoints (within a tenth of the box)
    right_eye = found.points[[33, 133], :2].mean(0)
    assert np.hypot(*(right_eye - face.keypoints[0])) < 0.1 * w


def test_eye_openness_separates_every_yale_sleepy_photo_from_the_normal_one(mesh_of):
    for subject in SUBJECTS:
        normal = eye_openness(mesh_of(yale("normal", subject)).points)
        sleepy = eye_openness(mesh_of(yale("sleepy", subject)).points)
        assert max(sleepy) < min(normal), (subject, normal, sleepy)


def test_yale_wink_photos_show_one_eye_narrower(mesh_of):
    """Every Yale subject winks with their left eye; the mesh model keeps faces nearly
    symmetric, so the left eye reads narrower than the right, and by more than on the same
    subject's normal photo."""
    for subject in SUBJECTS:
        n_right, n_left = eye_openness(mesh_of(yale("normal", subject)).points)
        w_right, w_left = eye_openness(mesh_of(yale("wink", subject)).points)
        assert w_left < w_right and w_right - w_left > n_right - n_left, subject
        assert w_left < n_left, subject


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


@pytest.mark.slow
def test_yaw_follows_the_talking_head_and_flips_on_the_mirror_image(face_video, mesh_of):
    frames = frames_of(face_video)[::5]
    yaws = np.array([head_pose(mesh_of(f).points).yaw for f in frames])
    # the speaker looks to both sides, by a sensible amount (not 0, not past profile)
    assert yaws.min() < -10 and yaws.max() > 10 and np.abs(yaws).max() < 45
    for turned in (frames[int(yaws.argmin())], frames[int(yaws.argmax())]):
        yaw = head_pose(mesh_of(turned).points).yaw
        mirrored = head_pose(mesh_of(np.ascontiguousarray(turned[:, ::-1])).points).yaw
        assert np.sign(mirrored) == -np.sign(yaw) and abs(yaw + mirrored) < 4, (yaw, mirrored)


@pytest.mark.slow
def test_gaze_follows_the_eyes_and_flips_on_the_mirror_image(face_video, detector, face_mesh):
    """Over the talking-head clip the iris offset moves (the speaker looks around), and a
    mirrored frame reads it mirrored."""

    def gaze_x(bgr: np.ndarray) -> float:
        found = face_mesh.on_still(bgr, detector.detect(bgr, None)[0].box)
        return gaze(found.points, found.iris.centres)[0]

    frames = frames_of(face_video)[::10]
    x = np.array([gaze_x(f) for f in frames])
    mirrored = np.array([gaze_x(np.ascontiguousarray(f[:, ::-1])) for f in frames])
    assert x.std() > 0.02 and np.corrcoef(x, mirrored)[0, 1] < -0.8


def test_roll_reads_an_image_turned_by_a_known_angle(mesh_of):
    photo = cv2.copyMakeBorder(yale("normal", 3), 100, 100, 100, 100, cv2.BORDER_REPLICATE)
    level = head_pose(mesh_of(photo).points).roll
    h, w = photo.shape[:2]
    for degrees in (-20, 20):
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)  # + turns clockwise
        roll = head_pose(mesh_of(cv2.warpAffine(photo, turn, (w, h))).points).roll
        assert abs(roll - level - degrees) < 3, (degrees, roll, level)


def test_a_small_face_gets_no_measures_but_a_reason(mesh_of, astronaut_bgr):
    small = cv2.resize(astronaut_bgr, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    found = mesh_of(small)
    measures = measure(found.points, found.iris.centres)
    assert measures.eye_openness is None and measures.pose is None
    assert "too small" in measures.reason
    full = measure(mesh_of(astronaut_bgr).points)
    assert full.eye_openness is not None and full.reason == "no gaze: iris model off or missing"


def blink_clip(tmp_path, subject: int, fps: int = 10) -> tuple:
    """A clip of real frames: a subject's normal photo for 1 s, then the sleepy one for
    0.4 s, three times, then 1 s normal again."""
    normal, sleepy = yale("normal", subject), yale("sleepy", subject)
    frames = ([normal] * fps + [sleepy] * 4) * 3 + [normal] * fps
    return write_av_video(tmp_path / "blinks.mp4", frames, fps=fps), fps


def test_blinks_are_counted_on_a_clip_of_real_frames(tmp_path, detector, face_mesh):
    path, fps = blink_clip(tmp_path, subject=3)
    tracker = MeshTracker(face_mesh)
    t, openness, detections = [], [], 0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            bgr = frame.to_ndarray(format="bgr24")
            found = None
            if tracker.lost:
                detections += 1
                found = detector.detect(bgr, None)[0]
            t.append(float(frame.time))
            openness.append(np.mean(eye_openness(tracker.update(bgr, found).points)))
    events = blinks(np.array(t), np.array(openness))
    assert [round(e.onset * fps) for e in events] == [10, 24, 38]
    assert all(abs(e.duration - 4 / fps) < 0.5 / fps for e in events)
    assert detections == 1  # the tracker followed the face from its own landmarks
    closed_share = 12 / len(t)
    assert perclos(np.array(t), np.array(openness), window_s=60)[-1] == pytest.approx(closed_share)


def test_blinks_end_at_a_gap_and_at_the_end_of_the_series():
    """Blinks from a series: a closure still running at the end has the time seen so far;
    a gap in the measures (NaN) ends it, and after it a closure needs a fall it can see or a
    reading below SLOW_CLOSED_FRACTION of the level."""
    t = np.arange(12) / 10
    x = np.array([0.33, 0.33, 0.2, 0.2, np.nan, 0.18, 0.33, 0.2, 0.2, 0.2, np.nan, 0.25])
    assert 0.18 < SLOW_CLOSED_FRACTION * 0.33 < 0.2
    events = blinks(t[:10], x[:10], level=0.33)
    assert [(round(e.onset, 2), round(e.duration, 2)) for e in events] == [
        (0.2, 0.2),
        (0.5, 0.1),
        (0.7, 0.3),
    ]
    # 0.2 with no earlier reading (first, or after a gap) is above 0.6 of 0.33: open
    assert blinks(t[:3], np.array([0.2, np.nan, 0.2]), level=0.33) == []
    assert len(blinks(t, x, level=0.33)) == 3  # 0.25 after the last gap: open


def test_landmark_jitter_on_a_still_face_is_small(tmp_path, detector, face_mesh):
    """The same photo, encoded in a clip, followed by the tracker: once the crop comes from
    the landmarks (the first from the detector's box differs a little), the points move by
    under 1% of the eye distance from frame to frame."""
    path = write_av_video(tmp_path / "still.mp4", [yale("normal", 1)] * 20, fps=10)
    tracker = MeshTracker(face_mesh)
    points = []
    for bgr in frames_of(path):
        found = tracker.update(bgr, detector.detect(bgr, None)[0] if tracker.lost else None)
        points.append(found.points[:, :2])
    points = np.array(points)
    eye_distance = np.linalg.norm(points[0, 33] - points[0, 263])
    steps = np.linalg.norm(np.diff(points, axis=0), axis=2) / eye_distance
    assert steps[3:].max() < 0.01


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_without_a_good_iris_model_the_mesh_runs_without_gaze(
    tmp_path, detector, astronaut_bgr, broken
):
    iris = tmp_path / "iris_landmark.tflite"
    if broken == "corrupt":
        data = bytearray(detector_models.find("iris").read_bytes())
        data[1000:1100] = bytes(b ^ 0xFF for b in data[1000:1100])
        iris.write_bytes(bytes(data))
    face_mesh = FaceMesh(iris_model=iris)
    assert not face_mesh.has_iris and "\n" not in face_mesh.iris_error
    assert broken in face_mesh.iris_error and "fer-desktop models fetch" in face_mesh.iris_error
    found = face_mesh.run(
        astronaut_bgr, roi_from_detection(detector.detect(astronaut_bgr, None)[0])
    )
    assert found.iris is None and found.present
    assert measure(found.points).gaze is None
