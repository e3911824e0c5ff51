"""The one rule that says, frame by frame, whether a face's eyes are closed.

Openness is the mean of both eyes' lid gap over eye width (measures.eye_openness), compared
with the person's own open level (the open eyes' reading). A level threshold alone cannot tell
a blink from a look down: on the talking-head clip the open eyes read 0.71-1.05 of the level
(0.71-0.8 while she looks down, for seconds) and the shut ones 0.56-0.72. Speed can. A blink lasts
about 100-400 ms, its closing quicker than its reopening (e.g. Caffier et al. 2003, Eur J
Appl Physiol 89:319), so its lids fall within 1-2 frames at 25 fps (0.21-0.32 of the open
level within 0.12 s on the talking head), while eyes looking down drift over seconds.

- Closed from a frame whose openness lies DROP_FRACTION of the open level or more below the
  highest reading of the DROP_WINDOW_S before it (at least the previous measured frame, so a
  low frame rate still sees the fall);
- or from a frame below SLOW_CLOSED_FRACTION of the level, however slowly it got there
  (a drowsy slow closure; no open eye on the talking head read below 0.71);
- open again from the first frame REOPEN_RISE of the level above the lowest reading since the
  closure began (the lids lifting, even part-way: a blink followed by a look down ends when
  the lids rise, not when they are back to the level).
- A frame without a measure (None or NaN) ends a closure and forgets the readings before it.

Nothing else ends a closure: eyes held shut for seconds (drowsiness) stay closed throughout.
Talking head: the largest fall within 0.15 s that was no blink is 0.13 of the level (at
2.52 s, to 0.77 of it); her second blink, from half-open lids, falls 0.15.
"""

from __future__ import annotations

import math
from collections import deque

DROP_FRACTION = 0.15  # a fall of this share of the open level...
DROP_WINDOW_S = 0.15  # ...within this many seconds starts a closure
SLOW_CLOSED_FRACTION = 0.6  # below this share of the level: closed, however slow the fall
REOPEN_RISE = 0.10  # open again this share of the level above the closure's lowest reading
_EPS = 1e-6  # seconds: frame times are rounded


class ClosureRule:
    """Follows one face's openness; `update` once per frame says whether its eyes are closed.
    The same object serves the offline series (measures.closed_mask) and the online state
    (eye_state.EyeState), so both give the same answer frame by frame."""

    def __init__(self) -> None:
        self.closed = False
        self._recent: deque[tuple[float, float]] = deque()  # earlier frames: (t, openness)
        self._lowest = math.inf

    def reset(self) -> None:
        """A frame without a measure: no closure, and no earlier reading to compare with."""
        self.closed = False
        self._recent.clear()
        self._lowest = math.inf

    def update(self, t: float, openness: float | None, level: float | None) -> bool:
        """This frame (`t` seconds) read: closed or not. With `level` None (not known yet)
        the frame is only remembered, as the reference for the next ones."""
        if openness is None or not math.isfinite(openness):
            self.reset()
            return False
        while len(self._recent) > 1 and t - self._recent[0][0] > DROP_WINDOW_S + _EPS:
            self._recent.popleft()
        if level is not None:
            if self.closed:
                self._lowest = min(self._lowest, openness)
                self.closed = openness < self._lowest + REOPEN_RISE * level
            else:
                before = max((v for _, v in self._recent), default=None)
                fast = before is not None and before - openness >= DROP_FRACTION * level
                if fast or openness < SLOW_CLOSED_FRACTION * level:
                    self.closed, self._lowest = True, openness
        self._recent.append((t, openness))
        return self.closed
