"""One colour and one line style per face id, shared by the report and the window."""

from __future__ import annotations

# One colour per face: ten colours that stay apart on a chart and around a face (every pair
# at least 20 apart in CIEDE2000, where the reds of an older palette were 14) and far from
# the labels' own green (happy), blue (sad) and grey (neutral), so a box's colour is never
# read as a label. Face 11 takes face 1's colour with another line style (gui/face_style.py).
FACE_COLOURS = [
    "#d62728", "#ff7f0e", "#9467bd", "#86682d", "#3e09aa", "#981b59", "#2d867e", "#aca339",
    "#f4259d", "#000000",
]  # fmt: skip


# As the colours come round again, a line's dashes (SVG stroke-dasharray): solid for faces
# 1-10, dashed for 11-20, dotted, then dash-dot, as the window's line styles.
FACE_DASHES = ("", "6 3", "2 2", "6 2 2 2")


def face_colour(face_id: int) -> str:
    """The colour of a face id, shared by the report and the window."""
    return FACE_COLOURS[(face_id - 1) % len(FACE_COLOURS)]


def face_dash(face_id: int) -> str:
    """The dashes of a face id's line in a chart ('' solid); see FACE_DASHES."""
    return FACE_DASHES[(face_id - 1) // len(FACE_COLOURS) % len(FACE_DASHES)]
