"""The window, offscreen, on a real video: frames, overlays, chart, models, recording."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QColor

from fer_desktop.gui.main_window import MainWindow
from fer_desktop.report import face_colour
from fer_desktop.timeline import read_timeline
from tests.helpers import ini_settings, wait_frames


@pytest.mark.smoke
def test_frames_arrive_and_the_overlay_is_drawn_on_the_face(qtbot, window, demo_video):
    window.fast.setChecked(True)
    window.start_source(str(demo_video))
    wait_frames(qtbot, window, 5)
    result = window.last_result
    assert result is not None and len(result.faces) == 1
    face = result.faces[0]
    image = window.view.grab().toImage()
    rect = window.view.image_rect()
    sx, sy = rect.width() / result.width, rect.height() / result.height
    x, y, _w, h = face.box
    want = QColor(face_colour(face.id))
    # Sample the left edge of the box: most pixels there must be the face's colour.
    hits = 0
    for k in range(10):
        px = int(rect.x() + x * sx)
        py = int(rect.y() + (y + h * (0.2 + 0.06 * k)) * sy)
        c = image.pixelColor(px, py)
        hits += (
            abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue())
            < 60
        )
    assert hits >= 7
    assert face.id in window.chart.series and len(window.chart.series[face.id]) >= 1
    xs, ys = window.chart.curves[face.id].getData()
    assert len(xs) >= 1 and np.all(np.abs(ys) <= 1)


def test_switching_models_changes_the_labels(qtbot, window, demo_video):
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    assert window.last_result.labels == ["happy", "neutral", "sad"]
    window.model_box.setCurrentIndex(window.model_box.findData("2class"))
    qtbot.waitUntil(lambda: window.last_result.labels == ["happy", "sad"], timeout=20_000)
    assert window.last_result.faces[0].label in ("happy", "sad")


def test_recording_and_markers_land_in_the_file(qtbot, window, tmp_path):
    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    window.format_box.setCurrentText("jsonl")
    window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    assert "REC" in window.view.banner
    wait_frames(qtbot, window, 10)
    window.note_edit.setText("boss fight")
    window.add_marker()
    wait_frames(qtbot, window, 5)
    path = window.recording_path
    window.record_btn.setChecked(False)
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    timeline = read_timeline(path)
    assert timeline["summary"] is not None
    assert len(timeline["faces"]) >= 10
    assert all(f["t_wall"] and f["t_source"] >= 0 for f in timeline["faces"])
    assert [m["note"] for m in timeline["markers"]] == ["boss fight"]
    html = window.make_report(path)
    assert html and "boss fight" in Path(html).read_text()


def test_closing_stops_the_worker(qtbot, window):
    """Its time is measured by benchmarks/bench_gui.py."""
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    thread = window.thread
    window.close()
    assert not thread.isRunning() and window.worker is None


def test_bad_file_shows_a_message_not_a_crash(qtbot, window, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    window.start_source(str(bad))
    qtbot.waitUntil(lambda: bool(window.errors), timeout=30_000)
    assert "not a video" in window.errors[-1]
    assert "not a video" in window.view.message


def test_settings_persist(qtbot, tmp_path):
    path = tmp_path / "s.ini"
    w = MainWindow(ini_settings(path))
    qtbot.addWidget(w)
    w.smoothing.setValue(80)
    w.model_box.setCurrentIndex(w.model_box.findData("2class"))
    w.close()
    w2 = MainWindow(ini_settings(path))
    qtbot.addWidget(w2)
    assert w2.smoothing.value() == 80 and w2.model_box.currentData() == "2class"


def test_menus_marker_keys_and_calibration(qtbot, window, tmp_path):
    """Ctrl+M and Enter in the note box place markers; Calibrate neutral reaches the session;
    the menu bar has File (Open, Quit), View (the face overlay), Stream and Help (About)."""
    from PySide6.QtCore import Qt

    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&View", "&Stream", "&Help"]
    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    qtbot.mouseClick(window.note_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(window.note_edit, "boss #2 start")
    qtbot.keyClick(window.note_edit, Qt.Key.Key_Return)
    window.calibrate_neutral(0.5)
    qtbot.wait(1500)
    path = window.recording_path
    window.record_btn.setChecked(False)
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    timeline = read_timeline(path)
    assert [m["note"] for m in timeline["markers"]] == ["boss #2 start"]
    assert any("calibrate_neutral_s" in s for s in timeline["settings"])
    assert any(f["calibrated"] for f in timeline["faces"])


def test_a_marker_is_timed_when_its_note_is_begun(qtbot, window, tmp_path):
    """The tester starts typing at one moment and presses Enter later: the marker is at the
    first key (it was 2.3 s late); M times one and takes its note, Esc places it without."""
    from PySide6.QtCore import Qt

    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    wait_frames(qtbot, window, 5)
    qtbot.mouseClick(window.note_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(window.note_edit, "b")
    begun = window.last_result.t_source
    wait_frames(qtbot, window, 30)  # a slow typist
    qtbot.keyClicks(window.note_edit, "oss #2")
    entered = window.last_result.t_source
    qtbot.keyClick(window.note_edit, Qt.Key.Key_Return)
    window.start_marker()  # M
    m_at = window.last_result.t_source
    wait_frames(qtbot, window, 10)
    qtbot.keyClick(window.note_edit, Qt.Key.Key_Escape)
    wait_frames(qtbot, window, 3)
    path = window.recording_path
    window.record_btn.setChecked(False)
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    markers = read_timeline(path)["markers"]
    assert [m["note"] for m in markers] == ["boss #2", ""]
    assert entered - begun > 0.5  # the typing took a while…
    assert abs(markers[0]["t_source"] - begun) < 0.2  # …and the marker is where it began
    assert abs(markers[1]["t_source"] - m_at) < 0.2


@pytest.mark.slow
def test_a_games_marker_over_the_windows_websocket_lands_on_the_chart(qtbot, window, tmp_path):
    """The WebSocket switch takes a game's markers into the session that runs: recorded,
    and on the live chart."""
    import json
    import socket

    from websockets.sync.client import connect

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    window.set_stream_address(port, lan=False)
    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    window.ws_box.setChecked(True)
    qtbot.waitUntil(lambda: "WebSocket" in window.outputs.streams, timeout=10_000)
    qtbot.wait(500)
    with connect(f"ws://127.0.0.1:{port}", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "marker", "note": "boss #2"}))
        qtbot.waitUntil(lambda: len(window.chart.markers) == 1, timeout=10_000)
    path = window.recording_path
    window.record_btn.setChecked(False)
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    (marker,) = read_timeline(path)["markers"]
    assert marker["note"] == "boss #2"
    assert abs(marker["t_source"] - window.chart.markers[0][0]) < 1e-6
