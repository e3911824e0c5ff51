"""Where a report goes and writing it: the chart (SVG) and the page (HTML)."""

from __future__ import annotations

from pathlib import Path

from fer_desktop.expression_lanes import lanes_by_default, lanes_svg
from fer_desktop.recording import Recording, read_recording
from fer_desktop.report.chart import chart_svg
from fer_desktop.report.face_colours import face_colour, face_dash
from fer_desktop.report.page import render_html
from fer_desktop.stats import (
    coverage,
)


def report_paths(timeline_path: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Where a timeline's report goes: <stem>_report.svg (the chart) and .html, beside it or
    in out_dir."""
    timeline_path = Path(timeline_path)
    out_dir = Path(out_dir) if out_dir else timeline_path.parent
    stem = timeline_path.stem
    return out_dir / f"{stem}_report.svg", out_dir / f"{stem}_report.html"


def write_report(
    timeline_path: Path,
    out_dir: Path | None = None,
    thumbnails: bool = True,
    analysed_s: float | None = None,
    duration_s: float | None = None,
    segment_s: float | None = None,
    lanes: bool | None = None,
) -> tuple[Path, Path]:
    """Write <stem>_report.svg and <stem>_report.html beside the timeline (or in out_dir);
    see `write_recording_report`."""
    rec = read_recording(timeline_path)
    return write_recording_report(
        rec, out_dir, thumbnails, analysed_s, duration_s, segment_s, lanes
    )


def write_recording_report(
    rec: Recording,
    out_dir: Path | None = None,
    thumbnails: bool = True,
    analysed_s: float | None = None,
    duration_s: float | None = None,
    segment_s: float | None = None,
    lanes: bool | None = None,
) -> tuple[Path, Path]:
    """Write a recording's <stem>_report.svg and <stem>_report.html beside its timeline (or
    in out_dir), as it is shown (`Recording.shown`: on its recording time, review's edits).

    `thumbnails` embeds a small picture of each face (cut from the video); `analysed_s` is
    how much of the video was read (from analyze) and `duration_s` the length its container
    gives (else the timeline's header says), to tell a file that ends early; `segment_s`
    adds segments of that length to the segment table; `lanes` draws one lane per
    expression instead of valence (None: when the model has more than 3 classes).
    """
    if duration_s is not None:
        rec = rec.with_header(source_duration_s=duration_s)
    shown = rec.shown
    source = rec.header.get("source", rec.path.stem)
    chart_path, html_path = report_paths(rec.path, out_dir)
    analysed, _duration = coverage(shown, analysed_s)
    lanes = lanes_by_default(shown.labels) if lanes is None else lanes
    title = f"Expression over time: {source}"
    if lanes:
        chart = lanes_svg(shown, title, (face_colour, face_dash), end=analysed)
    else:
        chart = chart_svg(shown, title, end=analysed)
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart_path.write_text(chart, encoding="utf-8")
    page = render_html(shown, chart, rec.path.name, thumbnails, analysed_s, segment_s, lanes)
    html_path.write_text(page, encoding="utf-8")
    return chart_path, html_path
