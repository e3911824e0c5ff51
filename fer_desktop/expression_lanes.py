"""One lane per expression (issue #32): each class's probability, 0 to 1, over time and per
face, stacked one lane under another, as the other way to read a recording besides valence.

With 8 expressions a single valence line hides surprise (it counts 0) and which unpleasant
expression it was; the lanes show each. What a lane shows is a face's smoothed
probabilities, the values its label and valence follow (the calibrated ones once it has a
baseline), so the lanes and the valence chart always agree. This module holds no Qt: the
windows (`gui/expression_lanes_view.py`) and the report (`lanes_svg`) draw from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from fer_desktop.recording import Recording
    from fer_desktop.review import Review

VALENCE, LANES = "valence", "lanes"
CHART_MODES = (VALENCE, LANES)
LANES_ABOVE = 3  # a model with more classes than this shows lanes unless told otherwise
LANES_NOTE = (
    "One lane per expression: each face's probability of that expression (0 to 1, after "
    "smoothing; the calibrated values once its baseline was taken), a line per face in its "
    "colour."
)


def lanes_by_default(labels: list[str]) -> bool:
    """Whether a model with these labels shows lanes when nobody chose: with more than
    LANES_ABOVE classes."""
    return len(labels) > LANES_ABOVE


def chart_mode(chosen: object, labels: list[str]) -> str:
    """The chart to show: the one chosen (a saved setting, any type) when it is one of
    CHART_MODES, else the default for these labels."""
    if chosen in CHART_MODES:
        return str(chosen)
    return LANES if lanes_by_default(labels) else VALENCE


def review_lane_series(review: Review) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per person, (recording time, probabilities) for review's lanes: one row per reading,
    one column per label of the recording, and a NaN row where a line would cross a seek, a
    gap or a stretch the person was not seen in (as `Review.chart_series`)."""
    width = len(review.labels)
    gap = np.full(width, np.nan)
    series: dict[int, tuple[list[float], list[np.ndarray]]] = {}
    last: dict[int, int] = {}
    for k, f in enumerate(review.frames):
        t = float(review.times[k])
        for face in f.faces:
            pid = review.person(face.id)[0]
            xs, rows = series.setdefault(pid, ([], []))
            if pid in last and review.axis.broken(last[pid], k):
                xs.append(t)
                rows.append(gap)
            xs.append(t)
            rows.append(np.asarray(face.smooth, float)[:width])
            last[pid] = k
    return {
        pid: (np.array(xs), np.array(rows).reshape(len(xs), width))
        for pid, (xs, rows) in series.items()
    }


def recording_lanes(rec: Recording) -> dict[int, dict[str, list[tuple[float, float]]]]:
    """face id -> label -> (time, smoothed probability) of a recording's face rows, in time
    order. A row without a label (a stretch analysed with a model that did not have it)
    leaves a gap in that lane, not a zero."""
    out: dict[int, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for row in sorted(rec.faces, key=lambda r: r["t_source"]):
        lanes = out[int(row["face_id"])]
        for label, p in (row.get("smooth") or {}).items():
            lanes[label].append((row["t_source"], float(p)))
    return out


def lanes_svg(
    rec: Recording,
    title: str,
    face_style: tuple[Callable[[int], str], Callable[[int], str]],
    width: int = 1000,
    end: float | None = None,
) -> str:
    """The report's lanes chart of a recording as shown (`Recording.shown`): one lane per
    label, one line per face (brief or small faces faint) in its colour and dashes
    (`face_style`: the report's face_colour and face_dash), the markers, and each switch
    between raw and calibrated values."""
    from fer_desktop.stats import calibration_switches, face_name, frame_step
    from fer_desktop.svg_chart import Line, expression_lanes_chart

    face_colour, face_dash = face_style
    faces = {f.face_id: f for f in rec.summary.faces}
    switches = calibration_switches(rec)
    points = recording_lanes(rec)
    labels = rec.header.get("labels") or rec.labels
    lanes: list[tuple[str, list[Line]]] = [(label, []) for label in labels]
    for fid in sorted(points):
        if fid not in faces:
            continue
        faint = bool(faces[fid].doubts())
        name = face_name(rec, fid) + (" (brief/small)" if faint else "")
        for label, lines in lanes:
            pts = points[fid].get(label, [])
            lines.append(
                Line(pts, face_colour(fid), name, faint, switches.get(fid, []), face_dash(fid))
            )
    gap = max(1.0, 5 * frame_step(rec))  # as the valence chart: away over a few frames
    markers = [(m["t_source"], m.get("note") or "") for m in rec.markers]
    return expression_lanes_chart(lanes, markers, title, width, end, gap)
