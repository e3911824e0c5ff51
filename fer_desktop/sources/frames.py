"""What every source gives: frames, a clock, and one error for a source that cannot be read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from fer_desktop.errors import FerDesktopError


class SourceError(FerDesktopError):
    """A source cannot be opened or read; the message says why in one line."""


@dataclass(frozen=True)
class Frame:
    index: int  # the source's own frame number (a session renumbers what it analyses)
    t_source: float  # seconds since the start of the source
    bgr: np.ndarray
    captured: float | None = None  # time.time() when the frame arrived (cameras: read)
    still: bool = False  # a still image: read on its own, nothing carried over
    arrived: float | None = None  # live sources: Clock.monotonic() when read (their t_source)


class Clock:
    """The two clocks a live source stamps its frames with: the wall clock, for `t_wall`
    (NTP or GPS may set it back or forward), and a monotonic one, for `t_source` (it only
    goes up). A rig's sources take one as an argument; this one is the system's."""

    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = Clock()


class FrameSource:
    """Base class: iterate to get frames; `close()` releases the device or file."""

    name = "source"
    fps: float | None = None
    size: tuple[int, int] | None = None  # width, height of its frames, when known before
    live = False  # True for sources that run in real time (camera, demo)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
