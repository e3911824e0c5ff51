"""A report for a recording: valence chart per face (SVG, beside and inside a self-contained
HTML file that opens offline), share of time in each label, strongest moments and markers.

One idea per module:
- `face_colours`: one colour and line style per face id (the window uses them too);
- `clock`: times as the report writes them;
- `chart`: the valence chart;
- `faces`: the face tables, moments and baselines;
- `segments`: the segment table;
- `eyes_head`: the eyes-and-head tables (face mesh on), figures from measure_stats;
- `thumbnails`: a small picture of each face, cut from the video;
- `page`: the HTML page;
- `writing`: where a report goes, and writing its two files.
"""

from fer_desktop.report.chart import chart_svg
from fer_desktop.report.face_colours import FACE_COLOURS, face_colour, face_dash
from fer_desktop.report.page import RESPONSIBLE_USE, VALENCE_NOTE, WEIGHTING_NOTE, render_html
from fer_desktop.report.thumbnails import face_thumbnails
from fer_desktop.report.writing import report_paths, write_recording_report, write_report

__all__ = [
    "FACE_COLOURS",
    "RESPONSIBLE_USE",
    "VALENCE_NOTE",
    "WEIGHTING_NOTE",
    "chart_svg",
    "face_colour",
    "face_dash",
    "face_thumbnails",
    "render_html",
    "report_paths",
    "write_recording_report",
    "write_report",
]
