"""Annotations in video time: the files a researcher brings (a CSV in seconds, BORIS's and
ELAN's exports), written here as those tools lay them out, read by `read_annotations`."""

from __future__ import annotations

import json

import pytest

from fer_desktop.annotations import parse_clock, read_annotations


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60", 60.0), ("2.25", 2.25), ("00:01:02.500", 62.5), ("1:02.5", 62.5), ("1:00:00", 3600)],
)
def test_clock_times_in_seconds_or_hh_mm_ss(text, seconds):
    assert parse_clock(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["-1", "soon", "00:61:00", "nan", ""])
def test_times_that_are_not_in_a_video_are_refused_by_name(text):
    with pytest.raises(ValueError, match="time"):
        parse_clock(text)


def test_a_time_column_in_seconds_is_video_time_with_bad_rows_named():
    found = read_annotations(
        lines(
            "time,note,end", "60,intro,", "00:01:05.250,answer,00:01:09", "later,oops,", "70,x,69"
        )
    )
    assert found is not None and "video time" in found.kind
    assert [(e.line, e.start, e.end, e.note, e.clock) for e in found.events] == [
        (2, 60.0, None, "intro", "video"),
        (3, 65.25, 69.0, "answer", "video"),
    ]
    assert found.bad[0].startswith("line 4: 'later' is not a time")
    assert found.bad[1].startswith("line 5: ends (69 s) before it starts (70 s)")


def test_a_t_source_column_is_the_timelines_source_time_in_csv_and_json_lines():
    csv_found = read_annotations(lines("t_source,note", "2.5,smile"))
    json_found = read_annotations(lines(json.dumps({"t_source": 2.5, "event": {"k": 1}})))
    assert [(e.start, e.note, e.clock) for e in csv_found.events] == [(2.5, "smile", "source")]
    assert [(e.start, e.note) for e in json_found.events] == [(2.5, '{"k": 1}')]


def test_wall_clock_logs_are_left_to_the_game_log_reader():
    assert read_annotations(lines("time,note", "2026-12-01T22:15:03Z,boss")) is None
    assert read_annotations(lines("time,note", "1764627303.5,boss")) is None
    assert read_annotations(lines(json.dumps({"time": 1764627303500, "event": "x"}))) is None
    assert read_annotations(lines("t_wall,note", "60,boss")) is None


def test_boris_tabular_export_pairs_start_and_stop_per_subject_and_behavior():
    header = (
        "Observation id,Observation date,Description,Observation type,Source,"
        "Media duration (s),FPS,Subject,Behavior,Behavioral category,Behavior type,Time,"
        "Media file name,Image index,Image file path,Comment"
    )
    row = "obs1,2026-12-01 10:00:00,,Media file(s),player:::/v/p01.mp4,120.0,25.0,{},{},,{},{},/v/p01.mp4,,,"  # noqa: E501
    found = read_annotations(
        lines(
            header,
            row.format("Alice", "talk", "START", "10.000"),
            row.format("No focal subject", "boss appears", "POINT", "12.500"),
            row.format("Bob", "talk", "START", "13.000"),
            row.format("Alice", "talk", "STOP", "15.000"),
            row.format("Bob", "laugh", "STOP", "16.000"),
            row.format("Bob", "talk", "PAUSE", "17.000"),
        )
    )
    assert found.kind == "BORIS's tabular export"
    assert [(e.line, e.start, e.end, e.note) for e in found.events] == [
        (2, 10.0, 15.0, "Alice: talk"),
        (3, 12.5, None, "boss appears"),
    ]
    assert found.bad == [
        "line 6: STOP of 'Bob: laugh' with no START before it",
        "line 7: behavior type 'PAUSE' is not POINT, START or STOP",
        "line 4: START of 'Bob: talk' with no STOP after it",
    ]


def test_older_boris_exports_put_the_observation_rows_first_and_say_status():
    found = read_annotations(
        lines(
            "Observation id\tobs2",
            "Observation date\t2019-03-01",
            "",
            "Time\tMedia file path\tTotal length\tFPS\tSubject\tBehavior\tComment\tStatus",
            "4.200\t/v/p02.mp4\t60\t25\t\tsmile\t\tPOINT",
        )
    )
    assert [(e.line, e.start, e.note) for e in found.events] == [(5, 4.2, "smile")]


def test_boris_aggregated_export_gives_start_and_stop_in_one_row():
    found = read_annotations(
        lines(
            "Observation id,Subject,Behavior,Behavior type,Start (s),Stop (s),Duration (s)",
            "obs1,,look away,STATE,3.0,7.5,4.5",
            "obs1,,boss appears,POINT,9.0,9.0,",
        )
    )
    assert [(e.start, e.end, e.note) for e in found.events] == [
        (3.0, 7.5, "look away"),
        (9.0, None, "boss appears"),
    ]


def test_elan_export_without_column_names_in_two_time_formats():
    found = read_annotations(
        lines(
            "speech\t\t00:00:01.500\t1.500\t00:00:04.000\t4.000\t00:00:02.500\t2.500\thello there",
            "gesture\t\t00:00:05.000\t5.000\t00:00:05.000\t5.000\t00:00:00.000\t0.000\tnod",
            "speech\t\tno times here\tat all",
        )
    )
    assert found.kind == "ELAN's tab-delimited export"
    assert [(e.start, e.end, e.note) for e in found.events] == [
        (1.5, 4.0, "speech: hello there"),
        (5.0, None, "gesture: nod"),
    ]
    assert found.bad == ["line 3: no time (hh:mm:ss.ms or ss.msec)"]


def test_elan_export_with_column_names_reads_milliseconds_by_name():
    found = read_annotations(
        lines(
            "Tier\tBegin Time - msec\tEnd Time - msec\tDuration - msec\tSpeech",
            "speech\t1500\t4000\t2500\thello",
            "speech\t4500\t4000\t-500\tbackwards",
        )
    )
    assert [(e.start, e.end, e.note) for e in found.events] == [(1.5, 4.0, "speech: hello")]
    assert found.bad == ["line 3: ends (4 s) before it starts (4.5 s)"]
