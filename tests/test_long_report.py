"""Long recordings stay readable: a 10-minute recording (the talking-head clip analysed with
the 8-class model, its rows looped 75 times) gets a chart of medians and ranges per bin, fixed
segments on request, and a faces table that fits its page in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fer_desktop.cli import main
from fer_desktop.recording import read_recording
from fer_desktop.report import chart_svg
from fer_desktop.svg_chart import BIN_PX, binned
from tests.conftest import loop_timeline

COPIES = 75  # 8 s x 75: ten minutes


@pytest.fixture(scope="module")
def short_timeline(tmp_path_factory, face_video) -> Path:
    out = tmp_path_factory.mktemp("analysed")
    assert main(["analyze", str(face_video), "--model", "8class", "--out", str(out)]) == 0
    return out / f"{face_video.stem}.csv"


@pytest.fixture(scope="module")
def long_timeline(tmp_path_factory, short_timeline) -> Path:
    return loop_timeline(short_timeline, tmp_path_factory.mktemp("long") / "ten.csv", COPIES)


def polylines(svg: str) -> list[list[tuple[float, float]]]:
    runs = re.findall(r"<polyline [^>]*points='([^']*)'", svg)
    return [[tuple(map(float, p.split(","))) for p in run.split()] for run in runs]


@pytest.mark.slow
def test_a_long_chart_draws_the_median_and_range_of_each_bin(long_timeline, short_timeline):
    """Before: each line zig-zagged between every bucket's lowest and highest value, a solid
    band of colour."""
    rec = read_recording(long_timeline).shown
    svg = chart_svg(rec, "ten minutes")
    (line,) = polylines(svg)
    plot_px = 1000 - 58 - 12 - 170  # the chart's width less its axis and legend
    assert len(line) <= plot_px / BIN_PX + 1
    assert len(re.findall(r"<polygon class='range'", svg)) == 1
    # the bins against numpy's medians of the same rows
    t = np.array([f["t_source"] for f in rec.faces])
    v = np.array([f["valence"] for f in rec.faces])
    bins = binned(list(zip(t, v, strict=True)), 2.5)
    keys = np.floor(t / 2.5)
    assert [b.median for b in bins] == pytest.approx(
        [np.median(v[keys == k]) for k in np.unique(keys)]
    )
    assert [(b.lo, b.hi) for b in bins] == [
        (v[keys == k].min(), v[keys == k].max()) for k in np.unique(keys)
    ]
    # a short recording keeps every reading
    short = read_recording(short_timeline).shown
    short_svg = chart_svg(short, "eight seconds")
    assert [len(run) for run in polylines(short_svg)] == [len(short.faces)]
    assert "<polygon" not in short_svg


@pytest.mark.slow
def test_fixed_segments_on_request(long_timeline, tmp_path):
    """Before: one segment, "whole session" (and --segments was no option)."""
    page = tmp_path / "report.html"
    args = ["report", str(long_timeline), "--no-thumbnails", "--out", str(page)]
    assert main([*args, "--segments", "60s"]) == 0
    text = page.read_text(encoding="utf-8")
    names = re.findall(r"<td>(60 s segment \d+)</td><td>([\d:.]+)–([\d:.]+)", text)
    assert [n for n, _a, _b in names] == [f"60 s segment {k}" for k in range(1, 11)]
    assert names[2][1:] == ("02:00.00", "03:00.00")
    # the third minute's shares against the rows' own labels in it
    rec = read_recording(long_timeline).shown
    labels = [f["label"] for f in rec.faces if 120 <= f["t_source"] <= 180]
    row = re.search(r"60 s segment 3</td>.*?</tr>", text).group(0)
    cells = [int(c) for c in re.findall(r"<td>(\d+)%</td>", row)]
    expected = [100 * labels.count(lab) / len(labels) for lab in rec.header["labels"]]
    assert cells == pytest.approx(expected, abs=1.5)
    assert main([*args, "--segments", "0"]) == 2


@pytest.mark.slow
def test_the_faces_table_fits_its_page_in_a_browser(long_timeline, tmp_path, browser):
    """Before: with the 8-class model (and thumbnails) the table ran past the page."""
    page = tmp_path / "report.html"
    assert main(["report", str(long_timeline), "--out", str(page)]) == 0
    browser.set_window_size(1100, 900)
    browser.get(page.as_uri())
    body, tables, headings = browser.execute_script(
        "const right = e => e.getBoundingClientRect().right;"
        "return [right(document.body), [...document.querySelectorAll('table')].map(right),"
        "[...document.querySelectorAll('th')].map(th => th.textContent)]"
    )
    assert all(right <= body + 0.5 for right in tables), (body, tables)
    assert {"contempt", "fear", "anger", "happiest moment"} <= set(headings)
