"""The report's valence chart as an SVG document: plain text, no plotting library.

A report is read in a browser or pasted into a document; SVG stays sharp in both, embeds in
the HTML as it is, and costs no import (matplotlib took 0.8 s of every `analyze`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from fer_desktop.label_colours import LABEL_HEX
from fer_desktop.marker_labels import LEVELS, SHORT_CHARS, label_levels, label_text

# A line with more points than its width can show (one per BIN_PX pixels) is drawn by bins
# BIN_PX wide: the median of each bin as the line, its lowest to highest value as a pale
# band. An hour of video stays readable (not a solid band of zig-zags) and a small file.
BIN_PX = 3
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
LABEL_PX = 130  # a marker's label (MAX_CHARS at 9 px) is about this wide


@dataclass
class Line:
    """One face's valence over time."""

    points: list[tuple[float, float]]  # (seconds, valence), in time order
    colour: str
    label: str
    faint: bool = False  # brief or small faces: thinner and paler
    # (time, "calibrated" or "raw"): where the values it shows switch from one to the other
    switches: list[tuple[float, str]] = field(default_factory=list)
    dash: str = ""  # an SVG stroke-dasharray ('' solid): faces that share a colour differ


def _dash(line: Line) -> str:
    return f" stroke-dasharray='{line.dash}'" if line.dash else ""


@dataclass
class Bin:
    """The points of one bin of a line: its time (their mean) and their median and range."""

    t: float
    median: float
    lo: float
    hi: float


def binned(points: list[tuple[float, float]], bin_s: float) -> list[Bin]:
    """`points` (in time order) grouped into bins `bin_s` seconds wide, from time 0."""
    groups: dict[int, list[tuple[float, float]]] = {}
    for p in points:
        groups.setdefault(int(p[0] // bin_s), []).append(p)
    out = []
    for group in groups.values():
        values = sorted(v for _t, v in group)
        mid = len(values) // 2
        median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
        out.append(Bin(sum(t for t, _v in group) / len(group), median, values[0], values[-1]))
    return out


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values between lo and hi, about `count` of them."""
    span = max(hi - lo, 1e-9)
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if step * m >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def valence_chart(
    lines: list[Line],
    markers: list[tuple[float, str]],
    title: str,
    size: tuple[int, int] = (1000, 400),
    end: float | None = None,
    legend: bool = True,
    bands: float = 0.3,
    gap_s: float = 1.0,
) -> str:
    """Valence (-1..1) against recording time, one line per face, shaded bands past ±`bands`,
    dashed markers with their notes, dotted lines in a face's colour where its values switch
    between raw and calibrated; a line breaks where its face was away over `gap_s`."""
    width, height = size
    esc = html.escape
    out = [
        f"<svg{XMLNS} width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {FONT} font-size='11'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        f"<text x='{width / 2:.0f}' y='18' text-anchor='middle' font-size='14'>{esc(title)}</text>",
    ]
    if not lines:
        out.append(
            f"<text x='{width / 2:.0f}' y='{height / 2:.0f}' text-anchor='middle' "
            "font-size='16' fill='#555'>no faces found</text></svg>"
        )
        return "\n".join(out)
    legend_w = 170 if legend else 0
    left, right, top, bottom = 58, width - 12 - legend_w, 30, height - 40
    t_end = end or max((p[0] for ln in lines for p in ln.points), default=1.0) or 1.0

    def x(t: float) -> float:
        return left + (right - left) * min(max(t / t_end, 0.0), 1.0)

    def y(v: float) -> float:
        return top + (bottom - top) * (1.05 - v) / 2.1

    out.append(
        f"<rect x='{left}' y='{y(1.05):.1f}' width='{right - left}' "
        f"height='{y(bands) - y(1.05):.1f}' fill='#2ca02c' fill-opacity='0.08'/>"
    )
    out.append(
        f"<rect x='{left}' y='{y(-bands):.1f}' width='{right - left}' "
        f"height='{y(-1.05) - y(-bands):.1f}' fill='#1f77b4' fill-opacity='0.08'/>"
    )
    for v in (-1.0, -0.5, 0.0, 0.5, 1.0):
        out.append(
            f"<line x1='{left}' x2='{right}' y1='{y(v):.1f}' y2='{y(v):.1f}' stroke='#ddd'/>"
        )
        tick = f"{v:+.1f}" if v else "0"
        out.append(f"<text x='{left - 6}' y='{y(v) + 4:.1f}' text-anchor='end'>{tick}</text>")
    for t in _ticks(0.0, t_end):
        out.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{top}' y2='{bottom}' stroke='#eee'/>"
        )
        out.append(f"<text x='{x(t):.1f}' y='{bottom + 15}' text-anchor='middle'>{t:g}</text>")
    out.append(
        f"<text x='{(left + right) / 2:.0f}' y='{height - 8}' text-anchor='middle'>"
        "recording time (s)</text>"
    )
    ylabel = "valence" if not legend else "valence = p(happy) − p(sad)"
    out.append(
        f"<text transform='translate(14 {(top + bottom) / 2:.0f}) rotate(-90)' "
        f"text-anchor='middle'>{esc(ylabel)}</text>"
    )
    out.append(
        f"<rect x='{left}' y='{top}' width='{right - left}' height='{bottom - top}' "
        "fill='none' stroke='#888'/>"
    )
    bin_s = BIN_PX * t_end / max(right - left, 1)
    for ln in lines:
        out += line_svg(ln, x, y, bin_s, gap_s)
    for ln in lines:  # the switches between raw and calibrated values, in the face's colour
        out += switch_svg(ln, x, top, bottom)
    out += markers_svg(markers, x, top, bottom, LABEL_PX * t_end / max(right - left, 1))
    if legend:
        out += legend_svg(lines, right + 14, top)
    out.append("</svg>")
    return "\n".join(out)


def line_svg(
    ln: Line,
    x: Callable[[float], float],
    y: Callable[[float], float],
    bin_s: float,
    gap_s: float,
) -> list[str]:
    """A face's line, broken where it was away over `gap_s`; with more points than the
    width shows, the median of each `bin_s` bin and a pale band from lowest to highest."""
    esc, out = html.escape, []
    stroke = "stroke-width='0.8' stroke-opacity='0.35'" if ln.faint else "stroke-width='1.4'"
    for run in _runs(ln.points, gap_s):
        bins = binned(run, bin_s)
        if len(bins) < len(run):  # more points than the width shows: median and range
            lows = [f"{x(b.t):.1f},{y(b.lo):.1f}" for b in bins]
            highs = [f"{x(b.t):.1f},{y(b.hi):.1f}" for b in reversed(bins)]
            out.append(
                f"<polygon class='range' fill='{ln.colour}' fill-opacity='0.18' "
                f"points='{' '.join(lows + highs)}'><title>{esc(ln.label)}: lowest to "
                f"highest per {bin_s:.3g} s</title></polygon>"
            )
            run = [(b.t, b.median) for b in bins]
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in run)
        out.append(
            f"<polyline fill='none' stroke='{ln.colour}' {stroke}{_dash(ln)} "
            f"points='{coords}'>"
            f"<title>{esc(ln.label)}</title></polyline>"
        )
    return out


def switch_svg(
    ln: Line, x: Callable[[float], float], top: float, bottom: float, text: bool = True
) -> list[str]:
    """A dotted line in the face's colour from `top` to `bottom` where its values switch
    between raw and calibrated, named at the bottom unless `text` is False."""
    out = []
    for t, values in ln.switches:
        named = (
            f"<text x='{x(t) + 3:.1f}' y='{bottom - 4}' font-size='9' fill='{ln.colour}'>"
            f"{values}</text>"
            if text
            else ""
        )
        out.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{top}' y2='{bottom}' "
            f"stroke='{ln.colour}' stroke-dasharray='1 2'><title>"
            f"{html.escape(ln.label)}: {values} from {t:.2f} s</title></line>{named}"
        )
    return out


def markers_svg(
    markers: list[tuple[float, str]],
    x: Callable[[float], float],
    top: float,
    bottom: float,
    label_gap: float,
) -> list[str]:
    """A dashed line per marker from `top` to `bottom`, its note near the top (labels of
    markers closer than `label_gap` seconds hang one below another)."""
    esc, out = html.escape, []
    levels = label_levels([t for t, _ in markers], label_gap)
    for (t, note), level in zip(markers, levels, strict=True):
        out.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{top}' y2='{bottom}' "
            "stroke='#444' stroke-dasharray='4 3'/>"
        )
        if note:  # the whole note shows on hovering (its <title>)
            shown = label_text(note) if level is not None else label_text(note, SHORT_CHARS)
            y_text = top + 12 + 11 * (LEVELS if level is None else level)
            out.append(
                f"<text x='{x(t) + 3:.1f}' y='{y_text}' font-size='9'>"
                f"<title>{esc(note)}</title>{esc(shown)}</text>"
            )
    return out


def legend_svg(lines: list[Line], lx: float, top: float) -> list[str]:
    """The faces' legend: a short line and its label for each of the first 20."""
    esc, out = html.escape, []
    for k, ln in enumerate(lines[:20]):
        ly = top + 8 + 15 * k
        opacity = " stroke-opacity='0.35'" if ln.faint else ""
        out.append(
            f"<line x1='{lx}' x2='{lx + 18}' y1='{ly}' y2='{ly}' "
            f"stroke='{ln.colour}' stroke-width='2'{opacity}{_dash(ln)}/>"
        )
        out.append(f"<text x='{lx + 24}' y='{ly + 4}' font-size='10'>{esc(ln.label)}</text>")
    if len(lines) > 20:
        out.append(
            f"<text x='{lx}' y='{top + 8 + 15 * 20 + 4}' font-size='10'>"
            f"… and {len(lines) - 20} more</text>"
        )
    return out


XMLNS = " xmlns='http://www.w3.org/2000/svg'"


def inline(svg: str) -> str:
    """The chart for an HTML page: HTML needs no namespace (and the page names no URL)."""
    return svg.replace(XMLNS, "", 1)


def _runs(points: list[tuple[float, float]], gap_s: float) -> list[list[tuple[float, float]]]:
    """The points split where the time between two exceeds `gap_s`."""
    runs: list[list[tuple[float, float]]] = []
    for p in points:
        if runs and p[0] - runs[-1][-1][0] <= gap_s:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


@dataclass
class Lane:
    """One measure around an event: its mean and 95% CI at each point."""

    label: str
    points: list[tuple[float, float, float, float]]  # (seconds from the event, mean, low, high)
    colour: str = "#1f77b4"


def lanes_chart(
    lanes: list[Lane], title: str, window: float, baseline: float, width: int = 760
) -> str:
    """One lane per measure from -window to +window s around an event: the mean as a line,
    its 95% CI as a band, the event at 0 and the baseline window shaded. Each lane has its
    own scale, symmetric about 0 (the baseline)."""
    esc, lane_h, left, right, top = html.escape, 90, 110, width - 14, 30
    height = top + lane_h * max(len(lanes), 1) + 36
    out = [
        f"<svg{XMLNS} width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {FONT} font-size='11'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        f"<text x='{width / 2:.0f}' y='18' text-anchor='middle' font-size='14'>{esc(title)}</text>",
    ]

    def x(t: float) -> float:
        return left + (right - left) * (t + window) / (2 * window)

    bottom = top + lane_h * len(lanes)
    out.append(
        f"<rect x='{x(-baseline):.1f}' y='{top}' width='{x(0) - x(-baseline):.1f}' "
        f"height='{bottom - top}' fill='#888' fill-opacity='0.10'><title>baseline</title></rect>"
    )
    for k, lane in enumerate(lanes):
        y0 = top + k * lane_h
        values = [abs(v) for p in lane.points for v in p[1:] if math.isfinite(v)]
        span = max(values, default=0.0) or 0.1

        def y(v: float, y0: float = y0, span: float = span) -> float:
            return y0 + lane_h / 2 - (lane_h / 2 - 6) * v / span

        out.append(
            f"<rect x='{left}' y='{y0}' width='{right - left}' height='{lane_h}' "
            "fill='none' stroke='#ccc'/>"
            f"<line x1='{left}' x2='{right}' y1='{y(0):.1f}' y2='{y(0):.1f}' stroke='#ddd'/>"
            f"<text x='{left - 8}' y='{y(0) + 4:.1f}' text-anchor='end'>{esc(lane.label)}</text>"
            f"<text x='{left + 3}' y='{y0 + 11}' font-size='9' fill='#777'>±{span:.2g}</text>"
        )
        band = [p for p in lane.points if math.isfinite(p[2])]  # NaN: no CI
        if band:
            ring = [(x(t), y(hi)) for t, _m, _lo, hi in band]
            ring += [(x(t), y(lo)) for t, _m, lo, _hi in reversed(band)]
            coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in ring)
            out.append(f"<polygon points='{coords}' fill='{lane.colour}' fill-opacity='0.2'/>")
        coords = " ".join(f"{x(t):.1f},{y(m):.1f}" for t, m, _lo, _hi in lane.points)
        out.append(
            f"<polyline fill='none' stroke='{lane.colour}' stroke-width='1.6' points='{coords}'>"
            f"<title>{esc(lane.label)}</title></polyline>"
        )
    out.append(
        f"<line x1='{x(0):.1f}' x2='{x(0):.1f}' y1='{top}' y2='{bottom}' stroke='#444' "
        "stroke-dasharray='4 3'/>"
    )
    for t in _ticks(-window, window):
        out.append(f"<text x='{x(t):.1f}' y='{bottom + 15}' text-anchor='middle'>{t:g}</text>")
    out.append(
        f"<text x='{(left + right) / 2:.0f}' y='{height - 6}' text-anchor='middle'>"
        "seconds from the event (change from the baseline, shaded; band: 95% CI)</text></svg>"
    )
    return "\n".join(out)


LANE_PX = 62  # the height of one expression's lane


def expression_lanes_chart(
    lanes: list[tuple[str, list[Line]]],
    markers: list[tuple[float, str]],
    title: str,
    width: int = 1000,
    end: float | None = None,
    gap_s: float = 1.0,
) -> str:
    """One lane per expression, stacked, each from 0 to 1 and named on its left: each face's
    probability of that expression as a line in its colour (broken where it was away over
    `gap_s`); markers dashed across every lane with their notes in the top one; dotted
    lines in a face's colour where its values switch between raw and calibrated, named in
    the bottom lane. `lanes` is (expression, its lines), the faces in the same order in each."""
    esc = html.escape
    faces = lanes[0][1] if lanes else []
    legend_w = 170
    left, right, top = 92, width - 12 - legend_w, 30
    bottom = top + LANE_PX * max(len(lanes), 1)
    height = bottom + 40
    out = [
        f"<svg{XMLNS} width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {FONT} font-size='11'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        f"<text x='{width / 2:.0f}' y='18' text-anchor='middle' font-size='14'>{esc(title)}</text>",
    ]
    if not faces:
        out.append(
            f"<text x='{width / 2:.0f}' y='{height / 2:.0f}' text-anchor='middle' "
            "font-size='16' fill='#555'>no faces found</text></svg>"
        )
        return "\n".join(out)
    t_end = end or max((p[0] for ln in faces for p in ln.points), default=1.0) or 1.0

    def x(t: float) -> float:
        return left + (right - left) * min(max(t / t_end, 0.0), 1.0)

    bin_s = BIN_PX * t_end / max(right - left, 1)
    for t in _ticks(0.0, t_end):
        out.append(
            f"<line x1='{x(t):.1f}' x2='{x(t):.1f}' y1='{top}' y2='{bottom}' stroke='#eee'/>"
        )
        out.append(f"<text x='{x(t):.1f}' y='{bottom + 15}' text-anchor='middle'>{t:g}</text>")
    for k, (name, lines) in enumerate(lanes):
        y0 = top + k * LANE_PX

        def y(v: float, y0: float = y0) -> float:
            return y0 + 4 + (LANE_PX - 8) * (1.0 - min(max(v, 0.0), 1.0))

        out.append(
            f"<g class='lane'><rect x='{left}' y='{y0}' width='{right - left}' "
            f"height='{LANE_PX}' fill='none' stroke='#bbb'/>"
            f"<line x1='{left}' x2='{right}' y1='{y(0.5):.1f}' y2='{y(0.5):.1f}' stroke='#eee'/>"
            f"<text x='{left - 8}' y='{y(0.5) + 4:.1f}' text-anchor='end' font-size='12' "
            f"fill='{LABEL_HEX.get(name, '#222')}'>{esc(name)}</text>"
            f"<text x='{left - 3}' y='{y(1.0) + 7:.1f}' text-anchor='end' font-size='8' "
            f"fill='#777'>1</text><text x='{left - 3}' y='{y(0.0):.1f}' text-anchor='end' "
            "font-size='8' fill='#777'>0</text>"
        )
        for ln in lines:
            out += line_svg(ln, x, y, bin_s, gap_s)
        out.append("</g>")
    for ln in faces:  # across every lane, named once, at the bottom
        out += switch_svg(ln, x, top, bottom)
    out += markers_svg(markers, x, top, bottom, LABEL_PX * t_end / max(right - left, 1))
    out.append(
        f"<text x='{(left + right) / 2:.0f}' y='{height - 8}' text-anchor='middle'>"
        "recording time (s)</text>"
    )
    out += legend_svg(faces, right + 14, top)
    out.append("</svg>")
    return "\n".join(out)
