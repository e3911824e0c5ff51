"""`live --health SECONDS` and systemd's watchdog: is each stream alive, is its camera there?

A thread of its own reports on a timer, frames or none, so that a watchdog tells "camera
gone" (reports go on, `waiting_s` counts up) from "process hung" (no report, no WATCHDOG=1).
Each report is one line per stream on stderr, machine-readable after its prefix:

    fer-desktop: health {"stream": "driver", "state": "running", "frames_per_s": 29.8, …}

`state` is "starting", "waiting for the camera" (at start, or after it was lost), "running"
or "ended". Under systemd (NOTIFY_SOCKET) it also sends READY=1 once every stream's outputs
are up, STATUS= with each stream's state, and WATCHDOG=1 while no running stream has gone
`STALL_S` without a frame.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable

from fer_desktop.commands.sd_notify import SystemdNotifier, watchdog_seconds
from fer_desktop.session import Session
from fer_desktop.session_messages import Event, FrameAnalysed

STALL_S = 10.0  # a running stream with no frame for this long is hung: no WATCHDOG=1
POLL_S = 0.2  # how often the monitor looks (readiness, the next report)
NOTIFY_EVERY_S = 5.0  # STATUS= under systemd when neither --health nor a watchdog sets it


class FrameCounter:
    """A stream's frames as its session's events show them: how many since the last count,
    faces in the newest, when it came. Made first: `wrap` gives the session its `on_event`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._frames = self._faces = 0
        self._last_frame: float | None = None  # monotonic
        self._since = time.monotonic()  # the last count

    def wrap(self, on_event: Callable[[Event], None]) -> Callable[[Event], None]:
        """`on_event` for the session: frames are counted here, other events passed on."""

        def handle(event: Event) -> None:
            if isinstance(event, FrameAnalysed):
                with self._lock:
                    self._frames += 1
                    self._faces = len(event.result.faces)
                    self._last_frame = time.monotonic()
            else:
                on_event(event)

        return handle

    def count(self) -> tuple[float, int, float | None]:
        """(frames per second since the last count, faces in the newest frame, when it came)."""
        now = time.monotonic()
        with self._lock:
            fps = self._frames / max(now - self._since, 1e-6)
            self._frames, self._since = 0, now
            return fps, self._faces, self._last_frame


class StreamHealth:
    """One stream: its session's state and its frames (counted by `frames`)."""

    def __init__(self, session: Session, frames: FrameCounter):
        self.session, self.frames = session, frames
        self._created = time.monotonic()

    def report(self) -> dict:
        """The stream's state now; the frame rate counts from the previous report."""
        now = time.monotonic()
        session = self.session
        fps, faces, last = self.frames.count()
        waiting = session.state.waiting_since
        if session.finished.is_set():
            state = "ended"
        elif waiting is not None:
            state = "waiting for the camera"
        elif not session.ready.is_set():
            state = "starting"
        else:
            state = "running"
        return {
            "stream": session.options.name,
            "state": state,
            "frames_per_s": round(fps, 1),
            "faces": faces,
            "last_frame_s": None if last is None else round(now - last, 1),
            "waiting_s": None if waiting is None else round(now - waiting, 1),
            "source_frames_dropped": getattr(session.source, "dropped", 0),
            "outputs": [o.state for o in session.outputs],
        }

    def stalled(self, report: dict) -> bool:
        """Running, yet no frame for STALL_S (from the start when none came yet)."""
        if report["state"] != "running":
            return False
        silent = report["last_frame_s"]
        return (silent if silent is not None else time.monotonic() - self._created) > STALL_S


class HealthMonitor:
    """Reports every stream every `every_s` seconds (0: no lines) on a thread of its own, and
    keeps systemd informed when it asked (`notifier`)."""

    def __init__(
        self,
        streams: list[StreamHealth],
        every_s: float = 0.0,
        notifier: SystemdNotifier | None = None,
    ):
        self.streams, self.every_s, self.notifier = streams, every_s, notifier
        watchdog = watchdog_seconds() if notifier else None
        ticks = [every_s, watchdog / 2 if watchdog else 0.0]
        self.tick_s = min((t for t in ticks if t > 0), default=NOTIFY_EVERY_S)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    @property
    def needed(self) -> bool:
        return bool(self.every_s or self.notifier)

    def start(self) -> None:
        if self.needed:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        if self.notifier:
            self.notifier.send(STOPPING=1, STATUS="stopping")
            self.notifier.close()

    def _run(self) -> None:
        ready = False
        due = printed = time.monotonic()
        while not self._stop.wait(POLL_S):
            now = time.monotonic()
            if not ready and all(self._up(s) for s in self.streams):
                ready = True
                if self.notifier:
                    self.notifier.send(READY=1, STATUS=self._status(self._reports()))
            if now - due >= self.tick_s:
                due = now
                reports = self._reports()
                if self.every_s and now - printed >= self.every_s - POLL_S:
                    printed = now
                    self._print(reports)
                if self.notifier:
                    self._notify(reports)

    @staticmethod
    def _up(stream: StreamHealth) -> bool:
        return stream.session.ready.is_set() or stream.session.finished.is_set()

    def _reports(self) -> list[tuple[StreamHealth, dict]]:
        return [(stream, stream.report()) for stream in self.streams]

    @staticmethod
    def _print(reports: list[tuple[StreamHealth, dict]]) -> None:
        for _, report in reports:
            line = json.dumps(report, ensure_ascii=False)
            print(f"fer-desktop: health {line}", file=sys.stderr, flush=True)

    def _notify(self, reports: list[tuple[StreamHealth, dict]]) -> None:
        alive = not any(stream.stalled(report) for stream, report in reports)
        fields = {"WATCHDOG": 1} if alive else {}
        self.notifier.send(**fields, STATUS=self._status(reports))

    @staticmethod
    def _status(reports: list[tuple[StreamHealth, dict]]) -> str:
        """One line for `systemctl status`: each stream's state and frame rate."""
        parts = []
        for _, r in reports:
            waiting = f" for {r['waiting_s']:.0f} s" if r["waiting_s"] is not None else ""
            parts.append(f"{r['stream']}: {r['state']}{waiting}, {r['frames_per_s']} frames/s")
        return "; ".join(parts)
