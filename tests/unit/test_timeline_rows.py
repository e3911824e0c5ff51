"""Timelines read back as they were written: the CSV and the JSONL of the same session give
the same rows, notes are data whatever they hold, and a file cut by a crash reads up to its
last whole row."""

from __future__ import annotations

import pytest

from fer_desktop.results import event_record
from fer_desktop.timeline import read_timeline
from tests.unit.timelines import LABELS, face, readings, write_timeline

NOTES = [
    "boss fight, round 2",
    'she said "no"',
    "line one\nline two",
    "{face} %s %(x)d <b>bold</b>",
    "émoji ☺ ; tab\there",
]


def session() -> list:
    """Face 1 for a second, the markers, a camera gap, then faces 1 and 2 together."""
    markers = [event_record("marker", 0.95, note=n, source="keyboard") for n in NOTES]
    together = [(t, [face(1, "happy"), face(2, "sad")]) for t in (2.0, 2.1, 2.2)]
    return [
        *readings(1, "neutral", 0.0, 1.0, 0.1),
        *markers,
        event_record("gap", 1.0, note="camera lost"),
        *together,
    ]


def test_csv_and_jsonl_read_back_the_same_rows(tmp_path):
    steps = session()
    csv = read_timeline(write_timeline(tmp_path / "s.csv", steps))
    jsonl = read_timeline(write_timeline(tmp_path / "s.jsonl", steps))
    for key in ("frames", "faces", "markers", "gaps"):
        assert csv[key] == jsonl[key], key
    assert csv["header"]["labels"] == jsonl["header"]["labels"] == LABELS
    assert len(csv["frames"]) == 13 and len(csv["faces"]) == 16
    assert [(f["frame"], f["face_id"], f["label"]) for f in csv["faces"][-2:]] == [
        (12, 1, "happy"),
        (12, 2, "sad"),
    ]
    assert csv["summary"]["frames"] == 13 and csv["summary"]["face_rows"] == 16


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_notes_are_data_whatever_they_hold(tmp_path, suffix):
    timeline = read_timeline(write_timeline(tmp_path / f"s{suffix}", session()))
    assert [m["note"] for m in timeline["markers"]] == NOTES
    assert {m["source"] for m in timeline["markers"]} == {"keyboard"}
    assert [g["note"] for g in timeline["gaps"]] == ["camera lost"]
    assert timeline["summary"]["markers"] == len(NOTES)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_file_cut_mid_row_reads_up_to_its_last_whole_row(tmp_path, suffix):
    path = write_timeline(tmp_path / f"s{suffix}", session())
    whole = read_timeline(path)
    text = path.read_text(encoding="utf-8")
    last_row_end = text.rindex("\n", 0, len(text) - 1)  # the summary line follows it
    path.write_text(text[: last_row_end - 5], encoding="utf-8")  # face 2's last row, cut
    cut = read_timeline(path)
    assert cut["summary"] is None
    assert cut["faces"] == whole["faces"][:-1] and cut["markers"] == whole["markers"]
