"""Segments across a study's participants: the same stretch of every recording (the whole
session, the stretches between markers, an annotation's start to its end) read per
participant and pooled.

A segment's readings are each face's rows inside it, each weighted by the time until the
face's next reading (capped at twice the usual step), as a session report's segment table
weights them (`fer_desktop.stats`). Per participant and segment name, over all their
recordings and faces: the time-weighted share of each label, the mean valence and the
time-weighted mean of every other numeric measure column the faces table holds with a
reading (eye and head measures, when the timelines have them), and, with the face mesh, the
session report's blinks per minute, PERCLOS and share of time looking away
(`fer_desktop.study_measures`). A participant with fewer than
`stats.MIN_READINGS` readings or `stats.MIN_FACE_TIME_S` seconds in a segment gets no
figures for it, and is left out of the pooled row and counted there. Pooled: the mean
across the participants with figures, each counting once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fer_desktop.stats import MIN_FACE_TIME_S, MIN_READINGS, _weights, coverage, frame_step
from fer_desktop.study_measures import (
    PERSON_FIGURES,
    RATES,
    has_mesh,
    measure_columns,
    person_figures,
)

if TYPE_CHECKING:
    import pandas

    from fer_desktop.study import Study

WHOLE = "whole session"
SEGMENT_KINDS = ("segment", "state")  # events-table rows that are stretches of time


# Numeric columns of the faces table that are not measures: where, when and which.
def spans(study: Study) -> pandas.DataFrame:
    """Each recording's segments: the whole session, then the events table's segments and
    annotated states (kind "segment" or "state"), on the recording's time."""
    import pandas as pd

    keys = [c for c in ("participant", "session", "source", "group") if c in study.events]
    whole = [
        {**_ids(s, keys), "name": WHOLE, "t_rel": 0.0, "end_rel": coverage(s.rec.shown)[0]}
        for s in study.sessions
        if s.rec is not None
    ]
    parts = study.events[study.events["kind"].isin(SEGMENT_KINDS)][
        [*keys, "name", "t_rel", "end_rel"]
    ]
    out = pd.concat([pd.DataFrame(whole, columns=parts.columns), parts], ignore_index=True)
    return out.astype(dict.fromkeys([*keys, "name"], "string"))


def _ids(s, keys: list[str]) -> dict:
    return {k: getattr(s, k) for k in keys}


def weighted_rows(study: Study) -> pandas.DataFrame:
    """Every face row inside every segment, with the segment's name and the row's weight
    in seconds (`weight`)."""
    import pandas as pd

    faces = study.faces
    steps = {s.source: frame_step(s.rec) for s in study.sessions if s.rec is not None}
    by_source = {src: df for src, df in faces.groupby("source", sort=False)}
    picked = []
    for span in spans(study).itertuples(index=False):
        rows = by_source.get(span.source)
        if rows is None:
            continue
        inside = rows[(rows["t_rel"] >= span.t_rel) & (rows["t_rel"] <= span.end_rel)]
        for _face, track in inside.sort_values("t_rel").groupby("face", sort=False):
            track = track.copy()
            track["weight"] = _weights(list(track["t_rel"]), steps[span.source])
            track["segment"] = span.name
            picked.append(track)
    if not picked:
        return faces.iloc[0:0].assign(weight=pd.Series(dtype="float64"), segment="")
    return pd.concat(picked, ignore_index=True)


def segment_tables(study: Study) -> tuple[pandas.DataFrame, pandas.DataFrame]:
    """(per participant, pooled): one row per segment name (and settings group) and
    participant, and one per segment name (see the module)."""
    import pandas as pd

    rows = weighted_rows(study)
    labels, extra = study.labels, measure_columns(study.faces)
    values = [f"share_{lab}" for lab in labels] + ["mean_valence"] + [f"mean_{m}" for m in extra]
    mesh = has_mesh(study)
    keys = ["segment", "group"] if "group" in rows else ["segment"]
    people = []
    for key, part in rows.groupby([*keys, "participant"], sort=False):
        w = part["weight"]
        seconds = float(w.sum())
        row = dict(zip([*keys, "participant"], key, strict=True))
        row.update(sessions=part["session"].nunique(), readings=len(part), face_seconds=seconds)
        if len(part) < MIN_READINGS or seconds < MIN_FACE_TIME_S:
            people.append(row)  # too little data: no figures
            continue
        for lab in labels:
            row[f"share_{lab}"] = float(w[part["label"] == lab].sum() / seconds)
        row["mean_valence"] = float((w * part["valence"]).sum() / seconds)
        for m in extra:
            known = part[m].notna()
            total = w[known].sum()
            row[f"mean_{m}"] = float((w[known] * part[m][known]).sum() / total) if total else None
        people.append(row)
    heads = [*keys, "participant", "sessions", "readings", "face_seconds", *values]
    per = pd.DataFrame(people, columns=heads)
    per[values] = per[values].astype("float64")
    per["enough_data"] = per["mean_valence"].notna()
    if mesh:
        per = _with_figures(per, person_figures(study, spans(study)), keys)
        values += list(RATES)
    order = {name: k for k, name in enumerate(_segment_order(rows))}
    per = per.sort_values([*keys, "participant"], key=lambda c: c.map(order)
                          if c.name == "segment" else c, ignore_index=True)  # fmt: skip
    pooled = []
    for key, part in per.groupby(keys, sort=False):
        counted = part[part["enough_data"]]
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row["participants"] = len(counted)
        row["left_out"] = int((~part["enough_data"]).sum())
        row["face_seconds"] = float(part["face_seconds"].sum())
        row.update(counted[values].mean().to_dict())
        pooled.append(row)
    heads = [*keys, "participants", "left_out", "face_seconds", *values]
    pooled = pd.DataFrame(pooled, columns=heads)
    return per, pooled


def _with_figures(per: pandas.DataFrame, figures: pandas.DataFrame, keys: list[str]):
    """`per` with each participant's eyes-and-head figures (none without enough data)."""
    out = per.merge(figures, on=[*keys, "participant"], how="left", sort=False)
    figure_cols = list(PERSON_FIGURES)
    out[figure_cols] = out[figure_cols].astype("float64")
    out.loc[~out["enough_data"], figure_cols] = float("nan")
    return out[[*per.columns.drop("enough_data"), *figure_cols, "enough_data"]]


def _segment_order(rows: pandas.DataFrame) -> list[str]:
    """Segment names as a report lists them: the whole session first, then by when they
    first start."""
    first = rows.groupby("segment")["t_rel"].min().sort_values()
    return [WHOLE, *(n for n in first.index if n != WHOLE)]
