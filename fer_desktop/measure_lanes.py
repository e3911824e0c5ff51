"""One lane per measure (issue #31): review's third chart, beside valence and one lane per
expression. Head yaw and pitch, eye openness, mouth opening, and the action-unit proxies when
the recording has them, each over time in a lane of its own on a fixed scale, one line per
person. No Qt: the window (`gui/review_chart.py`) draws from it, through the lanes view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fer_desktop.action_units import PROXIES

if TYPE_CHECKING:
    from fer_desktop.recording import Recording
    from fer_desktop.review import Review

MEASURES = "measures"  # the chart mode


@dataclass(frozen=True)
class MeasureLane:
    """A lane: its name (with the unit), the measure columns it shows (their mean: both
    eyes) and the scale it is drawn on (values beyond it run off the lane)."""

    name: str
    columns: tuple[str, ...]
    low: float
    high: float


BASE_LANES = (
    MeasureLane("yaw (°)", ("yaw",), -45.0, 45.0),
    MeasureLane("pitch (°)", ("pitch",), -45.0, 45.0),
    MeasureLane("eye openness", ("eye_open_right", "eye_open_left"), 0.0, 0.5),
    MeasureLane("mouth opening", ("mouth_open",), 0.0, 1.0),
)
AU_LANES = tuple(
    MeasureLane(
        f"{name.replace('_', ' ')} (IOD)", (f"au_{name}",),
        -0.2, 1.0 if name == "eye_closure" else 0.3,
    )
    for name in PROXIES
)  # fmt: skip


def measure_lanes(rec: Recording) -> list[MeasureLane]:
    """The lanes a recording has: none without the mesh; the AU proxies' only where some
    row has a value."""
    if not rec.has_mesh:
        return []
    m = rec.measures
    return [*BASE_LANES, *(lane for lane in AU_LANES if np.isfinite(m[lane.columns[0]]).any())]


def lane_values(m: dict[str, np.ndarray], lanes: list[MeasureLane]) -> np.ndarray:
    """A row per face row, a column per lane (NaN: not measured)."""
    cols = [np.mean([m[c] for c in lane.columns], axis=0) for lane in lanes]
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def review_measure_series(
    review: Review, lanes: list[MeasureLane]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per person, (recording time, a row of lane values per reading) for the measure lanes,
    with a NaN row where a line would cross a seek, a gap or a stretch the person was not
    seen in (as `Review.chart_series`)."""
    if not lanes:
        return {}
    shown = review.shown()  # on the recording time, ids merged into their person
    values = lane_values(shown.measures, lanes)
    rows = review.axis.rows_of_frames([int(f["frame"]) for f in shown.faces])
    gap = np.full(len(lanes), np.nan)
    series: dict[int, tuple[list[float], list[np.ndarray]]] = {}
    last: dict[int, int] = {}
    order = sorted(range(len(shown.faces)), key=lambda i: shown.faces[i]["t_source"])
    for i in order:
        k, pid = int(rows[i]), int(shown.faces[i]["face_id"])
        if k < 0:
            continue
        xs, out = series.setdefault(pid, ([], []))
        t = float(review.times[k])
        if pid in last and review.axis.broken(last[pid], k):
            xs.append(t)
            out.append(gap)
        xs.append(t)
        out.append(values[i])
        last[pid] = k
    return {
        pid: (np.array(xs), np.array(out).reshape(len(xs), len(lanes)))
        for pid, (xs, out) in series.items()
    }
