"""Review mode on a real recording: seek by clicking the chart, markers saved beside the
timeline, segments, a clip exported; and the Qt-free parts."""

import shutil
import subprocess

import av
import pytest
from PySide6.QtCore import QPointF, Qt

from fer_desktop.review import ReviewError, find_pair, open_recording
from tests.conftest import REPO
from tests.helpers import CLI, record_live


@pytest.fixture
def recording(tmp_path, demo_video):
    return record_live(demo_video, tmp_path / "rec")


@pytest.mark.slow
def test_review_window_seeks_marks_and_exports(qtbot, recording, tmp_path):
    from fer_desktop.gui.review_window import ReviewWindow

    w = ReviewWindow(recording)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    assert w.current == 0 and len(w.rec.frames) == 45
    # click the chart at frame 30's time: the frame shown is the cursor's frame
    box = w.chart.getPlotItem().vb
    scene_point = box.mapViewToScene(QPointF(w.rec.frames[30].t_source, 0.0))
    qtbot.mouseClick(
        w.chart.viewport(), Qt.MouseButton.LeftButton, pos=w.chart.mapFromScene(scene_point)
    )
    qtbot.waitUntil(lambda: w.current > 20, timeout=5000)
    assert w.rec.frame_at(w.cursor_t) == w.current
    shown = w.view.result
    assert shown is w.rec.frames[w.current] and shown.faces
    # keys: Right steps one frame
    before = w.current
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    assert w.current == before + 1
    # a marker at the cursor, saved beside the timeline, found again on reopening
    w.add_marker("boss #2")
    sidecar = w.save_markers()
    assert sidecar is not None and sidecar.exists()
    assert recording.read_text().count("boss #2") == 0  # the timeline is never rewritten
    again = open_recording(recording)
    assert [m.note for m in again.markers] == ["boss #2"]
    # segments: the whole session and the stretches around the marker; export the last one
    names = [name for name, _a, _b in w.rec.segments()]
    assert names == ["whole session", "from start", "from boss #2"]
    _n, a, b = w.rec.segments()[2]
    expected = sum(a <= f.t_source <= b for f in w.rec.frames)
    clip = tmp_path / "clip.mkv"
    assert w.rec.export_clip(a, b, clip) == expected
    with av.open(str(clip)) as video:
        assert sum(1 for _ in video.decode(video=0)) == expected
    csv_path = w.rec.export_csv(a, b, tmp_path / "seg.csv")
    assert len(csv_path.read_text().splitlines()) == 1 + expected  # one face per frame
    w.close()


@pytest.mark.slow
def test_review_needs_a_video_beside_the_timeline(tmp_path, recording):
    recording.with_suffix(".mkv").unlink()
    with pytest.raises(ReviewError, match="no video found"):
        open_recording(recording)
    out = subprocess.run([*CLI, "review", str(tmp_path / "nothere.csv")], cwd=REPO,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 2 and "no such file" in out.stderr and "Traceback" not in out.stderr


def test_review_of_an_analysed_video_points_to_its_timeline(tmp_path, demo_video):
    """`analyze --out results` leaves the video where it is: reviewing the video says where
    its timeline is; reviewing the timeline finds the video by the path in its header."""
    video, results = tmp_path / "interview.avi", tmp_path / "results"
    shutil.copy(demo_video, video)
    out = subprocess.run([*CLI, "analyze", str(video), "--out", str(results), "--quiet"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    with pytest.raises(ReviewError, match=r"--out folder \(interview\.csv or \.jsonl\)"):
        find_pair(video)
    timeline = results / "interview.csv"
    assert find_pair(timeline) == (timeline, video)


def test_report_gains_the_review_markers_and_segments(recording):
    from fer_desktop.report import write_report
    from fer_desktop.review import Marker

    rec = open_recording(recording)
    rec.markers = [Marker(1.0, "boss fight")]
    rec.save_markers()
    _png, html = write_report(recording)
    text = html.read_text()
    assert "boss fight" in text and "<h2>Segments</h2>" in text
    assert text.count("<td>from boss fight</td>") == 1 and "whole session" in text


@pytest.mark.slow
def test_a_clip_is_written_behind_a_progress_dialog_that_can_cancel_it(qtbot, recording, tmp_path):
    """Issue #28: exporting clips froze the window with no progress. Now the clip is written
    on a worker thread, the dialog counts its frames, and Cancel stops it (no file left)."""
    import threading

    from PySide6.QtWidgets import QPushButton

    from fer_desktop.gui.review_window import ReviewWindow

    w = ReviewWindow(recording)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    _n, a, b = w.rec.segments()[0]  # the whole session
    expected = sum(a <= f.t_source <= b for f in w.rec.frames)
    clip = tmp_path / "whole.mp4"
    task = w.export_clip(str(clip)).task
    steps = []
    task.progress.connect(lambda done, total: steps.append((done, total)),
                          Qt.ConnectionType.DirectConnection)  # fmt: skip
    qtbot.waitUntil(lambda: w.clip_export is None, timeout=60_000)
    assert w.statusBar().currentMessage() == f"Clip of {expected} frames saved to {clip}"
    with av.open(str(clip)) as video:
        assert sum(1 for _ in video.decode(video=0)) == expected
    assert steps[-1] == (expected, expected)

    # Cancel: the worker waits at its first frame until the button has been clicked
    gate = threading.Event()
    cancelled = tmp_path / "cancelled.mp4"
    task = w.export_clip(str(cancelled)).task
    task.progress.connect(lambda done, _t: done == 1 and gate.wait(30),
                          Qt.ConnectionType.DirectConnection)  # fmt: skip
    dialog = w.clip_export.dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=10_000)  # shown while it works
    qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: w.clip_export is None, timeout=60_000)
    assert "cancelled" in w.statusBar().currentMessage()
    assert not cancelled.exists()
    w.close()
