"""One lane per expression (issue #32), on real recordings: ../shared's talking head read by
the 8-class model, and the demo clip (a real face) calibrated with the 3-class model. The
report's lanes chart and `report --lanes`, the lanes in the live window's mood chart and in
review, their switch remembered in QSettings, gaps, markers and calibration switches."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fer_desktop.classifier import MODELS_DIR
from fer_desktop.expression_lanes import LANES, VALENCE, lanes_svg, recording_lanes
from fer_desktop.recording import read_recording
from fer_desktop.report import face_colour, face_dash
from fer_desktop.results import NEGATIVE
from fer_desktop.svg_chart import Line, expression_lanes_chart
from tests.conftest import copy_recording
from tests.helpers import ini_settings, main_window, record_live, run_cli, wait_frames

STYLE = (face_colour, face_dash)
EIGHT = ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt"]


@pytest.fixture(scope="module")
def eight_class(tmp_path_factory, face_video) -> Path:
    """`live --record` of the talking head with the 8-class model (copy it to edit it)."""
    if not (MODELS_DIR / "model_a_8class_int8.tflite").is_file():
        pytest.skip("models/model_a_8class_int8.tflite is not in this checkout")
    return record_live(face_video, tmp_path_factory.mktemp("eight"), "--model", "8class")


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory, demo_video) -> Path:
    """`live --record --calibrate 1` of the demo clip: face 1 switches from raw to
    calibrated values part way."""
    return record_live(demo_video, tmp_path_factory.mktemp("cal"), "--calibrate", "1")


def lanes_of(svg: str) -> list[str]:
    """The <g class='lane'> groups of a lanes chart, top to bottom."""
    return re.findall(r"<g class='lane'>.*?</g>", svg, flags=re.S)


def lane_name(lane: str) -> str:
    return re.findall(r"<text[^>]*font-size='12'[^>]*>([^<]*)</text>", lane)[0]


def test_lanes_show_the_smoothed_probabilities_that_valence_is_made_of(eight_class):
    rec = read_recording(eight_class).shown
    lanes = recording_lanes(rec)
    assert list(lanes) == [1] and set(lanes[1]) == set(EIGHT)
    rows = sorted(rec.faces, key=lambda r: r["t_source"])
    for k, row in enumerate(rows):
        p = {lab: lanes[1][lab][k][1] for lab in EIGHT}
        assert all(0.0 <= v <= 1.0 for v in p.values())
        assert sum(p.values()) == pytest.approx(1.0, abs=0.02)
        # valence is happy minus the unpleasant ones: the lanes add up to the valence line
        negative = sum(p[lab] for lab in NEGATIVE)
        assert p["happy"] - negative == pytest.approx(row["valence"], abs=2e-3)
    # the talking head smiles and rests: happy and neutral both reach high in their lanes
    assert max(v for _t, v in lanes[1]["happy"]) > 0.8
    assert max(v for _t, v in lanes[1]["neutral"]) > 0.5


def test_report_draws_one_lane_per_class_by_default_with_eight(eight_class, tmp_path):
    timeline = copy_recording(eight_class, tmp_path)
    out = run_cli("report", timeline, "--no-thumbnails", "--out", tmp_path / "r.html")
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "r.html").read_text()
    lanes = lanes_of(page)
    assert [lane_name(lane) for lane in lanes] == read_recording(timeline).header["labels"]
    assert 'aria-label="each expression over time per face"' in page
    for k, lane in enumerate(lanes):  # each line stays inside its own lane
        top = float(re.search(r"<rect x='\d+' y='([\d.]+)'", lane).group(1))
        ys = [float(y) for y in re.findall(r"[\d.]+,([\d.]+)", lane)]
        assert ys and all(top <= y <= top + 62 for y in ys), k
    assert (tmp_path / "r.svg").read_text().count("<g class='lane'>") == 8
    out = run_cli("report", timeline, "--no-thumbnails", "--no-lanes", "--out", tmp_path / "v.html")
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "v.html").read_text()
    assert "<g class='lane'>" not in page and "valence = p(happy) − p(sad)" in page


def test_three_classes_stay_valence_unless_asked_and_lanes_mark_the_switch(calibrated, tmp_path):
    timeline = copy_recording(calibrated, tmp_path)
    rec = read_recording(timeline).shown
    (switch,) = [s for s in rec.calibrations if s.get("state") == "calibrated"]
    out = run_cli("report", timeline, "--no-thumbnails", "--out", tmp_path / "v.html")
    assert out.returncode == 0, out.stderr
    assert "<g class='lane'>" not in (tmp_path / "v.html").read_text()
    out = run_cli("report", timeline, "--no-thumbnails", "--lanes", "--out", tmp_path / "l.html")
    assert out.returncode == 0, out.stderr
    svg = (tmp_path / "l.svg").read_text()
    assert [lane_name(lane) for lane in lanes_of(svg)] == ["happy", "neutral", "sad"]
    # one dotted line across all three lanes, where face 1's values became calibrated
    (line,) = re.findall(r"<line[^>]*stroke-dasharray='1 2'>.*?</line>", svg)
    y1, y2 = (float(v) for v in re.search(r"y1='([\d.]+)' y2='([\d.]+)'", line).groups())
    assert y2 - y1 == 3 * 62
    assert f"face 1: calibrated from {switch['t_source']:.2f} s" in line


def test_a_face_away_breaks_its_line_in_every_lane(eight_class):
    rec = read_recording(eight_class).shown
    away = rec.with_faces([r for r in rec.faces if not 3.0 <= r["t_source"] <= 5.0])
    for lane in lanes_of(lanes_svg(away, "away", STYLE)):
        assert lane.count("<polyline") == 2  # before and after, never joined across
    for lane in lanes_of(lanes_svg(rec, "all there", STYLE)):
        assert lane.count("<polyline") == 1


def test_outside_text_in_lanes_is_data():
    hostile = "<script>{boss}</script>"
    line = Line([(0.0, 0.2), (1.0, 0.9)], "#d62728", hostile, switches=[(0.5, "calibrated")])
    svg = expression_lanes_chart([(hostile, [line])], [(0.5, hostile)], hostile)
    assert "<script>" not in svg and svg.count("&lt;script&gt;{boss}&lt;/script&gt;") >= 4


pytest.importorskip("pytestqt")


def label_of(line) -> str | None:
    """The text a pyqtgraph line shows beside it (None: no label)."""
    label = getattr(line, "label", None)
    return None if label is None else label.textItem.toPlainText()


def test_live_chart_lanes_follow_the_model_gaps_markers_and_seeks(qtbot, eight_class, tmp_path):
    from fer_desktop.gui.expression_lanes_view import chart_mode_box
    from fer_desktop.gui.mood_chart import MoodChart

    chart = MoodChart(30.0)
    qtbot.addWidget(chart)
    settings = ini_settings(tmp_path / "s.ini")
    box = chart_mode_box(chart, settings)
    assert chart.mode == VALENCE  # no model yet
    frames = read_recording(eight_class).frame_results()
    for f in frames:
        if not 3.0 <= f.t_source <= 5.0:  # the face away for two seconds
            chart.add(f)
    assert chart.mode == LANES and box.currentData() == LANES  # 8 classes: lanes
    assert chart.lanes.labels == frames[0].labels and chart.centralWidget is chart.lanes
    chart.add_marker(2.0, "{boss} <b>")
    for k, curve in enumerate(chart.lanes.curves[1]):
        xs, ys = curve.getData()
        assert np.isnan(ys).sum() == 1 and 3.0 < xs[np.flatnonzero(np.isnan(ys))[0]] <= 5.2
        shown = ys[~np.isnan(ys)]
        expected = [f.faces[0].smooth[k] for f in frames if f.faces and not 3 <= f.t_source <= 5]
        assert np.allclose(shown, expected, atol=1e-6)
    (markers,) = chart.lanes.lines
    named = [label_of(line) for line in markers]
    assert named == ["{boss} <b>", *[None] * 7]  # in the top lane only, as typed
    chart.add(frames[10])  # a seek back: the later points go from every lane
    assert len(chart.lane_points[1]) == 11 - sum(1 for f in frames[:11] if 3 <= f.t_source <= 5)
    box.setCurrentIndex(box.findData(VALENCE))
    assert chart.mode == VALENCE and chart.centralWidget is chart.getPlotItem()
    assert settings.value("chart_mode") == VALENCE


def test_live_window_keeps_the_choice(qtbot, tmp_path, demo_video):
    settings = tmp_path / "settings.ini"
    saved = ini_settings(settings)
    saved.setValue("chart_mode", LANES)
    saved.sync()
    w = main_window(qtbot, settings)
    try:
        assert w.chart_mode_box.currentData() == LANES and w.chart.mode_choice == LANES
        w.setProperty("scripted", True)
        w.start_source(str(demo_video))
        wait_frames(qtbot, w, 5)
        assert w.chart.mode == LANES  # chosen: lanes even for the 3-class model
        assert w.chart.lanes.labels == ["happy", "neutral", "sad"]
        assert any(len(c.getData()[0]) for c in w.chart.lanes.curves[1])
    finally:
        assert w.stop_worker()


def test_review_lanes_seek_show_the_switch_and_write_the_report_as_shown(
    qtbot, eight_class, calibrated, tmp_path
):
    from PySide6.QtCore import QPointF, Qt

    from fer_desktop.gui.review_window import ReviewWindow

    settings = tmp_path / "s.ini"
    path = copy_recording(eight_class, tmp_path)
    w = ReviewWindow(path, ini_settings(settings))
    qtbot.addWidget(w)
    w.resize(1200, 900)
    w.show()
    qtbot.waitExposed(w)
    assert w.chart.mode == LANES and w.chart_mode_box.currentData() == LANES
    rows = sorted(read_recording(path).faces, key=lambda r: r["t_source"])
    happy = w.chart.lanes.labels.index("happy")
    _xs, ys = w.chart.lanes.curves[1][happy].getData()
    assert np.allclose(ys, [r["smooth"]["happy"] for r in rows], atol=1e-4)
    # a click in the sad lane at 6 s shows the frame there, and every lane's cursor follows
    vb = w.chart.lanes.plots[w.chart.lanes.labels.index("sad")].vb
    at = w.chart.mapFromScene(vb.mapViewToScene(QPointF(6.0, 0.5)))
    qtbot.mouseClick(w.chart.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: abs(float(w.rec.times[w.current]) - 6.0) < 0.1, timeout=5000)
    t = float(w.rec.times[w.current])
    assert all(c.value() == pytest.approx(t) for c in w.chart.lane_cursors)
    page = w.make_report(ask=False)
    assert page.read_text().count("<g class='lane'>") == 8  # the report as the window shows it
    w.chart_mode_box.setCurrentIndex(w.chart_mode_box.findData(VALENCE))
    assert "<g class='lane'>" not in w.make_report(ask=False).read_text()
    w.close()
    # the choice is remembered: a 3-class recording opens in valence, then lanes on asking
    (tmp_path / "cal").mkdir()
    cal = copy_recording(calibrated, tmp_path / "cal")
    w = ReviewWindow(cal, ini_settings(settings))
    qtbot.addWidget(w)
    assert w.chart.mode == VALENCE
    w.chart_mode_box.setCurrentIndex(w.chart_mode_box.findData(LANES))
    assert w.chart.lanes.labels == ["happy", "neutral", "sad"]
    switches = [line for lines, made in zip(w.chart.lanes.lines, w.chart.lanes.line_makers,
                                            strict=True) if made[2] == "switches"
                for line in lines]  # fmt: skip
    assert len(switches) == 3  # one per lane, named once (in the bottom lane)
    assert [label_of(s) for s in switches] == [None, None, "calibrated"]  # the bottom lane
    assert switches[0].value() == pytest.approx(w.chart.switch_lines[0].value())
    w.close()
