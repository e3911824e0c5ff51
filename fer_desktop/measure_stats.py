"""Eyes-and-head figures of a recording made with the face mesh, per face and per stretch of
time: blinks per minute, PERCLOS, time looking away, mouth opening and yawns, and the
action-unit proxies' means. No HTML: the report shows them, a study may reuse them.

Each face's series is read once over the whole recording (`face_series`), so a blink or a
yawn is found as a whole even when a segment cuts through it; a segment then counts the
events that start inside it and averages the rows inside it (`FaceSeries.stats`).

- openness: the mean of both eyes' openness (measures.eye_openness); a row without it (face
  turned too far, too small) ends a closure and counts neither way.
- blinks: `measures.blinks` on that series, against the face's own open level (the 90th
  percentile of the whole series); per minute of time with eye measures.
- PERCLOS: `measures.perclos` over the rows with eye measures, a rolling window of
  alerts.Thresholds' `perclos_window_s` (60 s; shorter recordings use what was seen so far);
  the mean and the highest value over the segment's rows.
- looking away: the head's direction (plus the gaze's, with --mesh eyes) beyond the
  tolerance of the `distracted` alert (alerts.py: 30° across, 20° up or down from the road);
  seconds and share of the time with a head pose.
- mouth: mean opening (inner-lip gap over mouth width); yawns: stretches opened to the
  yawn alert's `yawn_opening` (0.5), lasting until below `yawn_clear`, at least `yawn_s`.
- AU proxies (action_units.py): means over the rows that have them (none before a face has
  a resting face; none without --calibrate).

Each row counts for the time until the face's next row, capped at twice the usual step (as
stats.py weighs the expression shares).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from fer_desktop.action_units import PROXIES
from fer_desktop.alerts import Thresholds, gaze_deg
from fer_desktop.measures import Blink, blinks, open_level, perclos
from fer_desktop.recording import Recording
from fer_desktop.stats import frame_step

AU_COLUMNS = tuple(f"au_{name}" for name in PROXIES)


def row_seconds(t: np.ndarray, step: float) -> np.ndarray:
    """Each row's time: until the next row, capped at twice the usual step (the last: one
    usual step)."""
    steps = np.diff(t)
    typical = float(np.median(steps)) if len(steps) else step
    typical = typical if typical > 0 else step
    return np.append(np.minimum(steps, 2 * typical), typical) if len(t) else np.zeros(0)


def stretches(values: np.ndarray, start: float, clear: float) -> list[tuple[int, int]]:
    """(first, last + 1) rows of each stretch where `values` reached `start` and stayed at
    or above `clear` (hysteresis); NaN ends a stretch."""
    out, first = [], None
    for i, v in enumerate(values):
        if first is None and v >= start:
            first = i
        elif first is not None and not v >= clear:  # NaN too
            out.append((first, i))
            first = None
    if first is not None:
        out.append((first, len(values)))
    return out


@dataclass(frozen=True)
class MeasureStats:
    """One face's eyes-and-head figures over a stretch of time (None: nothing measured)."""

    face_id: int
    eye_seconds: float  # time with eye measures
    pose_seconds: float  # time with a head pose
    blinks: int  # closures that started in the stretch
    blinks_per_min: float | None
    perclos_mean: float | None  # 0..1
    perclos_max: float | None
    away_s: float | None  # looking away, seconds
    away_share: float | None  # of pose_seconds, 0..1
    mouth_mean: float | None  # mouth opening, unitless
    yawns: int  # yawns that started in the stretch
    au_means: dict[str, float] = field(default_factory=dict)  # proxy -> mean (IOD units)


@dataclass
class FaceSeries:
    """One face's rows in time order, with what is found over the whole of them."""

    face_id: int
    t: np.ndarray
    seconds: np.ndarray  # each row's weight
    openness: np.ndarray  # NaN: no eye measure
    perclos: np.ndarray  # NaN where no eye measure
    blinks: list[Blink]
    away: np.ndarray  # 1.0 looking away, 0.0 not, NaN no head pose
    mouth: np.ndarray
    yawn_starts: np.ndarray  # times
    au: dict[str, np.ndarray]  # proxy -> values (NaN: none)

    def stats(self, start: float = -math.inf, end: float = math.inf) -> MeasureStats:
        """The figures of the rows from `start` to `end` seconds (inclusive)."""
        inside = (self.t >= start) & (self.t <= end)
        w = self.seconds[inside]
        eyes = np.isfinite(self.openness[inside])
        eye_s = float(w[eyes].sum())
        count = sum(start <= b.onset <= end for b in self.blinks)
        pose = np.isfinite(self.away[inside])
        pose_s = float(w[pose].sum())
        away_s = float((w * np.nan_to_num(self.away[inside])).sum()) if pose_s else None
        au = {
            name: float(np.nanmean(v[inside]))
            for name, v in self.au.items()
            if np.isfinite(v[inside]).any()
        }
        return MeasureStats(
            self.face_id,
            eye_s,
            pose_s,
            count,
            60.0 * count / eye_s if eye_s > 0 else None,
            _mean(self.perclos[inside]),
            float(np.nanmax(self.perclos[inside])) if eyes.any() else None,
            away_s,
            away_s / pose_s if pose_s else None,
            _mean(self.mouth[inside]),
            int(((self.yawn_starts >= start) & (self.yawn_starts <= end)).sum()),
            au,
        )


def _mean(values: np.ndarray) -> float | None:
    return float(np.nanmean(values)) if np.isfinite(values).any() else None


def looking_away(m: dict[str, np.ndarray], th: Thresholds) -> np.ndarray:
    """Per row: 1.0 when head (plus gaze) points beyond the distracted alert's tolerance,
    0.0 within it, NaN without a head pose (alerts.off_road, without its hysteresis)."""
    yaw, pitch = m["yaw"].copy(), m["pitch"].copy()
    has_gaze = np.isfinite(m["gaze_x"]) & np.isfinite(m["gaze_y"])
    for i in np.flatnonzero(has_gaze):
        gx, gy = gaze_deg((m["gaze_x"][i], m["gaze_y"][i]))
        yaw[i], pitch[i] = yaw[i] + gx, pitch[i] - gy
    away = (np.abs(yaw - th.road_yaw_deg) > th.yaw_deg) | (
        np.abs(pitch - th.road_pitch_deg) > th.pitch_deg
    )
    return np.where(np.isfinite(yaw) & np.isfinite(pitch), away.astype(float), np.nan)


def face_series(rec: Recording, th: Thresholds | None = None) -> dict[int, FaceSeries]:
    """face id -> its series (see the module), from `rec`'s face rows as they are (give
    `rec.shown` for the recording time and review's merges). Empty without the mesh."""
    if not rec.has_mesh:
        return {}
    th = th or Thresholds()
    rows: dict[int, list[int]] = defaultdict(list)
    for i, f in enumerate(rec.faces):
        rows[int(f["face_id"])].append(i)
    t_all = np.array([float(f["t_source"]) for f in rec.faces])
    m = rec.measures
    away_all = looking_away(m, th)
    step = frame_step(rec)
    out = {}
    for fid, idx in sorted(rows.items()):
        idx = np.array(sorted(idx, key=lambda i: t_all[i]))
        t = t_all[idx]
        openness = (m["eye_open_right"][idx] + m["eye_open_left"][idx]) / 2
        eyes = np.isfinite(openness)
        pc = np.full(len(t), np.nan)
        found: list[Blink] = []
        if eyes.any():
            level = open_level(openness[eyes])
            pc[eyes] = perclos(t[eyes], openness[eyes], th.perclos_window_s, level)
            found = blinks(t, openness, level)
        seconds = row_seconds(t, step)
        mouth = m["mouth_open"][idx]
        yawns = [
            t[a]
            for a, b in stretches(mouth, th.yawn_opening, th.yawn_clear)
            if seconds[a:b].sum() >= th.yawn_s
        ]
        out[fid] = FaceSeries(
            fid, t, seconds, openness, pc, found, away_all[idx], mouth, np.array(yawns, float),
            {name: m[f"au_{name}"][idx] for name in PROXIES},
        )  # fmt: skip
    return out


def measure_stats(
    rec: Recording, parts: list[tuple[str, float, float]], th: Thresholds | None = None
) -> list[tuple[str, float, float, list[MeasureStats]]]:
    """Per part (name, start, end): each face's figures over it (faces with no row in it left
    out)."""
    series = face_series(rec, th)
    out = []
    for name, a, b in parts:
        faces = [s.stats(a, b) for s in series.values() if ((s.t >= a) & (s.t <= b)).any()]
        out.append((name, a, b, faces))
    return out
