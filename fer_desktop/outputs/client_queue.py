"""The lines waiting for one WebSocket client: its newest frame line and its event lines."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator

from fer_desktop.outputs.stdout import dumps
from fer_desktop.results import event_record

EVENT_LINES = 64  # event lines (markers, gaps…) kept per client beyond its newest frame line


def with_dropped(line: str, dropped: int) -> str:
    """A frame line with `"dropped_lines": dropped` added (lines are compact JSON objects)."""
    return f'{line[:-1]},"dropped_lines":{dropped}}}'


class ClientQueue:
    """The lines waiting for one client, in order: its newest frame line only (an older one
    is dropped when a newer one comes) and up to EVENT_LINES event lines (beyond that the
    oldest is dropped). Drops are counted."""

    def __init__(self, header: str):
        self.lines: deque[tuple[bool, str]] = deque([(False, header)])
        self.dropped = 0
        self.ready = asyncio.Event()
        self.ending = asyncio.Event()
        self.summary: dict = {}

    def put(self, line: str, frame: bool) -> int:
        """Queue a line; return how many lines were dropped to make room."""
        before = self.dropped
        if frame:
            self._drop(lambda is_frame: is_frame)
        elif len(self.lines) > EVENT_LINES:
            self._drop(lambda is_frame: True)
        self.lines.append((frame, line))
        self.ready.set()
        return self.dropped - before

    def _drop(self, which: Callable[[bool], bool]) -> None:
        """Drop the oldest waiting line for which `which(is_frame)` holds, if any."""
        for i, (is_frame, _) in enumerate(self.lines):
            if which(is_frame):
                del self.lines[i]
                self.dropped += 1
                return

    def _pop(self) -> str:
        frame, line = self.lines.popleft()
        return with_dropped(line, self.dropped) if frame and self.dropped else line

    async def get(self) -> str:
        """The oldest waiting line (a frame line carries the drop count once there is one)."""
        while not self.lines:
            self.ready.clear()
            await self.ready.wait()
        return self._pop()

    def finish(self, summary: dict) -> None:
        """The session ends: the client gets what is queued, then the end line."""
        if self.ending.is_set():
            return
        self.summary = summary
        self.ending.set()

    def remaining(self) -> Iterator[str]:
        """The queued lines, then the end line."""
        while self.lines:
            yield self._pop()
        yield dumps(event_record("end", None, **{**self.summary, "dropped_lines": self.dropped}))
