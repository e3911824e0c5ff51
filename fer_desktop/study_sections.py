"""study.html's segment table and its list of events outside their recordings (HTML; every
name from outside escaped). The numbers come from `fer_desktop.study_segments`."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas

    from fer_desktop.study import Study


def _cell(column: str, value) -> str:
    """A figure as text: shares in %, valence signed, blinks per minute to one decimal,
    PERCLOS to two, other measures to 3 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<td class='note'>—</td>"
    if column.startswith("share_") or column == "away_share":
        return f"<td>{100 * value:.0f}%</td>"
    if column == "mean_valence":
        return f"<td>{value:+.2f}</td>"
    if column == "blinks_per_min":
        return f"<td>{value:.1f}</td>"
    if column == "perclos_mean":
        return f"<td>{value:.2f}</td>"
    return f"<td>{value:.3g}</td>"


HEADS = {"blinks_per_min": "blinks/min", "perclos_mean": "PERCLOS mean",
         "away_share": "looking away"}  # fmt: skip


def _head(column: str) -> str:
    name = HEADS.get(column) or column.removeprefix("share_").removeprefix("mean_")
    return f"<th>{html.escape(name.removeprefix('au_').replace('_', ' '))}</th>"


def _values(table: pandas.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """A segment table's columns as shown: the expression's, the eyes and head's (the
    session report's figures first), the AU proxies'."""
    values = [c for c in table.columns if c.startswith(("share_", "mean_")) or c in HEADS]
    expression = [c for c in values if c.startswith("share_") or c == "mean_valence"]
    aus = [c for c in values if c.startswith("mean_au_")]
    rest = [c for c in values if c not in expression and c not in aus]
    return expression, sorted(rest, key=lambda c: c not in HEADS), aus


def _keys(table: pandas.DataFrame) -> list[str]:
    return ["segment", "group"] if "group" in table else ["segment"]


def _tables(pooled: pandas.DataFrame, per: pandas.DataFrame, values: list[str]) -> str:
    """The pooled table of `values`, and each participant's folded away under it."""
    esc, keys = html.escape, _keys(pooled)
    heads = "".join(_head(c) for c in values)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{esc(str(r[k]))}</td>" for k in keys)
        + f"<td>{r['participants']}</td><td>{r['left_out']}</td><td>{r['face_seconds']:.1f}</td>"
        + "".join(_cell(c, r[c]) for c in values)
        + "</tr>"
        for r in pooled.to_dict("records")
    )
    people = "".join(
        "<tr>"
        + "".join(f"<td>{esc(str(r[k]))}</td>" for k in [*keys, "participant"])
        + f"<td>{r['readings']}</td><td>{r['face_seconds']:.1f}</td>"
        + "".join(_cell(c, r[c]) for c in values)
        + "</tr>"
        for r in per.to_dict("records")
    )
    key_heads = "".join(f"<th>{k}</th>" for k in keys)
    counts = "<th>participants</th><th>left out</th><th>face seconds</th>"
    return f"""<div class="wide"><table><tr>{key_heads}{counts}{heads}</tr>
{rows}</table></div>
<details><summary>Each participant's figures (by name)</summary>
<table><tr>{key_heads}<th>participant</th><th>readings</th><th>face seconds</th>{heads}</tr>
{people}</table></details>"""


EYES_NOTE = """<h3>Eyes and head</h3>
<p class="note">From the face mesh, as each session's report gives them, per participant over
all their recordings and faces, then the mean across participants: blinks per minute of time
with eye measures, the mean PERCLOS (share of the last 60 s with eyes closed, 0–1), the share
of the time with a head pose spent looking away (beyond the distracted alert's tolerance), and
the time-weighted mean of each measure: head pose in degrees, eye and mouth opening as a gap
over a width, AU proxies as movement from the person's resting face in units of the distance
between the eyes (geometric proxies, not FACS codes; only after --calibrate). Rows the mesh
could not measure count in none of them.</p>"""


def segments_section(study: Study, pooled: pandas.DataFrame, per: pandas.DataFrame) -> str:
    """The pooled segment tables (the expression; the eyes and head when measured), each
    participant's figures folded away under each, in the order of their names (no
    ranking)."""
    if pooled.empty:
        return "<h2>Segments</h2><p>No segment holds a face.</p>"
    expression, eyes, aus = _values(pooled)
    eyes_part = EYES_NOTE + _tables(pooled, per, eyes) if eyes else ""
    if aus:
        eyes_part += "<h3>Action-unit proxies</h3>" + _tables(pooled, per, aus)
    return f"""<h2>Segments</h2>
<p class="note">Every recording's whole session, the stretches between its markers and each
annotation from its start to its end. Per participant (all their recordings and faces): the
share of time each label was shown and the mean valence and measures, each reading weighted by
the time until the face's next one; here the mean across participants, each counting once.
A participant with too little data in a segment (under 5 readings or 1 s) is left out of it
and counted. Tables: <a href="segments.csv">segments.csv</a>,
<a href="segments_by_participant.csv">segments_by_participant.csv</a>.</p>
{_tables(pooled, per, expression)}{eyes_part}"""


def outside_section(study: Study) -> str:
    """The markers that fall outside their recording: listed, used nowhere."""
    esc = html.escape
    outside = study.events[study.events["kind"] == "outside"]
    if outside.empty:
        return ""
    rows = "".join(
        f"<tr><td>{esc(r.source)}</td><td>{esc(r.name)}</td><td>{r.t_source:.2f}</td></tr>"
        for r in outside.itertuples(index=False)
    )
    return f"""<h2>Events outside their recording</h2>
<p class="note">{len(outside)} marker(s) at a time the recording does not cover: not used
in the charts or segments (kind "outside" in events.csv).</p>
<table><tr><th>file</th><th>event</th><th>file time (s)</th></tr>{rows}</table>"""
