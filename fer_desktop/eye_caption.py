"""What a face's label says about its eyes in the live window: "eyes open" or "eyes closed"
against that face's own open level, or why the mesh gave no measure ("turned too far").

A simple online rule, for the label only (the outputs carry the measures themselves): each
face's open level is the median of its last LEVEL_FRAMES measured frames (eyes are open most
of the time); the eyes are closed below CLOSED_FRACTION of it and open again from
REOPEN_FRACTION of it. Until MIN_FRAMES frames have been measured the level is unknown and
the label says nothing about the eyes. The median, not a high percentile, and a reopening
close to the closing: a talking face's openness wanders between 0.8 and 1.25 of its median
(the talking-head clip), which a higher level would read as eyes that never reopen.
Yale: each photo read on its own, 13 of the 15 half-closed `sleepy` photos fall below 0.8 of
the subject's `normal` one (0.54-0.77; the others 0.82, 0.86); shown after the `normal`
photo, the mesh followed through the change, 14 of 15 read closed.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from fer_desktop.measures import FaceMeasures
from fer_desktop.results import FrameResult

LEVEL_FRAMES = 150  # about 5 s at 30 fps
MIN_FRAMES = 10
CLOSED_FRACTION = 0.8  # closed below this fraction of the open level...
REOPEN_FRACTION = 0.85  # ...open again from this one


def short_reason(measures: FaceMeasures) -> str:
    """Why the eyes have no measure, in a few words ("turned too far"), or "" when they
    have one. The reason's details after its colon (the angles) stay in the outputs."""
    if measures.eye_openness is not None or not measures.reason:
        return ""
    return measures.reason.split(":", 1)[0].strip()


class _FaceEyes:
    """One face's recent openness and whether its eyes are closed now."""

    def __init__(self) -> None:
        self.recent: deque[float] = deque(maxlen=LEVEL_FRAMES)
        self.closed: bool | None = None  # None: open level not known yet, or no measure

    def update(self, openness: tuple[float, float] | None) -> None:
        if openness is None:
            self.closed = None
            return
        value = float(np.mean(openness))
        self.recent.append(value)
        if len(self.recent) < MIN_FRAMES:
            return
        level = float(np.median(self.recent))
        was_closed = bool(self.closed)
        self.closed = value < (REOPEN_FRACTION if was_closed else CLOSED_FRACTION) * level


class EyeCaptions:
    """Follows every face's eyes from frame to frame (`update`) and words them (`text`)."""

    def __init__(self) -> None:
        self._faces: dict[int, _FaceEyes] = {}

    def reset(self) -> None:
        """Forget every face (a new source)."""
        self._faces.clear()

    def update(self, result: FrameResult) -> None:
        """Take one frame's measures; faces no longer in view are forgotten."""
        seen = {}
        for face in result.faces:
            if face.measures is None:
                continue
            eyes = self._faces.get(face.id) or _FaceEyes()
            eyes.update(face.measures.eye_openness)
            seen[face.id] = eyes
        self._faces = seen

    def text(self, face_id: int, measures: FaceMeasures | None) -> str:
        """The words for the eyes: "eyes open", "eyes closed", why there is no measure, or
        "" (mesh off, or the face's open level not known yet)."""
        if measures is None:
            return ""
        if reason := short_reason(measures):
            return reason
        eyes = self._faces.get(face_id)
        if eyes is None or eyes.closed is None:
            return ""
        return "eyes closed" if eyes.closed else "eyes open"
