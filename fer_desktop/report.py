"""A report for a recording: valence chart per face (SVG, beside and inside a self-contained
HTML file that opens offline), share of time in each label, strongest moments and markers."""

from __future__ import annotations

import base64
import bisect
import html
from collections import defaultdict
from pathlib import Path

from fer_desktop.calibration import CALIBRATED
from fer_desktop.expression_lanes import LANES_NOTE, lanes_by_default, lanes_svg
from fer_desktop.marker_labels import label_text
from fer_desktop.recording import Recording, read_recording
from fer_desktop.stats import (
    BRIEF_FACE_S,
    MIN_FACE_TIME_S,
    MIN_READINGS,
    SMALL_FACE_PX,
    STANDS_OUT,
    FaceSummary,
    calibration_note,
    calibration_switches,
    coverage,
    data_amount,
    face_name,
    fixed_segments,
    frame_step,
    segments,
    truncation,
    values_of,
)
from fer_desktop.svg_chart import BIN_PX, Line, inline, valence_chart

# One colour per face: ten colours that stay apart on a chart and around a face (every pair
# at least 20 apart in CIEDE2000, where the reds of an older palette were 14) and far from
# the labels' own green (happy), blue (sad) and grey (neutral), so a box's colour is never
# read as a label. Face 11 takes face 1's colour with another line style (gui/face_style.py).
FACE_COLOURS = [
    "#d62728", "#ff7f0e", "#9467bd", "#86682d", "#3e09aa", "#981b59", "#2d867e", "#aca339",
    "#f4259d", "#000000",
]  # fmt: skip


RESPONSIBLE_USE = (
    "The label describes the look of a face, not what the person feels. Ask people before "
    "recording them. Do not use it to make decisions about people: the EU AI Act, "
    "Art. 5(1)(f), prohibits emotion recognition in workplaces and education, except for "
    "medical or safety reasons."
)


# As the colours come round again, a line's dashes (SVG stroke-dasharray): solid for faces
# 1-10, dashed for 11-20, dotted, then dash-dot, as the window's line styles.
FACE_DASHES = ("", "6 3", "2 2", "6 2 2 2")


def face_colour(face_id: int) -> str:
    """The colour of a face id, shared by the report and the window."""
    return FACE_COLOURS[(face_id - 1) % len(FACE_COLOURS)]


def face_dash(face_id: int) -> str:
    """The dashes of a face id's line in a chart ('' solid); see FACE_DASHES."""
    return FACE_DASHES[(face_id - 1) // len(FACE_COLOURS) % len(FACE_DASHES)]


SEGMENT_NAME_CHARS = 60  # "from <note>": the whole note is in the list of markers

VALENCE_NOTE = (
    "p(happy) − p(sad), from −1 (surely sad) to +1 (surely happy); with the 8-class model, "
    "anger, disgust, fear and contempt count with sad"
)
WEIGHTING_NOTE = (
    "Shares and mean valence are weighted by time: each reading of a face counts for the "
    "time until that face's next reading (at most twice its usual step), so a share is of "
    "the time the face was in view."
)


def _calibration_line(rec: Recording) -> str:
    note = calibration_note(rec)
    if not note:
        return ""
    items = "".join(f"<li>{html.escape(baseline_text(rec, f))}</li>" for f in rec.summary.faces)
    return (
        f'<p class="warn">{html.escape(note.capitalize())}. Calibrated values read each face '
        "against its own resting face (see the README's Calibration); rows before a face's "
        "baseline, and faces without one, are its raw values. The chart marks each switch; "
        "each moment says which values it comes from; shares and mean valence add both.</p>"
        f"<ul>{items}</ul>"
    )


def baseline_of(rec: Recording, face_id: int) -> str:
    """When a face's baseline was taken ('00:03.00–00:05.00'), 'saved' (--baseline FILE)
    or 'none'; empty when calibration was off."""
    rows = [r for r in rec.faces if int(r["face_id"]) == face_id]
    first = values_of(min(rows, key=lambda r: r["t_source"])) if rows else ""
    taken = [
        f"{_clock(e['baseline_from'])}–{_clock(e['baseline_to'])}"
        for e in rec.calibrations
        if e.get("state") == CALIBRATED and e.get("face_id") == face_id
    ]
    if taken:
        return ", then ".join(taken)
    return "saved" if first == "calibrated" else "none" if calibration_note(rec) else ""


def baseline_text(rec: Recording, face: FaceSummary) -> str:
    """When a face's baseline was taken and from when its values are raw or calibrated."""
    baseline = baseline_of(rec, face.face_id)
    if baseline == "saved":
        saved = (rec.header.get("settings") or {}).get("baseline", "")
        text = f"{face.name}: read against the saved baseline {saved}".rstrip()
    elif baseline == "none":
        text = f"{face.name}: no neutral, steady stretch, so no baseline"
    else:
        text = f"{face.name}: baseline taken {baseline} (its neutral, steady face)"
    rows = [r for r in rec.faces if int(r["face_id"]) == face.face_id]
    start = values_of(min(rows, key=lambda r: r["t_source"])) if rows else "raw"
    switches = calibration_switches(rec).get(face.face_id, [])
    spans = "".join(f"; {values} from {_clock(t)}" for t, values in switches)
    return f"{text}; {start} from {_clock(face.first_t)}{spans}"


def _moment(t_and_valence: tuple[float, float], sign: int, values: str = "") -> str:
    """'01:23 (+0.62)', '01:23 (+0.62, calibrated)' when calibration was on (`values` says
    which), or '–' when valence never went that far that way (see STANDS_OUT)."""
    t, v = t_and_valence
    which = f", {values}" if values else ""
    return f"{_clock(t)} ({v:+.2f}{which})" if v * sign >= STANDS_OUT else "–"


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


def _wall_span(rec: Recording) -> str:
    """First and last wall-clock time of the analysed frames."""
    rows = rec.frames or rec.faces
    if not rows:
        return "–"
    first, last = rows[0]["t_wall"], rows[-1]["t_wall"]
    return f"{first[:19].replace('T', ' ')} – {last[11:19]}"


def _clock(t: float) -> str:
    m, s = divmod(t, 60.0)
    return f"{int(m):02d}:{s:05.2f}"


def _beside(row: dict) -> str:
    """' (source 00:15.48)': a row's source time, where it is not its recording time."""
    src = row.get("source_t")
    return "" if src is None or abs(src - row["t_source"]) < 0.005 else f" (source {_clock(src)})"


def _source_span(rec: Recording, a: float, b: float) -> str:
    """' (source 00:15.48–01:35.24)': the source times of the frames at recording times a
    and b, where they differ from them."""
    frames = [f for f in rec.frames if f.get("source_t") is not None]
    if not frames:
        return ""
    ts = [f["t_source"] for f in frames]
    first, last = (frames[max(bisect.bisect_right(ts, t + 1e-6) - 1, 0)] for t in (a, b))
    ends = [_beside(first), _beside(last)]
    if not any(ends):
        return ""
    src_a = first["source_t"] + max(a - first["t_source"], 0.0)
    src_b = last["source_t"] + max(b - last["t_source"], 0.0)
    return f" (source {_clock(src_a)}–{_clock(src_b)})"


def report_paths(timeline_path: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Where a timeline's report goes: <stem>_report.svg (the chart) and .html, beside it or
    in out_dir."""
    timeline_path = Path(timeline_path)
    out_dir = Path(out_dir) if out_dir else timeline_path.parent
    stem = timeline_path.stem
    return out_dir / f"{stem}_report.svg", out_dir / f"{stem}_report.html"


def write_report(
    timeline_path: Path,
    out_dir: Path | None = None,
    thumbnails: bool = True,
    analysed_s: float | None = None,
    duration_s: float | None = None,
    segment_s: float | None = None,
    lanes: bool | None = None,
) -> tuple[Path, Path]:
    """Write <stem>_report.svg and <stem>_report.html beside the timeline (or in out_dir);
    see `write_recording_report`."""
    rec = read_recording(timeline_path)
    return write_recording_report(
        rec, out_dir, thumbnails, analysed_s, duration_s, segment_s, lanes
    )


def write_recording_report(
    rec: Recording,
    out_dir: Path | None = None,
    thumbnails: bool = True,
    analysed_s: float | None = None,
    duration_s: float | None = None,
    segment_s: float | None = None,
    lanes: bool | None = None,
) -> tuple[Path, Path]:
    """Write a recording's <stem>_report.svg and <stem>_report.html beside its timeline (or
    in out_dir), as it is shown (`Recording.shown`: on its recording time, review's edits).

    `thumbnails` embeds a small picture of each face (cut from the video); `analysed_s` is
    how much of the video was read (from analyze) and `duration_s` the length its container
    gives (else the timeline's header says), to tell a file that ends early; `segment_s`
    adds segments of that length to the segment table; `lanes` draws one lane per
    expression instead of valence (None: when the model has more than 3 classes).
    """
    if duration_s is not None:
        rec = rec.with_header(source_duration_s=duration_s)
    shown = rec.shown
    source = rec.header.get("source", rec.path.stem)
    chart_path, html_path = report_paths(rec.path, out_dir)
    analysed, _duration = coverage(shown, analysed_s)
    lanes = lanes_by_default(shown.labels) if lanes is None else lanes
    title = f"Expression over time: {source}"
    if lanes:
        chart = lanes_svg(shown, title, (face_colour, face_dash), end=analysed)
    else:
        chart = chart_svg(shown, title, end=analysed)
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart_path.write_text(chart, encoding="utf-8")
    page = render_html(shown, chart, rec.path.name, thumbnails, analysed_s, segment_s, lanes)
    html_path.write_text(page, encoding="utf-8")
    return chart_path, html_path


def _source(marker: dict) -> str:
    """' <span class="note">(websocket)</span>': who placed a marker, when known."""
    source = marker.get("source")
    return f" <span class='note'>({html.escape(source)})</span>" if source else ""


def segment_table(
    rec: Recording, markers: list[tuple[float, str]], segment_s: float | None = None
) -> str:
    """HTML rows: per segment and face (brief or small faces left out), the time-weighted
    share of each label and mean valence. Segments: the whole session, the stretches
    between markers, and back-to-back stretches `segment_s` long when asked for."""
    labels = rec.header.get("labels", [])
    end = max((f["t_source"] for f in rec.faces), default=0.0)
    trusted = {f.face_id for f in rec.summary.faces if not f.doubts()}
    parts = segments(markers, end)
    if not markers:
        parts = parts[:1]  # "from start" would repeat "whole session"
    if segment_s:
        parts += fixed_segments(segment_s, end)
    rows = []
    for name, a, b in parts:
        part = rec.with_faces([f for f in rec.faces if a <= f["t_source"] <= b])
        for f in part.summary.faces:
            if f.face_id not in trusted:
                continue
            rows.append(
                f"<tr><td>{html.escape(label_text(name, SEGMENT_NAME_CHARS))}</td>"
                f"<td>{_clock(a)}–{_clock(b)}{_source_span(rec, a, b)}</td>"
                f"<td>{html.escape(f.name)}</td>{_share_cells(f, labels)}"
                f"<td>{_valence_cell(f)}</td></tr>"
            )
    heads = "".join(f"<th>{html.escape(lab)}</th>" for lab in labels)
    if not rows:
        return "<p>No face was seen long enough and large enough for segment figures.</p>"
    return (
        f"<table><tr><th>segment</th><th>time</th><th>face</th>{heads}"
        f"<th>mean valence</th></tr>{''.join(rows)}</table>"
    )


def _share_cells(f: FaceSummary, labels: list[str]) -> str:
    """One cell per label, or one cell saying there is too little data for shares."""
    if not f.enough_data:
        return (
            f"<td colspan='{len(labels)}' class='note'>too little data "
            f"({data_amount(f.frames, f.seconds)})</td>"
        )
    return "".join(f"<td>{100 * f.label_share.get(lab, 0):.0f}%</td>" for lab in labels)


def _valence_cell(f: FaceSummary) -> str:
    return f"{f.mean_valence:+.2f}" if f.enough_data else "–"


def face_thumbnails(rec: Recording, size: int = 64) -> dict[int, str]:
    """face id -> a small JPEG (data URL) of that face, cut from the video at its most
    confident detection; empty when the video is not where the timeline says."""
    header = rec.header
    video = header.get("source_path") or header.get("source")
    if not video or not Path(video).is_file():
        return {}
    import cv2

    from fer_desktop.sources import SourceError, VideoSource

    best: dict[int, dict] = {}
    for row in rec.faces:
        fid = int(row["face_id"])
        if fid not in best or row.get("score", 0) > best[fid].get("score", 0):
            best[fid] = row
    out = {}
    try:
        source = VideoSource(Path(video))
    except SourceError:
        return {}
    frames = iter(source)
    try:
        for fid, row in sorted(best.items(), key=lambda item: item[1]["t_source"]):
            # `frame` counts the analysed frames (every Nth); the video's own is at t_source
            source.seek(round(row.get("source_t", row["t_source"]) * source.fps))
            picture = next(frames, None)
            if picture is None:
                break  # past the end: so are the later ones
            x, y, w, h = (round(v) for v in row["box"])
            crop = picture.bgr[max(y, 0) : y + h, max(x, 0) : x + w]
            if crop.size:
                _ok, jpg = cv2.imencode(".jpg", cv2.resize(crop, (size, size)))
                out[fid] = "data:image/jpeg;base64," + base64.b64encode(jpg.tobytes()).decode()
    except SourceError:
        pass  # a file that cannot seek: the faces found so far keep their pictures
    finally:
        source.close()
    return out


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


def _face_cell(f: FaceSummary, thumbs: dict[int, str]) -> str:
    thumb = f"<img alt='' src='{thumbs[f.face_id]}' width='48'> " if f.face_id in thumbs else ""
    return f"<td style='color:{face_colour(f.face_id)}'>{thumb}<b>{html.escape(f.name)}</b></td>"


def _face_rows(faces: list[FaceSummary], thumbs: dict[int, str], baselines: dict) -> str:
    rows = []
    for f in faces:
        baseline = f"<td>{html.escape(baselines[f.face_id])}</td>" if baselines else ""
        doubts = f"<td>{html.escape('; '.join(f.doubts()))}</td>" if f.doubts() else ""
        rows.append(
            f"<tr>{_face_cell(f, thumbs)}"
            f"<td>{_clock(f.first_t)}–{_clock(f.last_t)}</td><td>{f.seconds:.1f}</td>"
            f"<td>{f.median_px:.0f}</td><td>{f.mean_score:.2f}</td>"
            f"<td>{_valence_cell(f)}</td>"
            f"<td>{_moment(f.happiest, +1, f.happiest_values)}</td>"
            f"<td>{_moment(f.saddest, -1, f.saddest_values)}</td>{baseline}{doubts}</tr>"
        )
    return "".join(rows)


def _faces_and_shares(
    faces: list[FaceSummary], labels: list[str], thumbs: dict[int, str], baselines: dict
) -> str:
    """Two tables, so that the page holds them with any number of classes: each face's
    figures, then each face's share of time per class."""
    why = "<th>why here</th>" if any(f.doubts() for f in faces) else ""
    heads = (
        "<tr><th>face</th><th>seen</th><th>in view (s)</th><th>median size (px)</th>"
        "<th>mean detection score</th><th>mean valence</th><th>happiest moment</th>"
        "<th>saddest moment</th>" + ("<th>baseline taken</th>" if baselines else "") + why
    )
    share_heads = "".join(f"<th>{html.escape(lab)}</th>" for lab in labels)
    shares = "".join(f"<tr>{_face_cell(f, {})}{_share_cells(f, labels)}</tr>" for f in faces)
    return (
        f"<table>{heads}</tr>{_face_rows(faces, thumbs, baselines)}</table>"
        f"<p class='note'>Share of each face's time in view per expression:</p>"
        f"<table class='shares'><tr><th>face</th>{share_heads}</tr>{shares}</table>"
    )


def _face_tables(rec: Recording, labels: list[str], thumbs: dict[int, str]) -> str:
    """The faces to read, then the brief or small ones folded away; with calibration on,
    when each face's baseline was taken."""
    faces = rec.summary.faces
    baselines = {f.face_id: baseline_of(rec, f.face_id) for f in faces}
    baselines = baselines if any(baselines.values()) else {}
    trusted = [f for f in faces if not f.doubts()]
    doubtful = [f for f in faces if f.doubts()]
    out = (
        _faces_and_shares(trusted, labels, thumbs, baselines)
        if trusted
        else "<p>No face was in view long enough and large enough to read with confidence; "
        "see the brief or small faces below.</p>"
    )
    if doubtful:
        out += (
            f"<details><summary>Brief or small faces ({len(doubtful)}): seen under "
            f"{BRIEF_FACE_S:g} s or smaller than {SMALL_FACE_PX} px; read them with care"
            f"</summary>{_faces_and_shares(doubtful, labels, thumbs, baselines)}</details>"
        )
    return out


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
    span = _source_span(rec, 0.0, analysed) if analysed_s is None else ""
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
            f"<li>{_clock(m['t_source'])}{_beside(m)} {esc(m.get('note') or '')}{_source(m)}</li>"
            for m in rec.markers
        )
        or "<li>none</li>"
    )
    gaps = "".join(f"<li>{_clock(g['t_source'])} {esc(g.get('note') or '')}</li>" for g in rec.gaps)
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
{_face_tables(rec, labels, thumbs)}
<p class="note">{WEIGHTING_NOTE} Valence is {VALENCE_NOTE}. A share needs at least
{MIN_READINGS} readings and {MIN_FACE_TIME_S:g} s in view ("too little data" otherwise).
Happiest / saddest moments are named only where valence reached ±{STANDS_OUT:g}. Size is the
face box's shorter side; the detection score is the face detector's confidence (0–1).</p>
<p class="note">{esc(reliability(settings))}</p>
{_calibration_line(rec)}
<h2>Markers</h2><ul>{markers}</ul>
<h2>Segments</h2>{segment_table(rec, marker_list, segment_s)}"""
    else:
        body = "<h2>Faces</h2><p><b>No faces found</b> in the part analysed.</p>"
    source = header.get("source_path") or header.get("source", "?")  # the path as given
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop report: {esc(name)}</title>
<style>body{{font-family:sans-serif;max-width:1020px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.note{{color:#666;font-size:90%}}.warn{{background:#fff3cd;padding:6px 10px}}
summary{{cursor:pointer;margin:1em 0}}li{{overflow-wrap:break-word}}</style></head><body>
<h1>Expression report</h1>
<p><b>Source:</b> {esc(str(source))} &nbsp; <b>Timeline:</b> {esc(name)}
&nbsp; <b>Analysed (wall clock, UTC):</b> {esc(_wall_span(rec))}
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
