"""The sidecar beside a timeline (markers, names, merges) and the recording time axis, without
Qt: old markers-only files, chains of merges, atomic writes, and gaps that stay gaps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fer_desktop import sidecar
from fer_desktop.recording import Recording
from fer_desktop.results import iso_time
from fer_desktop.sidecar import Sidecar, SidecarError, SidecarMarker
from fer_desktop.timeaxis import time_axis


def test_a_markers_only_file_reads_as_before(tmp_path):
    timeline = tmp_path / "session.csv"
    old = {"markers": [{"t_source": 1.5, "note": "boss #2"}, {"t_source": 3.0, "note": ""}]}
    sidecar.path_for(timeline).write_text(json.dumps(old, indent=1), encoding="utf-8")
    side = sidecar.load(timeline)
    assert side.markers == [SidecarMarker(1.5, "boss #2"), SidecarMarker(3.0, "")]
    assert side.names == {} and side.merges == {} and side.person(4) == (4, "face 4")
    assert sidecar.load(tmp_path / "other.csv") == Sidecar()  # no file: nothing, markers None


def test_names_merges_and_markers_round_trip_and_old_readers_still_read_it(tmp_path):
    timeline = tmp_path / "session.jsonl"
    side = Sidecar(markers=[SidecarMarker(2.25, "lap 2", frame=56)])
    side.set_name(7, "Player B")
    side.merge(7, into=3)  # 7's name goes with it to 3, which had none
    side.merge(3, into=1)
    side.set_name(1, "  Player A ")
    assert side.person(7) == (1, "Player A") and side.person(3) == (1, "Player A")
    assert side.names == {1: "Player A"} and side.ids_of(1, [1, 2, 3, 7]) == [1, 3, 7]
    side.merge(1, into=7)  # already one person: no cycle
    assert side.canonical(7) == 1
    path = sidecar.save(timeline, side)
    assert [p.name for p in tmp_path.iterdir()] == ["session.jsonl.markers.json"]  # no temp left
    again = sidecar.load(timeline)
    assert again == side
    data = json.loads(path.read_text())
    assert data["names"] == {"1": "Player A"} and data["merges"] == {"3": 1, "7": 3}
    # a recording read back holds the markers of the new file
    placed = Recording(timeline, sidecar=sidecar.load(timeline)).placed_markers()
    assert [(m.t, m.note) for m in placed] == [(2.25, "lap 2")]
    side.set_name(1, "")
    side.unmerge(3)
    assert side.person(7) == (3, "face 3") and side.person(1) == (1, "face 1")


def test_a_cycle_written_by_hand_ends(tmp_path):
    timeline = tmp_path / "t.csv"
    sidecar.path_for(timeline).write_text('{"merges": {"2": 5, "5": 2}, "names": {"5": "X"}}')
    side = sidecar.load(timeline)
    assert side.markers is None and side.canonical(2) in (2, 5)


def test_a_sidecar_that_cannot_be_written_or_read_is_one_line_and_the_old_one_stays(tmp_path):
    timeline = tmp_path / "t.csv"
    sidecar.path_for(timeline).mkdir()  # something that is no file is in the way
    with pytest.raises(SidecarError, match="cannot save") as info:
        sidecar.save(timeline, Sidecar(names={1: "A"}))
    assert "\n" not in str(info.value) and len(list(tmp_path.iterdir())) == 1
    sidecar.path_for(timeline).rmdir()
    sidecar.save(timeline, Sidecar(names={1: "A"}))
    sidecar.path_for(timeline).write_text('{"names": {"one": "A"}}')
    with pytest.raises(SidecarError, match="not a sidecar file"):
        sidecar.load(timeline)


def test_camera_gaps_keep_their_length_and_break_the_line():
    """A camera's capture clock runs on through an outage: that is a gap, not a seek."""
    wall0 = 1_790_000_000.0
    times = [0.0, 0.033, 0.067, 0.1, 4.1, 4.133, 4.167]  # lost for four seconds
    rows = [{"frame": k, "t_source": t, "t_wall": iso_time(wall0 + t)} for k, t in enumerate(times)]
    axis = time_axis(rows, [])
    np.testing.assert_allclose(axis.t, times)
    assert axis.seek_starts == [] and list(np.flatnonzero(axis.breaks)) == [4]
    assert axis.broken(3, 4) and not axis.broken(4, 6)


def test_events_are_placed_in_their_stretch_after_a_seek():
    """Seek back from 0.12 s to 0.04 s: a marker with a frame number, one with a wall time
    and an old one with only t_source all land where they belong."""
    wall0 = 1_790_000_000.0
    src = [0.0, 0.04, 0.08, 0.12, 0.16, 0.04, 0.08, 0.12, 0.16, 0.2]
    rows = [
        {"frame": k, "t_source": t, "t_wall": iso_time(wall0 + 0.04 * k)} for k, t in enumerate(src)
    ]
    seek = {"to_t_source": 0.04, "t_wall": iso_time(wall0 + 0.04 * 4.5)}
    axis = time_axis(rows, [seek])
    assert axis.seek_starts == [5] and np.all(np.diff(axis.t) > 0)
    np.testing.assert_allclose(axis.t, [0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32, 0.36])
    assert axis.time_of(0.08, frame=6) == pytest.approx(0.24)  # by frame: the second stretch
    assert axis.time_of(0.12, t_wall=iso_time(wall0 + 0.04 * 7.5)) == pytest.approx(0.28)
    assert axis.time_of(0.10) == pytest.approx(0.10)  # t_source only: the first stretch
    assert axis.time_of(0.21) == pytest.approx(0.37)  # only the second stretch reaches it
    np.testing.assert_allclose(axis.times_of_frames([6, 0, 42]), [0.24, 0.0, np.nan])
