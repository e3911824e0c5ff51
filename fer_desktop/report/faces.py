"""The report's face tables: each face's figures, shares, strongest moments and baseline."""

from __future__ import annotations

import html

from fer_desktop.calibration import CALIBRATED
from fer_desktop.recording import Recording
from fer_desktop.report.clock import clock
from fer_desktop.report.face_colours import face_colour
from fer_desktop.stats import (
    BRIEF_FACE_S,
    SMALL_FACE_PX,
    STANDS_OUT,
    FaceSummary,
    calibration_note,
    calibration_switches,
    data_amount,
    values_of,
)


def calibration_line(rec: Recording) -> str:
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
        f"{clock(e['baseline_from'])}–{clock(e['baseline_to'])}"
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
    spans = "".join(f"; {values} from {clock(t)}" for t, values in switches)
    return f"{text}; {start} from {clock(face.first_t)}{spans}"


def moment(t_and_valence: tuple[float, float], sign: int, values: str = "") -> str:
    """'01:23 (+0.62)', '01:23 (+0.62, calibrated)' when calibration was on (`values` says
    which), or '–' when valence never went that far that way (see STANDS_OUT)."""
    t, v = t_and_valence
    which = f", {values}" if values else ""
    return f"{clock(t)} ({v:+.2f}{which})" if v * sign >= STANDS_OUT else "–"


def share_cells(f: FaceSummary, labels: list[str]) -> str:
    """One cell per label, or one cell saying there is too little data for shares."""
    if not f.enough_data:
        return (
            f"<td colspan='{len(labels)}' class='note'>too little data "
            f"({data_amount(f.frames, f.seconds)})</td>"
        )
    return "".join(f"<td>{100 * f.label_share.get(lab, 0):.0f}%</td>" for lab in labels)


def valence_cell(f: FaceSummary) -> str:
    return f"{f.mean_valence:+.2f}" if f.enough_data else "–"


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
            f"<td>{clock(f.first_t)}–{clock(f.last_t)}</td><td>{f.seconds:.1f}</td>"
            f"<td>{f.median_px:.0f}</td><td>{f.mean_score:.2f}</td>"
            f"<td>{valence_cell(f)}</td>"
            f"<td>{moment(f.happiest, +1, f.happiest_values)}</td>"
            f"<td>{moment(f.saddest, -1, f.saddest_values)}</td>{baseline}{doubts}</tr>"
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
    shares = "".join(f"<tr>{_face_cell(f, {})}{share_cells(f, labels)}</tr>" for f in faces)
    return (
        f"<table>{heads}</tr>{_face_rows(faces, thumbs, baselines)}</table>"
        f"<p class='note'>Share of each face's time in view per expression:</p>"
        f"<table class='shares'><tr><th>face</th>{share_heads}</tr>{shares}</table>"
    )


def face_tables(rec: Recording, labels: list[str], thumbs: dict[int, str]) -> str:
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
