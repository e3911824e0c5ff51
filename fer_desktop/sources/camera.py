"""A camera as a source: opened on a thread of its own, read by another that keeps the newest
frame."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from fer_desktop.sources.frames import SYSTEM_CLOCK, Clock, Frame, FrameSource, SourceError


class CameraSource(FrameSource):
    """A camera by index. A reader thread keeps only the newest frame, so lag never builds.

    Opening can block (a wedged V4L2 device, a FIFO with no writer): it runs on a thread of
    its own, waited for OPEN_PATIENCE_S (SourceError after that, the open left running for
    the next attempt); setting `stop` ends the wait at once, so a stop is always heard.
    """

    live = True

    def __init__(
        self,
        index: int | str = 0,
        width: int = 640,
        height: int = 480,
        fps: float | None = None,
        open_timeout: float = 3.0,
        stop: threading.Event | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        if isinstance(index, str) and not Path(index).exists():
            raise SourceError(f"camera {index}: no such device")
        if isinstance(index, int) and index < 0:
            raise SourceError(f"camera {index}: a camera index is a number 0 or more")
        self.index = index  # a number, or a device path (Linux: /dev/video2, /dev/v4l/by-id/…)
        self.name = f"camera:{index}"
        self.clock = clock
        stop = stop or threading.Event()
        cap = _Opening.of(index).wait(stop, OPEN_PATIENCE_S)
        if cap is None and stop.is_set():
            raise SourceError(f"camera {index}: stopped while opening")
        if cap is None:
            raise SourceError(
                f"camera {index}: its open does not return (a wedged device, or a FIFO with "
                "no writer)"
            )
        self._cap = cap
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"camera {index}: cannot open (no such device, or it is busy)")
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and 0 < fps < 1000 else 30.0
        self.size = capture_size(self._cap)
        self._lock = threading.Condition()
        self._latest: np.ndarray | None = None
        self._stamps = (0.0, 0.0)  # the clock's wall and monotonic times of the newest frame
        self._seq = 0
        self._stop = threading.Event()
        self._failed = False
        self._thread = threading.Thread(target=self._reader, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + open_timeout
        with self._lock:
            while not (self._seq or self._failed):
                if time.monotonic() > deadline or stop.is_set():
                    break
                self._lock.wait(0.1)
            delivers = self._seq > 0
        if not delivers:
            self.close()
            raise SourceError(f"camera {index}: opened but delivers no frames")

    def _reader(self) -> None:
        while not self._stop.is_set():
            ok, img = self._cap.read()
            with self._lock:
                if not ok or img is None:
                    self._failed = True
                    self._lock.notify_all()
                    return
                self._latest, self._seq = img, self._seq + 1
                self._stamps = (self.clock.wall(), self.clock.monotonic())
                self._lock.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        t0 = self.clock.monotonic()
        seen = 0
        index = 0
        while not self._stop.is_set():
            with self._lock:
                last = seen
                self._lock.wait_for(lambda last=last: self._seq != last or self._failed, 2.0)
                if self._seq == seen:
                    raise SourceError(f"camera {self.index}: stopped delivering frames")
                seen, img, (wall, arrived) = self._seq, self._latest, self._stamps
            yield Frame(index, arrived - t0, img, wall, arrived=arrived)
            index += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)
        self._cap.release()


OPEN_PATIENCE_S = 5.0  # a camera's open still running after this is "not answering"


class _Opening:
    """`cv2.VideoCapture(index)` running on a thread of its own. An open that outlasts one
    attempt's patience is taken up by the next attempt on that device, never started again,
    so a wedged device costs one thread; one left when the program stops is released by its
    thread if it ever returns."""

    running: ClassVar[dict[int | str, _Opening]] = {}  # by device
    _lock = threading.Lock()

    def __init__(self, index: int | str):
        self.index = index
        self.done = threading.Event()
        self.cap: cv2.VideoCapture | None = None
        self.abandoned = False
        threading.Thread(target=self._open, name=f"open camera:{index}", daemon=True).start()

    @classmethod
    def of(cls, index: int | str) -> _Opening:
        with cls._lock:
            opening = cls.running.get(index)
            if opening is None:
                opening = cls.running[index] = cls(index)
            return opening

    def _open(self) -> None:
        cap = cv2.VideoCapture(self.index)
        with self._lock:
            self.cap = cap
            if self.abandoned:
                cap.release()
        self.done.set()

    def wait(self, stop: threading.Event, patience_s: float) -> cv2.VideoCapture | None:
        """The opened capture; None when `stop` was set (the open is abandoned) or when it
        is still running after `patience_s` (left for the next attempt)."""
        deadline = time.monotonic() + patience_s
        while not self.done.wait(0.1):  # short waits: a signal handler here runs between
            if stop.is_set():
                with self._lock:
                    self.abandoned = True
                    if self.cap is not None:
                        self.cap.release()
                    self.running.pop(self.index, None)
                return None
            if time.monotonic() > deadline:
                return None
        with self._lock:
            self.running.pop(self.index, None)
        return self.cap


def capture_size(cap: cv2.VideoCapture) -> tuple[int, int] | None:
    width, height = (int(cap.get(p)) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT))
    return (width, height) if width > 0 and height > 0 else None


def camera_id(spec: str) -> int | str:
    """'camera:N' (or 'N') -> N; 'camera:/dev/video2' -> the device path."""
    text = spec.split(":", 1)[-1]
    if text.isdigit():
        return int(text)
    if text.startswith("/"):
        return text
    raise SourceError(f"{spec}: a camera is camera:N (a number) or camera:/dev/PATH")
