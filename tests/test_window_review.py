"""The review window, offscreen, on real recordings: edits saved as they are made and found
again after closing, undo, stable marker names, the report button, drag to seek, the
saddest / happiest stretches, the segment table at full width, times from the recording's
start."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from fer_desktop.gui.review_window import ReviewWindow
from fer_desktop.review import open_recording
from tests.conftest import copy_recording
from tests.helpers import ini_settings, main_window


@pytest.fixture
def recording(recorded_demo, tmp_path):
    """A copy of the recording of its own (edits go to a sidecar beside it)."""
    return copy_recording(recorded_demo, tmp_path)


def opened(qtbot, path, tmp_path, width=1200):
    w = ReviewWindow(path, ini_settings(tmp_path / "s.ini"))
    qtbot.addWidget(w)
    w.resize(width, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_edits_survive_close_and_reopen_and_undo_brings_a_marker_back(qtbot, recording, tmp_path):
    w = opened(qtbot, recording, tmp_path)
    w.show_frame(10)
    first = w.add_marker("first")
    w.show_frame(30)
    w.add_marker("second")
    w.show_frame(5)  # a marker placed before the others keeps them their names
    early = w.add_marker()
    assert w.markers.currentRow() == 0 and w.rec.markers[0] is early  # the new one selected
    assert [w.marker_name(m) for m in w.rec.markers] == ["marker 3", "marker 1", "marker 2"]
    assert w.markers.item(1).text().startswith("marker 1")
    w.markers.setCurrentRow(1)
    long_note = "the boss fight starts here, " * 5  # longer than 80 characters, kept whole
    w.edit_marker(long_note)
    assert "*" not in w.windowTitle() and not w.unsaved
    w.name_person(1, "Player A")
    w.markers.setCurrentRow(2)
    w.delete_marker()
    assert [m.note for m in w.rec.markers] == ["", long_note]
    w.close()  # with ✕: nothing asked, nothing lost
    again = opened(qtbot, recording, tmp_path)
    assert [m.note for m in again.rec.markers] == ["", long_note]
    # the names are saved with them: "marker 3" is still marker 3 after reopening
    assert [again.marker_name(m) for m in again.rec.markers] == ["marker 3", "marker 1"]
    assert again.rec.person(1)[1] == "Player A"
    # Ctrl+Z brings the deleted marker back (in the window it was deleted in)
    w2 = again
    w2.markers.setCurrentRow(1)
    w2.delete_marker()
    assert [m.note for m in w2.rec.markers] == [""]
    w2.activateWindow()
    qtbot.waitUntil(w2.isActiveWindow, timeout=5000)
    qtbot.keyClick(w2, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [m.note for m in w2.rec.markers] == ["", long_note]
    assert [m.note for m in open_recording(recording).markers] == ["", long_note]
    assert first.note == long_note  # "marker 1" was the one edited
    w2.close()


def test_the_report_button_writes_the_markers_and_names_as_they_are(qtbot, recording, tmp_path):
    w = opened(qtbot, recording, tmp_path)
    w.show_frame(20)
    w.add_marker("boss fight")
    w.name_person(1, "Player A")
    html = w.make_report(ask=False)
    text = html.read_text()
    assert "boss fight" in text and "Player A" in text
    report = next(a for a in w.key_actions.values() if a.text() == "Write &report…")
    assert report.shortcut().toString() == "Ctrl+P"
    w.close()


def drag(widget, start, end, steps=8):
    """A left-button drag with real mouse events on `widget`."""

    def send(kind, pos, buttons):
        local = QPointF(pos)
        event = QMouseEvent(kind, local, widget.mapToGlobal(local), Qt.MouseButton.LeftButton,
                            buttons, Qt.KeyboardModifier.NoModifier)  # fmt: skip
        QApplication.sendEvent(widget, event)

    left = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, start, left)
    for k in range(1, steps + 1):
        send(QEvent.Type.MouseMove, start + (end - start) * (k / steps), left)
    send(QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_dragging_on_the_chart_seeks_and_does_not_pan(qtbot, recording, tmp_path):
    w = opened(qtbot, recording, tmp_path)
    box = w.chart.getPlotItem().vb
    before = box.viewRange()[0]
    times = w.rec.times

    def at(t):
        return QPointF(w.chart.mapFromScene(box.mapViewToScene(QPointF(t, 0.5))))

    drag(w.chart.viewport(), at(times[5]), at(times[35]))
    assert abs(w.current - 35) <= 2
    assert box.viewRange()[0] == pytest.approx(before)  # the time axis did not move
    w.close()


def test_saddest_and_happiest_stretches(qtbot, recording, tmp_path):
    w = opened(qtbot, recording, tmp_path)
    series = w.rec.chart_series()
    xs, ys = next(iter(series.values()))
    w.jump_to_extreme(+1)
    happy_at = w.cursor_t
    w.jump_to_extreme(-1)
    sad_at = w.cursor_t

    def mean_from(t):
        keep = (xs >= t - 1e-6) & (xs <= t + 3.0) & np.isfinite(ys)
        return ys[keep].mean()

    assert mean_from(happy_at) >= mean_from(sad_at)
    assert "stretch" in w.statusBar().currentMessage()
    w.close()


def test_the_segment_table_shows_every_column_at_1580_px(qtbot, recording, tmp_path):
    w = opened(qtbot, recording, tmp_path, width=1580)
    w.show_frame(20)
    w.add_marker("a rather long marker note that names the segment")
    table = w.segments
    qtbot.waitUntil(lambda: table.viewport().width() > 300, timeout=5000)
    assert table.columnCount() == 9
    assert table.horizontalScrollBar().maximum() == 0  # nothing cut off to the right
    header = table.horizontalHeader()
    assert all(header.sectionSize(c) >= 30 for c in range(table.columnCount()))
    assert "from start" in table.item(1, 0).toolTip()
    w.close()


def test_review_times_start_at_the_recording_s_own_start(qtbot, tmp_path):
    """A recording started 1 s into the demo: its times count from 0 at its first frame,
    as the REC badge did (the source's time beside them); the segments start there too."""
    live = main_window(qtbot, tmp_path / "live.ini", size=None, scripted=True)
    live.start_source("demo")
    qtbot.waitUntil(lambda: live.last_result is not None and live.last_result.t_source > 1.0,
                    timeout=60_000)  # fmt: skip
    assert live.start_recording(str(tmp_path / "not" / "yet" / "there"))  # created
    qtbot.waitUntil(lambda: live.recording_path is not None, timeout=10_000)
    path = live.recording_path
    start = live.frames_shown
    qtbot.waitUntil(lambda: live.frames_shown > start + 10, timeout=60_000)
    live.record_btn.click()
    qtbot.waitUntil(lambda: live.recording_path is None, timeout=10_000)
    assert live.stop_worker()
    w = live.dialogs.open_review(path)
    qtbot.addWidget(w)
    assert float(w.rec.times[0]) == 0.0 and w.rec.frames[0].t_source > 1.0
    assert float(w.segments.item(0, 1).text()) == 0.0
    w.close()


def test_an_edit_that_cannot_be_saved_is_marked_and_said(qtbot, recording, tmp_path):
    from fer_desktop import sidecar

    w = opened(qtbot, recording, tmp_path)
    blocker = sidecar.path_for(recording)
    blocker.mkdir()  # a folder where the sidecar file goes: the write fails
    w.add_marker("kept in the window")
    assert w.unsaved and w.windowTitle().endswith(" *")
    assert "not saved" in w.errors[-1]
    blocker.rmdir()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not w.unsaved and not w.windowTitle().endswith("*")
    assert [m.note for m in open_recording(recording).markers] == ["kept in the window"]
    w.close()
