"""Reports that say how far to trust them, on timelines the real pipeline wrote."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from fer_desktop.commands.analyze import analyze_video
from fer_desktop.overview import SORT_SCRIPT, write_overview
from fer_desktop.recording import read_recording
from fer_desktop.report import write_report
from fer_desktop.report.faces import moment
from fer_desktop.sources import DemoSource
from fer_desktop.stats import BRIEF_FACE_S, SMALL_FACE_PX, STANDS_OUT
from tests.conftest import shared_path, write_video


def demo_frames(n: int) -> list[np.ndarray]:
    return [f.bgr for f in DemoSource(fps=15.0, duration=n / 15.0, realtime=False)]


@pytest.mark.slow
def test_report_says_what_it_measures(tmp_path, pipeline, demo_video):
    row = analyze_video(pipeline, demo_video, tmp_path, "csv", 1, report=True)
    html = (tmp_path / "demo_report.html").read_text()
    assert "Expression report" in html and "mood" not in html.lower()
    assert "valence, p(happy) − p(sad), from −1 (surely sad) to +1 (surely happy)" in html
    assert "measured on 48×48 test photos (FER2013 PrivateTest" in html
    assert "right 88% of the time" not in html and "% of its labels matched" in html
    for heading in ("in view (s)", "median size (px)", "mean detection score"):
        assert f"<th>{heading}</th>" in html
    assert "weighted by time" in html
    # thumbnails: embedded and said so, or left out on request
    assert "data:image/jpeg;base64," in html and "Face thumbnails are embedded" in html
    _png, plain = write_report(tmp_path / "demo.csv", tmp_path / "plain", thumbnails=False)
    text = plain.read_text()
    assert "data:image/jpeg" not in text and "No face thumbnails are embedded" in text
    # the index row: one face seen for the whole clip, shares and valence weighted by time
    (face,) = read_recording(tmp_path / "demo.csv").summary.faces
    assert face.seconds == pytest.approx(3.0, abs=0.1) and face.median_px > SMALL_FACE_PX
    assert row["face_seconds"] == pytest.approx(face.seconds, abs=0.01)
    assert row["mean_valence_by_time"] == pytest.approx(face.mean_valence, abs=1e-3)
    shares = [row[f"share_{lab}_by_time"] for lab in ("happy", "neutral", "sad")]
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)
    assert row["status"] == "ok" and row["analysed_s"] == pytest.approx(3.0, abs=0.01)


def test_too_little_data_and_no_faces_say_so(tmp_path, pipeline):
    three = write_video(tmp_path / "three.avi", demo_frames(3))
    wall = write_video(tmp_path / "wall.avi", [np.full((480, 640, 3), 128, np.uint8)] * 10)
    row = analyze_video(pipeline, three, tmp_path, "csv", 1, report=True)
    assert row["faces"] == 1 and row.get("share_neutral_by_time", "") == ""
    summary = read_recording(tmp_path / "three.csv").summary.figures()
    assert summary["share"] == {} and summary["mean_valence"] == ""
    assert summary["note"].startswith("too little face data for shares (")
    assert row["note"] == summary["note"]
    html = (tmp_path / "three_report.html").read_text()
    assert "too little data (" in html and "100%" not in html
    row = analyze_video(pipeline, wall, tmp_path, "csv", 1, report=True)
    assert row["faces"] == 0 and row["note"] == "no faces found"
    html = (tmp_path / "wall_report.html").read_text()
    assert "<b>No faces found</b>" in html and "valence over time per face" not in html


@pytest.mark.slow
def test_brief_and_small_faces_are_folded_away(tmp_path, pipeline):
    crowd = shared_path("videos", "crowd_1080p.mp4")
    analyze_video(pipeline, crowd, tmp_path, "csv", 2, report=True)
    faces = read_recording(tmp_path / "crowd_1080p.csv").summary.faces
    doubtful = [f for f in faces if f.doubts()]
    assert doubtful and len(doubtful) < len(faces)  # people walk in and out, some far away
    for f in doubtful:
        assert f.seconds < BRIEF_FACE_S or f.median_px < SMALL_FACE_PX
    html = (tmp_path / "crowd_1080p_report.html").read_text()
    folded = html.split("<details><summary>Brief or small faces")[1]
    assert folded.startswith(f" ({len(doubtful)})")
    shown = html.split("<details>")[0]
    assert all(f"<b>face {f.face_id}</b>" not in shown for f in doubtful)
    assert all(f"<b>face {f.face_id}</b>" in folded for f in doubtful)


def test_a_moment_is_named_only_when_it_stands_out(tmp_path, pipeline, face_video):
    assert moment((3.0, -0.004), -1) == "–"  # not "saddest moment (-0.00)"
    assert moment((3.0, 0.2), +1) == "–"
    assert moment((63.5, -0.45), -1) == "01:03.50 (-0.45)"
    analyze_video(pipeline, face_video, tmp_path, "csv", 4, report=True)
    html = (tmp_path / f"{face_video.stem}_report.html").read_text()
    named = [float(v) for v in re.findall(r"\d\d:\d\d\.\d\d \(([+-]\d\.\d\d)\)", html)]
    assert all(abs(v) >= STANDS_OUT for v in named)


@pytest.mark.slow
def test_overview_links_reports_and_sorts_empty_cells_last(tmp_path, pipeline, demo_video):
    out = tmp_path / "out"
    rows = [analyze_video(pipeline, demo_video, out, "csv", 1, report=True)]
    wall = write_video(tmp_path / "wall.avi", [np.full((240, 320, 3), 90, np.uint8)] * 10)
    rows.append(analyze_video(pipeline, wall, out, "csv", 1, report=False))
    rows.append({"name": "broken", "status": "failed", "error": "broken.avi: not a video"})
    html = write_overview(rows, out).read_text()
    links = re.findall(r"<a href='([^']+)'>", html)
    assert links and all((out / link).is_file() for link in links)
    assert "demo_report.html" in links[0]
    assert "wall: no faces found" in html
    assert "<td data-v=''></td>" in html  # the failed video's empty shares stay empty
    made = re.search(r"Made by fer_desktop ([^<]*)", html).group(1)
    assert "?" not in made  # the failed video made nothing: it names no version or model
    assert rows[0]["app_version"] in made and rows[0]["model_sha256"][:12] in made
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node to run the overview's sort functions")
    script = SORT_SCRIPT.split("document.querySelectorAll")[0].replace("<script>", "")
    cells = ["0.5", "", "0", "-0.2", ""]
    code = (
        f"{script}\nconst cells = {json.dumps(cells)};\n"
        "for (const dir of [1, -1]) console.log(JSON.stringify("
        "[...cells].sort((a, b) => inOrder(sortKey(a), sortKey(b), dir))));"
    )
    up, down = subprocess.run([node, "-e", code], capture_output=True, text=True).stdout.split()
    assert json.loads(up) == ["-0.2", "0", "0.5", "", ""]
    assert json.loads(down) == ["0.5", "0", "-0.2", "", ""]


def test_face_colours_are_clearly_apart_and_apart_from_the_labels():
    """Faces 1, 8 and 10 of a crowd were three nearly equal reds (CIEDE2000 14 apart)."""
    from itertools import combinations

    from skimage.color import deltaE_ciede2000, rgb2lab

    from fer_desktop.gui.video_view import LABEL_COLOURS
    from fer_desktop.report import FACE_COLOURS

    def lab(colour: str) -> np.ndarray:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        return rgb2lab(np.array([[rgb]]))[0, 0]

    labels = [LABEL_COLOURS[name].name() for name in ("happy", "neutral", "sad")]
    for a, b in combinations(FACE_COLOURS, 2):
        assert deltaE_ciede2000(lab(a), lab(b)) >= 20, (a, b)
    for a in FACE_COLOURS:
        assert all(deltaE_ciede2000(lab(a), lab(b)) >= 20 for b in labels), a


def test_faces_that_share_a_colour_have_other_dashes_in_the_chart(tmp_path, blinking_video):
    """Face 11 takes face 1's colour: its line in the report's chart is dashed."""
    from fer_desktop import analyze_file
    from fer_desktop.report import FACE_COLOURS, chart_svg

    path = tmp_path / "blinking.jsonl"
    analyze_file(blinking_video, timeline=path, grace_seconds=0, reid_seconds=0, min_hits=1)
    svg = chart_svg(read_recording(path), "blinking")
    same = len(FACE_COLOURS) + 1
    strokes = {
        fid: re.search(rf"<polyline ([^>]*)><title>face {fid}\b", svg).group(1).split("points")[0]
        for fid in (1, same)
    }
    assert strokes[1] != strokes[same]
