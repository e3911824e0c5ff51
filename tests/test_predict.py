"""predict on real faces: the astronaut smiles; Grace Hopper is a second real face."""

import json

import cv2
import numpy as np
import pytest

from tests.conftest import shared_path
from tests.helpers import run_cli


@pytest.mark.smoke
@pytest.mark.parametrize("model", ["3class", "2class"])
def test_astronaut_is_happy(astronaut_png, model):
    out = run_cli("predict", astronaut_png, "--json", "--model", model)
    assert out.returncode == 0, out.stderr
    entry = json.loads(out.stdout)
    assert entry["file"] == str(astronaut_png) and "error" not in entry
    assert len(entry["faces"]) == 1
    face = entry["faces"][0]
    x, y, w, h = face["box"]
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 200  # her face, upper middle
    assert face["label"] == "happy"
    assert face["probs"]["happy"] == max(face["probs"].values())


def test_grace_hopper_face_is_found_and_labelled(grace_hopper_jpg):
    out = run_cli("predict", grace_hopper_jpg, "--json")
    entry = json.loads(out.stdout)
    assert out.returncode == 0 and len(entry["faces"]) == 1
    assert entry["faces"][0]["label"] in ("happy", "neutral", "sad")
    assert abs(sum(entry["faces"][0]["probs"].values()) - 1.0) < 0.02


def test_mona_lisa(tmp_path):
    mona = shared_path("seed", "mona_lisa_sg.png")
    out = run_cli("predict", mona, "--json")
    assert out.returncode == 0, out.stderr
    entry = json.loads(out.stdout)
    assert len(entry["faces"]) == 1 and entry["faces"][0]["label"] in ("happy", "neutral", "sad")


def test_bad_files_get_error_entries_and_nonzero_exit(tmp_path, astronaut_png):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "text.jpg"
    text.write_text("not an image")
    out = run_cli(
        "predict", astronaut_png, empty, text, tmp_path / "missing.png", tmp_path, "--json"
    )
    assert out.returncode == 1
    entries = [json.loads(line) for line in out.stdout.splitlines()]
    assert [("error" in e) for e in entries] == [False, True, True, True, True]
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) >= 4


@pytest.mark.slow
def test_no_face_image_reports_no_face(tmp_path):
    import cv2
    import numpy as np

    path = tmp_path / "wall.png"
    cv2.imwrite(str(path), np.full((240, 320, 3), 128, np.uint8))
    out = run_cli("predict", path)
    assert out.returncode == 0 and "no face found" in out.stdout


def small_faces_image(astronaut_bgr) -> np.ndarray:
    """A 1080p frame with six small copies of the astronaut: only the far search finds them."""
    canvas = np.full((1080, 1920, 3), 90, np.uint8)
    small = cv2.resize(astronaut_bgr, (200, 200), interpolation=cv2.INTER_AREA)
    for i in range(6):
        x, y = 100 + i * 290, 300 + (i % 2) * 300
        canvas[y : y + 200, x : x + 200] = small
    return canvas


@pytest.mark.slow
def test_each_image_is_read_on_its_own(tmp_path, astronaut_png, astronaut_bgr):
    crowd = tmp_path / "crowd.png"
    cv2.imwrite(str(crowd), small_faces_image(astronaut_bgr))
    alone = run_cli("predict", crowd, "--json")
    after = run_cli("predict", astronaut_png, crowd, astronaut_png, "--json")
    assert alone.returncode == after.returncode == 0, after.stderr
    crowd_alone = json.loads(alone.stdout)
    close, crowd_after, close_again = map(json.loads, after.stdout.splitlines())
    assert len(crowd_alone["faces"]) == 6
    assert crowd_after["faces"] == crowd_alone["faces"]  # nothing carried from the first image
    assert [f["face"] for f in crowd_after["faces"]] == [1, 2, 3, 4, 5, 6]  # per image
    lefts = [f["box"][0] for f in crowd_after["faces"]]
    assert lefts == sorted(lefts)  # numbered from the left
    assert close["faces"] == close_again["faces"] and close["faces"][0]["face"] == 1


def test_mesh_measures_per_face_tell_sleepy_eyes_from_open_ones():
    """`predict --mesh eyes --json`: head pose, eye openness, mouth and gaze per face; the
    same subject's sleepy photo has narrower eyes than the normal one."""
    normal = shared_path("faces", "yale", "neutral", "yale_subject07_normal.png")
    sleepy = shared_path("faces", "yale", "sleepy", "yale_subject07_sleepy.png")
    out = run_cli("predict", normal, sleepy, "--mesh", "eyes", "--json")
    assert out.returncode == 0, out.stderr
    (n,), (s,) = (json.loads(line)["faces"] for line in out.stdout.splitlines())
    assert n["mesh"]["reason"] is None and n["mesh"]["presence"] > 0.9
    assert abs(n["mesh"]["head_pose_deg"]["yaw"]) < 10  # Yale subjects face the camera
    assert set(n["mesh"]["gaze_eye_widths"]) == {"x", "y"}
    for eye in ("right", "left"):
        assert s["mesh"]["eye_openness"][eye] < n["mesh"]["eye_openness"][eye]


def test_mesh_measures_are_withheld_with_a_reason(tmp_path, astronaut_bgr):
    """A small face and a picture with no face get no measures, and say why, in the text."""
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), cv2.resize(astronaut_bgr, None, fx=0.4, fy=0.4))
    brick = tmp_path / "brick.png"
    from skimage import data

    cv2.imwrite(str(brick), data.brick())
    out = run_cli("predict", small, "--mesh", "face")
    assert out.returncode == 0, out.stderr
    assert "eyes and head: face too small: " in out.stdout and "eye openness" not in out.stdout
    out = run_cli("predict", brick, "--no-detect", "--mesh", "face", "--json")
    mesh = json.loads(out.stdout)["faces"][0]["mesh"]
    assert mesh["eye_openness"] is None and mesh["reason"].startswith("no face in the mesh crop")
