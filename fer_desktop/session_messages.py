"""What goes into a session and what comes out: its typed commands and events.

Commands go from any thread to the session's (`Session.send`); events go from the session
to its owner (`on_event`): the window's worker, `live`, `analyze`, the benchmarks. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_desktop.outputs import Output
from fer_desktop.results import FrameResult
from fer_desktop.settings import Settings
from fer_desktop.state import StateChanged


# --- commands (any thread -> the session) --------------------------------------------------
@dataclass(frozen=True)
class Pause:
    paused: bool


@dataclass(frozen=True)
class SetRealtime:
    realtime: bool  # False: as fast as possible


@dataclass(frozen=True)
class Seek:
    position: float  # 0..1 through a video file


@dataclass(frozen=True)
class AddMarker:
    note: str = ""
    source: str = "window"  # who placed it: window, websocket, lsl, import
    t_wall: str | None = None  # ISO UTC: when it happened (earlier in the session); None: now


@dataclass(frozen=True)
class ChangeSettings:
    settings: Settings  # the whole new settings object; only what differs is rebuilt


@dataclass(frozen=True)
class CalibrateNeutral:
    seconds: float = 3.0  # collect this long of every face in view as its resting face


@dataclass(frozen=True)
class ResetCalibration:
    """Forget every face's own baseline: raw values until calibrated again."""


@dataclass(frozen=True)
class AddOutput:
    output: Output


@dataclass(frozen=True)
class RemoveOutput:
    output: Output


@dataclass(frozen=True)
class Wake:
    """Sent by `stop`: a session waiting for commands (paused, at the end) looks up."""


@dataclass(frozen=True)
class Together:
    """Commands applied one after another between the same two frames: a recording's
    timeline and video start (or stop) on the same frame, so row k stays video frame k."""

    commands: tuple[Command, ...]


Command = (
    Together
    | Pause
    | SetRealtime
    | Seek
    | AddMarker
    | ChangeSettings
    | CalibrateNeutral
    | ResetCalibration
    | AddOutput
    | RemoveOutput
    | Wake
)


# --- events (the session -> its owner) ------------------------------------------------------
@dataclass
class FrameAnalysed:
    result: FrameResult
    bgr: np.ndarray
    t_arrival: float  # perf_counter when the frame reached the session
    position: float | None  # 0..1 through a video file, else None


@dataclass
class Status:
    text: str  # for people: "camera lost, reconnecting"… (the state is in StateChanged)


@dataclass
class OutputStarted:
    output: Output


@dataclass
class OutputEnded:
    output: Output
    error: str | None = None  # why it stopped, when it failed


@dataclass
class MarkerPlaced:
    record: dict  # the "marker" event: t_source, note, source (window, websocket, lsl…)


@dataclass
class Problem:
    message: str  # something the user must read; the session goes on
    refused: Command | None = None  # the command that could not be applied, if one


Event = FrameAnalysed | StateChanged | Status | OutputStarted | OutputEnded | MarkerPlaced | Problem
