"""A recording cut into parts by duration or size (`live --record DIR --rotate-minutes N`).

A rig that records for days needs files it can move, upload or delete one by one. The cut
falls between two frames: the part in hand is closed properly (its summary row written, its
video finished) and the next frame opens the next part, so no frame is lost or written
twice, and each part is a complete recording on its own (timeline + video, row k = frame k).
Parts are named `session-YYYYmmdd-HHMMSS-partNN`; each part's summary says which it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.results import FrameResult


class RotatingRecording(Output):
    """Recording parts made by `make(stem)`, a new one every `max_s` seconds or `max_bytes`."""

    name = "recording"

    def __init__(
        self,
        folder: Path,
        make: Callable[[Path], list[Output]],
        max_s: float | None = None,
        max_bytes: int | None = None,
    ):
        self.folder = Path(folder)
        self.make = make
        self.max_s, self.max_bytes = max_s, max_bytes
        self.stem = self.folder / f"session-{time.strftime('%Y%m%d-%H%M%S')}"
        self.part = 0
        self.parts: list[list[Output]] = []
        self._info: SessionInfo | None = None
        self._opened = 0.0

    @property
    def current(self) -> list[Output]:
        return self.parts[-1]

    def start(self, info: SessionInfo) -> None:
        self._info = info
        self._open_part()

    def _open_part(self) -> None:
        self.part += 1
        outputs = self.make(self.stem.with_name(f"{self.stem.name}-part{self.part:02d}"))
        for output in outputs:
            output.start(self._info)
        self.parts.append(outputs)
        self._opened = time.monotonic()

    def _due(self) -> bool:
        if self.max_s and time.monotonic() - self._opened >= self.max_s:
            return True
        if self.max_bytes:
            size = sum(p.stat().st_size for p in self._paths() if p.exists())
            return size >= self.max_bytes
        return False

    def _paths(self) -> list[Path]:
        return [o.path for o in self.current if hasattr(o, "path")]

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self._due():  # between two frames: this one opens the next part
            for output in self.current:
                output.close({"part": self.part, "rotated": True})
            self._open_part()
        for output in self.current:
            output.frame(result, bgr)

    def event(self, record: dict) -> None:
        for output in self.current:
            output.event(record)

    def relabel(self, labels: list[str]) -> bool:
        return all(output.relabel(labels) for output in self.current)

    def close(self, summary: dict) -> None:
        if self.parts:
            for output in self.current:
                output.close({**summary, "part": self.part})

    def abandon(self) -> None:
        for output in self.current if self.parts else ():
            output.abandon()

    @property
    def state(self) -> str:
        return f"REC {self.folder} (part {self.part})"
