"""Text from outside is data everywhere: marker notes with braces, `%s`, markup, quotes,
newlines, right-to-left text, emoji or 10 kB reach the live chart, the timeline, review (its
chart, lists and `fer-desktop review`), the HTML report and its SVG as they were sent,
never as a format string or markup; an event log's JSON-object event too."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

pytest.importorskip("pytestqt")

from fer_desktop.marker_labels import label_text
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, copy_recording
from tests.helpers import CLI

HOSTILE = [
    "{boss}",
    "{0} {value} }{",
    "%s %d %(x)s",
    "<script>alert('x')</script>",
    "<b>bold</b> & <img src=x>",
    "\"double\" and 'single' quotes",
    "line one\nline two\r\nthree",
    "مرحلة الزعيم",
    "boss 🐉 défeated",
]
LONG = "x{}" * 3400  # 10 kB


def test_the_live_chart_shows_each_note_as_it_is(qtbot):
    """Before: pyqtgraph formatted "{boss}" and raised KeyError; the marker was lost."""
    from fer_desktop.gui.mood_chart import MoodChart

    chart = MoodChart(60.0)
    qtbot.addWidget(chart)
    for k, note in enumerate([*HOSTILE, LONG]):
        chart.add_marker(5.0 * k, note)
    shown = [line.label.textItem.toPlainText() for _t, line in chart.markers]
    assert shown == [label_text(n) for n in [*HOSTILE, LONG]]
    assert shown[0] == "{boss}" and shown[2] == "%s %d %(x)s" and "\n" not in shown[6]
    assert len(shown[-1]) <= 24


def test_labels_of_markers_close_together_do_not_share_a_height(qtbot):
    """Six markers in 1.5 s of a 60 s chart: four heights, then short labels below them,
    not one strip; room again at the top further on."""
    from fer_desktop.gui.mood_chart import MoodChart

    chart = MoodChart(60.0)
    qtbot.addWidget(chart)
    for k in range(6):
        chart.add_marker(10.0 + 0.25 * k, f"wave number {k}")
    chart.add_marker(40.0, "far away")
    heights = [line.label.orthoPos for _t, line in chart.markers]
    texts = [line.label.textItem.toPlainText() for _t, line in chart.markers]
    assert len(set(heights[:4])) == 4 and heights[4] == heights[5] < min(heights[:4])
    assert texts[:4] == [f"wave number {k}" for k in range(4)]
    assert texts[4:6] == ["wav…", "wav…"]
    assert heights[6] == heights[0] and texts[6] == "far away"


def test_the_timeline_keeps_each_note_exactly(tmp_path, demo_video):
    from fer_desktop.marker_time import MarkerError
    from fer_desktop.session import Session, SessionOptions
    from fer_desktop.settings import Settings
    from fer_desktop.timeline import open_timeline

    for fmt in ("csv", "jsonl"):
        timeline = open_timeline(tmp_path / f"t.{fmt}", fmt)
        session = Session.from_settings(
            str(demo_video), Settings(), SessionOptions(realtime=False, max_frames=5), [timeline]
        )
        for note in HOSTILE:
            session.inbound_marker(note, "websocket")
        with pytest.raises(MarkerError, match="at most 1000 characters"):
            session.inbound_marker(LONG, "websocket")
        session.run()
        markers = read_timeline(timeline.path)["markers"]
        assert [m["note"] for m in markers] == HOSTILE, fmt
        assert {m["source"] for m in markers} == {"websocket"}


def words(text: str) -> str:
    return " ".join(text.split())


class _Texts(HTMLParser):
    """The text of each <li> of an HTML page."""

    def __init__(self):
        super().__init__()
        self.items: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "li":
            self.items.append("")
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "li":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.items[-1] += data


@pytest.mark.slow
def test_a_recording_with_hostile_notes_reviews_and_reports(qtbot, recorded_demo, tmp_path):
    """Before: `report --import-events` of such a log, then `fer-desktop review` exited 3
    ("internal error (KeyError)")."""
    from PySide6.QtCore import QSettings

    from fer_desktop.gui.review_window import ReviewWindow

    timeline = copy_recording(recorded_demo, tmp_path)
    walls = [f["t_wall"] for f in read_timeline(timeline)["frames"]]
    notes = [*HOSTILE, LONG]
    rows = [{"t_wall": walls[2 + 3 * k], "event": n} for k, n in enumerate(notes)]
    rows.append({"t_wall": walls[-3], "event": {"boss": {"hp": 3}, "say": "%s{x}"}})
    log = tmp_path / "game.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = subprocess.run(
        [*CLI, "report", str(timeline), "--import-events", str(log), "--no-thumbnails"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"line {len(notes)}: note longer than 1000 characters" in out.stderr
    expected = [*HOSTILE, json.dumps(rows[-1]["event"])]

    # the report: each note in the marker list as text; the SVG is well-formed XML
    page = (tmp_path / f"{timeline.stem}_report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x>" not in page
    parser = _Texts()
    parser.feed(page)
    items = [words(item) for item in parser.items]  # a page's line breaks are spaces
    for note in expected:
        assert any(words(note) in item for item in items), note
    svg = ET.parse(tmp_path / f"{timeline.stem}_report.svg").getroot()
    texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    titles = [words(t.text) for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    for note in expected:
        assert words(note) in titles
        assert any(text.endswith(label_text(note)) for text in texts)

    # review: the window, its chart and marker list
    w = ReviewWindow(timeline, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    assert [m.note for m in w.rec.markers] == [n.strip() for n in expected]
    labels = [line.label.textItem.toPlainText() for line in w.chart._marker_lines]
    assert labels == [label_text(f"{k} {n.strip()}") for k, n in enumerate(expected, 1)]
    assert w.markers.item(0).text().endswith("{boss} (import)")
    w.close()

    # `fer-desktop review` opens it and closes cleanly
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [*CLI, "review", str(timeline), "--exit-after", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Error" not in out.stderr
