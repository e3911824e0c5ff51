"""Markers on a session's time axis (`SessionMarkers`): one from outside checked and stamped
when it arrives, then placed by the session's thread at the t_source of its moment; and
`marker_placer`, the way an output places one without keeping the session alive.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Protocol

from fer_desktop.marker_time import MarkerError, WallHistory, check_note, check_wall
from fer_desktop.results import event_record, iso_time
from fer_desktop.timeaxis import wall_seconds


class SessionMarkers:
    """The wall times of the frames analysed, to place markers among them.

    `start` when the session starts; `frame` for each frame analysed (the session's thread);
    `stamp` from any thread, for a marker that arrives; `record` on the session's thread.
    """

    def __init__(self) -> None:
        self.started: float | None = None  # time.time() when the session began
        self._walls = WallHistory()

    def start(self) -> None:
        self.started = time.time()

    def frame(self, captured: float, t_source: float) -> None:
        """A frame analysed: it arrived at `captured` (time.time()) with its `t_source`."""
        self._walls.add(captured, t_source)

    def stamp(self, note: str, t_wall: str | None) -> str | None:
        """The `t_wall` of a marker that arrives now (MarkerError, one line, for the sender):
        a given one checked to fall within the session; without it, now, stamped on arrival
        (a slow frame would make it late); None before the start (placed on the first
        frame)."""
        check_note(note)
        if t_wall is not None:
            return iso_time(check_wall(t_wall, self.started, time.time()))
        return iso_time() if self.started is not None else None

    def record(self, note: str, source: str, t_wall: str | None, now: float, running: bool) -> dict:
        """A "marker" event at the session's time `now`; one with a past `t_wall` gets the
        t_source of that moment (the frame analysed just before it, plus the time since,
        within a second, while the source was `running`)."""
        record = event_record("marker", now, note=note, source=source)
        when = wall_seconds(t_wall)
        t_source = None if when is None else self._walls.t_source_at(when, running)
        if t_source is not None:
            record["t_source"] = t_source
            record["t_wall"] = t_wall
        return record


class TakesMarkers(Protocol):
    def inbound_marker(self, note: str, source: str, t_wall: str | None = None) -> None: ...


def marker_placer(session: TakesMarkers) -> Callable[[str, str, str | None], None]:
    """`session.inbound_marker` for its outputs, without keeping the session alive: an
    output kept after the session (a recording's parts, a lasting server) must not hold its
    pipeline and source, and their threads, with it."""
    ref = weakref.ref(session)

    def place(note: str, source: str, t_wall: str | None = None) -> None:
        live = ref()
        if live is None:
            raise MarkerError("the session has ended")
        live.inbound_marker(note, source, t_wall)

    return place
