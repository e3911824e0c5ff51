"""Many videos: inputs, unique names, a pool with the same results as one process, resume,
damaged files flagged, results made with other settings never replaced silently."""

import csv
import hashlib
import json
import shutil
import signal
import subprocess
import time

import pytest

from fer_desktop import __version__
from fer_desktop.batch import expand_inputs, output_names
from fer_desktop.classifier import resolve_model_path
from fer_desktop.sources import DemoSource, SourceError, VideoSource
from fer_desktop.timeline import read_timeline
from tests.bad_inputs import cut_in_half, mp4
from tests.helpers import CLI, REPO, run_cli


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
    videos, problems, left_out = expand_inputs([study])
    assert problems == [] and left_out == []
    assert [p.relative_to(study).as_posix() for p in videos] == [
        "day1/interview.avi",
        "day2/broken.avi",
        "day2/interview.avi",
    ]
    assert expand_inputs([str(study / "**" / "interview.avi")])[0] == [videos[0], videos[2]]
    names = output_names(videos)
    assert sorted(names.values()) == ["day1/interview", "day2/broken", "day2/interview"]
    assert expand_inputs([str(study / "*.mp4")]) == (
        [],
        [f"{study / '*.mp4'}: no file matches"],
        [],
    )


@pytest.mark.slow
def test_a_folder_of_camcorder_and_phone_videos_and_what_is_left_out(tmp_path, astronaut_png):
    """AVCHD (.MTS, .m2ts) and 3GPP (.3gp) files are analysed; every other file is named on
    stderr with the reason it is left out, and leaving it out fails nothing."""
    frames = [f.bgr for f in DemoSource(fps=15.0, duration=1.0, realtime=False)]
    folder = tmp_path / "camera"
    folder.mkdir()
    for name in ("a.MTS", "b.m2ts", "c.3gp"):  # MPEG-TS and 3GPP containers, by the suffix
        mp4(folder / name, frames)
    shutil.copy(astronaut_png, folder / "still.png")
    (folder / "notes.txt").write_text("take 2 was better\n")
    videos, problems, left_out = expand_inputs([folder])
    assert [p.name for p in videos] == ["a.MTS", "b.m2ts", "c.3gp"] and problems == []
    assert left_out == [
        f"{folder / 'notes.txt'}: left out: .txt is not a video type analyze looks for in a "
        "folder (name the file on its own to try it)",
        f"{folder / 'still.png'}: left out: an image (fer-desktop predict reads images)",
    ]
    out = run_cli("analyze", folder, "--out", tmp_path / "out", "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [f"fer-desktop: {line}" for line in left_out]
    index = index_of(tmp_path / "out")
    assert {name: row["status"] for name, row in index.items()} == dict.fromkeys("abc", "ok")
    assert all(int(row["frames"]) == len(frames) for row in index.values())


@pytest.mark.slow
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
    assert overview.count("<tr>") == 1 + 3 and overview.count("<svg ") == 2
    assert "http://" not in overview and "https://" not in overview  # opens offline
    assert index["day2/broken"]["status"] == "failed" and index["day2/broken"]["error"]
    assert index["day1/interview"]["status"] == "ok" and index["day1/interview"]["faces"] == "1"


@pytest.mark.slow
def test_ctrl_c_stops_the_pools_workers_mid_video_and_a_resume_redoes_their_videos(
    tmp_path, face_video
):
    """`analyze --jobs 2` interrupted (SIGINT) while two videos are being analysed: exit 130,
    the workers stopped at once (their timelines cut short, not finished), every video not
    finished marked partial, and the next run redoes exactly those."""
    folder, out = tmp_path / "videos", tmp_path / "out"
    folder.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(face_video, folder / f"{name}.mp4")
    proc = subprocess.Popen(
        [*CLI, "analyze", str(folder), "--out", str(out), "--jobs", "2", "--quiet"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        while not all(_rows_written(out / f"{n}.csv") >= 10 for n in ("a", "b")):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)  # both workers are past their first frames
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    index = index_of(out)
    assert {n: (r["status"], r["error"]) for n, r in index.items()} == {
        "a": ("partial", "interrupted"),
        "b": ("partial", "interrupted"),
        "c": ("partial", "not started (interrupted)"),
    }
    for name in ("a", "b"):  # stopped mid-video: no summary line
        timeline = read_timeline(out / f"{name}.csv")
        assert timeline["summary"] is None and 0 < len(timeline["frames"]) < 200
    assert not (out / "c.csv").exists()
    again = run_cli("analyze", folder, "--out", out, "--jobs", "2", "--quiet")
    assert again.returncode == 0, again.stderr
    assert "already analysed" not in again.stdout
    assert all(int(r["frames"]) == 200 for r in index_of(out).values())


def _rows_written(timeline_path) -> int:
    return len(timeline_path.read_text().splitlines()) if timeline_path.is_file() else 0


@pytest.mark.slow
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


@pytest.mark.slow
def test_report_shows_settings_reliability_and_who_each_face_is(tmp_path, demo_video):
    out = run_cli("analyze", demo_video, "--out", tmp_path, "--report", "--quiet")
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "demo_report.html").read_text()
    assert "<td>smoothing</td><td>0.6</td>" in html
    assert "Accuracy measured on 48×48 test photos (FER2013 PrivateTest" in html
    assert "recall per class (of the photos with that label, the share it called so): happy" in html
    assert "data:image/jpeg;base64," in html  # a thumbnail of face 1
    assert "Art. 5(1)(f)" in html


@pytest.mark.slow
def test_a_file_that_ends_early_is_flagged_and_one_without_index_named(tmp_path):
    """A faststart MP4 cut in half still opens, and its container still claims the whole
    length; an MP4 whose index was to come last, cut in half, has none."""
    frames = [f.bgr for f in DemoSource(fps=15.0, duration=4.0, realtime=False)]
    folder = tmp_path / "study"
    folder.mkdir()
    cut = cut_in_half(mp4(folder / "fast.mp4", frames, faststart=True))
    no_index = cut_in_half(mp4(folder / "slow.mp4", frames, faststart=False))
    with VideoSource(cut) as source:
        assert source.duration == pytest.approx(4.0, abs=0.1)  # what the container claims
        assert len(list(source)) < 40 and source.ends_early()
    with pytest.raises(SourceError, match="was it still being written"):
        VideoSource(no_index)
    out = run_cli("analyze", folder, "--out", tmp_path / "out", "--report", "--quiet")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    index = index_of(tmp_path / "out")
    row = index["fast_cut"]
    assert row["status"] == "truncated" and float(row["duration_s"]) == pytest.approx(4.0, 0.05)
    analysed = float(row["analysed_s"])
    assert 1.0 < analysed < 3.0
    message = f"truncated: {analysed:.1f} s of 4.0 s analysed"
    assert row["note"] == message
    assert f"{cut}: {message} (the file ends early)" in out.stderr
    report = (tmp_path / "out" / "fast_cut_report.html").read_text()
    assert message in report and "(complete)" not in report
    assert index["slow_cut"]["status"] == "failed"
    assert index["slow_cut"]["error"] == (
        f"{no_index}: incomplete recording (no index): was it still being written?"
    )
    # a folder analysed before files were checked: its index called the cut file "ok"
    _as_before(tmp_path / "out", "fast_cut")
    again = run_cli("analyze", folder, "--out", tmp_path / "out", "--report", "--quiet")
    assert "fast_cut.mp4: already analysed" in again.stdout and message in again.stderr
    row = index_of(tmp_path / "out")["fast_cut"]
    assert row["status"] == "truncated" and row["note"] == message
    assert float(row["share_happy_by_time"]) + float(row["share_neutral_by_time"]) > 0.5
    assert message in (tmp_path / "out" / "fast_cut_report.html").read_text()


def _as_before(out, name):
    """Make `name`'s results look as an earlier version wrote them: the index with its old
    columns and status ok, the timeline without the container's duration, no report."""
    rows = list(index_of(out).values())
    old_columns = ["path", "name", "sha256", "settings_key", "status", "error", "duration_s",
                   "frames", "faces", "share_happy", "share_neutral", "share_sad",
                   "mean_valence", "seconds", "timeline", "report"]  # fmt: skip
    with open(out / "index.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, old_columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            if row["name"] == name:
                row.update(status="ok", share_happy="0.5", report="")
            writer.writerow(row)
    timeline = out / f"{name}.csv"
    first, rest = timeline.read_text().split("\n", 1)
    header = json.loads(first[2:])
    del header["source_duration_s"]
    timeline.write_text(f"# {json.dumps(header)}\n{rest}")
    (out / f"{name}_report.html").unlink()


def snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_results_made_with_other_settings_are_refused_and_force_replaces_them(study, tmp_path):
    (study / "day2" / "broken.avi").unlink()
    out = tmp_path / "results"
    first = run_cli("analyze", study, "--out", out, "--report", "--quiet")
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    old = index_of(out)
    model = resolve_model_path("3class")
    assert old["day1/interview"]["app_version"] == __version__
    assert old["day1/interview"]["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    # other settings: refused in one line naming --force, and nothing touched
    refused = run_cli("analyze", study, "--out", out, "--calibrate", "2", "--quiet")
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (
        len(refused.stderr.strip().splitlines()) == 1 and "calibrate_s 0.0 -> 2.0" in refused.stderr
    )
    assert snapshot(out) == before
    # --force: timeline, report and index row replaced together; the overview follows
    forced = run_cli("analyze", study, "--out", out, "--calibrate", "2", "--force", "--quiet")
    assert forced.returncode == 0, forced.stderr
    new = index_of(out)
    for name in ("day1/interview", "day2/interview"):
        assert new[name]["settings_key"] != old[name]["settings_key"]
        assert new[name]["report"] == "" and not (out / f"{name}_report.html").exists()
        assert not (out / f"{name}_report.svg").exists()
        assert read_timeline(out / f"{name}.csv")["header"]["settings"]["calibrate_s"] == 2.0
    overview = (out / "overview.html").read_text()
    assert "_report.html" not in overview and "<a href=" not in overview
    # the same settings again: nothing to refuse, nothing redone
    again = run_cli("analyze", study, "--out", out, "--calibrate", "2", "--quiet")
    assert again.returncode == 0 and again.stdout.count("already analysed") == 2


@pytest.mark.slow
def test_videos_of_one_name_analysed_in_separate_runs_keep_both_results(tmp_path, demo_video):
    """p1/interview.avi, then p2/interview.avi (another video) into the same folder: the
    second gets its folder in its name, nothing of the first is replaced, and each run again
    finds its own results."""
    from tests.conftest import write_video

    (tmp_path / "p1").mkdir()
    (tmp_path / "p2").mkdir()
    shutil.copy(demo_video, tmp_path / "p1" / "interview.avi")
    short = DemoSource(fps=15.0, duration=2.0, realtime=False)
    write_video(tmp_path / "p2" / "interview.avi", (f.bgr for f in short), fps=15.0)
    out = tmp_path / "out"
    first = run_cli("analyze", tmp_path / "p1", "--out", out, "--report", "--quiet")
    assert first.returncode == 0, first.stderr
    before = (out / "interview.csv").read_bytes()
    second = run_cli("analyze", tmp_path / "p2", "--out", out, "--report", "--quiet")
    assert second.returncode == 0, second.stderr
    assert f"{out} holds another video's results as interview: writing these as p2/interview" in (
        second.stdout
    )
    assert (out / "interview.csv").read_bytes() == before
    index = index_of(out)
    assert sorted(index) == ["interview", "p2/interview"]
    assert index["interview"]["path"].endswith("p1/interview.avi")
    assert index["p2/interview"]["path"].endswith("p2/interview.avi")
    assert len(read_timeline(out / "p2" / "interview.csv")["frames"]) == 30
    assert "p2/interview.avi" in (out / "p2" / "interview_report.html").read_text()
    for folder in ("p1", "p2"):
        again = run_cli("analyze", tmp_path / folder, "--out", out, "--quiet")
        assert again.returncode == 0 and "already analysed" in again.stdout, again.stdout
