"""What a session is doing, as one frozen value the front ends render (none parses text).

The session keeps one `SessionState` and replaces it when a field really changes; each new
state goes to its owner as one `StateChanged` event naming the fields that changed (napari's
EventedModel idea: no event when nothing changed). The status texts ("camera lost,
reconnecting"…) still go to stderr, the status bar and every output: they are for people
and for the public event lines, not for deciding anything.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fer_desktop.settings import Settings

RECORDING_OUTPUTS = frozenset({"timeline", "video", "recording"})  # Output.name of a recording


class SourceState(enum.Enum):
    OPENING = "opening"  # the source is being opened (a camera's open may block)
    WAITING = "waiting for the camera"  # no camera at start: trying again
    RUNNING = "running"  # frames are coming (or would be, but for a pause)
    CAMERA_LOST = "camera lost"  # the camera stopped delivering: reopening it
    ENDED = "ended"  # a file played to its end (the window holds it there: a seek replays)
    FAILED = "failed"  # the source could not be opened or read: `error` says why


@dataclass(frozen=True)
class SessionState:
    """A session's state; `changed` makes the next one."""

    source: SourceState = SourceState.OPENING
    paused: bool = False
    outputs: tuple[str, ...] = ()  # the names of the outputs running, in order
    # face id -> its calibration state as the last notice said (calibration.COLLECTING,
    # NO_BASELINE, CALIBRATED); empty after a reset or a new calibrator (model changed)
    calibration: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    settings: Settings | None = None  # what the pipeline applies; None before it is made
    error: str = ""  # why the source failed
    waiting_since: float | None = None  # monotonic: since when a camera is awaited (or opening)

    @property
    def at_end(self) -> bool:
        """A file played to its end: time stands still until a seek."""
        return self.source is SourceState.ENDED

    @property
    def recording(self) -> bool:
        """A timeline or video of the session is being written."""
        return not RECORDING_OUTPUTS.isdisjoint(self.outputs)

    def changed(self, **changes) -> tuple[SessionState, frozenset[str]]:
        """The state with `changes` applied, and the names of the fields that really differ
        (a `calibration` given as a dict is frozen here)."""
        if "calibration" in changes:
            changes["calibration"] = MappingProxyType(dict(changes["calibration"]))
        new = dataclasses.replace(self, **changes)
        differ = frozenset(k for k in changes if getattr(new, k) != getattr(self, k))
        return new, differ


@dataclass(frozen=True)
class StateChanged:
    """The session's new state, and which of its fields changed (never empty)."""

    state: SessionState
    changed: frozenset[str]
