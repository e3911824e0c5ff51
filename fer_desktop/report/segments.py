"""The report's segment table: per stretch and face, the share of each label and mean valence."""

from __future__ import annotations

import html

from fer_desktop.marker_labels import label_text
from fer_desktop.recording import Recording
from fer_desktop.report.clock import clock, source_span
from fer_desktop.report.faces import share_cells, valence_cell
from fer_desktop.stats import (
    fixed_segments,
    segments,
)

SEGMENT_NAME_CHARS = 60  # "from <note>": the whole note is in the list of markers


def report_parts(
    rec: Recording, markers: list[tuple[float, str]], segment_s: float | None = None
) -> list[tuple[str, float, float]]:
    """The report's segments (name, start, end): the whole session, the stretches between
    markers, and back-to-back stretches `segment_s` long when asked for."""
    end = max((f["t_source"] for f in rec.faces), default=0.0)
    parts = segments(markers, end)
    if not markers:
        parts = parts[:1]  # "from start" would repeat "whole session"
    if segment_s:
        parts += fixed_segments(segment_s, end)
    return parts


def trusted_faces(rec: Recording) -> set[int]:
    """The faces a segment table lists: not brief, not small."""
    return {f.face_id for f in rec.summary.faces if not f.doubts()}


def segment_name(name: str, a: float, b: float, rec: Recording) -> str:
    """A segment's first two cells: its name (escaped, shortened) and its time."""
    return (
        f"<td>{html.escape(label_text(name, SEGMENT_NAME_CHARS))}</td>"
        f"<td>{clock(a)}–{clock(b)}{source_span(rec, a, b)}</td>"
    )


def segment_table(
    rec: Recording, markers: list[tuple[float, str]], segment_s: float | None = None
) -> str:
    """HTML rows: per segment and face (brief or small faces left out), the time-weighted
    share of each label and mean valence. Segments: the whole session, the stretches
    between markers, and back-to-back stretches `segment_s` long when asked for."""
    labels = rec.header.get("labels", [])
    trusted = trusted_faces(rec)
    rows = []
    for name, a, b in report_parts(rec, markers, segment_s):
        part = rec.with_faces([f for f in rec.faces if a <= f["t_source"] <= b])
        for f in part.summary.faces:
            if f.face_id not in trusted:
                continue
            rows.append(
                f"<tr>{segment_name(name, a, b, rec)}<td>{html.escape(f.name)}</td>"
                f"{share_cells(f, labels)}<td>{valence_cell(f)}</td></tr>"
            )
    heads = "".join(f"<th>{html.escape(lab)}</th>" for lab in labels)
    if not rows:
        return "<p>No face was seen long enough and large enough for segment figures.</p>"
    return (
        f"<table><tr><th>segment</th><th>time</th><th>face</th>{heads}"
        f"<th>mean valence</th></tr>{''.join(rows)}</table>"
    )
