"""A report for a recording: valence chart per face (SVG, beside and inside a self-contained
HTML file that opens offline), share of time in each label, strongest moments and markers."""

from __future__ import annotations

import base64
import bisect
import functools
import html
import itertools
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from fer_desktop import sidecar
from fer_desktop.calibration import CALIBRATED, SAVED
from fer_desktop.marker_labels import label_text
from fer_desktop.probe import ends_early
from fer_desktop.svg_chart import Line, inline, valence_chart
from fer_desktop.timeaxis import time_axis
from fer_desktop.timeline import read_timeline, recorded_labels

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


# How far to trust a face's figures. Faces below either threshold are listed apart, folded
# away under "brief or small faces":
# - seen for less than BRIEF_FACE_S: the smoothing spans about a second, so a face in view
#   for under two seconds gives only a few independent readings;
# - a median size (the box's shorter side, as --min-face measures it) under SMALL_FACE_PX:
#   such a face is enlarged to the model's 48x48 input, so the model sees less than in the
#   48x48 photos its accuracy was measured on (the card: 32-px faces 86% right and sad
#   recall 52%, against 88% and 59% as photographed).
BRIEF_FACE_S = 2.0
SMALL_FACE_PX = 48
# Too little data for a share: with fewer readings or less face time than this, no
# percentage is given ("100% neutral" from 3 frames says nothing).
MIN_READINGS = 5
MIN_FACE_TIME_S = 1.0
# A happiest / saddest moment is named only where valence went at least this far from 0
# (the chart's shaded bands): e.g. p(happy) 0.5 against p(sad) 0.2. Below, nothing stood out.
STANDS_OUT = 0.3
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


@dataclass
class FaceSummary:
    face_id: int
    first_t: float
    last_t: float
    frames: int  # readings: this face's rows
    label_share: dict[str, float]  # label -> share of this face's time in view
    happiest: tuple[float, float]  # (t_source, valence)
    saddest: tuple[float, float]
    mean_valence: float  # weighted by time, like the shares
    seconds: float = 0.0  # time in view: the readings' weights added up
    median_px: float = 0.0  # median face size: the box's shorter side, in pixels (0: unknown)
    mean_score: float = 0.0  # mean detection score (0-1)
    name: str = ""  # as named in review, else "face N"
    happiest_values: str = ""  # "raw" or "calibrated" when calibration was on (see values_of)
    saddest_values: str = ""

    @property
    def enough_data(self) -> bool:
        """Enough readings and time for a share to mean something."""
        return self.frames >= MIN_READINGS and self.seconds >= MIN_FACE_TIME_S

    def doubts(self) -> list[str]:
        """Why this face's figures deserve less trust (empty: none)."""
        out = []
        if self.seconds < BRIEF_FACE_S:
            out.append(f"seen {self.seconds:.1f} s (under {BRIEF_FACE_S:g} s)")
        if 0 < self.median_px < SMALL_FACE_PX:  # 0: no boxes to measure
            out.append(f"{self.median_px:.0f} px (under {SMALL_FACE_PX} px)")
        return out


def frame_step(timeline: dict) -> float:
    """Seconds between analysed frames: every / fps from the header, else the frames' own."""
    header = timeline.get("header") or {}
    fps, every = header.get("source_fps"), header.get("every") or 1
    if fps:
        return every / fps
    ts = [f["t_source"] for f in timeline.get("frames", []) if f.get("t_source") is not None]
    steps = sorted(b - a for a, b in itertools.pairwise(ts) if b > a)
    return steps[len(steps) // 2] if steps else 1.0


def _weights(ts: list[float], step: float) -> list[float]:
    """Each reading counts until the next one, capped at twice the usual step (a face that
    leaves and comes back does not count for the time it was away)."""
    steps = [b - a for a, b in itertools.pairwise(ts)]
    typical = sorted(steps)[len(steps) // 2] if steps else step
    typical = typical if typical > 0 else step
    return [min(s, 2 * typical) for s in steps] + [typical]


def summarise(timeline: dict) -> list[FaceSummary]:
    """Per-face figures, weighted by time (see `_weights`)."""
    by_face: dict[int, list[dict]] = defaultdict(list)
    for row in timeline["faces"]:
        by_face[int(row["face_id"])].append(row)
    labels = (timeline["header"] or {}).get("labels", [])
    step = frame_step(timeline)
    out = []
    for fid, rows in sorted(by_face.items()):
        rows.sort(key=lambda r: r["t_source"])
        ts = [r["t_source"] for r in rows]
        weights = _weights(ts, step)
        total = sum(weights) or 1.0
        share = dict.fromkeys(labels, 0.0)
        for r, wgt in zip(rows, weights, strict=True):
            share[r["label"]] = share.get(r["label"], 0.0) + wgt / total
        vals = [r["valence"] for r in rows]
        hi = max(range(len(rows)), key=lambda i: vals[i])
        lo = min(range(len(rows)), key=lambda i: vals[i])
        values = [values_of(r) for r in rows]
        sizes = sorted(min(r["box"][2], r["box"][3]) for r in rows if r.get("box"))
        out.append(
            FaceSummary(
                fid,
                ts[0],
                ts[-1],
                len(rows),
                share,
                (ts[hi], vals[hi]),
                (ts[lo], vals[lo]),
                sum(v * w for v, w in zip(vals, weights, strict=True)) / total,
                seconds=sum(weights),
                median_px=statistics.median(sizes) if sizes else 0.0,
                mean_score=statistics.fmean(float(r.get("score", 0.0)) for r in rows),
                name=face_name(timeline, fid),
                happiest_values=values[hi],
                saddest_values=values[lo],
            )
        )
    return out


def values_of(row: dict) -> str:
    """Which values a face row's label and valence follow: "calibrated", "raw" (calibration
    on, no baseline yet), or "" (calibration off)."""
    cal = row.get("cal") or ""
    return "" if not cal else "calibrated" if cal in (CALIBRATED, SAVED) else "raw"


def calibration_switches(timeline: dict) -> dict[int, list[tuple[float, str]]]:
    """face id -> (time, "calibrated" or "raw") wherever its rows change from one to the
    other: the switch each chart marks."""
    out: dict[int, list[tuple[float, str]]] = defaultdict(list)
    last: dict[int, str] = {}
    for row in sorted(timeline["faces"], key=lambda r: r["t_source"]):
        fid, values = int(row["face_id"]), values_of(row)
        if fid in last and values != last[fid]:
            out[fid].append((row["t_source"], values))
        last[fid] = values
    return dict(out)


def summarize(timeline: dict) -> dict:
    """One video in a few numbers, every face's time counted alike: faces seen, their time
    in view, the share of that time in each label and the time-weighted mean valence (empty,
    with a note, when there is too little to go on)."""
    faces = summarise(timeline)
    seconds = sum(f.seconds for f in faces)
    readings = sum(f.frames for f in faces)
    labels = (timeline["header"] or {}).get("labels", [])
    out = {
        "faces": len(faces),
        "brief_or_small_faces": sum(1 for f in faces if f.doubts()),
        "face_seconds": round(seconds, 2),
        "share": {},
        "mean_valence": "",
        "note": "",
        "raw_faces": (calibration_faces(timeline) or ([], []))[1],  # calibration on, no baseline
    }
    if not faces:
        out["note"] = "no faces found"
    elif readings < MIN_READINGS or seconds < MIN_FACE_TIME_S:
        out["note"] = f"too little face data for shares ({_data_amount(readings, seconds)})"
    else:
        out["share"] = {
            lab: round(sum(f.label_share.get(lab, 0.0) * f.seconds for f in faces) / seconds, 4)
            for lab in labels
        }
        out["mean_valence"] = round(sum(f.mean_valence * f.seconds for f in faces) / seconds, 4)
    calibration = calibration_note(timeline)
    out["note"] = "; ".join(n for n in (out["note"], calibration) if n)
    return out


def _calibration_line(timeline: dict, faces: list[FaceSummary]) -> str:
    note = calibration_note(timeline)
    if not note:
        return ""
    items = "".join(f"<li>{html.escape(baseline_text(timeline, f))}</li>" for f in faces)
    return (
        f'<p class="warn">{html.escape(note.capitalize())}. Calibrated values read each face '
        "against its own resting face (see the README's Calibration); rows before a face's "
        "baseline, and faces without one, are its raw values. The chart marks each switch; "
        "each moment says which values it comes from; shares and mean valence add both.</p>"
        f"<ul>{items}</ul>"
    )


def baseline_of(timeline: dict, face_id: int) -> str:
    """When a face's baseline was taken ('00:03.00–00:05.00'), 'saved' (--baseline FILE)
    or 'none'; empty when calibration was off."""
    rows = [r for r in timeline["faces"] if int(r["face_id"]) == face_id]
    first = values_of(min(rows, key=lambda r: r["t_source"])) if rows else ""
    taken = [
        f"{_clock(e['baseline_from'])}–{_clock(e['baseline_to'])}"
        for e in timeline.get("calibrations", [])
        if e.get("state") == CALIBRATED and e.get("face_id") == face_id
    ]
    if taken:
        return ", then ".join(taken)
    return "saved" if first == "calibrated" else "none" if calibration_note(timeline) else ""


def baseline_text(timeline: dict, face: FaceSummary) -> str:
    """When a face's baseline was taken and from when its values are raw or calibrated."""
    baseline = baseline_of(timeline, face.face_id)
    if baseline == "saved":
        saved = ((timeline.get("header") or {}).get("settings") or {}).get("baseline", "")
        text = f"{face.name}: read against the saved baseline {saved}".rstrip()
    elif baseline == "none":
        text = f"{face.name}: no neutral, steady stretch, so no baseline"
    else:
        text = f"{face.name}: baseline taken {baseline} (its neutral, steady face)"
    rows = [r for r in timeline["faces"] if int(r["face_id"]) == face.face_id]
    start = values_of(min(rows, key=lambda r: r["t_source"])) if rows else "raw"
    switches = calibration_switches(timeline).get(face.face_id, [])
    spans = "".join(f"; {values} from {_clock(t)}" for t, values in switches)
    return f"{text}; {start} from {_clock(face.first_t)}{spans}"


def calibration_faces(timeline: dict) -> tuple[list[int], list[int]] | None:
    """When calibration was on: (the faces read calibrated, those that never showed a
    neutral, steady stretch: their values stayed raw). None when it was off."""
    settings = (timeline.get("header") or {}).get("settings") or {}
    if not (settings.get("calibrate_s") or settings.get("baseline")):
        return None
    states: dict[int, set[str]] = defaultdict(set)
    for row in timeline["faces"]:
        states[int(row["face_id"])].add(row.get("cal") or "")
    done = sorted(fid for fid, st in states.items() if st & {"calibrated", "saved"})
    return done, sorted(fid for fid in states if fid not in done)


def calibration_note(timeline: dict) -> str:
    """When calibration was on: how many faces were read calibrated, and which never showed
    a neutral, steady stretch (their values stayed raw). Empty when it was off."""
    faces = calibration_faces(timeline)
    if faces is None:
        return ""
    done, raw = faces
    text = f"calibration on: {len(done)} of {len(done) + len(raw)} faces read calibrated"
    if raw:
        text += f"; no neutral, steady stretch for face {', '.join(map(str, raw))} (raw values)"
    return text


def _data_amount(readings: int, seconds: float) -> str:
    return f"{readings} reading{'s' * (readings != 1)}, {seconds:.1f} s"


def _moment(t_and_valence: tuple[float, float], sign: int, values: str = "") -> str:
    """'01:23 (+0.62)', '01:23 (+0.62, calibrated)' when calibration was on (`values` says
    which), or '–' when valence never went that far that way (see STANDS_OUT)."""
    t, v = t_and_valence
    which = f", {values}" if values else ""
    return f"{_clock(t)} ({v:+.2f}{which})" if v * sign >= STANDS_OUT else "–"


def coverage(timeline: dict, analysed_s: float | None = None) -> tuple[float, float | None]:
    """(seconds of the video analysed, the container's duration or None). `analysed_s` is
    what the source read (analyze passes it); else the last frame's time plus one step."""
    header = timeline.get("header") or {}
    duration = header.get("source_duration_s")
    if analysed_s is None:
        frames = timeline.get("frames") or timeline["faces"]
        last = max((f["t_source"] for f in frames if f.get("t_source") is not None), default=0.0)
        analysed_s = last + frame_step(timeline) if frames else 0.0
        analysed_s = min(analysed_s, duration) if duration else analysed_s
    return analysed_s, duration


def truncation(timeline: dict, analysed_s: float | None = None) -> str:
    """'truncated: 3.9 s of 8.0 s analysed' for a file that ends early, else ''. A recording
    that stopped before its source ended is not cut short: its last frame's source time
    counts, not its length."""
    analysed, duration = coverage(timeline, analysed_s)
    last = next((f for f in reversed(timeline.get("frames") or []) if "source_t" in f), None)
    if analysed_s is None and last is not None:
        analysed = last["source_t"] + frame_step(timeline)
        analysed = min(analysed, duration) if duration else analysed
    fps = (timeline.get("header") or {}).get("source_fps") or 30.0
    if not ends_early(analysed, duration, fps):
        return ""
    return f"truncated: {analysed:.1f} s of {duration:.1f} s analysed"


def chart_svg(
    timeline: dict,
    title: str,
    size: tuple[int, int] = (1000, 400),
    end: float | None = None,
    legend: bool = True,
) -> str:
    """Valence over time, one line per face (brief or small faces faint), with the bands
    where a moment stands out and the markers; "no faces found" when there are none."""
    faces = {f.face_id: f for f in summarise(timeline)}
    switches = calibration_switches(timeline)
    by_face: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for row in timeline["faces"]:
        by_face[int(row["face_id"])].append((row["t_source"], row["valence"]))
    lines = []
    for fid, pts in sorted(by_face.items()):
        if fid not in faces:
            continue
        faint = bool(faces[fid].doubts())
        label = face_name(timeline, fid) + (" (brief/small)" if faint else "")
        lines.append(
            Line(sorted(pts), face_colour(fid), label, faint, switches.get(fid, []), face_dash(fid))
        )
    # a line breaks where its face was away for longer than a few frames (or a second)
    gap = max(1.0, 5 * frame_step(timeline))
    markers = [(m["t_source"], m.get("note") or "") for m in timeline["markers"]]
    return valence_chart(lines, markers, title, size, end, legend, STANDS_OUT, gap)


def _wall_span(timeline: dict) -> str:
    """First and last wall-clock time of the analysed frames."""
    rows = timeline.get("frames") or timeline["faces"]
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


def _source_span(timeline: dict, a: float, b: float) -> str:
    """' (source 00:15.48–01:35.24)': the source times of the frames at recording times a
    and b, where they differ from them."""
    frames = [f for f in timeline.get("frames", []) if f.get("source_t") is not None]
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
) -> tuple[Path, Path]:
    """Write <stem>_report.svg and <stem>_report.html beside the timeline (or in out_dir).

    `thumbnails` embeds a small picture of each face (cut from the video); `analysed_s` is
    how much of the video was read (from analyze) and `duration_s` the length its container
    gives (else the timeline's header says), to tell a file that ends early.
    """
    timeline_path = Path(timeline_path)
    timeline = read_timeline(timeline_path)
    header = timeline["header"] = timeline["header"] or {}
    if duration_s is not None:
        header["source_duration_s"] = duration_s
    source = header.get("source", timeline_path.stem)
    chart_path, html_path = report_paths(timeline_path, out_dir)
    timeline = as_recorded(timeline, timeline_path)
    analysed, _duration = coverage(timeline, analysed_s)
    chart = chart_svg(timeline, f"Expression over time: {source}", end=analysed)
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart_path.write_text(chart, encoding="utf-8")
    page = render_html(
        timeline,
        summarise(timeline),
        chart,
        timeline_path.name,
        thumbnails=thumbnails,
        analysed_s=analysed_s,
    )
    html_path.write_text(page, encoding="utf-8")
    return chart_path, html_path


def segments(markers: list[tuple[float, str]], end: float) -> list[tuple[str, float, float]]:
    """(name, start, end): the whole session, then each stretch between markers."""
    ordered = sorted(markers)
    cuts = [0.0, *(t for t, _ in ordered), end]
    names = [
        "start",
        *(" ".join(note.split()) or f"marker {i + 1}" for i, (_t, note) in enumerate(ordered)),
    ]
    out = [("whole session", 0.0, end)]
    for name, a, b in zip(names, cuts, cuts[1:], strict=False):
        if b > a:
            out.append((f"from {name}", a, b))
    return out


def markers_of(timeline: dict, timeline_path: Path) -> list[tuple[float, str]]:
    """The markers as edited in review mode (the sidecar file), else the timeline's own."""
    side = sidecar.load(timeline_path)
    if side.markers is None:
        return [(m["t_source"], m.get("note") or "") for m in timeline["markers"]]
    return [(m.t_source, m.note) for m in side.markers]


def as_recorded(timeline: dict, timeline_path: Path) -> dict:
    """The timeline as a report shows it: on the recording's own time axis (from 0 at its
    first frame, source time laid end to end at each seek, see timeaxis) in `t_source`, the
    source's own time beside it in `source_t`, with review's edits (the sidecar: markers,
    merged ids, names in `timeline["names"]`)."""
    side = sidecar.load(timeline_path)
    frames = timeline["frames"]
    axis = time_axis(frames, timeline.get("seeks")) if frames else None
    if side.markers is None:
        markers = [
            (m["t_source"], m.get("t_wall"), None, m.get("note") or "", m.get("source") or "")
            for m in timeline["markers"]
        ]
    else:
        markers = [(m.t_source, None, m.frame, m.note, m.source) for m in side.markers]
    out = dict(timeline)
    if timeline["header"] is not None:  # a model changed while recording adds its labels
        out["header"] = {**timeline["header"], "labels": recorded_labels(timeline)}
    if axis is not None:
        times = axis.times_of_frames([f["frame"] for f in timeline["faces"]])
        out["frames"] = [
            {**f, "t_source": float(t), "source_t": f["t_source"]}
            for f, t in zip(frames, axis.t, strict=True)
        ]
        out["faces"] = [
            {**f, "t_source": float(t), "source_t": f["t_source"]}
            for f, t in zip(timeline["faces"], times, strict=True)
            if t == t  # a face row without its frame row (a file cut mid-frame)
        ]
        out["gaps"] = [
            {**g, "t_source": axis.time_of(g["t_source"] or 0.0, g.get("t_wall"))}
            for g in timeline["gaps"]
        ]
        markers = [
            (axis.time_of(t, wall, frame), t, None, note, source)
            for t, wall, frame, note, source in markers
        ]
    else:
        markers = [(t, t, None, note, source) for t, _wall, _frame, note, source in markers]
    out["markers"] = sorted(
        (
            {"t_source": t, "source_t": src, "note": note, "source": source}
            for t, src, _, note, source in markers
        ),
        key=lambda m: m["t_source"],
    )
    out["faces"] = [{**f, "face_id": side.canonical(int(f["face_id"]))} for f in out["faces"]]
    out["names"] = {side.canonical(fid): name for fid, name in side.names.items() if name}
    return out


def _source(marker: dict) -> str:
    """' <span class="note">(websocket)</span>': who placed a marker, when known."""
    source = marker.get("source")
    return f" <span class='note'>({html.escape(source)})</span>" if source else ""


def face_name(timeline: dict, face_id: int) -> str:
    """What a report calls a face: its name from review, else "face N"."""
    return timeline.get("names", {}).get(face_id) or f"face {face_id}"


def segment_table(timeline: dict, markers: list[tuple[float, str]]) -> str:
    """HTML rows: per segment and face (brief or small faces left out), the time-weighted
    share of each label and mean valence."""
    labels = (timeline["header"] or {}).get("labels", [])
    end = max((f["t_source"] for f in timeline["faces"]), default=0.0)
    trusted = {f.face_id for f in summarise(timeline) if not f.doubts()}
    parts = segments(markers, end)
    if not markers:
        parts = parts[:1]  # "from start" would repeat "whole session"
    rows = []
    for name, a, b in parts:
        part = {**timeline, "faces": [f for f in timeline["faces"] if a <= f["t_source"] <= b]}
        for f in summarise(part):
            if f.face_id not in trusted:
                continue
            rows.append(
                f"<tr><td>{html.escape(label_text(name, SEGMENT_NAME_CHARS))}</td>"
                f"<td>{_clock(a)}–{_clock(b)}{_source_span(timeline, a, b)}</td>"
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
            f"({_data_amount(f.frames, f.seconds)})</td>"
        )
    return "".join(f"<td>{100 * f.label_share.get(lab, 0):.0f}%</td>" for lab in labels)


def _valence_cell(f: FaceSummary) -> str:
    return f"{f.mean_valence:+.2f}" if f.enough_data else "–"


def face_thumbnails(timeline: dict, size: int = 64) -> dict[int, str]:
    """face id -> a small JPEG (data URL) of that face, cut from the video at its most
    confident detection; empty when the video is not where the timeline says."""
    header = timeline["header"] or {}
    video = header.get("source_path") or header.get("source")
    if not video or not Path(video).is_file():
        return {}
    import cv2

    from fer_desktop.sources import SourceError, VideoSource

    best: dict[int, dict] = {}
    for row in timeline["faces"]:
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


def _face_rows(
    faces: list[FaceSummary], labels: list[str], thumbs: dict[int, str], baselines: dict
) -> str:
    rows = []
    for f in faces:
        baseline = f"<td>{html.escape(baselines[f.face_id])}</td>" if baselines else ""
        thumb = f"<img alt='' src='{thumbs[f.face_id]}' width='48'> " if f.face_id in thumbs else ""
        doubts = f"<td>{html.escape('; '.join(f.doubts()))}</td>" if f.doubts() else ""
        rows.append(
            f"<tr><td style='color:{face_colour(f.face_id)}'>{thumb}"
            f"<b>{html.escape(f.name)}</b></td>"
            f"<td>{_clock(f.first_t)}–{_clock(f.last_t)}</td><td>{f.seconds:.1f}</td>"
            f"<td>{f.median_px:.0f}</td><td>{f.mean_score:.2f}</td>{_share_cells(f, labels)}"
            f"<td>{_valence_cell(f)}</td>"
            f"<td>{_moment(f.happiest, +1, f.happiest_values)}</td>"
            f"<td>{_moment(f.saddest, -1, f.saddest_values)}</td>{baseline}{doubts}</tr>"
        )
    return "".join(rows)


def _face_tables(
    timeline: dict, faces: list[FaceSummary], labels: list[str], thumbs: dict[int, str]
) -> str:
    """The faces to read, then the brief or small ones folded away; with calibration on,
    when each face's baseline was taken."""
    baselines = {f.face_id: baseline_of(timeline, f.face_id) for f in faces}
    baselines = baselines if any(baselines.values()) else {}
    heads = (
        "<tr><th>face</th><th>seen</th><th>in view (s)</th><th>median size (px)</th>"
        "<th>mean detection score</th>"
        + "".join(f"<th>{html.escape(lab)}</th>" for lab in labels)
        + "<th>mean valence</th><th>happiest moment</th><th>saddest moment</th>"
        + ("<th>baseline taken</th>" if baselines else "")
    )
    trusted = [f for f in faces if not f.doubts()]
    doubtful = [f for f in faces if f.doubts()]
    out = (
        f"<table>{heads}</tr>{_face_rows(trusted, labels, thumbs, baselines)}</table>"
        if trusted
        else "<p>No face was in view long enough and large enough to read with confidence; "
        "see the brief or small faces below.</p>"
    )
    if doubtful:
        out += (
            f"<details><summary>Brief or small faces ({len(doubtful)}): seen under "
            f"{BRIEF_FACE_S:g} s or smaller than {SMALL_FACE_PX} px; read them with care"
            f"</summary><table>{heads}<th>why here</th></tr>"
            f"{_face_rows(doubtful, labels, thumbs, baselines)}</table></details>"
        )
    return out


def _coverage_line(timeline: dict, analysed_s: float | None) -> str:
    """How much of the video was analysed; a warning when the file ends early."""
    header = timeline["header"] or {}
    cut = truncation(timeline, analysed_s)
    if cut:
        return (
            f"<p class='warn'><b>{html.escape(cut)}</b>: the file ends before the length its "
            f"container gives (a cut or damaged copy?); the figures cover only that part.</p>"
        )
    analysed, duration = coverage(timeline, analysed_s)
    every = header.get("every") or 1
    which = "every frame" if every == 1 else f"every {_ordinal(every)} frame"
    of = f" of {duration:.1f} s" if duration else ""
    span = _source_span(timeline, 0.0, analysed) if analysed_s is None else ""
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


def _completeness(timeline: dict, analysed_s: float | None) -> str:
    """Whether the analysis ran to the end of the video, as the report's first line says it."""
    if not timeline["summary"]:
        return "cut short (no summary line)"
    if truncation(timeline, analysed_s):
        return "read to its end, but the file ends early: see below"
    return "complete"


def render_html(
    timeline: dict,
    faces: list[FaceSummary],
    chart: str,
    name: str,
    thumbnails: bool = True,
    analysed_s: float | None = None,
) -> str:
    header = timeline["header"] or {}
    settings = header.get("settings", {})
    labels = header.get("labels", [])
    esc = html.escape
    thumbs = face_thumbnails(timeline) if thumbnails and faces else {}
    markers = (
        "".join(
            f"<li>{_clock(m['t_source'])}{_beside(m)} {esc(m.get('note') or '')}{_source(m)}</li>"
            for m in timeline["markers"]
        )
        or "<li>none</li>"
    )
    gaps = "".join(
        f"<li>{_clock(g['t_source'])} {esc(g.get('note') or '')}</li>" for g in timeline["gaps"]
    )
    complete = _completeness(timeline, analysed_s)
    marker_list = [(m["t_source"], m.get("note") or "") for m in timeline["markers"]]
    settings_rows = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(str(settings[k]))}</td></tr>"
        for k in SHOWN_SETTINGS
        if k in settings
    )
    if faces:
        body = f"""<figure aria-label="valence over time per face">{inline(chart)}</figure>
<p class="note">The chart shows valence, {VALENCE_NOTE}, after smoothing; the shaded bands start at
±{STANDS_OUT:g}, where a moment counts as standing out.</p>
<h2>Faces</h2>
{_face_tables(timeline, faces, labels, thumbs)}
<p class="note">{WEIGHTING_NOTE} Valence is {VALENCE_NOTE}. A share needs at least
{MIN_READINGS} readings and {MIN_FACE_TIME_S:g} s in view ("too little data" otherwise).
Happiest / saddest moments are named only where valence reached ±{STANDS_OUT:g}. Size is the
face box's shorter side; the detection score is the face detector's confidence (0–1).</p>
<p class="note">{esc(reliability(settings))}</p>
{_calibration_line(timeline, faces)}
<h2>Markers</h2><ul>{markers}</ul>
<h2>Segments</h2>{segment_table(timeline, marker_list)}"""
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
&nbsp; <b>Analysed (wall clock, UTC):</b> {esc(_wall_span(timeline))}
({complete}) &nbsp; <b>Model:</b> {esc(str(settings.get("model_name", "?")))}</p>
{_coverage_line(timeline, analysed_s)}
{body}
{"<h2>Gaps</h2><ul>" + gaps + "</ul>" if gaps else ""}
<h2>Settings</h2><table>{settings_rows}</table>
<p class="note">Made by fer_desktop on this computer; no frame or result left it.
{esc(_thumbnail_note(thumbnails, thumbs))}
{esc(RESPONSIBLE_USE)}</p>
</body></html>
"""


# The overview's columns: (index column, heading, what it holds).
OVERVIEW_COLUMNS = [
    ("name", "video", "its report, when written"),
    ("status", "status", "ok, truncated (the file ends early), failed or partial"),
    ("duration_s", "duration (s)", "the length the file's container gives"),
    ("analysed_s", "analysed (s)", "seconds of the video read"),
    ("faces", "faces", "faces seen (each tracked face once)"),
    ("brief_or_small_faces", "brief or small", f"faces seen under {BRIEF_FACE_S:g} s or "
     f"smaller than {SMALL_FACE_PX} px"),
    ("face_seconds", "face time (s)", "time in view, added over all faces: the weight of "
     "the shares and the mean valence"),
    *(
        (f"share_{lab}_by_time", f"{lab} (time share)",
         f"share of all faces' time in view labelled {lab}")
        for lab in ("happy", "neutral", "sad")
    ),
    ("mean_valence_by_time", "mean valence (time-weighted)",
     f"valence ({VALENCE_NOTE}) averaged over all faces' time in view"),
    ("seconds", "analysis (s)", "how long the analysis took"),
    ("note", "note", "why a figure is missing or doubtful"),
    ("error", "error", "why the video failed"),
]  # fmt: skip
# sortKey and inOrder are plain functions so that a test can run them (tests/test_report.py).
SORT_SCRIPT = """<script>
function sortKey(text) {  // null for an empty cell, else a number or lower-case text
  if (text.trim() === "") return null;
  const n = Number(text);
  return isNaN(n) ? text.toLowerCase() : n;
}
function inOrder(x, y, dir) {  // empty cells last in either direction
  if (x === null || y === null) return (x === null) - (y === null);
  return (x > y ? 1 : x < y ? -1 : 0) * dir;
}
document.querySelectorAll("th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], rows = [...body.rows];
  const key = r => sortKey(r.cells[col].dataset.v ?? r.cells[col].innerText);
  const dir = th.dataset.dir = th.dataset.dir === "1" ? -1 : 1;
  rows.sort((a, b) => inOrder(key(a), key(b), dir));
  rows.forEach(r => body.appendChild(r));
}));
</script>"""


def _link(path: str, out_dir: Path) -> str:
    """A link from out_dir to `path`, or '' when there is no such file."""
    if not path or not Path(path).is_file():
        return ""
    return Path(os.path.relpath(Path(path).resolve(), Path(out_dir).resolve())).as_posix()


@functools.lru_cache(maxsize=512)
def _small_chart(timeline_path: str, _mtime_ns: int, title: str, end: float | None) -> str:
    """A video's chart for the overview, drawn once per version of its timeline."""
    timeline = read_timeline(Path(timeline_path))
    return chart_svg(timeline, title, size=(480, 220), end=end, legend=False)


def _overview_cell(row: dict, key: str, out_dir: Path) -> str:
    esc = html.escape
    value = row.get(key, "")
    value = "" if value is None else value
    if key.startswith("share_") and value != "":
        shown = esc(f"{100 * float(value):.0f}%")
    elif key == "name" and (href := _link(row.get("report", ""), out_dir)):
        shown = f"<a href='{esc(href)}'>{esc(str(value))}</a>"
    else:
        shown = esc(str(value))
    return f"<td data-v='{esc(str(value))}'>{shown}</td>"


def _overview_card(row: dict, out_dir: Path) -> str:
    """The small chart of a finished video, linked to its report; a line when no faces."""
    esc = html.escape
    timeline_path = Path(row.get("timeline") or "")
    if row.get("status") not in ("ok", "truncated") or not timeline_path.is_file():
        return ""
    name, href = row["name"], _link(row.get("report", ""), out_dir)
    if str(row.get("faces", "")) == "0":
        card = f"<div class='none'>{esc(name)}: no faces found</div>"
    else:
        end = float(row["analysed_s"]) if row.get("analysed_s") not in ("", None) else None
        card = inline(_small_chart(str(timeline_path), timeline_path.stat().st_mtime_ns, name, end))
    return f"<a href='{esc(href)}'>{card}</a>" if href else card


def _made_by(rows: list[dict]) -> str:
    """'Made by fer_desktop 0.1.0, model file sha256 1a2b3c4d5e6f…' (each version and model
    file the rows with results name, so a folder analysed in several runs says when they
    differ; a failed video made nothing)."""
    made = [r for r in rows if r.get("app_version") and r.get("model_sha256")]
    if not made:  # failed or not yet analysed: nothing was made
        return ""
    versions = sorted({r["app_version"] for r in made})
    models = sorted({r["model_sha256"][:12] for r in made})
    return (
        f"Made by fer_desktop {', '.join(versions)}, "
        f"model file sha256 {', '.join(m + '…' for m in models)}."
    )


def write_overview(rows: list[dict], out_dir: Path) -> Path:
    """out_dir/overview.html: every video side by side (a small chart each, linked to its
    report) and a table that sorts by any column. Self-contained, like the per-video report;
    written whole (atomically), so it always matches the index it was made from."""
    esc = html.escape
    ordered = sorted(rows, key=lambda r: r["name"])
    body = [
        "<tr>" + "".join(_overview_cell(r, k, out_dir) for k, _t, _d in OVERVIEW_COLUMNS) + "</tr>"
        for r in ordered
    ]
    cards = [card for r in ordered if (card := _overview_card(r, out_dir))]
    heads = "".join(
        f"<th title='{esc(d)} (click to sort)'>{esc(t)}</th>" for _k, t, d in OVERVIEW_COLUMNS
    )
    described = "".join(f"<li><b>{esc(t)}</b>: {esc(d)}</li>" for _k, t, d in OVERVIEW_COLUMNS)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop overview</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 7px}}th{{cursor:pointer;background:#f4f4f4}}
td{{max-width:30em;overflow-wrap:anywhere}}svg{{margin:4px;vertical-align:top}}.note{{color:#666;font-size:90%}}
.none{{display:inline-block;width:460px;padding:40px 10px;margin:4px;border:1px solid #ccc;
text-align:center;color:#666}}</style></head><body>
<h1>Overview: {len(rows)} videos</h1>
<p class="note">{esc(_made_by(rows))}</p>
<table><thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table>
<p class="note">Valence is {VALENCE_NOTE}. {WEIGHTING_NOTE}
The video's shares and mean valence add up every face's time in view (a face seen twice as
long counts twice as much), brief and small faces included. Empty cells sort last. Click a
video's name or chart for its report.</p>
<details class="note"><summary>The columns</summary><ul>{described}</ul></details>
<p class="note">{esc(RESPONSIBLE_USE)}</p>
<h2>Valence over time</h2><div>{"".join(cards)}</div>
{SORT_SCRIPT}</body></html>
"""
    path = out_dir / "overview.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
