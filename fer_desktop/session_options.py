"""How a session runs (`SessionOptions`), how it opens a camera, and what it returns
(`SessionSummary`): the session's settings that are not the pipeline's (see settings.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fer_desktop.alerts import AlertMonitor
from fer_desktop.sources import CameraSource, FrameSource

# Seconds before each attempt to reopen a lost camera: the first at once (a USB hiccup is
# often over by then), then longer; the last repeats. `live --reconnect-backoff` sets it.
RECONNECT_BACKOFF = (0.0, 0.5, 1.0, 2.0, 4.0)

Capture = tuple[int, int, float | None]  # what a camera is asked for: width, height, fps
CameraOpener = Callable[[int | str, Capture | None, threading.Event], FrameSource]


def open_camera(index: int | str, capture: Capture | None, stop: threading.Event) -> FrameSource:
    """A real camera by number or device path, asking for `capture` (width, height, fps);
    setting `stop` ends a blocked open. `SessionOptions.open_camera` may name another."""
    return CameraSource(index, *(capture or ()), stop=stop)


@dataclass
class SessionOptions:
    """How a session runs (what it reports is in Settings)."""

    realtime: bool = True  # play files at their own speed (live sources always are)
    every: int = 1  # analyse every Nth frame
    max_frames: int | None = None
    reconnect: bool = True  # reopen a camera that stops delivering
    wait_for_camera: bool = False  # keep trying to open the camera at start
    hold_at_end: bool = False  # the window: keep serving commands (seek replays)
    prefetch: bool = False  # decode and detect ahead on threads (files, as fast as possible)
    name: str = "fer_desktop"  # the stream's name, in every header and the LSL stream
    backoff: tuple[float, ...] | None = None  # reconnect waits (None: RECONNECT_BACKOFF)
    capture: Capture | None = None  # cameras: width, height, fps
    open_camera: CameraOpener = open_camera  # opens (and reopens) a 'camera:N' source
    alerts: AlertMonitor | None = None  # live --alert: alert and blink events (alerts.py)


@dataclass
class SessionSummary:
    """What `Session.run` returns: frames analysed, how long it took, the last t_source."""

    frames: int = 0
    elapsed_s: float = 0.0
    last_t: float = 0.0
    stopped_by_reader: bool = False
    extra: dict = field(default_factory=dict)
