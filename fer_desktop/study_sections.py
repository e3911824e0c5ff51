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
    """A figure as text: shares in %, valence signed, other measures to 3 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<td class='note'>—</td>"
    if column.startswith("share_"):
        return f"<td>{100 * value:.0f}%</td>"
    if column == "mean_valence":
        return f"<td>{value:+.2f}</td>"
    return f"<td>{value:.3g}</td>"


def _head(column: str) -> str:
    name = column.removeprefix("share_").removeprefix("mean_")
    return f"<th>{html.escape(name)}</th>"


def _values(table: pandas.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith(("share_", "mean_"))]


def _keys(table: pandas.DataFrame) -> list[str]:
    return ["segment", "group"] if "group" in table else ["segment"]


def segments_section(study: Study, pooled: pandas.DataFrame, per: pandas.DataFrame) -> str:
    """The pooled segment table, and each participant's figures folded away under it, in
    the order of their names (no ranking)."""
    esc = html.escape
    if pooled.empty:
        return "<h2>Segments</h2><p>No segment holds a face.</p>"
    values, keys = _values(pooled), _keys(pooled)
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
    return f"""<h2>Segments</h2>
<p class="note">Every recording's whole session, the stretches between its markers and each
annotation from its start to its end. Per participant (all their recordings and faces): the
share of time each label was shown and the mean valence and measures, each reading weighted by
the time until the face's next one; here the mean across participants, each counting once.
A participant with too little data in a segment (under 5 readings or 1 s) is left out of it
and counted. Tables: <a href="segments.csv">segments.csv</a>,
<a href="segments_by_participant.csv">segments_by_participant.csv</a>.</p>
<table><tr>{key_heads}<th>participants</th><th>left out</th><th>face seconds</th>{heads}</tr>
{rows}</table>
<details><summary>Each participant's figures (by name)</summary>
<table><tr>{key_heads}<th>participant</th><th>readings</th><th>face seconds</th>{heads}</tr>
{people}</table></details>"""


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
