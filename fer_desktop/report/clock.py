"""Times as a report writes them: '01:23.45', wall-clock spans, source times beside."""

from __future__ import annotations

import bisect

from fer_desktop.recording import Recording


def wall_span(rec: Recording) -> str:
    """First and last wall-clock time of the analysed frames."""
    rows = rec.frames or rec.faces
    if not rows:
        return "–"
    first, last = rows[0]["t_wall"], rows[-1]["t_wall"]
    return f"{first[:19].replace('T', ' ')} – {last[11:19]}"


def clock(t: float) -> str:
    m, s = divmod(t, 60.0)
    return f"{int(m):02d}:{s:05.2f}"


def beside(row: dict) -> str:
    """' (source 00:15.48)': a row's source time, where it is not its recording time."""
    src = row.get("source_t")
    return "" if src is None or abs(src - row["t_source"]) < 0.005 else f" (source {clock(src)})"


def source_span(rec: Recording, a: float, b: float) -> str:
    """' (source 00:15.48–01:35.24)': the source times of the frames at recording times a
    and b, where they differ from them."""
    frames = [f for f in rec.frames if f.get("source_t") is not None]
    if not frames:
        return ""
    ts = [f["t_source"] for f in frames]
    first, last = (frames[max(bisect.bisect_right(ts, t + 1e-6) - 1, 0)] for t in (a, b))
    ends = [beside(first), beside(last)]
    if not any(ends):
        return ""
    src_a = first["source_t"] + max(a - first["t_source"], 0.0)
    src_b = last["source_t"] + max(b - last["t_source"], 0.0)
    return f" (source {clock(src_a)}–{clock(src_b)})"
