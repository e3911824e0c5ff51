"""Review of recordings made by a real Session: one with a seek back in the middle (the
recording time only goes up, one label per face per frame, no curve across the seek, markers,
segments, clips and CSV in the right place), and one with three ids to name and merge."""

from __future__ import annotations

import csv
import itertools
import random
import subprocess
import sys

import av
import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QPushButton

from fer_desktop import sidecar
from fer_desktop.recording_files import recording_outputs as recording_outputs_of
from fer_desktop.review import ReviewError, VideoReader, open_recording
from fer_desktop.session import AddMarker, FrameAnalysed, Seek, Session, SessionOptions
from fer_desktop.settings import Settings
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, write_video

SEEK_AT, MARK_BEFORE, MARK_AFTER = 40, 20, 50  # frames analysed when each command is sent


def record(source, folder, fmt="csv", commands=None, frames=None):
    """A recording (timeline + video) of a real Session; `commands[n]` sent after frame n."""
    outputs = recording_outputs_of(folder, fmt)
    count = [0]

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed):
            count[0] += 1
            for command in (commands or {}).get(count[0], []):
                session.send(command)

    opts = SessionOptions(realtime=False, max_frames=frames)
    session = Session.from_settings(str(source), Settings(), opts, outputs, on_event=on_event)
    session.run()
    return outputs[0].path


@pytest.fixture(scope="module")
def seek_recording(tmp_path_factory, face_video):
    """Play a video, mark, seek back to 10% of it, mark again, play on (as in the window)."""
    folder = tmp_path_factory.mktemp("seek")
    commands = {
        MARK_BEFORE: [AddMarker("before seek")],
        SEEK_AT: [Seek(0.1)],
        MARK_AFTER: [AddMarker("after seek")],
    }
    return record(face_video, folder, commands=commands, frames=80)


def test_a_recording_with_a_seek_runs_on_one_rising_time(seek_recording):
    timeline = read_timeline(seek_recording)
    assert len(timeline["seeks"]) == 1
    rec = open_recording(seek_recording)
    t, src = rec.times, np.array([f.t_source for f in rec.frames])
    assert len(rec.frames) == 80 and np.all(np.diff(t) > 0)
    # one stretch after the seek, starting at the seek's target, one step after the last frame
    [k] = rec.axis.seek_starts
    assert src[k] == pytest.approx(timeline["seeks"][0]["to_t_source"], abs=1e-3)
    assert src[k] < src[k - 1] and t[k] - t[k - 1] == pytest.approx(rec.axis.step)
    assert k in (SEEK_AT, SEEK_AT + 1)  # the frame read before the seek is analysed first
    np.testing.assert_allclose(t[:k], src[:k])  # before the seek: t_source itself
    np.testing.assert_allclose(t[k:] - t[k], src[k:] - src[k], atol=1e-6)
    assert rec.seeks() == [(pytest.approx(t[k]), src[k])]
    # one label per face per frame: each frame holds exactly its own rows
    by_frame: dict[int, list] = {}
    for row in timeline["faces"]:
        by_frame.setdefault(row["frame"], []).append(row)
    for f in rec.frames:
        rows = by_frame.get(f.index, [])
        assert [face.id for face in f.faces] == [r["face_id"] for r in rows]
        assert len({face.id for face in f.faces}) == len(f.faces)
        assert [face.label for face in f.faces] == [r["label"] for r in rows]
    # the frame shown at a recording time is the one recorded then
    for i in (k - 1, k, k + 5):
        assert rec.frame_at(t[i]) == i and rec.frame_at(t[i] + rec.axis.step / 2) == i


def test_markers_segments_and_exports_follow_the_seek(seek_recording, tmp_path):
    rec = open_recording(seek_recording)
    t = rec.times
    [k] = rec.axis.seek_starts
    before, after = rec.markers
    assert (before.note, before.frame) == ("before seek", MARK_BEFORE - 1)
    assert (after.note, after.frame) == ("after seek", MARK_AFTER - 1)
    assert before.t == pytest.approx(t[MARK_BEFORE - 1]) and after.t == pytest.approx(
        t[MARK_AFTER - 1]
    )
    assert after.t > t[k] > before.t  # the marker after the seek is after it on the chart
    # the stretch from one marker to the other holds the frames in between, across the seek
    names = [name for name, _a, _b in rec.segments()]
    assert names == ["whole session", "from start", "from before seek", "from after seek"]
    _n, a, b = rec.segments()[2]
    chosen = rec.indices(a, b)
    assert chosen == list(range(MARK_BEFORE - 1, MARK_AFTER))
    # CSV: one row per face per frame, in recording time, with the timeline's own times
    out = rec.export_csv(a, b, tmp_path / "seg.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == sum(len(rec.frames[i].faces) for i in chosen)
    times = [float(r["t"]) for r in rows]
    assert times == sorted(times)
    sources = [float(r["t_source"]) for r in rows]
    assert any(y < x for x, y in itertools.pairwise(sources))  # the seek back
    assert {r["name"] for r in rows} == {f"face {r['person_id']}" for r in rows}
    # the clip: the same frames, timed by recording time
    clip = rec.export_clip(a, b, tmp_path / "seg.mkv")
    assert clip == len(chosen)
    with av.open(str(tmp_path / "seg.mkv")) as video:
        pts = [f.pts for f in video.decode(video=0)]
    assert pts == [round((t[i] - t[chosen[0]]) * 1000) for i in chosen]
    # summary: the strongest moment is on the recording time, inside the segment
    for row in rec.summary(a, b):
        assert a <= row["strongest_t"] <= b + 0.01


def test_the_recorded_video_is_read_frame_for_frame_in_any_order(seek_recording):
    rec = open_recording(seek_recording)
    with av.open(str(rec.video_path)) as video:
        decoded = [f.to_ndarray(format="bgr24") for f in video.decode(video=0)]
    assert len(decoded) == len(rec.frames)
    reader = VideoReader(rec.video_path)
    order = list(range(len(decoded)))
    random.Random(1).shuffle(order)
    for i in [*order[:25], 10, 11, 12, len(decoded) - 1]:
        assert np.array_equal(reader.read(i), decoded[i]), i
    assert reader.read(len(decoded)) is None
    reader.close()


def test_the_chart_draws_no_line_across_the_seek(seek_recording):
    rec = open_recording(seek_recording)
    [k] = rec.axis.seek_starts
    series = rec.chart_series()
    assert series
    for xs, ys in series.values():
        assert np.all(np.diff(xs) >= 0)
        # every line drawn (two finite neighbours) joins frames with no seek or gap between
        for i in range(1, len(xs)):
            if np.isfinite(ys[i - 1]) and np.isfinite(ys[i]):
                k1, k2 = rec.frame_at(xs[i - 1]), rec.frame_at(xs[i])
                assert not rec.axis.broken(k1, k2)
        assert np.isnan(ys[np.searchsorted(xs, rec.times[k])])  # broken just before k


def test_review_window_on_a_recording_with_a_seek(qtbot, seek_recording, tmp_path):
    from fer_desktop.gui.review_window import ReviewWindow

    w = ReviewWindow(seek_recording)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    [k] = w.rec.axis.seek_starts
    # the curves break at the seek
    xs, ys = next(iter(w.curves.values())).getData()
    assert np.all(np.diff(xs) >= 0) and np.isnan(ys).sum() >= 1
    # click the chart just after the seek: the first frame of the new stretch is shown
    box = w.chart.getPlotItem().vb
    x = float(w.rec.times[k] + w.rec.axis.step / 4)
    scene_point = box.mapViewToScene(QPointF(x, 0.0))
    qtbot.mouseClick(
        w.chart.viewport(), Qt.MouseButton.LeftButton, pos=w.chart.mapFromScene(scene_point)
    )
    qtbot.waitUntil(lambda: w.current in (k, k + 1), timeout=5000)
    assert w.view.result is w.rec.frames[w.current]
    assert len({f.id for f in w.view.result.faces}) == len(w.view.result.faces)
    assert "source" in w.statusBar().currentMessage()
    # Left steps back over the seek, to the last frame before it; the cursor follows
    w.show_frame(k)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_Left)
    assert w.current == k - 1 and w.cursor_t == pytest.approx(w.rec.times[k - 1])
    # Page Down from there jumps to the marker after the seek, not the one before it
    qtbot.keyClick(w, Qt.Key.Key_PageDown)
    assert w.rec.frames[w.current].index == MARK_AFTER - 1
    # a marker added after the seek (with the button: no note) is saved with its frame and
    # found there again
    w.show_frame(k + 3)
    add = next(b for b in w.findChildren(QPushButton) if b.text() == "Add marker (M)")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    [new] = [m for m in w.rec.markers if m.frame == w.rec.frames[k + 3].index]
    assert (new.t, new.note, new.frame) == (w.rec.times[k + 3], "", w.rec.frames[k + 3].index)
    assert new.number == 3  # after the recording's two markers
    new.note = "back again"
    assert w.save() is not None
    saved = sidecar.load(seek_recording)
    mine = next(m for m in saved.markers if m.note == "back again")
    assert mine.frame == w.rec.frames[k + 3].index
    assert mine.t_source == pytest.approx(w.rec.frames[k + 3].t_source)
    again = open_recording(seek_recording)
    placed = next(m for m in again.markers if m.note == "back again")
    assert placed.t == pytest.approx(w.rec.times[k + 3])
    w.close()
    sidecar.path_for(seek_recording).unlink()  # the module's other tests read the timeline's


@pytest.fixture(scope="module")
def three_ids(tmp_path_factory, astronaut_bgr, grace_hopper_bgr):
    """Two people side by side (ids 1, 2), an empty room for longer than reid_seconds, then
    the second one back elsewhere: a new id, 3. Recorded as JSONL."""
    folder = tmp_path_factory.mktemp("ids")
    both = np.zeros((480, 960, 3), np.uint8)
    both[:, :480] = cv2.resize(astronaut_bgr, (480, 480))
    gh = cv2.resize(grace_hopper_bgr, (410, 480))
    both[:, 480:890] = gh
    alone = np.zeros_like(both)
    alone[:, 200:610] = gh
    video = write_video(folder / "two.avi", [both] * 15 + [np.zeros_like(both)] * 90 + [alone] * 30)
    return record(video, folder, fmt="jsonl")


def test_names_and_merges_are_saved_beside_the_timeline_and_shown(qtbot, three_ids, tmp_path):
    from fer_desktop.gui.review_window import ReviewWindow

    w = ReviewWindow(three_ids)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert [p.ids for p in w.rec.people()] == [[1], [2], [3]]
    # two faces seen in one frame are not one person
    w.merge_person(1, into=2)
    assert "not one person" in w.errors[-1] and len(w.rec.people()) == 3
    # the second person came back as id 3: merge, name, and everything shows the name
    w.merge_person(3, into=2)
    w.name_person(3, "Player A")
    people = w.rec.people()
    assert [(p.id, p.name, p.ids) for p in people] == [(1, "face 1", [1]), (2, "Player A", [2, 3])]
    legend = [label.text for _sample, label in w.chart.getPlotItem().legend.items]
    assert legend == ["face 1", "Player A"]
    assert [w.faces.item(i).text().split("  ")[0] for i in range(w.faces.count())] == [
        "● face 1",
        "● Player A",
    ]
    table = {w.segments.item(r, 3).text() for r in range(w.segments.rowCount())}
    assert table == {"face 1", "Player A"}
    # one curve for the person, broken across the empty room
    _xs, ys = w.curves[2].getData()
    seen = sum(any(f.id in (2, 3) for f in fr.faces) for fr in w.rec.frames)
    assert np.isfinite(ys).sum() == seen and np.isnan(ys).sum() == 1
    # faces of id 3 are shown under the person's id (one colour)
    last = len(w.rec.frames) - 1
    w.show_frame(last)
    assert [f.id for f in w.rec.frames[last].faces] == [3]
    assert [f.id for f in w.view.result.faces] == [2]
    # exported CSV names the person
    a, b = w.rec.segments()[0][1:]
    rows = list(csv.DictReader(w.rec.export_csv(a, b, tmp_path / "all.csv").open()))
    assert {(r["face_id"], r["person_id"], r["name"]) for r in rows} == {
        ("1", "1", "face 1"),
        ("2", "2", "Player A"),
        ("3", "2", "Player A"),
    }
    # saved in the sidecar and found again; the timeline untouched
    before = three_ids.read_text()
    path = w.save()
    assert path == sidecar.path_for(three_ids) and three_ids.read_text() == before
    side = sidecar.load(three_ids)
    assert side.names == {2: "Player A"} and side.merges == {3: 2}
    assert side.person(3) == (2, "Player A") and side.person(1) == (1, "face 1")
    again = open_recording(three_ids)
    assert [(p.id, p.name, p.ids) for p in again.people()] == [
        (p.id, p.name, p.ids) for p in people
    ]
    # unmerge: id 3 is its own person again
    w.unmerge_person(3)
    assert [p.ids for p in w.rec.people()] == [[1], [2], [3]]
    w.close()


def test_a_broken_sidecar_is_one_line(three_ids):
    sidecar.path_for(three_ids).write_text("{not json", encoding="utf-8")
    with pytest.raises(ReviewError, match="not a sidecar file"):
        open_recording(three_ids)
    sidecar.path_for(three_ids).unlink()


def test_an_analysed_file_is_shown_frame_for_frame_with_every(tmp_path, demo_video):
    """`analyze --every 3`: rows count analysed frames (0, 1, 2…), the video is the original
    file, and each row is shown with the file's frame at its t_source (0, 3, 6…)."""
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "analyze", str(demo_video), "--out",
         str(tmp_path), "--every", "3"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rec = open_recording(tmp_path / "demo.csv")
    assert rec.video_path == demo_video
    assert [f.index for f in rec.frames] == list(range(15))
    assert rec.video_index == list(range(0, 45, 3))
    reader = VideoReader(demo_video)
    capture = cv2.VideoCapture(str(demo_video))
    originals = [capture.read()[1] for _ in range(45)]
    for k in (14, 2, 7):
        shown = reader.read(rec.video_index[k]).astype(int)
        diffs = [np.abs(shown - o.astype(int)).mean() for o in originals]
        assert int(np.argmin(diffs)) == 3 * k
    reader.close()


def test_the_live_chart_stays_in_time_order_through_a_seek(qtbot, seek_recording):
    """The window's rolling chart fed the recording's frames as they came: after the seek
    back, each curve holds the new stretch only where the two overlap, in time order."""
    from fer_desktop.gui.mood_chart import MoodChart

    rec = open_recording(seek_recording)
    [k] = rec.axis.seek_starts
    chart = MoodChart(60.0)
    qtbot.addWidget(chart)
    for f in rec.frames:
        chart.add(f)
    target = rec.frames[k].t_source
    for fid, pts in chart.series.items():
        ts = [t for t, _v in pts]
        assert ts == sorted(ts) and ts[-1] == rec.frames[-1].t_source
        later = [f.t_source for f in rec.frames[k:] if any(x.id == fid for x in f.faces)]
        assert [t for t in ts if t >= target] == later  # the stretch before the seek is gone
        xs, _ys = chart.curves[fid].getData()
        assert np.all(np.diff(xs) >= 0)


def test_the_report_of_a_recording_with_a_seek_and_review_edits(seek_recording, tmp_path):
    """The report reads the recording as review does: time only goes up, markers where they
    were placed, and the names and merges made in review."""
    import shutil

    from fer_desktop.recording import read_recording
    from fer_desktop.report import write_report

    for suffix in (".csv", ".mkv"):  # a copy of its own: other tests edit the sidecar
        shutil.copy(seek_recording.with_suffix(suffix), tmp_path / f"rec{suffix}")
    seek_recording = tmp_path / "rec.csv"
    timeline = read_timeline(seek_recording)
    face_ids = sorted({f["face_id"] for f in timeline["faces"]})
    side = sidecar.load(seek_recording)
    side.set_name(face_ids[0], "Player <A>")
    sidecar.save(seek_recording, side)
    shown = read_recording(seek_recording).shown
    times = [f["t_source"] for f in shown.frames]
    assert times == sorted(times) and len(set(times)) == len(times)  # the seek laid end to end
    raw = [f["t_source"] for f in timeline["frames"]]
    assert raw != sorted(raw)  # the file's own time went back
    notes = [m["note"] for m in sorted(shown.markers, key=lambda m: m["t_source"])]
    assert notes == ["before seek", "after seek"]
    _, html_path = write_report(seek_recording, tmp_path / "report", thumbnails=False)
    page = html_path.read_text()
    assert "Player &lt;A&gt;" in page and f"face {face_ids[0]}<" not in page
