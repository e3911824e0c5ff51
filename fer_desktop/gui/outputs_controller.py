"""What the live window sends out, in one place: the recording and the LSL / WebSocket streams.

The window shows this object's state and calls its methods; the session (through `send`)
does the work and reports back with `output_started` / `output_ended`. No widgets here.

The WebSocket server outlives a change of source (a game's socket and the observer page stay
connected: they get the old session's end line, then the new one's header). It serves this
computer only, or with `lan` every interface, where clients need the token that `live` also
asks for off loopback (the observer page link carries it).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output
from fer_desktop.recording_files import recording_outputs
from fer_desktop.session_messages import AddOutput, Command, RemoveOutput, Together
from fer_desktop.timeline import TimelineWriter

WS_PORT = 8765  # the WebSocket port until the user picks another
STREAMS = ("LSL", "WebSocket")


class OutputsController(QObject):
    changed = Signal()  # the recording or a stream started or stopped
    recordingSaved = Signal(str)  # the timeline's path, closed without an error
    problem = Signal(str)  # something the user must read

    def __init__(
        self,
        send: Callable[[Command], None],
        parent: QObject | None = None,
        marker: Callable[[str, str | None], None] | None = None,
    ):
        super().__init__(parent)
        self._send = send
        self._marker = marker  # a game's marker (note, t_wall), from the WebSocket's thread
        self.recording: list[Output] = []  # the timeline and video being written
        self.timeline: Output | None = None  # the recording's timeline, once open
        self.recording_path: str | None = None  # its path
        self.streams: dict[str, Output] = {}  # "LSL" / "WebSocket", when switched on
        self.ws_port = WS_PORT
        self.ws_lan = False  # serve the local network (with a token), not this computer only

    # --- state ------------------------------------------------------------------------------
    @property
    def recording_on(self) -> bool:
        """A recording was asked for and has not ended yet (it may still be opening)."""
        return bool(self.recording) or self.recording_path is not None

    def rec_badge(self) -> str:
        """ "● REC 00:15 (source 01:02)" while recording, else "": the recording's own time,
        as its review and report count it (source time since its first frame, so it stops
        when the source does), and the source's time beside it."""
        timeline = self.timeline
        if not self.recording_path or not isinstance(timeline, TimelineWriter):
            return ""
        if not timeline.frames:
            return "● REC 00:00"
        return f"● REC {clock(timeline.covered_s)} (source {clock(timeline.last_t)})"

    def states(self) -> list[str]:
        """For the status bar: the REC badge, then each stream's own state text."""
        out = [o.state for o in self.streams.values()]
        return [self.rec_badge(), *out] if self.recording_path else out

    # --- the recording ----------------------------------------------------------------------
    def start_recording(self, folder: str | Path, fmt: str = "csv") -> bool:
        """Record into `folder` (created when missing); False, and `problem`, when it cannot."""
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.recording = recording_outputs(folder, fmt)
        except (OSError, FerDesktopError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            self.problem.emit(f"cannot record into {folder}: {reason}")
            self.recording = []
            return False
        self._send(Together(tuple(AddOutput(o) for o in self.recording)))  # on one frame
        self.changed.emit()
        return True

    def stop_recording(self) -> None:
        """Ask the session to close the recording (it says when with `output_ended`)."""
        self._send(Together(tuple(RemoveOutput(o) for o in self.recording)))

    # --- streams ----------------------------------------------------------------------------
    @property
    def ws_url(self) -> str:
        return f"ws://{'0.0.0.0' if self.ws_lan else '127.0.0.1'}:{self.ws_port}"

    def observer_link(self) -> str | None:
        """The observer page of the WebSocket stream (with its token), when it is on; on the
        local network, at this computer's address there."""
        server = self.streams.get("WebSocket")
        if server is None:
            return None
        page = server.page_url
        return page.replace("0.0.0.0", lan_address(), 1) if self.ws_lan else page

    def set_ws_address(self, port: int, lan: bool) -> None:
        """Serve the WebSocket on `port`, to this computer or (`lan`) the local network; a
        stream switched on moves there (its clients must connect again)."""
        self.ws_port, self.ws_lan = port, lan
        if "WebSocket" in self.streams:
            self.set_stream("WebSocket", True)

    def set_stream(self, name: str, on: bool) -> bool:
        """Switch a stream on or off; False when it could not be switched on."""
        old = self.streams.pop(name, None)
        if old is not None:
            self._end(old)
        if on:
            output = self._new_stream(name)
            if output is None:
                self.changed.emit()
                return False
            self.streams[name] = output
            self._send(AddOutput(output))
        self.changed.emit()
        return True

    def _new_stream(self, name: str) -> Output | None:
        try:
            if name == "LSL":
                from fer_desktop.outputs.lsl import LslOutput

                return LslOutput()
            from fer_desktop.outputs.websocket import WebSocketOutput

            return WebSocketOutput(self.ws_url, on_marker=self._marker, lasting=True)
        except FerDesktopError as exc:
            self.problem.emit(str(exc))
            return None

    def _end(self, stream: Output) -> None:
        """Switch a stream off: a lasting server is shut down here, first, so that its port
        is free when the next one opens."""
        shut_down = getattr(stream, "shut_down", None)
        if shut_down is not None:
            shut_down({})
        self._send(RemoveOutput(stream))

    def new_source(self) -> list[Output]:
        """A new session starts: the recording ended with the old one; LSL is opened afresh
        (dropped, with a `problem`, when it cannot be), the WebSocket server goes on. Returns
        the outputs to add to the new session."""
        self.recording, self.timeline = [], None
        self.recording_path = None
        if "LSL" in self.streams:
            lsl = self._new_stream("LSL")
            if lsl is None:
                del self.streams["LSL"]
            else:
                self.streams["LSL"] = lsl
        self.changed.emit()
        return list(self.streams.values())

    def shut_down(self) -> None:
        """The window closes: every stream ends (the WebSocket server's clients get their
        goodbye); the switches stay as they are, for the next start."""
        for stream in list(self.streams.values()):
            self._end(stream)

    # --- what the session reports -----------------------------------------------------------
    def output_started(self, output: Output) -> None:
        if isinstance(output, TimelineWriter) and output in self.recording:
            self.timeline = output
            self.recording_path = str(output.path)
            self.changed.emit()

    def output_ended(self, output: Output, error: str) -> None:
        if error:
            hint = "; Stream → WebSocket port… picks another" if output.name == "WebSocket" else ""
            self.problem.emit(f"{output.name} stopped: {error}{hint}")
        if output in self.recording:  # the recording ends as a whole: stop the rest with it
            rest = [o for o in self.recording if o is not output]
            self.recording = []
            self._send(Together(tuple(RemoveOutput(o) for o in rest)))
        if output is self.timeline:
            path, self.timeline = self.recording_path, None
            self.recording_path = None
            if not error and path:
                self.recordingSaved.emit(path)
        for name, stream in list(self.streams.items()):
            if stream is output and error:
                del self.streams[name]
        self.changed.emit()


def lan_address() -> str:
    """This computer's address on its local network (that of its default route), else its
    host name. A UDP socket's connect sends nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


def clock(seconds: float) -> str:
    """01:02 (or 1:02:03 past an hour)."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m:02d}:{s % 60:02d}"
