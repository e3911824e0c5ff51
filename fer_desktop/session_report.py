"""What a session tells (`SessionReport`): event lines into every output, typed events to
its owner, and its one `SessionState`, replaced when a field really changes.

The session's thread only. Every event line is stamped with the session's time now (the
t_source of the frame analysed last); the status texts are for people, the state for
programs (state.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fer_desktop.calibration import Notice
from fer_desktop.results import event_record
from fer_desktop.session_messages import Command, Event, MarkerPlaced, Problem, Status
from fer_desktop.session_outputs import SessionOutputs
from fer_desktop.state import SessionState, StateChanged


class SessionReport:
    """The outputs a session feeds, what it tells its owner, and its state.

    `tell` gets every typed event for the owner; `now` gives the session's time for event
    lines; `summary_extra` what each output's closing summary adds.
    """

    def __init__(
        self,
        tell: Callable[[Event], Any],
        now: Callable[[], float],
        summary_extra: Callable[[], dict],
    ):
        self.tell, self._now = tell, now
        self.state = SessionState()  # replaced (never changed) by set_state; any thread reads
        self.outputs = SessionOutputs(
            tell, lambda names: self.set_state(outputs=names), summary_extra
        )

    def set_state(self, **changes) -> None:
        """Replace the state; the owner hears of it only when a field really changed."""
        state, changed = self.state.changed(**changes)
        if changed:
            self.state = state
            self.tell(StateChanged(state, changed))

    def event(self, kind: str, **fields) -> None:
        """An event line of `kind`, at the session's time now, into every output."""
        self.record(event_record(kind, self._now(), **fields))

    def record(self, record: dict) -> None:
        """An event line already made (a blink, an alert) into every output."""
        self.outputs.event(record)

    def status(self, text: str, **fields) -> None:
        """A line for people (stderr, the status bar) and a "status" event for every output,
        with the source's state for programs (`state`: SourceState's value, never the text
        to parse); `fields` go into the event (the camera found at last: its `fps`)."""
        self.tell(Status(text))
        self.event("status", note=text, state=self.state.source.value, **fields)

    def problems(self, texts: Iterable[str], command: Command | None = None) -> None:
        """One Problem each: the user must read it, and the session goes on."""
        for text in texts:
            self.tell(Problem(text, command))

    def setting(self, **changes) -> None:
        self.event("setting", **changes)

    def calibration(self, notices: list[Notice]) -> None:
        """Each face's changes of calibration state: a "calibration" event, a Status and the
        state's `calibration`."""
        if notices:
            faces = {**self.state.calibration, **{n.face_id: n.state for n in notices}}
            self.set_state(calibration=faces)
        for notice in notices:
            record = event_record(
                "calibration", notice.t, state=notice.state, face_id=notice.face_id,
                **notice.fields,
            )  # fmt: skip
            self.record(record)
            self.tell(Status(notice.text))

    def marker(self, record: dict) -> None:
        """A "marker" event line into every output, and MarkerPlaced for the owner."""
        self.record(record)
        self.tell(MarkerPlaced(record))
