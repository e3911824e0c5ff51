"""Eyes and head in the report and in review (issue #31), on real recordings made with the
face mesh: the talking-head clip, and a clip of Yale subject 10's open-eyed photo with their
sleepy photo held for three short closures and one long one. Every figure is checked
against a count by hand from `read_timeline`'s rows with numpy and pandas; the report is read
in headless Chromium and the review window's measure lanes in a real widget."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from fer_desktop.measure_stats import measure_stats
from fer_desktop.recording import read_recording
from fer_desktop.timeline import read_timeline
from tests.conftest import shared_path, write_av_video
from tests.helpers import ini_settings, run_cli

FPS = 10
SUBJECT = "yale_subject10"  # open 0.33, sleepy 0.18 (lid gap over eye width)
# (photo, frames): open 3 s, three 0.3 s closures 1 s apart, closed 2 s, open 2 s
PLAN = [("open", 30), ("sleepy", 3), ("open", 10), ("sleepy", 3), ("open", 10),
        ("sleepy", 3), ("open", 10), ("sleepy", 20), ("open", 20)]  # fmt: skip
ONSETS = [3.0, 4.3, 5.6, 6.9]


def _photo(folder: str, kind: str) -> np.ndarray:
    img = cv2.imread(str(shared_path("faces", "yale", folder, f"{SUBJECT}_{kind}.png")))
    return cv2.copyMakeBorder(img, 0, 1, 0, 0, cv2.BORDER_REPLICATE)  # even height for H.264


def _analyze(video: Path, out: Path, *options: str) -> Path:
    done = run_cli("analyze", video, "--out", out, "--report", "--quiet", "--jobs", "1", *options)
    assert done.returncode == 0, done.stderr
    return out / f"{video.stem}.csv"


@pytest.fixture(scope="module")
def blinking(tmp_path_factory) -> Path:
    """The Yale clip analysed with --mesh face --calibrate 2 (its first 3 s are neutral and
    still: the resting face), with 5 s segments: the timeline."""
    photos = {"open": _photo("neutral", "normal"), "sleepy": _photo("sleepy", "sleepy")}
    folder = tmp_path_factory.mktemp("blinking")
    frames = [photos[kind] for kind, n in PLAN for _ in range(n)]
    clip = write_av_video(folder / "blinking.mp4", frames, fps=FPS)
    return _analyze(clip, folder, "--mesh", "face", "--calibrate", "2", "--segments", "5")


@pytest.fixture(scope="module")
def talking(face_video, tmp_path_factory) -> Path:
    """The talking-head clip analysed with --mesh face and no calibration: the timeline."""
    return _analyze(face_video, tmp_path_factory.mktemp("talking"), "--mesh", "face")


def by_hand(timeline: Path) -> pd.DataFrame:
    """The face rows as a table: time, weight (until the next row, at most twice the usual
    step), mean eye openness, closed (the blink rule against the 90th percentile: from a
    fall of 15% of it below the highest of the previous 0.15 s (at least the previous row)
    or a reading below 0.6 of it, until a reading 10% of it above the lowest since), yaw,
    pitch, mouth and the eye-closure proxy."""
    rows = read_timeline(timeline)["faces"]
    df = pd.DataFrame(
        {
            "t": [r["t_source"] for r in rows],
            "open": [np.mean(list(r["mesh"]["eye_openness"].values())) for r in rows],
            "yaw": [r["mesh"]["head_pose_deg"]["yaw"] for r in rows],
            "pitch": [r["mesh"]["head_pose_deg"]["pitch"] for r in rows],
            "mouth": [r["mesh"]["mouth_opening"] for r in rows],
            "au43": [(r["mesh"]["action_units"] or {}).get("eye_closure", np.nan) for r in rows],
        }
    )
    step = df.t.diff().median()
    df["w"] = df.t.diff().shift(-1).clip(upper=2 * step).fillna(step)
    level = np.percentile(df.open, 90)
    closed, state, lowest = [], False, np.inf
    for i, (t, v) in enumerate(zip(df.t, df.open, strict=True)):
        before = df.open[(df.t >= t - 0.15 - 1e-6) & (df.t < t)]
        before = before if len(before) or i == 0 else df.open[i - 1 : i]
        if state:
            lowest = min(lowest, v)
            state = v < lowest + 0.1 * level
        elif (len(before) and before.max() - v >= 0.15 * level) or v < 0.6 * level:
            state, lowest = True, v
        closed.append(state)
    df["closed"] = closed
    return df


def test_blinks_perclos_and_au_proxies_per_segment_match_a_count_by_hand(blinking, browser):
    df = by_hand(blinking)
    onsets = df.t[df.closed & ~df.closed.shift(fill_value=False)].round(2).tolist()
    assert onsets == ONSETS  # the clip's four closures, found by hand
    perclos = df.closed.cumsum() / np.arange(1, len(df) + 1)  # the clip is under 60 s
    rec = read_recording(blinking).shown
    parts = [("whole", 0.0, 99.0), ("first 5 s", 0.0, 5.0), ("then", 5.0, 10.0)]
    (_, _, _, [whole]), (_, _, _, [first]), (_, _, _, [then]) = measure_stats(rec, parts)
    assert whole.blinks == 4 and (first.blinks, then.blinks) == (2, 2)  # by onset
    assert whole.eye_seconds == pytest.approx(df.w.sum())
    assert whole.blinks_per_min == pytest.approx(60 * 4 / df.w.sum())
    assert whole.perclos_max == pytest.approx(perclos.max())
    assert whole.perclos_mean == pytest.approx(perclos.mean())
    inside = (df.t >= 5.0) & (df.t <= 10.0)
    assert then.perclos_mean == pytest.approx(perclos[inside].mean())
    assert whole.away_s == 0.0 and whole.yawns == 0  # a still, frontal, closed-mouth face
    assert whole.mouth_mean == pytest.approx(df.mouth.mean())
    # AU proxies: only after the resting face was taken, and eye closure where it was closed
    assert df.au43.isna().any() and whole.au_means["eye_closure"] == pytest.approx(df.au43.mean())
    assert df.au43[df.closed].min() > 0.3 and df.au43[~df.closed].abs().median() < 0.01
    # the report, read in a browser: the tables and the note defining them
    browser.get(blinking.with_name("blinking_report.html").as_uri())
    eyes = [r.text for r in browser.find_elements("css selector", "table.eyes tr")]
    assert eyes[1].startswith("whole session") and f"{60 * 4 / df.w.sum():.1f} (4)" in eyes[1]
    assert f"{perclos.mean():.2f} {perclos.max():.2f} 0.0 s (0%)" in eyes[1]
    assert [r.split(" ")[1] for r in eyes[2:]] == ["s"] * 3  # "5 s segment N" rows
    aus = browser.find_element("css selector", "table.aus").text
    assert f"{df.au43.mean():+.3f}" in aus and "--calibrate" not in aus
    note = browser.find_element("xpath", "//table[@class='aus']/following-sibling::p").text
    assert "PERCLOS" in note and "60 s" in note and "30° across" in note


def test_talking_head_looking_away_and_mouth_match_and_aus_need_calibrate(talking):
    df = by_hand(talking)
    away = (df.yaw.abs() > 30) | (df.pitch.abs() > 20)  # the distracted alert's tolerance
    rec = read_recording(talking).shown
    ((_, _, _, [s]),) = measure_stats(rec, [("whole", 0.0, 99.0)])
    assert 0 < away.sum() < len(df)  # the clip looks down now and then
    assert s.away_s == pytest.approx(df.w[away].sum())
    assert s.away_share == pytest.approx(df.w[away].sum() / df.w.sum())
    assert s.mouth_mean == pytest.approx(df.mouth.mean())
    onsets = (df.closed & ~df.closed.shift(fill_value=False)).sum()
    assert s.blinks == onsets and s.au_means == {}
    page = talking.with_name("talking_head_512_report.html").read_text(encoding="utf-8")
    assert page.count("AU proxies need --calibrate") == 1  # one segment: the whole session
    assert f"{s.away_s:.1f} s ({100 * s.away_share:.0f}%)" in page


def test_without_the_mesh_no_eyes_and_head_section_and_no_measure_lanes(
    qtbot, face_video, tmp_path
):
    pytest.importorskip("pytestqt")
    from fer_desktop.gui.review_window import ReviewWindow

    timeline = _analyze(face_video, tmp_path)
    page = timeline.with_name("talking_head_512_report.html")
    assert "Eyes and head" not in page.read_text(encoding="utf-8")
    settings = ini_settings(tmp_path / "s.ini")
    settings.setValue("chart_mode", "measures")  # chosen in another review
    w = ReviewWindow(timeline, settings)
    qtbot.addWidget(w)
    box = w.chart_mode_box
    assert [box.itemData(i) for i in range(box.count())] == ["valence", "lanes"]
    assert w.chart.mode == "valence" and box.currentData() == "valence"  # 3 classes: valence
    w.close()


def test_review_shows_one_lane_per_measure_from_the_recording(qtbot, blinking, tmp_path):
    pytest.importorskip("pytestqt")
    from fer_desktop.gui.review_window import ReviewWindow
    from fer_desktop.measure_lanes import MEASURES

    settings = ini_settings(tmp_path / "s.ini")
    w = ReviewWindow(blinking, settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    box = w.chart_mode_box
    assert [box.itemData(i) for i in range(box.count())] == ["valence", "lanes", MEASURES]
    box.setCurrentIndex(box.findData(MEASURES))
    assert w.chart.mode == MEASURES and w.chart.centralWidget is w.chart.measure_lanes
    names = w.chart.measure_lanes.labels
    assert names[:4] == ["yaw (°)", "pitch (°)", "eye openness", "mouth opening"]
    assert "eye closure (IOD)" in names and len(names) == 12  # the 8 proxies: calibrated
    df = by_hand(blinking)
    xs, ys = w.chart.measure_lanes.curves[1][names.index("eye openness")].getData()
    assert np.allclose(xs, df.t) and np.allclose(ys, df.open)
    _, au = w.chart.measure_lanes.curves[1][names.index("eye closure (IOD)")].getData()
    assert np.array_equal(np.isnan(au), df.au43.isna().to_numpy())
    w.show_frame(50)  # every lane's cursor follows the frame shown
    assert all(c.value() == pytest.approx(5.0) for c in w.chart.lane_cursors)
    assert settings.value("chart_mode") == MEASURES
    w.close()
