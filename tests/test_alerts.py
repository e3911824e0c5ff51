"""`live --alert` on real faces: a Yale subject's open eyes, then the same person's sleepy
photo held for 3 s, open again, then an empty view; with the expression model off."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_desktop.timeline import read_timeline
from tests.conftest import shared_path, write_av_video
from tests.helpers import run_cli
from tests.test_schema import STREAM, validator

FPS = 10
# subject 10: open 0.33, sleepy 0.18 (mean lid gap over eye width), the clearest of the 15
SUBJECT = "yale_subject10"


def _photo(folder: str, kind: str) -> np.ndarray:
    img = cv2.imread(str(shared_path("faces", "yale", folder, f"{SUBJECT}_{kind}.png")))
    return cv2.copyMakeBorder(img, 0, 1, 0, 0, cv2.BORDER_REPLICATE)  # 320x244: even for H.264


@pytest.fixture(scope="module")
def sleepy_clip(tmp_path_factory) -> Path:
    """0-3 s open, 3-6 s sleepy, 6-12 s open, 12-15 s no face, 15-16 s open again."""
    awake, sleepy = _photo("neutral", "normal"), _photo("sleepy", "sleepy")
    blank = np.zeros_like(awake)
    seconds = [(awake, 3), (sleepy, 3), (awake, 6), (blank, 3), (awake, 1)]
    frames = [img for img, s in seconds for _ in range(s * FPS)]
    return write_av_video(tmp_path_factory.mktemp("alerts") / "sleepy.mp4", frames, fps=FPS)


def _live(clip: Path, *options: str) -> tuple[dict, list[dict], list[dict]]:
    """`live` on the clip: its header, frame lines and alert and blink events, every line
    checked against the stream's JSON Schema."""
    out = run_cli("live", "--source", clip, "--mesh", "face", *options)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    check = validator(STREAM)
    for line in lines:
        assert not [e.message for e in check.iter_errors(line)], line
    frames = [r for r in lines if r["type"] == "frame"]
    events = [r for r in lines if r["type"] == "event" and r["event"] in ("alert", "blink")]
    return lines[0], frames, events


def _alerts(events: list[dict], kind: str) -> list[tuple[str, float]]:
    return [(e["state"], e["t_source"]) for e in events if e.get("alert") == kind]


def test_drowsy_and_face_lost_fire_and_clear_with_no_expression_model(sleepy_clip):
    header, frames, events = _live(
        sleepy_clip, "--model", "none", "--alert", "drowsy,face-lost,eyes-hidden"
    )
    assert header["labels"] == [] and "--model none" in header["note"]
    faces = [f for r in frames for f in r["faces"]]
    assert faces and all("label" not in f and "probs" not in f for f in faces)
    assert all(f["mesh"]["eye_openness"] is not None for f in faces)
    drowsy = _alerts(events, "drowsy")
    assert [s for s, _ in drowsy] == ["start", "end"]
    assert 4.4 <= drowsy[0][1] <= 4.6  # closed from 3.0 s, for 1.5 s
    assert 6.0 <= drowsy[1][1] <= 7.2  # open again at 6.0, for the 1 s clear time
    blinks = [e for e in events if e["event"] == "blink"]
    assert len(blinks) == 1 and blinks[0]["onset"] == pytest.approx(3.0)
    assert blinks[0]["duration_s"] == pytest.approx(3.0)
    lost = _alerts(events, "face-lost")
    assert [s for s, _ in lost] == ["start", "end"]
    assert 13.8 <= lost[0][1] <= 14.2 and 15.0 <= lost[1][1] <= 15.3
    assert not _alerts(events, "eyes-hidden")  # the mesh found the eyes throughout


def test_perclos_and_road_direction_from_the_config_file(sleepy_clip, tmp_path):
    """A 5 s PERCLOS window with the closed-eyes rule out of reach: drowsy comes from PERCLOS;
    a road 60° to the side: the frontal face looks off the road."""
    config = tmp_path / "rig.toml"
    config.write_text(
        'alert = "drowsy,distracted"\n[analysis]\nmodel = "none"\n'
        "[alerts]\nperclos_window_s = 5\nclosed_s = 30\nroad_yaw_deg = 60\n"
    )
    _, _, events = _live(sleepy_clip, "--config", config)
    drowsy = [e for e in events if e.get("alert") == "drowsy"]
    assert drowsy[0]["state"] == "start" and "PERCLOS" in drowsy[0]["note"]
    # the window holds frames once the open level is known (3 s), and is full 4.75 s later
    assert 7.7 <= drowsy[0]["t_source"] <= 7.9
    assert drowsy[1]["state"] == "end"
    distracted = _alerts(events, "distracted")
    assert distracted[0] == ("start", pytest.approx(2.0, abs=0.15))


def test_alerts_and_blinks_go_into_the_timeline(sleepy_clip, tmp_path):
    out = run_cli(
        "live", "--source", sleepy_clip, "--mesh", "face", "--model", "none", "--alert", "all",
        "--record", tmp_path, "--no-stdout",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    timeline = read_timeline(next(tmp_path.glob("*.csv")))
    kinds = [(e["alert"], e["state"]) for e in timeline["alerts"]]
    assert ("drowsy", "start") in kinds and ("face-lost", "end") in kinds
    assert [b["onset"] for b in timeline["blinks"]] == [pytest.approx(3.0)]


def _covered(bgr: np.ndarray) -> np.ndarray:
    """The photo with a black band over the eyes, where the detector finds them."""
    from fer_desktop.detector import FaceDetector

    with FaceDetector("short") as det:
        face = det.detect(bgr, None)[0]
    (_, ry), (_, ly) = face.keypoints[0], face.keypoints[1]
    x, _, w, h = face.box
    half = int(h * 0.12)
    out = bgr.copy()
    cv2.rectangle(
        out, (int(x), int(min(ry, ly)) - half), (int(x + w), int(max(ry, ly)) + half), 0, -1
    )
    return out


def test_a_band_over_the_eyes_is_eyes_hidden_not_drowsy(tmp_path):
    """3 s open, 4 s with a black band over the eyes, 3 s open: eyes-hidden starts 2 s into
    the band and ends after it; the covered eyes are never read as closed."""
    awake = _photo("neutral", "normal")
    frames = [awake] * (3 * FPS) + [_covered(awake)] * (4 * FPS) + [awake] * (3 * FPS)
    clip = write_av_video(tmp_path / "band.mp4", frames, fps=FPS)
    _, lines, events = _live(clip, "--model", "none", "--alert", "drowsy,eyes-hidden")
    hidden = _alerts(events, "eyes-hidden")
    assert [s for s, _ in hidden] == ["start", "end"]
    assert 4.8 <= hidden[0][1] <= 5.2 and 7.0 <= hidden[1][1] <= 8.2
    assert not _alerts(events, "drowsy")
    reasons = {f["mesh"]["reason"] for r in lines for f in r["faces"] if 3.2 < r["t_source"] < 6.8}
    assert reasons and all(r.startswith("eyes hidden") for r in reasons), reasons


def test_an_alert_still_on_ends_with_the_session(tmp_path):
    """A clip that ends with the eyes closed: drowsy starts, then ends as the session does."""
    frames = [_photo("neutral", "normal")] * (3 * FPS) + [_photo("sleepy", "sleepy")] * (3 * FPS)
    clip = write_av_video(tmp_path / "ends_sleepy.mp4", frames, fps=FPS)
    _, _, events = _live(clip, "--model", "none", "--alert", "drowsy")
    drowsy = [e for e in events if e.get("alert") == "drowsy"]
    assert [e["state"] for e in drowsy] == ["start", "end"]
    assert "session ended" in drowsy[1]["note"]


def test_blinks_are_recorded_whenever_the_mesh_is_on(sleepy_clip, tmp_path):
    """No --alert: the timeline of a mesh run still holds the blinks, and no alert."""
    out = run_cli("live", "--source", sleepy_clip, "--mesh", "face", "--record", tmp_path,
                  "--no-stdout")  # fmt: skip
    assert out.returncode == 0, out.stderr
    timeline = read_timeline(next(tmp_path.glob("*.csv")))
    assert [b["onset"] for b in timeline["blinks"]] == [pytest.approx(3.0)]
    assert timeline["alerts"] == []


@pytest.mark.parametrize(
    ("table", "named"),
    [("closed_s = 0", "alerts.closed_s"), ("perclos = 0.1\nperclos_clear = 0.2", "perclos_clear"),
     ("yawn = 1", "alerts.yawn")],
)  # fmt: skip
def test_a_bad_threshold_is_one_line_naming_it(tmp_path, table, named):
    config = tmp_path / "rig.toml"
    config.write_text(f'source = ["demo"]\nalert = "drowsy"\n[alerts]\n{table}\n')
    out = run_cli("live", "--config", config, "--mesh", "face", "--max-frames", "1")
    assert out.returncode == 2
    assert named in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("options", "said"),
    [(["--alert", "drowsy"], "needs the face mesh"),
     (["--alert", "sleepy", "--mesh", "face"], "unknown alert 'sleepy'"),
     (["--model", "none", "--calibrate", "5"], "not with --model none")],
)  # fmt: skip
def test_bad_alert_options_are_one_line(options, said):
    out = run_cli("live", "--source", "demo", "--max-frames", "1", *options)
    assert out.returncode == 2 and said in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
