"""The numbers of a recording (`fer_desktop.recording`), no HTML: per-face figures weighted
by time, the whole recording's, how much of the video was analysed, segments between
markers. The report, review and the batch index show them."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fer_desktop.calibration import CALIBRATED, SAVED
from fer_desktop.probe import ends_early
from fer_desktop.timeline import STANDARD_LABELS

if TYPE_CHECKING:
    from fer_desktop.recording import Recording


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


def frame_step(rec: Recording) -> float:
    """Seconds between analysed frames: every / fps from the header, else the frames' own."""
    fps, every = rec.header.get("source_fps"), rec.header.get("every") or 1
    if fps:
        return every / fps
    ts = [f["t_source"] for f in rec.frames if f.get("t_source") is not None]
    steps = sorted(b - a for a, b in itertools.pairwise(ts) if b > a)
    return steps[len(steps) // 2] if steps else 1.0


def _weights(ts: list[float], step: float) -> list[float]:
    """Each reading counts until the next one, capped at twice the usual step (a face that
    leaves and comes back does not count for the time it was away)."""
    steps = [b - a for a, b in itertools.pairwise(ts)]
    typical = sorted(steps)[len(steps) // 2] if steps else step
    typical = typical if typical > 0 else step
    return [min(s, 2 * typical) for s in steps] + [typical]


def _face_summaries(rec: Recording) -> list[FaceSummary]:
    """Per-face figures, weighted by time (see `_weights`)."""
    by_face: dict[int, list[dict]] = defaultdict(list)
    for row in rec.faces:
        by_face[int(row["face_id"])].append(row)
    labels = rec.header.get("labels", [])
    step = frame_step(rec)
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
                name=face_name(rec, fid),
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


def calibration_switches(rec: Recording) -> dict[int, list[tuple[float, str]]]:
    """face id -> (time, "calibrated" or "raw") wherever its rows change from one to the
    other: the switch each chart marks."""
    out: dict[int, list[tuple[float, str]]] = defaultdict(list)
    last: dict[int, str] = {}
    for row in sorted(rec.faces, key=lambda r: r["t_source"]):
        fid, values = int(row["face_id"]), values_of(row)
        if fid in last and values != last[fid]:
            out[fid].append((row["t_source"], values))
        last[fid] = values
    return dict(out)


@dataclass(frozen=True)
class Summary:
    """A recording's figures: per face, and for the whole, every face's time counted alike
    (shares and mean valence empty, with a note, when there is too little to go on)."""

    faces: list[FaceSummary]
    share: dict[str, float]  # label -> share of all faces' time in view ({}: too little)
    mean_valence: float | None  # time-weighted over all faces (None: too little)
    note: str  # why the shares are empty, and what calibration did
    raw_faces: list[int]  # calibration on: the faces with no baseline (their values raw)

    @property
    def face_seconds(self) -> float:
        return sum(f.seconds for f in self.faces)

    @property
    def brief_or_small_faces(self) -> int:
        return sum(1 for f in self.faces if f.doubts())

    def figures(self) -> dict:
        """The whole recording in a few numbers, as the batch index writes them."""
        return {
            "faces": len(self.faces),
            "brief_or_small_faces": self.brief_or_small_faces,
            "face_seconds": round(self.face_seconds, 2),
            "share": {lab: round(v, 4) for lab, v in self.share.items()},
            "mean_valence": "" if self.mean_valence is None else round(self.mean_valence, 4),
            "note": self.note,
            "raw_faces": self.raw_faces,
        }


def share_column(label: str) -> str:
    """The batch index's (and overview's) column of a class's time-weighted share."""
    return f"share_{label}_by_time"


def share_labels(rows) -> list[str]:
    """The classes with a share column in any of `rows` (index rows; happy, neutral, sad
    always, first)."""
    keys = (k for row in rows for k in row if k.startswith("share_") and k.endswith("_by_time"))
    found = [k[len("share_") : -len("_by_time")] for k in keys]
    return list(dict.fromkeys([*STANDARD_LABELS, *found]))


def summarise(rec: Recording) -> Summary:
    """A recording's figures, per face and for the whole, weighted by time (see `_weights`).
    Use `rec.summary`: it is computed once."""
    faces = _face_summaries(rec)
    seconds = sum(f.seconds for f in faces)
    readings = sum(f.frames for f in faces)
    share: dict[str, float] = {}
    mean, note = None, ""
    if not faces:
        note = "no faces found"
    elif readings < MIN_READINGS or seconds < MIN_FACE_TIME_S:
        note = f"too little face data for shares ({data_amount(readings, seconds)})"
    else:
        share = {
            lab: sum(f.label_share.get(lab, 0.0) * f.seconds for f in faces) / seconds
            for lab in rec.header.get("labels", [])
        }
        mean = sum(f.mean_valence * f.seconds for f in faces) / seconds
    note = "; ".join(n for n in (note, calibration_note(rec)) if n)
    return Summary(faces, share, mean, note, (calibration_faces(rec) or ([], []))[1])


def calibration_faces(rec: Recording) -> tuple[list[int], list[int]] | None:
    """When calibration was on: (the faces read calibrated, those that never showed a
    neutral, steady stretch: their values stayed raw). None when it was off."""
    settings = rec.header.get("settings") or {}
    if not (settings.get("calibrate_s") or settings.get("baseline")):
        return None
    states: dict[int, set[str]] = defaultdict(set)
    for row in rec.faces:
        states[int(row["face_id"])].add(row.get("cal") or "")
    done = sorted(fid for fid, st in states.items() if st & {"calibrated", "saved"})
    return done, sorted(fid for fid in states if fid not in done)


def calibration_note(rec: Recording) -> str:
    """When calibration was on: how many faces were read calibrated, and which never showed
    a neutral, steady stretch (their values stayed raw). Empty when it was off."""
    faces = calibration_faces(rec)
    if faces is None:
        return ""
    done, raw = faces
    text = f"calibration on: {len(done)} of {len(done) + len(raw)} faces read calibrated"
    if raw:
        text += f"; no neutral, steady stretch for face {', '.join(map(str, raw))} (raw values)"
    return text


def data_amount(readings: int, seconds: float) -> str:
    return f"{readings} reading{'s' * (readings != 1)}, {seconds:.1f} s"


def coverage(rec: Recording, analysed_s: float | None = None) -> tuple[float, float | None]:
    """(seconds of the video analysed, the container's duration or None). `analysed_s` is
    what the source read (analyze passes it); else the last frame's time plus one step."""
    duration = rec.header.get("source_duration_s")
    if analysed_s is None:
        frames = rec.frames or rec.faces
        last = max((f["t_source"] for f in frames if f.get("t_source") is not None), default=0.0)
        analysed_s = last + frame_step(rec) if frames else 0.0
        analysed_s = min(analysed_s, duration) if duration else analysed_s
    return analysed_s, duration


def truncation(rec: Recording, analysed_s: float | None = None) -> str:
    """'truncated: 3.9 s of 8.0 s analysed' for a file that ends early, else ''. A recording
    that stopped before its source ended is not cut short: its last frame's source time
    counts, not its length."""
    analysed, duration = coverage(rec, analysed_s)
    last = next((f for f in reversed(rec.frames) if "source_t" in f), None)
    if analysed_s is None and last is not None:
        analysed = last["source_t"] + frame_step(rec)
        analysed = min(analysed, duration) if duration else analysed
    fps = rec.header.get("source_fps") or 30.0
    if not ends_early(analysed, duration, fps):
        return ""
    return f"truncated: {analysed:.1f} s of {duration:.1f} s analysed"


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


def fixed_segments(length_s: float, end: float) -> list[tuple[str, float, float]]:
    """(name, start, end): back-to-back stretches `length_s` long from 0, the last one
    shorter when `end` falls inside it."""
    count = max(math.ceil(end / length_s - 1e-9), 1)
    return [
        (f"{length_s:g} s segment {k + 1}", k * length_s, min((k + 1) * length_s, end))
        for k in range(count)
    ]


def face_name(rec: Recording, face_id: int) -> str:
    """What a report calls a face: its name from review, else "face N"."""
    return rec.names.get(face_id) or f"face {face_id}"
