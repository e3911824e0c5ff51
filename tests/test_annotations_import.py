"""`report --import-events` with annotations made in the video's own time, on a real
recording (`live --record` of the demo face clip): the markers land on the frames the times
name, a state event gives its start and its end, and a file of which no row imports is an
error, with its rows named."""

from __future__ import annotations

from pathlib import Path

import pytest

from fer_desktop.cli import main
from fer_desktop.recording import read_recording
from fer_desktop.timeline import read_timeline
from tests.conftest import copy_recording


@pytest.fixture
def timeline(tmp_path, recorded_demo) -> Path:
    return copy_recording(recorded_demo, tmp_path)


def frame_at(timeline: Path, t_source: float) -> int:
    """The last analysed frame at or before `t_source`, from the timeline's own rows."""
    rows = read_timeline(timeline)["frames"]
    return max((r for r in rows if r["t_source"] <= t_source), key=lambda r: r["t_source"])["frame"]


def report(timeline: Path, log: Path) -> int:
    return main(["report", str(timeline), "--import-events", str(log), "--no-thumbnails"])


def test_a_t_source_column_places_markers_on_their_frames(timeline, tmp_path, capsys):
    """Before: "no time column", exit 2."""
    log = tmp_path / "coded.csv"
    log.write_text("t_source,note\n1.0,looks up\n2.0,<b>smiles</b>\n", encoding="utf-8")
    assert report(timeline, log) == 0
    assert "coded.csv: imported 2 markers" in capsys.readouterr().err
    markers = read_recording(timeline).placed_markers()
    assert [(m.note, m.frame) for m in markers] == [
        ("looks up", frame_at(timeline, 1.0)),
        ("<b>smiles</b>", frame_at(timeline, 2.0)),
    ]
    page = timeline.with_name(f"{timeline.stem}_report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;smiles&lt;/b&gt;" in page and "<b>smiles</b>" not in page


def test_seconds_outside_the_recording_are_named_and_nothing_imported_is_an_error(
    timeline, tmp_path, capsys
):
    """Before: "'60' is not seconds since 1970", 0 markers imported, exit 0."""
    log = tmp_path / "late.csv"
    log.write_text("time,note\n60,too late\n", encoding="utf-8")
    assert report(timeline, log) != 0
    err = capsys.readouterr().err
    assert "late.csv: left out line 2: video time 60 s is outside the recording" in err
    assert "no row could be imported" in err
    assert read_recording(timeline).placed_markers() == []


def test_boris_state_events_give_a_start_and_an_end(timeline, tmp_path, capsys):
    log = tmp_path / "boris.tsv"
    log.write_text(
        "Subject\tBehavior\tBehavior type\tTime\n"
        "P01\tlook away\tSTART\t0.500\n"
        "P01\tlook away\tSTOP\t1.500\n"
        "\tnod\tPOINT\t00:00:02.000\n",
        encoding="utf-8",
    )
    assert report(timeline, log) == 0
    assert "(read as BORIS's tabular export)" in capsys.readouterr().err
    markers = read_recording(timeline).placed_markers()
    assert [(m.note, m.frame) for m in markers] == [
        ("P01: look away", frame_at(timeline, 0.5)),
        ("P01: look away (end)", frame_at(timeline, 1.5)),
        ("nod", frame_at(timeline, 2.0)),
    ]
    assert report(timeline, log) == 0  # again: nothing twice, and no error
    assert "imported 0 markers (3 already there)" in capsys.readouterr().err


def test_elan_export_is_read_into_markers(timeline, tmp_path):
    log = tmp_path / "elan.txt"
    log.write_text(
        "speech\t\t00:00:00.800\t0.800\t00:00:02.400\t2.400\t00:00:01.600\t1.600\thi\n",
        encoding="utf-8",
    )
    assert report(timeline, log) == 0
    markers = read_recording(timeline).placed_markers()
    assert [(m.note, m.frame) for m in markers] == [
        ("speech: hi", frame_at(timeline, 0.8)),
        ("speech: hi (end)", frame_at(timeline, 2.4)),
    ]
