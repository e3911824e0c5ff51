"""How a marker's note is shown on a chart: one short line, on a height of its own.

A note comes from outside (a game, an event log, a person typing): it is shown as it is, so
it is never a format string or markup here (callers pass it to plain-text items or escape
it), only made fit to stand next to a line: its newlines and tabs become spaces and it is cut
to `MAX_CHARS`, with "…". Notes close together would overlap into an unreadable strip, so
each label goes on the lowest of `LEVELS` heights whose last label is far enough to the
left; where none is, a short label goes below them. A leaf module, shared by the live
chart, review's chart and the report's SVG.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

MAX_CHARS = 24  # a label this long is about 140 px at the charts' 8-9 pt
SHORT_CHARS = 4  # a label where there is no room for more: "{bo…"
LEVELS = 4  # heights a label can hang at, from the top down


def label_text(note: str, limit: int = MAX_CHARS) -> str:
    """The note on one line, at most `limit` characters (cut ones end with "…")."""
    text = " ".join(str(note).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_levels(times: Sequence[float], min_gap: float, levels: int = LEVELS) -> list[int | None]:
    """A height (0 = top) for each label, in the order given: the lowest whose last label
    is at least `min_gap` earlier; None when none is (the chart shows a short label there,
    on the height below the others). Times in any order."""
    last: list[float | None] = [None] * levels
    out: list[int | None] = [None] * len(times)
    for i in sorted(range(len(times)), key=lambda i: times[i]):
        t = times[i]
        free = [k for k in range(levels) if last[k] is None or t - last[k] >= min_gap]
        if free:
            last[free[0]], out[i] = t, free[0]
    return out


def literal_tip(text: str) -> str:
    """A tooltip that Qt shows as the text itself: Qt guesses whether a tooltip is markup
    ("<b>boss</b>" would turn bold), so the text goes escaped inside a paragraph that keeps
    its line breaks."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
