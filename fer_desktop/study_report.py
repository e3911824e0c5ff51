"""A study's files: its tables (Parquet and CSV), one event-locked chart per event, each
session's report, and study.html linking them (see `fer_desktop.study`).

The page shows people side by side only as data quality (seconds analysed, faces found,
files cut short or failed, calibration), in the order of their names: it ranks nobody.
"""

from __future__ import annotations

import html
from pathlib import Path

from fer_desktop.report import RESPONSIBLE_USE, face_colour, write_recording_report
from fer_desktop.stats import calibration_note, coverage
from fer_desktop.study import Study, StudySession, event_locked, measures
from fer_desktop.study_sections import outside_section, segments_section
from fer_desktop.study_segments import segment_tables
from fer_desktop.svg_chart import Lane, inline, lanes_chart

VALENCE_COLOUR = "#000000"


def write_study(
    study: Study,
    out: Path,
    window: float = 5.0,
    baseline: float = 2.0,
    extra: list[str] | tuple[str, ...] = (),
) -> Path:
    """Write the study's files into `out` (see the module), the event-locked charts with a
    lane for each of the `extra` measure columns too; returns study.html's path."""
    locked = event_locked(study, window, baseline, extra=extra)  # first: checks the window
    out.mkdir(parents=True, exist_ok=True)
    study.faces.to_parquet(out / "faces.parquet", index=False)
    study.faces.to_csv(out / "faces.csv", index=False)
    study.events.to_csv(out / "events.csv", index=False)
    locked.to_csv(out / "event_locked.csv", index=False)
    per, pooled = segment_tables(study)
    pooled.to_csv(out / "segments.csv", index=False)
    per.to_csv(out / "segments_by_participant.csv", index=False)
    charts = _write_charts(study, locked, out, window, baseline, extra)
    reports = {
        s.source: write_recording_report(s.rec, out / "reports" / Path(s.source).parent, False)[1]
        for s in study.sessions
        if s.rec is not None
    }
    page = out / "study.html"
    sections = segments_section(study, pooled, per) + outside_section(study)
    page.write_text(_page(study, locked, charts, reports, out, window, baseline, sections), "utf-8")
    return page


def _event_keys(locked) -> list[tuple]:
    keys = ["event", "group"] if "group" in locked else ["event"]
    return list(dict.fromkeys(locked[keys].itertuples(index=False, name=None)))


def _write_charts(
    study: Study, locked, out: Path, window: float, baseline: float, extra=()
) -> dict:
    """event key -> (its chart's SVG, the file it was written to)."""
    charts = {}
    colours = {m: face_colour(k + 1) for k, m in enumerate(measures(study.labels, extra))}
    colours["valence"] = VALENCE_COLOUR
    for k, key in enumerate(_event_keys(locked), start=1):
        rows = locked
        for col, value in zip(["event", "group"], key, strict=False):
            rows = rows[rows[col] == value]
        lanes = [
            Lane(m, list(part[["t", "mean", "ci_low", "ci_high"]].itertuples(False, None)),
                 colours[m])
            for m, part in rows.groupby("measure", sort=False)
        ]  # fmt: skip
        svg = lanes_chart(lanes, " · ".join(map(str, key)), window, baseline)
        path = out / "charts" / f"event_{k:02d}.svg"  # not the event's name: text from outside
        path.parent.mkdir(exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        charts[key] = (svg, path)
    return charts


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _quality_rows(study: Study, reports: dict, out: Path) -> str:
    """One row per session, in participant order: what was read, and how well."""
    esc, rows = html.escape, []
    for s in sorted(study.sessions, key=lambda s: (s.participant, s.session, s.source)):
        link = esc(s.source)
        if s.source in reports:
            href = esc(reports[s.source].relative_to(out).as_posix(), quote=True)
            link = f"<a href='{href}'>{link}</a>"
        rows.append(_row([esc(s.participant), esc(s.session), link, *_quality(s)]))
    return "".join(rows)


def _quality(s: StudySession) -> list[str]:
    """Seconds analysed, faces found, problems, calibration: escaped cells."""
    if s.rec is None:
        return ["", "", html.escape(s.problem), ""]
    shown = s.rec.shown
    faces = shown.summary.faces
    return [
        f"{coverage(shown)[0]:.1f}",
        f"{len(faces)} ({sum(f.seconds for f in faces):.1f} s in view)",
        html.escape(s.problem or "ok"),
        html.escape(calibration_note(shown) or "off"),
    ]


def _participant_rows(study: Study) -> str:
    """One row per participant, by name: sessions and files read."""
    people: dict[str, list[StudySession]] = {}
    for s in study.sessions:
        people.setdefault(s.participant, []).append(s)
    return "".join(
        _row([
            html.escape(p),
            html.escape(", ".join(sorted({s.session for s in group}))),
            f"{sum(s.rec is not None for s in group)} of {len(group)}",
        ])
        for p, group in sorted(people.items())
    )  # fmt: skip


def _span(counts) -> str:
    """'4–5', or '4' when every point has the same count."""
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def _event_sections(locked, charts: dict, out: Path) -> str:
    esc, parts = html.escape, []
    for key, (svg, path) in charts.items():
        rows = locked
        for col, value in zip(["event", "group"], key, strict=False):
            rows = rows[rows[col] == value]
        parts.append(
            f"<h3>{esc(' · '.join(map(str, key)))}</h3><p class='note'>Each point stands on "
            f"{_span(rows['participants'])} participants and {_span(rows['events'])} "
            f"events; {_span(rows['left_out'])} participant(s) with this event left out of a "
            f"point (no reading there, or none before the event). "
            f"<a href='{esc(path.relative_to(out).as_posix(), True)}'>SVG</a></p>{inline(svg)}"
        )
    return "".join(parts) or "<p>No event has enough participants for a point.</p>"


def _page(
    study, locked, charts, reports, out: Path, window: float, baseline: float, sections: str
) -> str:
    esc = html.escape
    name = esc(study.folder.name)
    heads = "<tr><th>participant</th><th>session</th><th>file (its report)</th>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop study: {name}</title>
<style>body{{font-family:sans-serif;max-width:1020px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.note{{color:#666;font-size:90%}}.wide{{overflow-x:auto}}</style></head><body>
<h1>Study: {name}</h1>
<p>{len(study.sessions)} files, {len(study.participants)} participants.
<b>Participants and sessions from:</b> {esc(study.rule)}.</p>
<p class="note">{esc(RESPONSIBLE_USE)}</p>
<h2>Around each event</h2>
<p class="note">Mean change from the mean of the {baseline:g} s before the event, across
participants (each participant's events averaged first), from −{window:g} to +{window:g} s in
half-second points; band: 95% confidence interval. Points on fewer than 2 participants are left
out; a participant with too little data for a point is left out of it and counted. Each lane
has its own scale, in the measure's own unit (probability, degrees, lid gap over eye width).
Tables: <a href="event_locked.csv">event_locked.csv</a>,
<a href="events.csv">events.csv</a>, <a href="faces.csv">faces.csv</a>
(<a href="faces.parquet">Parquet</a>).</p>
{_event_sections(locked, charts, out)}
{sections}
<h2>Participants</h2>
<table><tr><th>participant</th><th>sessions</th><th>files read</th></tr>
{_participant_rows(study)}</table>
<h2>Data quality</h2>
<table>{heads}<th>seconds analysed</th><th>faces found</th><th>problems</th>
<th>calibration</th></tr>{_quality_rows(study, reports, out)}</table>
</body></html>
"""
