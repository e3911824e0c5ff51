"""The outputs a session feeds (`SessionOutputs`): started, given every frame and event,
and closed; one that fails is dropped and reported while the others go on. A reader that
went away (a closed pipe) ends the session only when it was the last output."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output, OutputClosed, SessionInfo
from fer_desktop.session_messages import Event, OutputEnded, OutputStarted


class SessionOutputs:
    """The outputs running, for one session (its thread only).

    `on_event` hears OutputStarted and OutputEnded; `on_names` gets the names of those
    running after every change; `extra` gives what each output's closing summary adds.
    """

    def __init__(
        self,
        on_event: Callable[[Event], Any],
        on_names: Callable[[tuple[str, ...]], None],
        extra: Callable[[], dict],
    ):
        self.running: list[Output] = []
        self._on_event, self._on_names, self._extra = on_event, on_names, extra

    def add(self, output: Output, info: SessionInfo, fatal: bool = False) -> None:
        """Start `output`; one that cannot start is reported (raised when `fatal`)."""
        try:
            output.start(info)
        except FerDesktopError as exc:
            if fatal:
                raise
            self._gone(output, str(exc))
            return
        self.running.append(output)
        self._on_names(self.names())
        self._on_event(OutputStarted(output))

    def remove(self, output: Output, why: str | None = None) -> None:
        """Close `output` (if running) and report it, with `why` as its error."""
        if output not in self.running:
            return
        self.running.remove(output)
        error = why
        try:
            output.close(self._extra())
        except FerDesktopError as exc:
            error = str(exc)
        self._gone(output, error)

    def frame(self, result, bgr) -> None:
        """Every output's `frame(result, bgr)`."""
        for output in list(self.running):
            self._guarded(output, output.frame, result, bgr)

    def event(self, record: dict) -> None:
        """Every output's `event(record)`."""
        for output in list(self.running):
            self._guarded(output, output.event, record)

    def relabel(self, labels: list[str]) -> None:
        """Every output's columns changed to `labels`; one that cannot is closed."""
        for output in list(self.running):
            if not output.relabel(labels):
                self.remove(output, "it cannot hold the new model's labels")

    def close_all(self, extra: dict) -> None:
        """Close every output, `extra` in each closing summary."""
        for output in list(self.running):
            self.running.remove(output)
            error = None
            try:
                output.close({**extra, **self._extra()})
            except FerDesktopError as exc:
                error = str(exc)
            self._gone(output, error)

    def names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.running)

    def _guarded(self, output: Output, method, *args) -> None:
        """Call an output; one that fails is dropped and reported, the others go on. A
        reader that went away (a closed pipe) ends the session only if it was the last."""
        try:
            method(*args)
        except OutputClosed as exc:
            if len(self.running) == 1:
                raise
            self.running.remove(output)
            self._gone(output, f"{exc}; the other outputs go on")
        except FerDesktopError as exc:
            self.running.remove(output)
            with contextlib.suppress(FerDesktopError):
                output.close(self._extra())
            self._gone(output, str(exc))

    def _gone(self, output: Output, error: str | None = None) -> None:
        """`output` is not (or no longer) among the outputs: the state and the owner hear."""
        self._on_names(self.names())
        self._on_event(OutputEnded(output, error))
