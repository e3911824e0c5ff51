"""Where a marker from outside lands on a session's time axis.

A game or a stream may send a marker with the wall-clock time it happened (`t_wall`, ISO
8601 with a time zone), up to a few frames in the past. `WallHistory` keeps (wall time,
t_source) of the last frames analysed, so the marker gets the t_source of that moment; a
`t_wall` before the session, in the future or without a zone is refused with a MarkerError
that names it, for the sender. Markers from the window carry no `t_wall`: they land now.
"""

from __future__ import annotations

import bisect
from collections import deque
from datetime import datetime

from fer_desktop.errors import FerDesktopError
from fer_desktop.results import iso_time

MAX_NOTE_CHARS = 1000  # a marker's note
FUTURE_SLACK_S = 2.0  # a marker's t_wall may be this far ahead of our clock (another machine)
WALL_HISTORY = 36_000  # (wall, t_source) of the last frames: places markers given a past t_wall
MAX_SINCE_S = 1.0  # a marker lands at most this long after the frame analysed before it


class MarkerError(FerDesktopError):
    """A marker from outside (a game, a stream) that cannot be placed; the session goes on."""


def check_note(note: object) -> str:
    """A marker's note, when it is text of at most MAX_NOTE_CHARS; MarkerError otherwise."""
    if not isinstance(note, str):
        raise MarkerError("a marker's note must be text")
    if len(note) > MAX_NOTE_CHARS:
        raise MarkerError(f"a marker's note is at most {MAX_NOTE_CHARS} characters")
    return note


def parse_wall(text: str) -> float:
    """An ISO 8601 time with a time zone ('2026-12-01T22:15:03.120Z', '…+01:00') as epoch
    seconds; MarkerError, naming it, otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except (AttributeError, TypeError, ValueError):
        raise MarkerError(
            f"t_wall {text!r} is not an ISO 8601 time (e.g. 2026-12-01T22:15:03.120Z)"
        ) from None
    if moment.tzinfo is None:
        raise MarkerError(f"t_wall {text!r} has no time zone: add Z (UTC) or e.g. +01:00")
    return moment.timestamp()


def check_wall(t_wall: str, started: float | None, now: float) -> float:
    """A marker's `t_wall` as epoch seconds, when it falls within a session that `started`
    (time.time(); None: not yet) and is not past `now` by more than FUTURE_SLACK_S."""
    when = parse_wall(t_wall)
    if started is None:
        raise MarkerError("the session has not started yet: send the marker without t_wall")
    if when < started:
        raise MarkerError(f"t_wall {t_wall} is before this session started ({iso_time(started)})")
    if when > now + FUTURE_SLACK_S:
        raise MarkerError(f"t_wall {t_wall} is in the future (now {iso_time(now)})")
    return min(when, now)


class WallHistory:
    """(wall time, t_source) of the last WALL_HISTORY frames analysed, in arrival order."""

    def __init__(self, size: int = WALL_HISTORY):
        self._frames: deque[tuple[float, float]] = deque(maxlen=size)

    def add(self, captured: float, t_source: float) -> None:
        """A frame that arrived at `captured` (time.time()) with its `t_source`."""
        self._frames.append((captured, t_source))

    def t_source_at(self, when: float, running: bool) -> float | None:
        """The t_source of wall time `when`: the frame analysed just before it (t_wall strings
        hold microseconds, so a frame's own t_wall finds that frame), plus the time since,
        within MAX_SINCE_S, when the source was `running` (paused or at its end, no time
        passes after the frame). None before any frame."""
        if not self._frames:
            return None
        k = max(bisect.bisect_right(self._frames, (when + 1e-6, float("inf"))) - 1, 0)
        captured, t_source = self._frames[k]
        since = min(max(when - captured, 0.0), MAX_SINCE_S) if running else 0.0
        return round(t_source + since, 4)
