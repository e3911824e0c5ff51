"""The report's chart: valence over time, one line per face, with bands and markers."""

from __future__ import annotations

from collections import defaultdict

from fer_desktop.recording import Recording
from fer_desktop.report.face_colours import face_colour, face_dash
from fer_desktop.stats import (
    STANDS_OUT,
    calibration_switches,
    face_name,
    frame_step,
)
from fer_desktop.svg_chart import Line, valence_chart


def chart_svg(
    rec: Recording,
    title: str,
    size: tuple[int, int] = (1000, 400),
    end: float | None = None,
    legend: bool = True,
) -> str:
    """Valence over time, one line per face (brief or small faces faint), with the bands
    where a moment stands out and the markers; "no faces found" when there are none."""
    faces = {f.face_id: f for f in rec.summary.faces}
    switches = calibration_switches(rec)
    by_face: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for row in rec.faces:
        by_face[int(row["face_id"])].append((row["t_source"], row["valence"]))
    lines = []
    for fid, pts in sorted(by_face.items()):
        if fid not in faces:
            continue
        faint = bool(faces[fid].doubts())
        label = face_name(rec, fid) + (" (brief/small)" if faint else "")
        lines.append(
            Line(sorted(pts), face_colour(fid), label, faint, switches.get(fid, []), face_dash(fid))
        )
    # a line breaks where its face was away for longer than a few frames (or a second)
    gap = max(1.0, 5 * frame_step(rec))
    markers = [(m["t_source"], m.get("note") or "") for m in rec.markers]
    return valence_chart(lines, markers, title, size, end, legend, STANDS_OUT, gap)
