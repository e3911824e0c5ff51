"""Where a session's results go. Each output is one class with the same four methods.

A session calls `start` once it knows the labels and settings, `frame` for every analysed
frame, `event` for markers, camera gaps and setting changes, and `close` at the end. Any
number of outputs run at once; the window adds and removes them while a session runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fer_desktop.errors import FerDesktopError
from fer_desktop.results import FrameResult, header_record


class OutputError(FerDesktopError):
    """An output cannot go on (disk full, port taken…); the session drops it and says why."""


class OutputClosed(FerDesktopError):
    """The reader went away (a closed pipe): the session ends quietly, with success."""


@dataclass
class SessionInfo:
    """What every output learns at start."""

    source: str
    labels: list[str]
    settings: dict
    fps: float | None = None
    extra: dict = field(default_factory=dict)
    name: str = "fer_desktop"  # the stream's name (`live --name`): LSL, headers
    size: tuple[int, int] | None = None  # the frames' width and height, when known
    # where markers an output takes from its clients go: the session's inbound_marker(note,
    # source, t_wall), from any thread; it raises FerDesktopError to refuse one
    place_marker: Callable[[str, str, str | None], None] | None = field(default=None, repr=False)

    def header(self) -> dict:
        """The "header" line every stream starts with."""
        return header_record(
            self.labels,
            self.settings,
            source=self.source,
            name=self.name,
            fps=self.fps,
            size=list(self.size) if self.size else None,
        )


class Output:
    """Base class: override what the output needs. `state` is shown in the status bar."""

    name = "output"

    def start(self, info: SessionInfo) -> None:
        """The session is about to send frames."""

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        """One analysed frame."""

    def event(self, record: dict) -> None:
        """A marker, gap, setting change or status (a `results.event_record`)."""

    def relabel(self, labels: list[str]) -> bool:
        """The model changed; return False when this output cannot continue with `labels`."""
        return True

    def close(self, summary: dict) -> None:
        """The session ends (or this output is removed); release files, ports and threads."""

    def abandon(self) -> None:
        """Give up on a reader that blocks `close` (called from another thread)."""

    @property
    def state(self) -> str:
        return self.name
