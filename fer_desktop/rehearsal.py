"""Rehearsing a rig without a camera: a video file played on a loop, or played as a camera.

`live --source FILE --loop` starts the file again at its end, its time running on (the
second pass starts where the first ended). `--as-camera` plays the file at its own rate on
a thread of its own and hands the session only the newest frame, as a camera does: when the
analysis falls behind, frames are dropped (counted in `dropped`), never queued, so the
latency a rig sees is the one it will see with a camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from fer_desktop.sources import Frame, FrameSource, SourceError, VideoSource


class LoopedVideo(FrameSource):
    """A video file, again and again; `t_source` keeps going up across passes."""

    def __init__(self, path: Path, every: int = 1, loop: bool = True):
        self.path, self.every, self.loop = Path(path), every, loop
        self._video = VideoSource(self.path, every=every)  # a bad file fails here, at once
        self.name, self.fps, self.size = self._video.name, self._video.fps, self._video.size
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[Frame]:
        offset, index = 0.0, 0
        while not self._stop.is_set():
            last_t = None
            for frame in self._video:
                last_t = frame.t_source
                yield Frame(index, offset + frame.t_source, frame.bgr, frame.captured)
                index += 1
            self._video.close()
            if not self.loop or last_t is None or self._stop.is_set():
                return
            offset += last_t + self.every / self.fps
            self._video = VideoSource(self.path, every=self.every)

    def close(self) -> None:
        self._stop.set()
        self._video.close()


class FileCamera(FrameSource):
    """A video file played as a camera: at its own rate, newest frame only."""

    live = True

    def __init__(self, path: Path, loop: bool = False):
        self._file = LoopedVideo(path, loop=loop)
        self.name = f"{self._file.name} (as a camera)"
        self.fps, self.size = self._file.fps, self._file.size
        self.dropped = 0
        self._cond = threading.Condition()
        self._latest: tuple[Frame, float] | None = None
        self._seq = self._taken = 0  # frames delivered by the file, taken by the session
        self._ended = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, name="file-camera", daemon=True)
        self._thread.start()

    def _play(self) -> None:
        start = time.monotonic()
        try:
            for frame in self._file:
                due = start + frame.t_source - time.monotonic()
                if due > 0 and self._stop.wait(due):
                    return
                with self._cond:
                    if self._latest is not None and self._taken != self._seq:
                        self.dropped += 1  # the session had no time for the last one
                    self._latest, self._seq = (frame, time.time()), self._seq + 1
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: self._seq != self._taken or self._ended, 2.0)
                if self._seq == self._taken:
                    if self._ended:
                        return
                    raise SourceError(f"{self.name}: stopped delivering frames")
                (frame, captured), self._taken = self._latest, self._seq
            yield Frame(index, frame.t_source, frame.bgr, captured)
            index += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._file.close()
