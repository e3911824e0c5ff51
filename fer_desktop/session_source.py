"""A session's source side: which frames it analyses (`frames_to_analyse`), on which time
base (`TimeBase`), and trying again and again to reopen a lost camera (`reopen_camera`)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator

from fer_desktop.pipeline import Detected
from fer_desktop.prefetch import prefetched
from fer_desktop.sources import Frame, FrameSource, SourceError


def frames_to_analyse(
    source: FrameSource, every: int, prefetch: bool, detect: Callable[[Frame], Detected]
) -> Iterator[tuple[Frame, Detected | None]]:
    """Frames to analyse (every `every`-th of a live source; a file skips them itself), with
    their faces when they were found ahead.

    With `prefetch` (files analysed as fast as possible), three stages share the cores:
    decoding on one thread, face detection (`detect`) on another, the rest here.
    """
    wanted = (f for f in source if not (source.live and every > 1 and f.index % every))
    if not prefetch:
        for frame in wanted:
            yield frame, None
        return
    detected: Detected
    for detected in prefetched(prefetched(wanted), work=detect):
        yield detected.frame, detected


class TimeBase:
    """Frames numbered and timed for a session: the number counts up; cameras keep their
    capture clock since the session's first frame (gaps included), files their own time.
    A camera's clock is monotonic: setting the wall clock moves `t_wall`, never `t_source`.
    """

    def __init__(self):
        self._arrived0: float | None = None  # cameras: t_source = arrival - the first arrival

    def place(self, frame: Frame, index: int, live: bool) -> Frame:
        """`frame` as the session's `index`-th, from a live source (a camera) or not."""
        captured = frame.captured if frame.captured is not None else time.time()
        arrived = frame.arrived if frame.arrived is not None else time.monotonic()
        t = frame.t_source
        if live:  # cameras (and what plays as one): the capture clock
            if self._arrived0 is None:
                self._arrived0 = arrived
            t = arrived - self._arrived0
        return dataclasses.replace(
            frame, index=index, t_source=t, captured=captured, arrived=arrived
        )


def reopen_camera(
    open_camera: Callable[[], FrameSource],
    backoff: tuple[float, ...],
    stop: threading.Event,
    between: Callable[[], None],
) -> FrameSource | None:
    """The camera opened again, after each wait of `backoff` in turn (its last repeats), or
    None once `stop` is set; `between` runs before each attempt (the session's commands)."""
    attempt = 0
    while not stop.is_set():
        if stop.wait(backoff[min(attempt, len(backoff) - 1)]):
            break
        attempt += 1
        between()
        try:
            return open_camera()
        except SourceError:
            continue
    return None
