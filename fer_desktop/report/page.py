"""The report's HTML page: coverage, chart, faces, markers, segments, settings and notes."""

from __future__ import annotations

import html

from fer_desktop.expression_lanes import LANES_NOTE
from fer_desktop.recording import Recording
from fer_desktop.report.clock import beside, clock, source_span, wall_span
from fer_desktop.report.eyes_head import eyes_head_tables
from fer_desktop.report.faces import calibration_line, face_tables
from fer_desktop.report.segments import segment_table
from fer_desktop.report.thumbnails import face_thumbnails
from fer_desktop.stats import (
    MIN_FACE_TIME_S,
    MIN_READINGS,
    STANDS_OUT,
    coverage,
    truncation,
)
from fer_desktop.svg_chart import BIN_PX, inline

RESPONSIBLE_USE = (
    "The label describes the look of a face, not what the person feels. Ask people before "
    "recording them. Do not use it to make decisions about people: the EU AI Act, "
    "Art. 5(1)(f), prohibits emotion recognition in workplaces and education, except for "
    "medical or safety reasons."
)


VALENCE_NOTE = (
    "p(happy) − p(sad), from −1 (surely sad) to +1 (surely happy); with the 8-class model, "
    "anger, disgust, fear and contempt count with sad"
)
WEIGHTING_NOTE = (
    "Shares and mean valence are weighted by time: each reading of a face counts for the "
    "time until that face's next reading (at most twice its usual step), so a share is of "
    "the time the face was in view."
)


def _source(marker: dict) -> str:
    """' <span class="note">(websocket)</span>': who placed a marker, when known."""
    source = marker.get("source")
    return f" <span class='note'>({html.escape(source)})</span>" if source else ""


def reliability(settings: dict) -> str:
    """What the model's accuracy was measured on, from its card (PrivateTest, duplicates
    removed), and what that does not say about this video."""
    from fer_desktop.classifier import ModelCard, ModelError, card_path_for, resolve_model_path

    try:
        card = ModelCard.load(card_path_for(resolve_model_path(settings.get("model", ""))))
        m = card.raw["metrics_int8"]["private_dedup"]
    except (ModelError, KeyError, TypeError):
        return ""
    recall = ", ".join(f"{lab} {100 * r:.0f}%" for lab, r in m["recall"].items())
    n = f"{m['n']:,} " if "n" in m else ""
    return (
        f"Accuracy measured on 48×48 test photos (FER2013 PrivateTest: {n}posed, mostly "
        f"frontal faces the model never trained on): {100 * m['accuracy']:.0f}% of its labels "
        f"matched the photos' labels; recall per class (of the photos with that label, the "
        f"share it called so): {recall}. Video frames differ from those photos (size, blur, "
        f"light, angle, the people in them), so how often it is right on this video is not "
        f"known."
    )


SHOWN_SETTINGS = ("model_name", "model_file", "model_sha256", "app_version", "detector_range",
                  "detector_tiles", "min_confidence", "min_face_px", "smoothing", "hysteresis",
                  "calibrate_s", "margin", "align")  # fmt: skip


def _coverage_line(rec: Recording, analysed_s: float | None) -> str:
    """How much of the video was analysed; a warning when the file ends early."""
    header = rec.header
    cut = truncation(rec, analysed_s)
    if cut:
        return (
            f"<p class='warn'><b>{html.escape(cut)}</b>: the file ends before the length its "
            f"container gives (a cut or damaged copy?); the figures cover only that part.</p>"
        )
    analysed, duration = coverage(rec, analysed_s)
    every = header.get("every") or 1
    which = "every frame" if every == 1 else f"every {_ordinal(every)} frame"
    of = f" of {duration:.1f} s" if duration else ""
    span = source_span(rec, 0.0, analysed) if analysed_s is None else ""
    return f"<p><b>Analysed:</b> {analysed:.1f} s{span}{of}, {which}.</p>"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _thumbnail_note(thumbnails: bool, thumbs: dict[int, str]) -> str:
    if not thumbnails:
        return "No face thumbnails are embedded (analyze --no-thumbnails)."
    if not thumbs:
        return "No face thumbnails: the video was not found where the timeline says it is."
    return (
        "Face thumbnails are embedded in this file: one small picture of each face, cut from "
        "the video at its most confident detection. Faces are personal data: share this file "
        "as you would the video, or leave them out with fer-desktop analyze --no-thumbnails."
    )


def _completeness(rec: Recording, analysed_s: float | None) -> str:
    """Whether the analysis ran to the end of the video, as the report's first line says it."""
    if not rec.closing:
        return "cut short (no summary line)"
    if truncation(rec, analysed_s):
        return "read to its end, but the file ends early: see below"
    return "complete"


def render_html(
    rec: Recording,
    chart: str,
    name: str,
    thumbnails: bool = True,
    analysed_s: float | None = None,
    segment_s: float | None = None,
    lanes: bool = False,
) -> str:
    """The report's page for a recording as it is shown (`Recording.shown`), around its
    chart (`lanes`: one lane per expression, else valence)."""
    header, faces = rec.header, rec.summary.faces
    settings = header.get("settings", {})
    labels = header.get("labels", [])
    esc = html.escape
    thumbs = face_thumbnails(rec) if thumbnails and faces else {}
    markers = (
        "".join(
            f"<li>{clock(m['t_source'])}{beside(m)} {esc(m.get('note') or '')}{_source(m)}</li>"
            for m in rec.markers
        )
        or "<li>none</li>"
    )
    gaps = "".join(f"<li>{clock(g['t_source'])} {esc(g.get('note') or '')}</li>" for g in rec.gaps)
    complete = _completeness(rec, analysed_s)
    marker_list = [(m["t_source"], m.get("note") or "") for m in rec.markers]
    settings_rows = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(str(settings[k]))}</td></tr>"
        for k in SHOWN_SETTINGS
        if k in settings
    )
    if faces:
        valence_note = (
            f"The chart shows valence, {VALENCE_NOTE}, after smoothing; the shaded bands "
            f"start at ±{STANDS_OUT:g}, where a moment counts as standing out."
        )
        shows = LANES_NOTE if lanes else valence_note
        figure = "each expression" if lanes else "valence"
        body = f"""<figure aria-label="{figure} over time per face">{inline(chart)}</figure>
<p class="note">{shows} Where a face has more readings than
the chart's width can show (a long recording), its line is the median of each bin of
{BIN_PX} pixels and the pale band around it the lowest to the highest value in that bin.</p>
<h2>Faces</h2>
{face_tables(rec, labels, thumbs)}
<p class="note">{WEIGHTING_NOTE} Valence is {VALENCE_NOTE}. A share needs at least
{MIN_READINGS} readings and {MIN_FACE_TIME_S:g} s in view ("too little data" otherwise).
Happiest / saddest moments are named only where valence reached ±{STANDS_OUT:g}. Size is the
face box's shorter side; the detection score is the face detector's confidence (0–1).</p>
<p class="note">{esc(reliability(settings))}</p>
{calibration_line(rec)}
<h2>Markers</h2><ul>{markers}</ul>
<h2>Segments</h2>{segment_table(rec, marker_list, segment_s)}
{eyes_head_tables(rec, marker_list, segment_s)}"""
    else:
        body = "<h2>Faces</h2><p><b>No faces found</b> in the part analysed.</p>"
    source = header.get("source_path") or header.get("source", "?")  # the path as given
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop report: {esc(name)}</title>
<style>body{{font-family:sans-serif;max-width:1020px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.note{{color:#666;font-size:90%}}.warn{{background:#fff3cd;padding:6px 10px}}
summary{{cursor:pointer;margin:1em 0}}li{{overflow-wrap:break-word}}table.aus{{font-size:85%}}
</style></head><body>
<h1>Expression report</h1>
<p><b>Source:</b> {esc(str(source))} &nbsp; <b>Timeline:</b> {esc(name)}
&nbsp; <b>Analysed (wall clock, UTC):</b> {esc(wall_span(rec))}
({complete}) &nbsp; <b>Model:</b> {esc(str(settings.get("model_name", "?")))}</p>
{_coverage_line(rec, analysed_s)}
{body}
{"<h2>Gaps</h2><ul>" + gaps + "</ul>" if gaps else ""}
<h2>Settings</h2><table>{settings_rows}</table>
<p class="note">Made by fer_desktop on this computer; no frame or result left it.
{esc(_thumbnail_note(thumbnails, thumbs))}
{esc(RESPONSIBLE_USE)}</p>
</body></html>
"""
