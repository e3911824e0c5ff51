"""The figures a report and the batch index give, on timelines built reading by reading:
each reading counts for the time until the face's next one (capped at twice its usual step),
so shares and mean valence are of the time a face was in view, not of its readings."""

from __future__ import annotations

import pytest

from fer_desktop.recording import read_recording
from fer_desktop.stats import MIN_READINGS, FaceSummary
from tests.unit.timelines import LABELS, face, readings, write_timeline


def faces(path) -> list[FaceSummary]:
    """Per-face figures of the timeline at `path`."""
    return read_recording(path, edits=False).summary.faces


def whole(path) -> dict:
    """The whole recording's figures, as the batch index writes them."""
    return read_recording(path, edits=False).summary.figures()


def test_a_face_away_counts_only_twice_its_usual_step(tmp_path):
    steps = (
        readings(1, "happy", 0.0, 1.0, 0.1)  # 10 readings, 0.1 s each
        + readings(1, "sad", 1.0, 1.2, 0.1)  # 1.1 s, then away until 5.0: 0.1 + 0.2 s
        + readings(1, "neutral", 5.0, 5.5, 0.1)  # 5 readings, the last its usual 0.1 s
    )
    (only,) = faces(write_timeline(tmp_path / "away.csv", steps))
    assert only.frames == 17 and only.first_t == 0.0 and only.last_t == pytest.approx(5.4)
    assert only.seconds == pytest.approx(1.0 + 0.3 + 0.5)
    want = {"happy": 1.0 / 1.8, "sad": 0.3 / 1.8, "neutral": 0.5 / 1.8}
    assert only.label_share == pytest.approx(want)
    sad, happy = face(1, "sad").valence, face(1, "happy").valence
    assert only.mean_valence == pytest.approx((1.0 * happy + 0.3 * sad) / 1.8)
    assert only.happiest[1] == pytest.approx(happy) and only.saddest[0] == pytest.approx(1.0)


def test_the_video_s_shares_weigh_each_face_by_its_time_in_view(tmp_path):
    both = [
        (t, [face(1, "happy")] + ([face(2, "sad")] if t >= 2.0 else []))
        for t, _ in readings(1, "happy", 0.0, 3.0, 0.1)
    ]  # face 1 in view 3 s, face 2 the last 1 s: 30 and 10 readings
    path = write_timeline(tmp_path / "two.jsonl", both)
    first, second = faces(path)
    assert (first.seconds, second.seconds) == (pytest.approx(3.0), pytest.approx(1.0))
    video = whole(path)
    assert video["faces"] == 2 and video["face_seconds"] == pytest.approx(4.0)
    assert video["share"] == pytest.approx({"happy": 0.75, "neutral": 0.0, "sad": 0.25})
    want = (3 * face(1, "happy").valence + face(2, "sad").valence) / 4
    assert video["mean_valence"] == pytest.approx(want, abs=1e-4) and video["note"] == ""


def test_a_single_reading_counts_for_the_analysed_step(tmp_path):
    """With every 4th frame of a 20 fps video analysed, a reading stands for 0.2 s."""
    steps = [(1.0, [face(1, "happy")])]
    path = write_timeline(tmp_path / "once.csv", steps, meta={"source_fps": 20.0, "every": 4})
    (once,) = faces(path)
    assert once.seconds == pytest.approx(0.2) and once.label_share["happy"] == 1.0


def test_too_little_data_gives_no_shares_and_says_how_little(tmp_path):
    few = readings(1, "neutral", 0.0, 0.1 * (MIN_READINGS - 1), 0.1)
    video = whole(write_timeline(tmp_path / "few.csv", few))
    assert video["faces"] == 1 and video["share"] == {} and video["mean_valence"] == ""
    n = MIN_READINGS - 1
    assert video["note"] == f"too little face data for shares ({n} readings, {0.1 * n:.1f} s)"
    empty = [(0.1 * k, []) for k in range(20)]
    video = whole(write_timeline(tmp_path / "empty.csv", empty))
    assert video["faces"] == 0 and video["note"] == "no faces found"


def test_labels_never_read_have_a_share_of_zero(tmp_path):
    steps = readings(3, "happy", 0.0, 2.0, 0.1)
    (only,) = faces(write_timeline(tmp_path / "happy.csv", steps))
    assert list(only.label_share) == LABELS and only.label_share["happy"] == pytest.approx(1.0)
    assert only.label_share["sad"] == 0.0 and only.enough_data
