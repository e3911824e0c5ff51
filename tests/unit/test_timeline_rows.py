"""Timelines read back as they were written: the CSV and the JSONL of the same session give
the same rows, notes are data whatever they hold, and a file cut by a crash reads up to its
last whole row."""

from __future__ import annotations

import pytest

from fer_desktop.recording import read_recording, recording_of
from fer_desktop.results import event_record
from fer_desktop.timeline import MemoryTimeline, open_timeline, read_timeline
from tests.unit.timelines import LABELS, face, readings, write_timeline, written

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
    setting = event_record("setting", 1.5, smoothing=0.8, faces=[1, 2], labels=("a", "b"))
    together = [(t, [face(1, "happy"), face(2, "sad")]) for t in (2.0, 2.1, 2.2)]
    return [
        *readings(1, "neutral", 0.0, 1.0, 0.1),
        *markers,
        event_record("gap", 1.0, note="camera lost"),
        setting,
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


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_writer_keeps_its_rows_as_its_file_reads_back(tmp_path, suffix):
    """What a writer kept (keep=True) is what reading its file gives: the CSV's rounding,
    its notes, the fields a CSV gap row drops, a tuple become a list."""
    path = tmp_path / f"s{suffix}"
    steps = [*session(), event_record("gap", 2.3, note="camera lost", reason="no frames")]
    writer = written(open_timeline(path, suffix[1:], {"every": 2}, keep=True), steps)
    assert writer.kept == read_timeline(path)
    assert recording_of(writer) == read_recording(path, edits=False)
    assert [m["note"] for m in writer.kept["markers"]] == NOTES
    assert writer.kept["settings"][0]["labels"] == ["a", "b"]


def test_a_memory_timeline_keeps_the_rows_of_a_jsonl_file_and_writes_none(tmp_path):
    file = written(open_timeline(tmp_path / "s.jsonl", "jsonl", keep=True), session())
    memory = written(MemoryTimeline(), session())
    assert memory.file is None and recording_of(memory).path is None
    assert list(tmp_path.iterdir()) == [file.path]
    for key in ("frames", "faces", "markers", "gaps", "settings"):
        assert _without_wall(memory.kept[key]) == _without_wall(file.kept[key]), key


def test_a_writer_opened_without_keep_keeps_nothing(tmp_path):
    writer = written(open_timeline(tmp_path / "s.csv", "csv"), session())
    assert writer.kept is None
    with pytest.raises(ValueError, match="keeps no rows"):
        recording_of(writer)


def _without_wall(rows: list[dict]) -> list[dict]:
    """Rows without the moment they were written (two writers write them apart)."""
    return [{k: v for k, v in row.items() if k != "t_wall"} for row in rows]
