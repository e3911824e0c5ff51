"""JSON lines on a stream (stdout): a header, then one line per frame or event.

A closed pipe raises `OutputClosed`: the session drops this output and goes on with the
others, or ends quietly when it was the only one.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import stat
import sys
import threading
from typing import TextIO

import numpy as np

from fer_desktop.outputs import Output, OutputClosed, SessionInfo
from fer_desktop.results import FrameResult, event_record, frame_record


def pipe_fd(stream: TextIO) -> int | None:
    """The stream's file descriptor when it is a pipe, made non-blocking with a one-page
    kernel buffer (Linux), so lines cannot wait there for seconds; else None."""
    try:
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
    except (AttributeError, OSError, ValueError):
        return None
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 4096)
    os.set_blocking(fd, False)
    return fd


_PIPE_LOCK = threading.Lock()


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"))


class JsonLinesOutput(Output):
    """JSON lines on a stream. It writes where it is called: `live` runs it behind a
    `HandOff`, so that a slow reader drops its oldest lines (counted in the end line)
    instead of slowing everything else."""

    name = "stdout"

    def __init__(self, stream: TextIO | None = None, tag: str | None = None):
        self.stream = stream or sys.stdout
        self.tag = tag  # several streams on one stdout: each line says whose it is
        self._broken = False
        self._fd: int | None = None  # a pipe, written directly and never blocking for long
        self._abandoned = threading.Event()

    def start(self, info: SessionInfo) -> None:
        self.stream.flush()
        self._fd = pipe_fd(self.stream)
        self._write(dumps(info.header()))

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        self._write(dumps(frame_record(result)))

    def event(self, record: dict) -> None:
        self._write(dumps(record))

    def relabel(self, labels: list[str]) -> bool:
        self._write(dumps(event_record("labels", None, labels=labels)))
        return True

    def close(self, summary: dict) -> None:
        if not self._broken:
            with contextlib.suppress(OutputClosed):
                self._write(dumps(event_record("end", None, **summary)))

    def abandon(self) -> None:
        """Stop waiting for a reader that does not read (the session is ending)."""
        self._abandoned.set()

    def _write(self, line: str) -> None:
        if self._broken:
            raise OutputClosed("the reader closed the stream")
        if self.tag is not None:
            line = f'{{"stream":{json.dumps(self.tag)},{line[1:]}'
        try:
            if self._fd is None:
                self.stream.write(line + "\n")
                self.stream.flush()
            else:
                with _PIPE_LOCK:  # several streams' lines never interleave
                    self._write_pipe((line + "\n").encode())
        except (BrokenPipeError, ValueError) as exc:  # ValueError: the stream was closed
            self._broken = True
            raise OutputClosed("the reader closed the stream") from exc

    def _write_pipe(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._abandoned.is_set():
                self._broken = True
                raise OutputClosed("the reader stopped reading")
            select.select([], [self._fd], [], 0.1)
            try:
                view = view[os.write(self._fd, view) :]
            except BlockingIOError:
                continue
