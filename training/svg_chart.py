"""A small line chart as SVG text (no plotting library in the training venv's needs): epochs
on x, accuracy on y, one line per series, each point marked when a series is short."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 720, 400
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 40, 50


@dataclass(frozen=True)
class Series:
    """One line: values[i] is the accuracy after epoch i + 1."""

    label: str
    values: list[float]
    colour: str
    dashed: bool = False


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    first = step * round(lo / step + 0.4999)
    return [round(first + i * step, 6) for i in range(int((hi - first) / step + 1e-9) + 1)]


def line_chart(title: str, series: list[Series], epochs: int, y_range=(0.2, 0.9)) -> str:
    """The chart as an SVG document. Text (title, labels) is escaped: it is data."""
    lo, hi = y_range
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(epoch: float) -> float:
        return LEFT + plot_w * (epoch - 1) / max(epochs - 1, 1)

    def y(value: float) -> float:
        v = min(max(value, lo), hi)
        return TOP + plot_h * (hi - v) / (hi - lo)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    for v in _ticks(lo, hi, 0.1):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{100 * v:.0f}%</text>'
        )
    step = 5 if epochs <= 30 else 10 if epochs <= 60 else 25 if epochs <= 150 else 50
    for e in [1, *range(step, epochs + 1, step)]:
        out.append(
            f'<line x1="{x(e):.1f}" x2="{x(e):.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" '
            'stroke="black"/>'
            f'<text x="{x(e):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{e}</text>'
        )
    out += [
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'stroke="black"/>',
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="black"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">epoch</text>',
    ]
    for i, s in enumerate(series):
        values = s.values[:epochs]
        points = " ".join(f"{x(e + 1):.1f},{y(v):.1f}" for e, v in enumerate(values))
        dash = ' stroke-dasharray="5,4"' if s.dashed else ""
        colour = quoteattr(s.colour)
        out.append(
            f'<polyline points="{points}" fill="none" stroke={colour} stroke-width="1.6"{dash}/>'
        )
        if len(values) <= 40:
            out += [
                f'<circle cx="{x(e + 1):.1f}" cy="{y(v):.1f}" r="3" fill={colour}/>'
                for e, v in enumerate(values)
            ]
        ly = TOP + plot_h - 10 - 16 * (len(series) - 1 - i)  # lower right, under the curves
        out.append(
            f'<line x1="{WIDTH - RIGHT - 250}" x2="{WIDTH - RIGHT - 226}" y1="{ly - 4}" '
            f'y2="{ly - 4}" stroke={colour} stroke-width="2"{dash}/>'
            f'<text x="{WIDTH - RIGHT - 220}" y="{ly}">{escape(s.label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
