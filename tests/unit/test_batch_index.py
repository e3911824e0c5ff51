"""The batch's naming and its index rules, without a subprocess or a model: which output name
a video gets, what a second run skips, refuses, redoes and removes. The videos are real clips
of the built-in demo face; the timelines are written by the timeline writer itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fer_desktop.batch.index import Index
from fer_desktop.batch.inputs import expand_inputs, output_names
from fer_desktop.batch.job import Job, model_sha256, open_job_timeline, unfinished
from fer_desktop.detector_models import sha256_of
from fer_desktop.outputs import SessionInfo
from fer_desktop.report import report_paths
from fer_desktop.settings import Settings
from fer_desktop.sources import DemoSource
from tests.conftest import write_video


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, Path]:
    """Two different real videos: a few frames of the demo face, and a few more."""
    folder = tmp_path_factory.mktemp("clips")
    one, two = (
        write_video(folder / f"{s}s.avi", (f.bgr for f in DemoSource(duration=s, realtime=False)))
        for s in (0.2, 0.4)
    )
    return one, two


def place_video(clip: Path, where: Path) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(clip, where))


def job_of(video: Path, out: Path, name: str = "interview", **settings) -> Job:
    return Job(video, name, out, "csv", 1, False, Settings.of(**settings))


def analysed(index: Index, job: Job, **row) -> Job:
    """Leave in the index's folder what a finished analysis of `job` leaves: its timeline
    (its header as a session writes it) and its index row; `row` changes the row."""
    timeline = open_job_timeline(job, fps=15.0, duration=1.0)
    timeline.start(SessionInfo(str(job.path), ["happy", "neutral", "sad"], job.config.as_dict()))
    timeline.close({})
    index.put(
        {
            **unfinished(job, "ok", ""),
            "sha256": sha256_of(job.path),
            "model_sha256": model_sha256(str(job.config.model)),
            "timeline": str(job.timeline_path),
            **row,
        }
    )
    return job


# --- names ----------------------------------------------------------------------------------
def test_two_videos_of_one_name_in_two_folders_keep_their_folders_in_their_names(tmp_path, clips):
    one = place_video(clips[0], tmp_path / "study" / "day1" / "interview.avi")
    two = place_video(clips[1], tmp_path / "study" / "day2" / "interview.avi")
    videos, problems, left_out = expand_inputs([one.parent, two.parent])
    assert videos == [one, two] and problems == [] and left_out == []
    assert output_names(videos) == {one: "day1/interview", two: "day2/interview"}
    assert output_names([two]) == {two: "interview"}  # alone: its name only


def test_two_videos_of_one_stem_in_one_folder_keep_their_suffixes_in_their_names(tmp_path, clips):
    avi = place_video(clips[0], tmp_path / "a.avi")
    mkv = place_video(clips[1], tmp_path / "a.mkv")
    assert output_names([avi, mkv]) == {avi: "a", mkv: "a.mkv"}


# --- place: a name another video's results already hold ------------------------------------
def test_a_name_that_is_free_or_holds_this_videos_results_is_kept(tmp_path, clips):
    video = place_video(clips[0], tmp_path / "p1" / "interview.avi")
    index = Index(tmp_path / "out")
    assert index.place(video, "interview", "csv") == "interview"
    analysed(index, job_of(video, index.out_dir))
    assert index.place(video, "interview", "csv") == "interview"


def test_a_name_another_videos_results_hold_gets_the_folders_in_front(tmp_path, clips):
    first = place_video(clips[0], tmp_path / "p1" / "interview.avi")
    second = place_video(clips[1], tmp_path / "x" / "p2" / "interview.avi")
    third = place_video(clips[1], tmp_path / "y" / "p2" / "interview.avi")
    index = Index(tmp_path / "out")
    analysed(index, job_of(first, index.out_dir))
    assert index.place(second, "interview", "csv") == "p2/interview"
    analysed(index, job_of(second, index.out_dir, "p2/interview"))
    assert index.place(third, "interview", "csv") == "y/p2/interview"


def test_a_moved_video_keeps_its_name_and_other_content_at_a_gone_path_does_not(tmp_path, clips):
    old = place_video(clips[0], tmp_path / "p1" / "interview.avi")
    index = Index(tmp_path / "out")
    analysed(index, job_of(old, index.out_dir))
    moved = tmp_path / "p2" / "interview.avi"
    moved.parent.mkdir()
    shutil.move(old, moved)
    assert index.place(moved, "interview", "csv") == "interview"  # same bytes: same video
    other = place_video(clips[1], tmp_path / "p3" / "interview.avi")
    assert index.place(other, "interview", "csv") == "p3/interview"


def test_a_timeline_without_an_index_row_names_the_video_it_was_made_from(tmp_path, clips):
    first = place_video(clips[0], tmp_path / "p1" / "interview.avi")
    second = place_video(clips[1], tmp_path / "p2" / "interview.avi")
    index = Index(tmp_path / "out")
    analysed(index, job_of(first, index.out_dir))
    index.rows.clear()  # the index is gone; the timeline's header still names p1
    assert index.place(first, "interview", "csv") == "interview"
    assert index.place(second, "interview", "csv") == "p2/interview"
    assert index.place(second, "interview", "jsonl") == "interview"  # no such timeline


# --- conflict: results made with other settings --------------------------------------------
def test_no_conflict_without_results_or_with_the_same_settings(tmp_path, clips):
    index = Index(tmp_path / "out")
    job = job_of(clips[0], index.out_dir, calibrate_s=2.0)
    assert index.conflict(job) is None
    analysed(index, job)
    assert index.conflict(job_of(clips[0], index.out_dir, calibrate_s=2.0)) is None


def test_results_made_with_other_settings_are_a_conflict_that_names_the_change(tmp_path, clips):
    index = Index(tmp_path / "out")
    analysed(index, job_of(clips[0], index.out_dir))
    again = job_of(clips[0], index.out_dir, calibrate_s=2.0)
    assert index.conflict(again) == "interview: calibrate_s 0.0 -> 2.0"
    index.rows.clear()  # the same from the timeline alone, when the index is gone
    assert index.conflict(again) == "interview: calibrate_s 0.0 -> 2.0"


def test_results_of_another_model_file_are_a_conflict(tmp_path, clips):
    index = Index(tmp_path / "out")
    other_model = "0123456789ab" + "f" * 52
    analysed(index, job_of(clips[0], index.out_dir), model_sha256=other_model)
    conflict = index.conflict(job_of(clips[0], index.out_dir))
    assert conflict == "interview: another model file (sha256 0123456789ab…)"


def test_results_removed_by_hand_are_no_conflict_and_an_unreadable_one_is_other_settings(
    tmp_path, clips
):
    index = Index(tmp_path / "out")
    job = analysed(index, job_of(clips[0], index.out_dir))
    again = job_of(clips[0], index.out_dir, calibrate_s=2.0)
    job.timeline_path.unlink()
    assert index.conflict(again) is None  # nothing on disk to replace
    index.rows.clear()
    job.timeline_path.write_text("not a timeline\n")
    assert index.conflict(again) == "interview: other settings"


# --- finished: what a second run skips -----------------------------------------------------
def test_a_finished_video_is_skipped_only_while_nothing_about_it_changed(tmp_path, clips):
    video = place_video(clips[0], tmp_path / "interview.avi")
    index = Index(tmp_path / "out")
    job = analysed(index, job_of(video, index.out_dir))
    assert index.finished(job)
    assert not index.finished(job_of(video, index.out_dir, calibrate_s=2.0))
    index.rows["interview"]["status"] = "truncated"  # reading it again reads no more
    assert index.finished(job)
    for status in ("failed", "partial"):
        index.rows["interview"]["status"] = status
        assert not index.finished(job)
    index.rows["interview"]["status"] = "ok"
    shutil.copy(clips[1], video)  # other content under the same path
    assert not index.finished(job)
    shutil.copy(clips[0], video)
    job.timeline_path.unlink()
    assert not index.finished(job)


# --- clear and the file itself -------------------------------------------------------------
def test_clear_removes_the_old_results_inside_out_only_and_marks_the_row_partial(tmp_path, clips):
    index = Index(tmp_path / "out")
    elsewhere = tmp_path / "elsewhere_report.html"
    elsewhere.write_text("a report a user keeps outside --out")
    job = analysed(index, job_of(clips[0], index.out_dir), report=str(elsewhere))
    chart, html = report_paths(job.timeline_path)
    chart.write_text("<svg/>")
    html.write_text("<html></html>")
    index.clear(job)
    assert not job.timeline_path.exists() and not chart.exists() and not html.exists()
    assert elsewhere.exists()
    row = index.rows["interview"]
    assert (row["status"], row["error"], row["timeline"]) == ("partial", "not analysed yet", "")
    assert Index(index.out_dir).rows["interview"]["status"] == "ok"  # the run writes it later


def test_the_index_reads_back_the_rows_it_wrote(tmp_path, clips):
    index = Index(tmp_path / "out")
    analysed(index, job_of(clips[0], index.out_dir, "day1/interview"))
    index.put(unfinished(job_of(clips[1], index.out_dir, "day2/interview"), "failed", "broken"))
    again = Index(index.out_dir)
    assert again.rows == index.rows and again.upgraded == set()
    assert again.rows["day2/interview"]["error"] == "broken"
