"""JSON lines on a stream (stdout): a header, then one line per frame or event.

A closed pipe ends the session quietly (`OutputClosed`). With `latest=True` a slow reader
never holds the analysis back: a writer thread sends the newest line and the lines the
reader had no time for are dropped and counted.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from typing import TextIO

import numpy as np

from fer_desktop.outputs import Output, OutputClosed, SessionInfo
from fer_desktop.results import FrameResult, event_record, frame_record, header_record


def shrink_pipe(stream: TextIO) -> None:
    """On Linux, make a pipe's kernel buffer one page, so it cannot hold seconds of lines."""
    try:
        import fcntl
        import stat

        fd = stream.fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 4096)
    except (ImportError, AttributeError, OSError, ValueError):
        pass  # not a pipe, or not Linux: the newest-only slot still bounds our side


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"))


class JsonLinesOutput(Output):
    name = "stdout"

    def __init__(self, stream: TextIO | None = None, latest: bool = False):
        self.stream = stream or sys.stdout
        self.latest = latest
        self.dropped = 0
        self._slot: str | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._broken = False
        self._thread: threading.Thread | None = None

    def start(self, info: SessionInfo) -> None:
        self._write(dumps(header_record(info.labels, info.settings, source=info.source)))
        if self.latest:
            shrink_pipe(self.stream)
            self._thread = threading.Thread(target=self._writer, name="stdout", daemon=True)
            self._thread.start()

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        self._send(dumps(frame_record(result)))

    def event(self, record: dict) -> None:
        self._send(dumps(record))

    def relabel(self, labels: list[str]) -> bool:
        self._send(dumps(event_record("labels", None, labels=labels)))
        return True

    def close(self, summary: dict) -> None:
        if self._broken:
            return
        end = {**summary, "dropped_lines": self.dropped} if self.latest else summary
        line = dumps(event_record("end", None, **end))
        if self._thread is None:
            with contextlib.suppress(OutputClosed):
                self._write(line)
            return
        with self._cond:  # the writer sends it last; a reader that never reads cannot hang us
            self._slot, self._closed = line, True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    def _send(self, line: str) -> None:
        if not self.latest:
            self._write(line)
            return
        if self._broken:
            raise OutputClosed("the reader closed the stream")
        with self._cond:
            if self._slot is not None:
                self.dropped += 1
            self._slot = line
            self._cond.notify()

    def _writer(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._slot is not None or self._closed)
                if self._slot is None:
                    return  # closed, and everything was sent
                line, self._slot = self._slot, None
            try:
                self._write(line)
            except OutputClosed:
                return

    def _write(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError) as exc:  # ValueError: the stream was closed
            self._broken = True
            raise OutputClosed("the reader closed the stream") from exc
