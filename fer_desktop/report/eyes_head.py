"""The report's eyes-and-head tables (with the face mesh on): per segment and face, blinks,
PERCLOS, time looking away, mouth and yawns, then the action-unit proxies' means. The
figures come from `fer_desktop.measure_stats`; this module only writes them."""

from __future__ import annotations

import html

from fer_desktop.action_units import FACS, PROXIES
from fer_desktop.alerts import Thresholds
from fer_desktop.eye_closure_rule import (
    DROP_FRACTION,
    DROP_WINDOW_S,
    REOPEN_RISE,
    SLOW_CLOSED_FRACTION,
)
from fer_desktop.measure_stats import MeasureStats, measure_stats
from fer_desktop.recording import Recording
from fer_desktop.report.segments import report_parts, segment_name, trusted_faces
from fer_desktop.stats import face_name

NO_CALIBRATION = "AU proxies need --calibrate"
NO_RESTING_FACE = "no resting face (no neutral, steady stretch): no AU proxies"


def _number(value: float | None, text: str) -> str:
    if value is None:
        return "–"
    return text.format(0.0 if abs(value) < 5e-4 else value)  # no "-0.000"


def _eye_cells(s: MeasureStats) -> str:
    away = "–" if s.away_s is None else f"{s.away_s:.1f} s ({100 * (s.away_share or 0.0):.0f}%)"
    return (
        f"<td>{_number(s.blinks_per_min, '{:.1f}')} ({s.blinks})</td>"
        f"<td>{_number(s.perclos_mean, '{:.2f}')}</td><td>{_number(s.perclos_max, '{:.2f}')}</td>"
        f"<td>{away}</td><td>{_number(s.mouth_mean, '{:.2f}')}</td><td>{s.yawns}</td>"
    )


def _au_cells(s: MeasureStats, why_none: str) -> str:
    if not s.au_means:
        return f"<td colspan='{len(PROXIES)}' class='note'>{html.escape(why_none)}</td>"
    return "".join(f"<td>{_number(s.au_means.get(name), '{:+.3f}')}</td>" for name in PROXIES)


def _calibrated(rec: Recording) -> bool:
    settings = rec.header.get("settings") or {}
    return bool(settings.get("calibrate_s") or settings.get("baseline"))


def definitions(th: Thresholds) -> str:
    """The note under the tables: what each figure is, and its unit."""
    return (
        "Eyes and head, from the face mesh. <b>Blinks/min</b>: closures per minute with eye "
        "measures, their count in brackets, each counted in the segment where it starts. Eye "
        "openness is the mean of both eyes' lid gap over eye width; the eyes close when it "
        f"falls by {DROP_FRACTION:g} of the face's own open level (its 90th percentile) "
        f"within {DROP_WINDOW_S:g} s, or drops below {SLOW_CLOSED_FRACTION:g} of it, and open "
        f"again when it rises {REOPEN_RISE:g} of the level above its lowest reading. "
        f"<b>PERCLOS</b>: the share of the last {th.perclos_window_s:g} s with eyes closed "
        "(0–1; the first seconds use what was seen so far), its mean and highest value over "
        f"the segment; the drowsy alert starts at {th.perclos:g}. <b>Looking away</b>: "
        f"seconds (and share of the time with a head pose) with the head, plus the gaze with "
        f"--mesh eyes, more than {th.yaw_deg:g}° across or {th.pitch_deg:g}° up or down from "
        "the road, as the distracted alert reads it (set in rig.toml). <b>Mouth</b>: mean "
        "inner-lip gap over mouth width (0 closed); <b>yawns</b>: mouth opened to "
        f"{th.yawn_opening:g} for at least {th.yawn_s:g} s. <b>AU proxies</b>: mean movement "
        "from the person's own resting face in units of the distance between the eyes "
        "(0 as at rest, + the named movement; under about 0.02 is within the mesh's jitter), "
        "over the rows that have them: only after a face's baseline (--calibrate). They are "
        "geometric proxies, not FACS codes. Rows without a measure (face turned too far, too "
        "small) count in none of these."
    )


def eyes_head_tables(
    rec: Recording, markers: list[tuple[float, str]], segment_s: float | None = None
) -> str:
    """The section's HTML (empty when the recording has no mesh): per segment and face
    (brief or small faces left out), eyes and head, then AU proxies, then the note."""
    if not rec.has_mesh:
        return ""
    th = Thresholds()
    trusted = trusted_faces(rec)
    why_none = NO_RESTING_FACE if _calibrated(rec) else NO_CALIBRATION
    eye_rows, au_rows = [], []
    for name, a, b, faces in measure_stats(rec, report_parts(rec, markers, segment_s), th):
        for s in faces:
            if s.face_id not in trusted:
                continue
            cells = (
                f"{segment_name(name, a, b, rec)}<td>{html.escape(face_name(rec, s.face_id))}</td>"
            )
            eye_rows.append(f"<tr>{cells}{_eye_cells(s)}</tr>")
            au_rows.append(f"<tr>{cells}{_au_cells(s, why_none)}</tr>")
    if not eye_rows:
        return (
            "<h2>Eyes and head</h2><p>No face was seen long enough and large enough for "
            "eyes-and-head figures.</p>"
        )
    au_heads = "".join(
        f"<th>{html.escape(name.replace('_', ' '))} ({FACS[name]})</th>" for name in PROXIES
    )
    return (
        "<h2>Eyes and head</h2>"
        "<table class='eyes'><tr><th>segment</th><th>time</th><th>face</th>"
        "<th>blinks/min</th><th>PERCLOS mean</th><th>PERCLOS max</th><th>looking away</th>"
        f"<th>mouth opening</th><th>yawns</th></tr>{''.join(eye_rows)}</table>"
        "<p class='note'>Action-unit proxies, mean per segment:</p>"
        "<table class='aus'><tr><th>segment</th><th>time</th><th>face</th>"
        f"{au_heads}</tr>{''.join(au_rows)}</table>"
        f"<p class='note'>{definitions(th)}</p>"
    )
