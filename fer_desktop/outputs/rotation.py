"""A recording cut into parts by duration or size (`live --record DIR --rotate-minutes N`).

A rig that records for days needs files it can move, upload or delete one by one. The cut
falls between two frames: the part in hand is closed properly (its summary row written, its
video finished) and the next frame opens the next part, so no frame is lost or written
twice, and each part is a complete recording on its own (timeline + video, row k = frame k).
Parts are named `session-YYYYmmdd-HHMMSS-partNN`; each part's summary says which it was.
Only the part being written is held: a closed part's files, encoder threads and buffers are
released at the cut, so a rig recording for days stays the same size (benchmarks/soak.py).
With a `Retention`, each new part deletes the oldest ones past its limits, and each deletion
is a "retention" event in the new part's timeline and a line for `log` (stderr).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.outputs.retention import Retention
from fer_desktop.results import FrameResult, event_record


class RotatingRecording(Output):
    """Recording parts `stem`-partNN made by `make(part_stem)`, a new one every `max_s`
    seconds or `max_bytes`, the oldest deleted as `retention` says."""

    name = "recording"

    def __init__(
        self,
        stem: Path,
        make: Callable[[Path], list[Output]],
        max_s: float | None = None,
        max_bytes: int | None = None,
        retention: Retention | None = None,
        log: Callable[[str], None] = lambda line: None,
    ):
        self.folder = Path(stem).parent
        self.make = make
        self.max_s, self.max_bytes = max_s, max_bytes
        self.retention, self.log = retention, log
        self.stem = stem
        self.part = 0
        self.current: list[Output] = []  # the part being written; closed parts are let go
        self._info: SessionInfo | None = None
        self._opened = 0.0

    def start(self, info: SessionInfo) -> None:
        self._info = info
        self._open_part(None)

    def _open_part(self, t_source: float | None) -> None:
        self.part += 1
        part_stem = self.stem.with_name(f"{self.stem.name}-part{self.part:02d}")
        self.current = self.make(part_stem)
        for output in self.current:
            output.start(self._info)
        self._opened = time.monotonic()
        if self.retention is not None:
            self._prune(part_stem.name, t_source)

    def _prune(self, current: str, t_source: float | None) -> None:
        """The retention limits applied; each part deleted is an event and a line."""
        try:
            deleted = self.retention.prune(self.folder, current)
        except OSError as exc:  # a read-only file or folder: say so, keep recording
            self.log(f"retention: cannot delete old parts in {self.folder}: {exc}")
            return
        for part in deleted:
            self.log(f"retention: deleted {part.stem} ({part.bytes / 1e6:.1f} MB, {part.why})")
            self.event(
                event_record(
                    "retention", t_source, deleted=part.stem, files=part.files,
                    bytes=part.bytes, why=part.why,
                )
            )  # fmt: skip

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
            self._open_part(result.t_source)
        for output in self.current:
            output.frame(result, bgr)

    def event(self, record: dict) -> None:
        for output in self.current:
            output.event(record)

    def relabel(self, labels: list[str]) -> bool:
        return all(output.relabel(labels) for output in self.current)

    def close(self, summary: dict) -> None:
        for output in self.current:
            output.close({**summary, "part": self.part})

    def abandon(self) -> None:
        for output in self.current:
            output.abandon()

    @property
    def state(self) -> str:
        return f"REC {self.folder} (part {self.part})"
