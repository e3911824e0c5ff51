"""analyze and live on real video files: timelines, reports, crash safety, streaming."""

import json
import os
import signal
import subprocess
import time

import pytest

from fer_desktop.timeline import read_timeline
from tests.conftest import REPO
from tests.helpers import CLI, run_cli


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_analyze_writes_timeline_and_report(tmp_path, demo_video, fmt):
    out = run_cli("analyze", demo_video, "--out", tmp_path, "--format", fmt, "--report")
    assert out.returncode == 0, out.stderr
    timeline = read_timeline(tmp_path / f"demo.{fmt}")
    assert timeline["header"]["labels"] == ["happy", "neutral", "sad"]
    assert timeline["header"]["settings"]["model"] == "3class"
    assert timeline["summary"]["frames"] == 45
    faces = timeline["faces"]
    assert len(faces) == 45  # one face in every frame
    assert {f["face_id"] for f in faces} == {1}  # a stable id
    ts = [f["t_source"] for f in faces]
    assert ts == sorted(ts) and ts[-1] == pytest.approx(44 / 15, abs=0.02)
    assert all(f["t_wall"].endswith("+00:00") for f in faces)
    assert all(-1 <= f["valence"] <= 1 for f in faces)
    html = (tmp_path / "demo_report.html").read_text()
    assert "<svg " in html and "<polyline" in html and "face 1" in html
    assert "http://" not in html and "https://" not in html  # opens offline
    assert (tmp_path / "demo_report.svg").read_text().startswith("<svg")


@pytest.mark.slow
def test_analyze_every_nth_frame(tmp_path, demo_video):
    out = run_cli("analyze", demo_video, "--out", tmp_path, "--every", "3", "--quiet")
    assert out.returncode == 0, out.stderr
    faces = read_timeline(tmp_path / "demo.csv")["faces"]
    assert [f["frame"] for f in faces] == list(range(15))  # `frame` counts analysed frames
    assert [round(f["t_source"] * 15) for f in faces] == list(range(0, 45, 3))  # 15 fps file


@pytest.mark.smoke
@pytest.mark.slow
def test_analyze_shared_talking_head(tmp_path, face_video):
    out = run_cli("analyze", face_video, "--out", tmp_path, "--every", "5", "--quiet")
    assert out.returncode == 0, out.stderr
    timeline = read_timeline(tmp_path / f"{face_video.stem}.csv")
    ids = [f["face_id"] for f in timeline["faces"]]
    assert ids, "no face found in the video"
    main_id = max(set(ids), key=ids.count)
    assert ids.count(main_id) / len(ids) > 0.9  # one person keeps one id


def test_killed_analyze_leaves_a_readable_timeline(tmp_path, face_video):
    """SIGKILL mid-run: the file parses and holds the rows of all but the last moments."""
    proc = subprocess.Popen(
        [*CLI, "analyze", str(face_video), "--out", str(tmp_path), "--format", "jsonl", "--quiet"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = tmp_path / f"{face_video.stem}.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if path.exists() and path.read_text().count('"type":"face"') > 20:
            break
        time.sleep(0.1)
    rows_before_kill = path.read_text().count('"type":"face"')
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    timeline = read_timeline(path)
    assert timeline["header"] is not None and timeline["summary"] is None  # cut short, known
    assert len(timeline["faces"]) >= rows_before_kill > 20


@pytest.mark.slow
def test_analyze_bad_inputs(tmp_path, demo_video):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.mp4"
    junk.write_text("this is not a video")
    out = run_cli("analyze", empty, junk, tmp_path / "missing.mp4", "--out", tmp_path / "o")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert len([ln for ln in out.stderr.splitlines() if ln.startswith("fer-desktop:")]) == 3


def test_analyze_unwritable_output(tmp_path, demo_video):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = run_cli("analyze", demo_video, "--out", blocker / "sub")
    assert out.returncode == 2 and "cannot create output folder" in out.stderr


@pytest.mark.smoke
def test_live_streams_json_lines(demo_video):
    out = run_cli("live", "--source", demo_video, "--max-frames", "20", timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["labels"] == ["happy", "neutral", "sad"]
    assert lines[-1]["type"] == "event" and lines[-1]["event"] == "end"
    lines = [ln for ln in lines if ln["type"] == "frame"]
    assert len(lines) == 20
    assert [ln["frame"] for ln in lines] == list(range(20))
    assert all(len(ln["faces"]) == 1 for ln in lines)
    assert {ln["faces"][0]["face_id"] for ln in lines} == {1}
    assert set(lines[0]["timings_ms"]) == {"detect", "crop", "classify", "track"}


def test_live_realtime_plays_a_file_at_its_own_speed(demo_video):
    """--realtime paces a file by its timestamps (it was once ignored): frames are stamped no
    earlier, on the wall clock, than their place in the clip. A lower bound only."""
    from datetime import datetime

    out = run_cli("live", "--source", demo_video, "--realtime", "--max-frames", "30")
    assert out.returncode == 0, out.stderr
    frames = [json.loads(ln) for ln in out.stdout.splitlines()]
    frames = [f for f in frames if f["type"] == "frame"]
    wall = [datetime.fromisoformat(f["t_wall"]).timestamp() for f in frames]
    clip = frames[-1]["t_source"] - frames[0]["t_source"]
    assert clip > 1.0
    assert wall[-1] - wall[0] >= clip - 0.05


def test_live_stops_cleanly_on_sigterm():
    proc = subprocess.Popen(
        [*CLI, "live", "--source", "demo"],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert json.loads(proc.stdout.readline())["type"] == "header"
    assert json.loads(proc.stdout.readline())["faces"]
    proc.send_signal(signal.SIGTERM)  # as `systemctl stop` does: a requested stop, exit 0
    rest, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    end = json.loads(rest.splitlines()[-1])
    assert end["event"] == "end" and end["stopped"] == "terminated"


def test_live_missing_camera_is_a_clear_error():
    out = run_cli("live", "--camera", "97", timeout=60)
    assert out.returncode == 2
    assert "camera 97" in out.stderr and "Traceback" not in out.stderr


def test_self_test_passes():
    out = run_cli("self-test", timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("PASS") == 2


def test_help_lists_the_subcommands():
    out = run_cli("--help")
    for cmd in ("gui", "predict", "analyze", "live", "models"):
        assert cmd in out.stdout
    env = {**os.environ}
    for cmd in ("predict", "analyze", "live", "gui", "models"):
        assert run_cli(cmd, "--help", env=env).returncode == 0
