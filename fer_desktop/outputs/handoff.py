"""A bounded hand-off: one output (or a group that must stay together) on a thread of its own.

`live` wraps each output in one, so that a slow reader of stdout, a stuck WebSocket client or
a slow disk never holds back the analysis or the other outputs. When the queue is full the
oldest frame is dropped and counted (`dropped`); events (markers, gaps, settings, status)
are never dropped. A recording's timeline and video go through one hand-off together, so a
dropped frame is dropped from both and frame k of the video stays row k of the timeline.

Errors of the wrapped output surface on the session's thread at the next call, as if the
output had raised them there, so the session reports and removes it as usual.
"""

from __future__ import annotations

import collections
import contextlib
import threading

import numpy as np

from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.results import FrameResult

CLOSE_TIMEOUT_S = 0.8  # a reader that never reads cannot hold up the end longer than this


class HandOff(Output):
    """Runs `outputs` in order on one thread, behind a queue of at most `depth` frames.

    At the end, the frames still queued are written first. When they take longer than
    CLOSE_TIMEOUT_S (a slow reader), the rest are dropped and counted, so that the end line
    comes next rather than never, unless `complete` (a recording keeps every frame)."""

    def __init__(self, outputs: Output | list[Output], depth: int = 16, complete: bool = False):
        self.outputs = outputs if isinstance(outputs, list) else [outputs]
        self.name = self.outputs[0].name
        self.depth = depth
        self.complete = complete
        self.dropped = 0
        self._queue: collections.deque = collections.deque()
        self._frames = 0  # frames in the queue
        self._cond = threading.Condition()
        self._lock = threading.Lock()  # held while the wrapped outputs run
        self._error: BaseException | None = None
        self._closing = False
        self._thread: threading.Thread | None = None

    def start(self, info: SessionInfo) -> None:
        for output in self.outputs:  # a busy port or an unwritable folder fails here, at once
            output.start(info)
        self._thread = threading.Thread(target=self._run, name=f"out-{self.name}", daemon=True)
        self._thread.start()

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        with self._cond:
            self._raise_error()
            if self._frames >= self.depth:
                self._drop_oldest_frame()
            self._queue.append(("frame", result, bgr))
            self._frames += 1
            self._cond.notify()

    def event(self, record: dict) -> None:
        with self._cond:
            self._raise_error()
            self._queue.append(("event", record))
            self._cond.notify()

    def relabel(self, labels: list[str]) -> bool:
        with self._lock:
            return all(output.relabel(labels) for output in self.outputs)

    def close(self, summary: dict) -> None:
        with self._cond:
            self._queue.append(("close", summary))
            self._closing = True
            self._cond.notify()
        if self._thread is None or self._thread is threading.current_thread():
            return
        self._thread.join(CLOSE_TIMEOUT_S)
        if self._thread.is_alive() and not self.complete:  # a slow reader: the end line next
            with self._cond:
                while self._frames:
                    self._drop_oldest_frame()
            self._thread.join(CLOSE_TIMEOUT_S)
        if self._thread.is_alive():  # a reader that does not read: stop waiting for it
            for output in self.outputs:
                output.abandon()
            self._thread.join(0.2)

    @property
    def state(self) -> str:
        state = self.outputs[0].state
        return f"{state}, dropped {self.dropped}" if self.dropped else state

    def _drop_oldest_frame(self) -> None:
        for i, item in enumerate(self._queue):
            if item[0] == "frame":
                del self._queue[i]
                self._frames -= 1
                self.dropped += 1
                return

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue)
                item = self._queue.popleft()
                self._frames -= item[0] == "frame"
                if item[0] == "close" and self.dropped:  # counted up to the end
                    item = ("close", {**item[1], "dropped_frames": self.dropped})
            try:
                with self._lock:
                    for output in self.outputs:
                        if item[0] == "frame":
                            output.frame(item[1], item[2])
                        elif item[0] == "event":
                            output.event(item[1])
                        else:
                            output.close(item[1])
            except FerDesktopError as exc:  # OutputClosed included: the session decides
                with self._cond:
                    self._error = exc
                    self._queue.clear()
                    self._frames = 0
                if item[0] != "close":
                    self._close_quietly()
                return
            if item[0] == "close":
                return

    def _close_quietly(self) -> None:
        """After an error the outputs are closed here; the session's close() then waits no
        longer than it must."""
        for output in self.outputs:
            with contextlib.suppress(FerDesktopError):
                output.close({})
