"""What the app reports, defined once: boxes, tracked faces, frame results and their records.

A leaf module (numpy, and measures.py's records). Every output — the CSV and JSONL
timelines, JSON lines on stdout, the WebSocket server and the LSL outlet — turns a face into
the same record with
`face_record`, so the field names and rounding agree everywhere. `SCHEMA_VERSION` changes
when a record's fields do.

Line schema (stdout, WebSocket, JSONL), one JSON object per line, told apart by "type":
- "header": first line; schema version, model, labels and settings;
- "frame": one analysed frame with its faces (each a face record);
- "event": marker, gap (camera lost / back), setting, seek, calibration (a face's calibration
  state changed: face_id, state), status, end — with "event" naming it.
`t_wall` is always an ISO 8601 UTC string with microseconds, taken when the frame arrived;
`t_source` is seconds on the session's time base (the capture clock since the first frame
for cameras, the file's own time for files); `frame` counts the session's analysed frames
and only goes up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from fer_desktop.measures import FaceMeasures, as_record

# The header's note when there is no expression model (`--model none`: no labels).
NO_MODEL_NOTE = (
    "expression model off (--model none): faces and their measures only; no label, valence "
    "or probabilities"
)
SCHEMA_VERSION = 4  # 3: "cal", each face's calibration state; 4: "keypoints" and "mesh"
Box = tuple[float, float, float, float]  # x, y, w, h in pixels


def iso_time(epoch_s: float | None = None) -> str:
    """Wall-clock time (now, or `epoch_s` from time.time()) as ISO 8601 UTC with
    microseconds: the one `t_wall` format."""
    moment = datetime.now(UTC) if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC)
    return moment.isoformat(timespec="microseconds")


def now_iso() -> str:
    """Wall-clock time now, as `iso_time`."""
    return iso_time()


# The expressions that count against valence. The 2- and 3-class models have only "sad";
# with the 8-class model, the other unpleasant ones join it (surprise and neutral count 0).
NEGATIVE = ("sad", "anger", "disgust", "fear", "contempt")


def valence(probs: np.ndarray, labels: list[str]) -> float:
    """p(happy) - p(sad and the other unpleasant expressions the model has), in [-1, 1]."""
    happy = probs[labels.index("happy")] if "happy" in labels else 0.0
    negative = sum(probs[labels.index(lab)] for lab in NEGATIVE if lab in labels)
    return float(happy - negative)


@dataclass
class TrackedFace:
    """One face in one frame, as the app shows it."""

    id: int
    box: Box
    score: float
    probs: np.ndarray  # raw model output, in label order
    smooth: np.ndarray  # exponential moving average of probs
    label: str  # after hysteresis, from the calibrated values when there are some
    valence: float  # from the smoothed probabilities
    calibrated: np.ndarray | None = None  # against this person's resting face, if calibrated
    cal_state: str = ""  # "", collecting, no-baseline, calibrated, saved (calibration.STATES)
    keypoints: tuple[tuple[float, float], ...] = ()  # the detector's six (detector.Detection)
    # With the face mesh on (settings.mesh): its 468 points (image pixels, x, y, z), the iris
    # centres (2, 2) or None, and the measures (measures.FaceMeasures) with their presence.
    landmarks: np.ndarray | None = None
    iris: np.ndarray | None = None
    measures: FaceMeasures | None = None
    presence: float | None = None
    # Action-unit proxies against this person's resting face (action_units.py); None without
    # a calibration baseline of their own, with the reason in `measures`' record.
    action_units: dict[str, float] | None = None


@dataclass
class FrameResult:
    """What the pipeline saw in one frame."""

    index: int
    t_source: float
    t_wall: str  # ISO 8601, UTC
    width: int
    height: int
    labels: list[str]
    faces: list[TrackedFace]
    timings_ms: dict[str, float] = field(default_factory=dict)
    t_monotonic: float | None = None  # time.monotonic() at capture (LSL stamps samples with it)


def _probs(labels: list[str], values: np.ndarray) -> dict[str, float]:
    return {lab: round(float(p), 4) for lab, p in zip(labels, values, strict=True)}


def _expression(face: TrackedFace, labels: list[str]) -> dict:
    return {
        "label": face.label,
        "valence": round(float(face.valence), 4),
        "probs": _probs(labels, face.probs),
        "smooth": _probs(labels, face.smooth),
        "calibrated": None if face.calibrated is None else _probs(labels, face.calibrated),
        "cal": face.cal_state,
    }


def face_record(face: TrackedFace, labels: list[str], keypoints: bool = True) -> dict:
    """One face as a flat-ish record: the same fields in every output (timelines leave out
    the detector's `keypoints`). Without labels (`--model none`) the stream's records have
    no label, valence nor probabilities; a timeline's keep its fixed columns, blank."""
    expression = labels or not keypoints
    return {
        "face_id": face.id,
        "box": [round(float(v), 1) for v in face.box],
        "score": round(float(face.score), 3),
        **(_expression(face, labels) if expression else {}),
        **(
            {"keypoints": [[round(float(x), 1), round(float(y), 1)] for x, y in face.keypoints]}
            if keypoints
            else {}
        ),
        **({} if face.measures is None else {"mesh": mesh_record(face)}),
    }


def mesh_record(face: TrackedFace) -> dict:
    """A face's measures (measures.as_record) and its action-unit proxies."""
    return {**as_record(face.measures, face.presence), "action_units": face.action_units}


def frame_record(result: FrameResult) -> dict:
    """One analysed frame as a "frame" line."""
    return {
        "type": "frame",
        "frame": result.index,
        "t_source": round(result.t_source, 4),
        "t_wall": result.t_wall,
        "size": [result.width, result.height],
        "timings_ms": {k: round(v, 3) for k, v in result.timings_ms.items()},
        "faces": [face_record(f, result.labels) for f in result.faces],
    }


def event_record(event: str, t_source: float | None, **fields) -> dict:
    """An "event" line: marker, gap, setting, status or end."""
    return {
        "type": "event",
        "event": event,
        "t_source": None if t_source is None else round(t_source, 4),
        "t_wall": now_iso(),
        **fields,
    }


def header_record(labels: list[str], settings: dict, **fields) -> dict:
    """The first line of a stream: what follows and how it was made."""
    return {
        "type": "header",
        "schema": SCHEMA_VERSION,
        "format": "fer_desktop results",
        "created": now_iso(),
        "labels": list(labels),
        "settings": settings,
        **({} if labels else {"note": NO_MODEL_NOTE}),
        **fields,
    }
