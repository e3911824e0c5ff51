"""One face's eyes, frame by frame: open level, closed flag, blinks and rolling PERCLOS.

The online twin of measures.py's series functions (`open_level`, `closed_mask`, `blinks`,
`perclos`), for a session that sees one frame at a time. Openness is the mean of both eyes'
lid gap over eye width (measures.eye_openness). Closed or open is decided by the one rule,
eye_closure_rule.ClosureRule (a fast fall of the lids starts a closure, their lifting ends it),
against the person's own open level: the calibration's when there is one, else the 90th
percentile of the first `learn_s` seconds with eye measures. Given the same level, `closed`
here equals measures.closed_mask frame by frame. A frame without a measure (None: no mesh,
face turned or too small) ends a closure and counts neither as open nor as closed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from fer_desktop.eye_closure_rule import ClosureRule
from fer_desktop.measures import Blink

LEARN_S = 3.0  # seconds of eye measures that give the open level when no baseline does
PERCLOS_WINDOW_S = 60.0


@dataclass(frozen=True)
class EyeReading:
    """The eyes after one frame: `closed` (None until the open level is known or when this
    frame had no measure), how long they have been closed, PERCLOS over the window so far
    (None before any measured frame) and the measured seconds it covers, and the blink that
    ended on this frame, if one did."""

    closed: bool | None
    closed_s: float
    perclos: float | None
    perclos_span_s: float
    blink: Blink | None = None


class EyeState:
    """Follows one face's eyes; `update` once per frame with that frame's openness."""

    def __init__(
        self,
        level: float | None = None,
        learn_s: float = LEARN_S,
        window_s: float = PERCLOS_WINDOW_S,
    ):
        self.level = level  # the open-eye level: given (a baseline) or learnt
        self.learn_s = learn_s
        self.window_s = window_s
        self._learning: list[float] = []
        self._learn_t0: float | None = None
        self._rule = ClosureRule()
        self._closed = False
        self._onset: float | None = None
        self._window: deque[tuple[float, bool]] = deque()  # measured frames: (t, closed)
        self._closed_in_window = 0

    def _learn(self, t: float, openness: float) -> None:
        if self._learn_t0 is None:
            self._learn_t0 = t
        self._learning.append(openness)
        if t - self._learn_t0 >= self.learn_s:
            self.level = float(np.percentile(self._learning, 90))
            self._learning = []

    def _end_closure(self, t: float) -> Blink | None:
        blink = None
        if self._closed and self._onset is not None:
            blink = Blink(self._onset, t - self._onset)
        self._closed, self._onset = False, None
        return blink

    def _perclos(self, t: float) -> tuple[float | None, float]:
        while self._window and self._window[0][0] <= t - self.window_s:
            self._closed_in_window -= self._window.popleft()[1]
        if not self._window:
            return None, 0.0
        span = self._window[-1][0] - self._window[0][0]
        return self._closed_in_window / len(self._window), span

    def update(self, t: float, openness: float | None) -> EyeReading:
        """This frame (`t` seconds, openness or None) read: see EyeReading."""
        if openness is None or not np.isfinite(openness):
            self._rule.reset()
            blink = self._end_closure(t)
            return EyeReading(None, 0.0, *self._perclos(t), blink)
        if self.level is None:
            self._learn(t, openness)
            if self.level is None:
                self._rule.update(t, openness, None)  # a reference for the next frames
                return EyeReading(None, 0.0, *self._perclos(t))
        blink = None
        closed = self._rule.update(t, openness, self.level)
        if self._closed and not closed:
            blink = self._end_closure(t)
        elif closed and not self._closed:
            self._closed, self._onset = True, t
        self._window.append((t, self._closed))
        self._closed_in_window += self._closed
        closed_s = t - self._onset if self._closed and self._onset is not None else 0.0
        return EyeReading(self._closed, closed_s, *self._perclos(t), blink)
