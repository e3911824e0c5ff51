"""Many videos: inputs, unique names, a pool with the same results as one process, resume."""

import csv
import shutil
import subprocess
import sys

import pytest

from fer_desktop.batch import expand_inputs, output_names
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO

CLI = [sys.executable, "-m", "fer_desktop"]


def run_cli(*args):
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=600
    )


@pytest.fixture
def study(tmp_path, demo_video):
    """day1/interview.mp4 and day2/interview.mp4 (same name, two folders) and a bad file."""
    root = tmp_path / "study"
    for day in ("day1", "day2"):
        (root / day).mkdir(parents=True)
        shutil.copy(demo_video, root / day / "interview.avi")
    (root / "day2" / "broken.avi").write_bytes(b"not a video at all")
    return root


def rows_of(timeline_path):
    """Face rows without wall-clock time: what must match between runs."""
    return [
        {k: v for k, v in f.items() if k != "t_wall"} for f in read_timeline(timeline_path)["faces"]
    ]


def index_of(out):
    with open(out / "index.csv", newline="") as fh:
        return {r["name"]: r for r in csv.DictReader(fh)}


def test_inputs_folders_globs_and_unique_names(study):
    videos, problems = expand_inputs([study])
    assert problems == []
    assert [p.relative_to(study).as_posix() for p in videos] == [
        "day1/interview.avi",
        "day2/broken.avi",
        "day2/interview.avi",
    ]
    assert expand_inputs([str(study / "**" / "interview.avi")])[0] == [videos[0], videos[2]]
    names = output_names(videos)
    assert sorted(names.values()) == ["day1/interview", "day2/broken", "day2/interview"]
    assert expand_inputs([str(study / "*.mp4")]) == ([], [f"{study / '*.mp4'}: no file matches"])


def test_pool_matches_one_process_and_a_bad_video_does_not_stop_the_batch(study, tmp_path):
    serial, pooled = tmp_path / "serial", tmp_path / "pooled"
    one = run_cli("analyze", study, "--out", serial, "--jobs", "1", "--quiet")
    two = run_cli("analyze", study, "--out", pooled, "--jobs", "2", "--quiet")
    for out in (one, two):
        assert out.returncode == 1, out.stderr  # one bad video: listed, and status 1 at the end
        assert "broken.avi" in out.stderr and "Traceback" not in out.stderr
    for name in ("day1/interview", "day2/interview"):
        a, b = rows_of(serial / f"{name}.csv"), rows_of(pooled / f"{name}.csv")
        assert a == b and len(a) == 45
        assert {r["face_id"] for r in a} == {1}  # ids start again for every video
    index = index_of(pooled)
    overview = (pooled / "overview.html").read_text()
    assert overview.count("<tr>") == 1 + 3 and overview.count("data:image/png;base64,") == 2
    assert "http://" not in overview and "https://" not in overview  # opens offline
    assert index["day2/broken"]["status"] == "failed" and index["day2/broken"]["error"]
    assert index["day1/interview"]["status"] == "ok" and index["day1/interview"]["faces"] == "1"


def test_resume_skips_finished_videos_and_redoes_the_rest(study, tmp_path):
    out = tmp_path / "out"
    run_cli("analyze", study, "--out", out, "--jobs", "1", "--quiet")
    first = index_of(out)
    # a partial timeline left by a killed run is redone; finished videos are skipped
    (out / "day1" / "interview.csv").unlink()
    again = run_cli("analyze", study, "--out", out, "--jobs", "1", "--quiet")
    assert "day2/interview.avi: already analysed" in again.stdout
    assert "day1/interview.avi: 45 frames" in again.stdout
    assert index_of(out)["day2/interview"]["seconds"] == first["day2/interview"]["seconds"]
    forced = run_cli("analyze", study / "day2" / "interview.avi", "--out", out, "--force")
    assert forced.returncode == 0 and "already analysed" not in forced.stdout


def test_an_image_is_not_a_video(tmp_path, astronaut_png):
    out = run_cli("analyze", astronaut_png, "--out", tmp_path)
    assert out.returncode == 1 and "is an image, not a video" in out.stderr
    assert "real time" not in out.stdout


def test_report_shows_settings_reliability_and_who_each_face_is(tmp_path, demo_video):
    out = run_cli("analyze", demo_video, "--out", tmp_path, "--report", "--quiet")
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "demo_report.html").read_text()
    assert "<td>smoothing</td><td>0.6</td>" in html
    assert "of the time; per class (recall): happy" in html
    assert "data:image/jpeg;base64," in html  # a thumbnail of face 1
    assert "Art. 5(1)(f)" in html
