"""The live window, offscreen: keys from one table (and its help page), Space pauses with an
overlay, Play after the end starts the file again, the recording folder is asked once and
created, a video file pauses behind dialogs (a live source runs on, a pause of it marked as a
gap), geometry and the last source are remembered."""

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from fer_desktop.gui import shortcuts
from tests.conftest import REPO
from tests.helpers import ini_settings, main_window, wait_frames


def press(qtbot, w, key, modifier=Qt.KeyboardModifier.NoModifier):
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, key, modifier)


def test_the_keys_and_the_help_page_come_from_one_table(qtbot, window):
    for row in shortcuts.LIVE:
        action = window.key_actions[row.action]
        assert [s.toString() for s in action.shortcuts()] == [
            QKeySequence(k).toString() for k in row.keys
        ]
    page = shortcuts.help_html("Live window", shortcuts.LIVE)
    for row in shortcuts.LIVE:
        assert row.description in page and shortcuts.key_text(row.keys) in page
    help_menu = window.menuBar().actions()[-1].menu()
    assert "&Keyboard shortcuts" in [a.text() for a in help_menu.actions()]
    assert window.key_actions["shortcuts"].shortcut().toString() == "F1"
    assert "window was still busy" in window.status_label.toolTip()  # "not drawn" explained


def test_space_pauses_with_an_overlay_and_plays_on(qtbot, window):
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.play.isChecked() and window.view.overlay == "Paused"
    qtbot.waitUntil(lambda: window.worker.session.paused, timeout=5000)
    press(qtbot, window, Qt.Key.Key_Space)
    assert not window.play.isChecked() and window.view.overlay == ""
    wait_frames(qtbot, window, 3)


def test_play_after_the_end_starts_the_file_again(qtbot, window, demo_video):
    window.fast.setChecked(True)
    window.start_source(str(demo_video))
    qtbot.waitUntil(lambda: "source ended" in window.notes, timeout=60_000)
    assert window.state.at_end and window.play.text() == "Play"
    window.notes.clear()
    window.toggle_pause()  # Play
    qtbot.waitUntil(lambda: not window.state.at_end, timeout=30_000)  # frames again
    assert window.play.text() == "Pause"
    qtbot.waitUntil(lambda: "source ended" in window.notes, timeout=60_000)  # to the end again


def test_the_recording_folder_is_asked_once_and_created(qtbot, window, tmp_path, monkeypatch):
    window.setProperty("scripted", True)
    folder = tmp_path / "recordings" / "today"  # not there yet
    asked = []

    def choose(*_args, **_kwargs):
        asked.append(1)
        return str(folder)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", choose)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    for _ in range(2):
        # recordings are named by the second they start in: start in a new one
        second = time.strftime("%H%M%S")
        qtbot.waitUntil(lambda s=second: time.strftime("%H%M%S") != s, timeout=5000)
        press(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
        assert "REC" in window.view.banner
        press(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    assert len(asked) == 1 and len(list(folder.glob("*.csv"))) == 2


def test_a_folder_that_cannot_be_made_is_said(qtbot, window, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    window.start_source("demo")
    assert not window.start_recording(str(blocker / "sub"))
    assert "cannot record into" in window.errors[-1]
    assert not window.record_btn.isChecked()


def test_a_video_file_pauses_behind_the_first_start_notice(qtbot, window, demo_video):
    window.start_source(str(demo_video))
    wait_frames(qtbot, window, 3)
    seen = []

    def look_and_close():
        qtbot.waitUntil(lambda: window.worker.session.paused, timeout=5000)
        seen.append(window.view.overlay)
        QApplication.activeModalWidget().accept()

    def when_shown():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            QTimer.singleShot(0, look_and_close)
        else:
            QTimer.singleShot(50, when_shown)

    QTimer.singleShot(0, when_shown)
    window.dialogs.show_notice_once()
    assert seen == ["Paused"]
    qtbot.waitUntil(lambda: not window.worker.session.paused, timeout=5000)
    assert window.view.overlay == ""
    wait_frames(qtbot, window, 2)


def test_size_position_and_source_are_remembered(qtbot, tmp_path, demo_video):
    path = tmp_path / "s.ini"
    w = main_window(qtbot, path)
    w.resize(800, 600)
    w.start_source(str(demo_video))
    w.close()
    again = main_window(qtbot, path, size=None)
    assert abs(again.width() - 800) <= 4 and abs(again.height() - 600) <= 4  # (frame margins)
    assert again.prefs.last_source() == str(demo_video)


def test_a_new_source_starts_a_clean_chart_with_the_legend_above_it(qtbot, window, demo_video):
    window.start_source("demo")
    qtbot.waitUntil(lambda: window.chart.now > 1.0, timeout=60_000)
    window.add_marker()
    window.start_source(str(demo_video))
    chart = window.chart
    assert chart.series == {} and chart.markers == [] and chart.now == 0.0
    wait_frames(qtbot, window, 5)
    ends = [pts[-1][0] for pts in chart.series.values()]
    assert ends and max(ends) <= 3.0  # only the new file's points: no line from the demo
    assert chart.legend.parentItem() is not chart.getPlotItem().vb  # not over the lines


def test_a_long_marker_note_is_recorded_whole(qtbot, window, tmp_path):
    from fer_desktop.timeline import read_timeline

    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    assert window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    note = "the second boss fight starts, the player looks at the map first; " * 3
    qtbot.mouseClick(window.note_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(window.note_edit, note)
    qtbot.keyClick(window.note_edit, Qt.Key.Key_Return)
    wait_frames(qtbot, window, 3)
    path = window.recording_path
    window.record_btn.click()
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    assert not window.record_btn.isChecked() and "REC" not in window.view.banner
    assert [m["note"] for m in read_timeline(path)["markers"]] == [note.strip()]


def test_a_live_recording_runs_on_behind_a_dialog_and_its_pause_is_a_gap(qtbot, window, tmp_path):
    """The question before closing keeps the demo (as a camera) running: no hole in the
    recording; a pause, where time runs on, is marked in the timeline as a gap."""
    from fer_desktop.timeline import read_timeline

    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    assert window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    shown = []

    def keep_recording():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, keep_recording)
            return
        before = window.frames_shown
        qtbot.waitUntil(lambda: window.frames_shown >= before + 10, timeout=30_000)
        shown.append(window.frames_shown - before)
        next(b for b in box.buttons() if b.text() == "Keep recording").click()

    QTimer.singleShot(0, keep_recording)
    assert window.dialogs.ask_stop_recording() is False
    assert shown and shown[0] >= 10 and not window.worker.session.paused
    press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.worker.session.paused, timeout=5000)
    time.sleep(0.5)
    press(qtbot, window, Qt.Key.Key_Space)
    wait_frames(qtbot, window, 3)
    path = window.recording_path
    window.record_btn.click()
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    timeline = read_timeline(path)
    assert [g["note"] for g in timeline["gaps"]] == ["paused", "resumed"]
    ts = [f["t_source"] for f in timeline["frames"]]
    assert max(b - a for a, b in itertools.pairwise(ts)) >= 0.5  # the camera's time ran on
    summary = timeline["summary"]  # the recording's own figures, not its session's
    assert summary["t_source_first"] == round(ts[0], 3) > 0
    assert summary["duration_s"] == pytest.approx(ts[-1] - ts[0], abs=0.002)


def test_a_marker_after_the_end_of_a_file_is_at_its_last_frame(qtbot, window, tmp_path, demo_video):
    """The file has ended and waits for Play: no time passes, whenever the key is pressed."""
    from fer_desktop.timeline import read_timeline

    window.setProperty("scripted", True)
    window.start_source(str(demo_video))
    wait_frames(qtbot, window, 3)
    assert window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    qtbot.waitUntil(lambda: "source ended" in window.notes, timeout=60_000)
    time.sleep(0.6)
    qtbot.mouseClick(window.note_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(window.note_edit, "boss fight")
    qtbot.keyClick(window.note_edit, Qt.Key.Key_Return)
    path = window.recording_path
    qtbot.waitUntil(lambda: "boss fight" in window.statusBar().currentMessage(), timeout=5000)
    window.record_btn.click()
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    timeline = read_timeline(path)
    last = timeline["frames"][-1]["t_source"]
    assert [(m["note"], m["t_source"]) for m in timeline["markers"]] == [("boss fight", last)]


def test_face_colours_are_not_label_colours_and_repeat_with_another_line_style(qtbot):
    import numpy as np
    from PySide6.QtGui import QColor

    from fer_desktop.gui.face_style import face_style
    from fer_desktop.gui.mood_chart import MoodChart
    from fer_desktop.gui.video_view import LABEL_COLOURS
    from fer_desktop.report import FACE_COLOURS, face_colour
    from fer_desktop.results import FrameResult, TrackedFace

    n = len(FACE_COLOURS)
    assert n >= 10 and len(set(FACE_COLOURS)) == n
    # No face is drawn in a label's colour: no green box on "sad". For the default models'
    # labels; the 8-class model's other five share hues with faces (its tags name them).
    for colour in FACE_COLOURS:
        hue = QColor(colour).hslHue()
        for label in (LABEL_COLOURS[name] for name in ("happy", "neutral", "sad")):
            if label.hslSaturation() > 40:  # grey (neutral) has no hue
                assert abs(hue - label.hslHue()) % 360 > 25, (colour, label.name())
    chart = MoodChart(30.0)
    qtbot.addWidget(chart)
    probs = np.ones(3, np.float32) / 3
    ids = (1, n + 1)
    faces = [TrackedFace(i, (0, 0, 9, 9), 1.0, probs, probs, "neutral", 0.0) for i in ids]
    chart.add(FrameResult(0, 0.0, 0.0, 99, 99, ["happy", "neutral", "sad"], faces))
    assert face_colour(1) == face_colour(n + 1) and face_style(1) != face_style(n + 1)
    pens = [chart.curves[i].opts["pen"] for i in ids]
    assert pens[0].color() == pens[1].color() and pens[0].style() != pens[1].style()


def test_a_click_on_the_seek_bar_seeks_and_is_recorded(qtbot, window, tmp_path, demo_video):
    from PySide6.QtCore import QPoint

    from fer_desktop.timeline import read_timeline

    window.setProperty("scripted", True)
    window.start_source(str(demo_video))
    qtbot.waitUntil(window.seek.isEnabled, timeout=30_000)
    assert window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    wait_frames(qtbot, window, 5)
    before = window.seek.value()
    bar = window.seek
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(3, bar.height() // 2))
    wait_frames(qtbot, window, 3)
    path = window.recording_path
    window.record_btn.click()
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
    seeks = read_timeline(path)["seeks"]
    assert len(seeks) == 1 and seeks[0]["to_t_source"] < before / 1000 * 3.0, (seeks, before)


def test_another_source_while_recording_asks_first(qtbot, window, tmp_path, demo_video):
    """Keep recording: the demo goes on and the picker shows it again; Stop and save: the
    recording is closed whole (its report offered) and the file plays."""
    from fer_desktop.gui.live_dialogs import STOP_AND_SAVE
    from fer_desktop.timeline import read_timeline

    window.setProperty("scripted", True)
    window.start_source("demo")
    wait_frames(qtbot, window, 3)
    assert window.start_recording(str(tmp_path / "rec"))
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
    path = window.recording_path
    window.setProperty("scripted", False)  # as a user: questions are asked
    asked = []

    def answer(text):
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, lambda: answer(text))
            return
        asked.append(box.informativeText() or box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    QTimer.singleShot(0, lambda: answer("Keep recording"))
    assert window.change_source(str(demo_video)) is False
    assert window.source_spec == "demo" and window.recording_path == path
    assert window.source_box.currentData() == "demo"
    QTimer.singleShot(0, lambda: answer(STOP_AND_SAVE))
    assert window.change_source(str(demo_video)) is True
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=5000)
    assert asked == [f"Stop the recording, save it and open {demo_video.name}?"] * 2
    QTimer.singleShot(0, lambda: answer("No"))  # "Write its report now?"
    qtbot.waitUntil(lambda: len(asked) == 3, timeout=30_000)
    assert "Write its report now?" in asked[2]
    assert read_timeline(path)["summary"] is not None
    assert window.source_spec == str(demo_video)


@pytest.mark.slow
def test_the_demo_shown_for_want_of_a_camera_is_not_reopened_next_time(tmp_path):
    """Without a camera the window shows the demo and says why; the next start looks for the
    camera again rather than reopening the demo as if the user had chosen it."""
    if any(Path("/dev").glob("video*")):
        pytest.skip("a camera device is attached: the window would open it")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-m", "fer_desktop", "gui", "--exit-after", "2"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert "No camera found" in out.stderr
    assert list(tmp_path.rglob("*.conf"))  # the settings were saved where XDG_CONFIG_HOME says


@pytest.mark.slow
def test_gui_record_dir_does_not_change_the_remembered_folder(tmp_path, demo_video):
    """Issue #28: `gui --record DIR` replaced the folder the Record button uses."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    chosen, scripted = tmp_path / "chosen", tmp_path / "scripted"
    conf = tmp_path / "fer_desktop" / "fer_desktop.conf"
    conf.parent.mkdir()
    conf.write_text(f"[General]\nrecord_dir={chosen}\nnotice_shown=true\n")
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "gui", "--source", str(demo_video),
         "--record", str(scripted), "--exit-after", "3"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert list(scripted.glob("session-*.csv"))  # it recorded where it was told…
    again = ini_settings(conf)
    assert again.value("record_dir") == str(chosen)  # …and the window's folder is kept


def test_the_first_start_notice_names_what_the_chosen_model_reads(qtbot, tmp_path):
    """Issue #28: it said "happy, neutral or sad" with the 8-class model chosen."""
    from fer_desktop.classifier import MoodModel

    path = tmp_path / "s.ini"
    settings = ini_settings(path)
    settings.setValue("analysis/model", "8class")
    settings.sync()
    w = main_window(qtbot, path)
    assert w.model_box.currentData() == "8class"
    seen = []

    def read_and_close():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(50, read_and_close)

    QTimer.singleShot(0, read_and_close)
    w.dialogs.show_notice_once()
    first = seen[0].splitlines()[0]
    for label in MoodModel("8class").labels:
        assert label in first
    assert "happy, neutral or sad" not in first


def test_a_model_the_session_refuses_is_neither_shown_nor_saved(qtbot, window, tmp_path):
    """Issue #30: the window kept and saved a setting before the session applied it, so a
    model that could not load stayed chosen, and was restored at the next start."""
    from fer_desktop.settings import Settings

    default = Settings().model
    window.start_source("demo")
    wait_frames(qtbot, window, 2)
    window.model_box.addItem("a model deleted since", str(tmp_path / "gone.tflite"))
    window.model_box.setCurrentIndex(window.model_box.count() - 1)
    qtbot.waitUntil(lambda: any("gone.tflite" in e for e in window.errors), timeout=30_000)
    qtbot.waitUntil(lambda: window.model_box.currentData() == default, timeout=5000)
    assert window.analysis.model == default
    window.smoothing.setValue(50)  # one the session applies: kept and saved
    qtbot.waitUntil(lambda: window.analysis.smoothing == 0.5, timeout=30_000)
    assert window.worker.session.state.settings == window.analysis
    saved = QSettings(window.settings.fileName(), QSettings.Format.IniFormat)
    assert saved.value("analysis/model") == default
    assert float(saved.value("analysis/smoothing")) == 0.5
