"""What a face's label says about its eyes in the live window: "eyes open" or "eyes closed"
against that face's own open level, or why the mesh gave no measure ("turned too far").

The label follows each face with eye_state.EyeState, the same rule as the blinks, PERCLOS
and alerts in the outputs (eye_closure_rule.py: a fast fall of the lids closes the eyes,
their lifting opens them; a slow look down does not close them). Only the open level is
learnt sooner: from the face's first LABEL_LEARN_S seconds with eye measures, so that the
label speaks after half a second; until then it says nothing about the eyes. A face seen
again at an earlier time (a file looped or sought) starts afresh.
Yale, shown as a clip (each subject's `normal` photo, then the half-closed `sleepy` one for
4 frames): 14 of 15 read closed on the first sleepy frame (subject 5's eyes narrow by only
14 %, under the rule's 15 %), 13 on all four (subject 13's first sleepy frame, meshed from
the open face's crop, dips below the next ones, whose rise reopens the eyes).
"""

from __future__ import annotations

from fer_desktop.eye_state import EyeState
from fer_desktop.measures import FaceMeasures
from fer_desktop.results import FrameResult

LABEL_LEARN_S = 0.5  # seconds of eye measures that give a face's open level for the label


def short_reason(measures: FaceMeasures) -> str:
    """Why the eyes have no measure, in a few words ("turned too far"), or "" when they
    have one. The reason's details after its colon (the angles) stay in the outputs."""
    if measures.eye_openness is not None or not measures.reason:
        return ""
    return measures.reason.split(":", 1)[0].strip()


class _FaceEyes:
    """One face's eye state and whether its eyes are closed now."""

    def __init__(self) -> None:
        self.state = EyeState(learn_s=LABEL_LEARN_S)
        self.closed: bool | None = None  # None: open level not known yet, or no measure
        self.t = float("-inf")  # the last frame's time

    def update(self, t: float, openness: tuple[float, float] | None) -> None:
        self.t = t
        value = None if openness is None else (openness[0] + openness[1]) / 2
        self.closed = self.state.update(t, value).closed


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
            eyes = self._faces.get(face.id)
            if eyes is None or result.t_source < eyes.t:
                eyes = _FaceEyes()
            eyes.update(result.t_source, face.measures.eye_openness)
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
