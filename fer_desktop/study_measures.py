"""A study's eyes-and-head figures (timelines made with the face mesh): which measure columns
the event-locked analysis may be asked for, and each participant's blinks, PERCLOS and time
looking away per segment.

The figures are the session report's (`fer_desktop.measure_stats`): each recording's faces
are read whole (`face_series`, on the recording's time, as review shows it), then each
segment takes the blinks and yawns that start in it and the rows inside it. Per participant
and segment, over all their recordings and faces:

- `blinks`, `yawns`: counts; `eye_seconds`: the time with eye measures;
- `blinks_per_min`: 60 × blinks over eye_seconds;
- `perclos_mean`: each face's mean PERCLOS weighted by its eye seconds; `perclos_max`: the
  highest value of any of them;
- `away_share`: seconds looking away over the seconds with a head pose (0..1).

The action-unit proxies, mouth opening and the raw measures are the segment table's
time-weighted `mean_<column>` (`fer_desktop.study_segments`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fer_desktop.errors import UsageError
from fer_desktop.measure_stats import MeasureStats, measure_stats

if TYPE_CHECKING:
    import pandas

    from fer_desktop.study import Study

ALL = "all"
# per participant, and (the rates) pooled across participants
PERSON_FIGURES = ("blinks", "eye_seconds", "blinks_per_min", "perclos_mean", "perclos_max",
                  "away_share", "yawns")  # fmt: skip
RATES = ("blinks_per_min", "perclos_mean", "away_share")


NOT_MEASURES = ("frame", "face", "t_source", "t_rel", "x", "y", "w", "h", "score", "valence")


def measure_columns(faces: pandas.DataFrame) -> list[str]:
    """Every numeric measure column with a reading besides the class probabilities and
    valence (eye and head measures, when the timelines have them), in the table's order."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [
        c
        for c in faces.columns
        if c not in NOT_MEASURES
        and not c.startswith("p_")
        and is_numeric_dtype(faces[c])
        and not is_bool_dtype(faces[c])
        and faces[c].notna().any()  # the mesh off, or gaze without --mesh eyes: no column
    ]


def numeric_columns(faces: pandas.DataFrame) -> list[str]:
    """The faces table's measure columns with at least one reading (eyes, head, mouth, AU
    proxies, presence), in its order: what `chosen_columns` picks from."""
    return measure_columns(faces)


def chosen_columns(faces: pandas.DataFrame, asked: list[str] | None) -> list[str]:
    """The columns meant by `asked` (each a column, the start of some: "eye_open" gives both
    eyes, or "all"), in the table's order; UsageError naming a name that matches none."""
    if not asked:
        return []
    have = numeric_columns(faces)
    out: list[str] = []
    for name in asked:
        found = have if name == ALL else [c for c in have if c == name or c.startswith(name)]
        if not found:
            offer = ", ".join(have) if have else "none: the timelines have no mesh measures"
            raise UsageError(f"--measure {name}: no such measure column with readings ({offer})")
        out += [c for c in found if c not in out]
    return [c for c in have if c in out]


def has_mesh(study: Study) -> bool:
    """Whether any recording of the study was made with the face mesh."""
    return any(s.rec is not None and s.rec.shown.has_mesh for s in study.sessions)


def person_figures(study: Study, spans: pandas.DataFrame) -> pandas.DataFrame:
    """One row per segment name (and group) and participant: PERSON_FIGURES (see the
    module); `spans` as `study_segments.spans` gives them."""
    import pandas as pd

    keys = ["segment", "group"] if "group" in spans else ["segment"]
    found: dict[tuple, list[MeasureStats]] = {}
    for s in study.sessions:
        if s.rec is None:
            continue
        mine = spans[spans["source"] == s.source]
        parts = [(r.name, r.t_rel, r.end_rel) for r in mine.itertuples(index=False)]
        for name, _a, _b, faces in measure_stats(s.rec.shown, parts):
            key = (name, s.group) if "group" in keys else (name,)
            found.setdefault((*key, s.participant), []).extend(faces)
    rows = [
        {**dict(zip([*keys, "participant"], key, strict=True)), **pooled_faces(faces)}
        for key, faces in found.items()
    ]
    return pd.DataFrame(rows, columns=[*keys, "participant", *PERSON_FIGURES])


def pooled_faces(faces: list[MeasureStats]) -> dict[str, float | None]:
    """One participant's figures over their faces' MeasureStats (see the module)."""
    eye_s = sum(f.eye_seconds for f in faces)
    pose_s = sum(f.pose_seconds for f in faces)
    count = sum(f.blinks for f in faces)
    perclos = [(f.perclos_mean, f.eye_seconds) for f in faces if f.perclos_mean is not None]
    weight = sum(w for _, w in perclos)
    highest = [f.perclos_max for f in faces if f.perclos_max is not None]
    return {
        "blinks": count,
        "eye_seconds": eye_s,
        "blinks_per_min": 60.0 * count / eye_s if eye_s > 0 else math.nan,
        "perclos_mean": sum(v * w for v, w in perclos) / weight if weight > 0 else math.nan,
        "perclos_max": max(highest, default=math.nan),
        "away_share": sum(f.away_s or 0.0 for f in faces) / pose_s if pose_s > 0 else math.nan,
        "yawns": sum(f.yawns for f in faces),
    }
