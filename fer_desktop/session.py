"""The one frame loop: source -> pipeline -> outputs, for the window, `live` and `analyze`.

A `Session` owns pacing (a file's own speed, or as fast as possible), pause and seek and the
reconnect policy for a lost camera. Other threads steer it with typed commands (`send`; what
each does: session_commands.py); markers from outside (a game over WebSocket, an LSL stream)
come through `inbound_marker`, which checks them for the sender (session_markers.py places
them). It reports what happens through one callback of typed events (commands and events are
in session_messages.py; session_report.py tells them); what it is doing (the source's state,
paused, outputs, calibration, settings) is one frozen `SessionState` (state.py), sent as a
`StateChanged` event whenever a field changes. It runs in whichever thread calls `run`: the
main thread for the command line, a QThread for the window (gui/worker.py moves its events
onto queued Qt signals). No Qt here."""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from fer_desktop.alerts import AlertMonitor
from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output, OutputClosed, SessionInfo
from fer_desktop.pipeline import Detected, Pipeline
from fer_desktop.results import FrameResult
from fer_desktop.session_commands import apply
from fer_desktop.session_markers import SessionMarkers, marker_placer
from fer_desktop.session_messages import (
    AddMarker,
    AddOutput,
    CalibrateNeutral,
    ChangeSettings,
    Command,
    Event,
    FrameAnalysed,
    MarkerPlaced,
    OutputEnded,
    OutputStarted,
    Pause,
    Problem,
    RemoveOutput,
    ResetCalibration,
    Seek,
    SetRealtime,
    Status,
    Together,
    Wake,
)
from fer_desktop.session_options import (
    RECONNECT_BACKOFF,
    CameraOpener,
    Capture,
    SessionOptions,
    SessionSummary,
    open_camera,
)
from fer_desktop.session_report import SessionReport
from fer_desktop.session_source import TimeBase, frames_to_analyse, reopen_camera
from fer_desktop.settings import Settings
from fer_desktop.sources import (
    Frame,
    FrameSource,
    SourceError,
    VideoSource,
    camera_id,
    open_source,
)
from fer_desktop.state import SessionState, SourceState, StateChanged

__all__ = [  # the messages and options too, for those who drive a session
    "RECONNECT_BACKOFF", "AddMarker", "AddOutput", "CalibrateNeutral", "CameraOpener", "Capture",
    "ChangeSettings", "Command", "Event", "FrameAnalysed", "MarkerPlaced", "OutputEnded",
    "OutputStarted", "Pause", "Problem", "RemoveOutput", "ResetCalibration", "Seek", "Session",
    "SessionOptions", "SessionSummary", "SetRealtime", "StateChanged", "Status", "Together",
    "open_camera",
]  # fmt: skip


class Session:
    """Runs one source through one pipeline into any number of outputs.

    The source is always the session's: a spec ('camera:0', 'demo', a file) it opens when it
    runs, or a source already open; it closes it at the end (and reopens a lost camera with
    `options.open_camera`). The pipeline is the caller's when given (reused from session to
    session, never closed here); `from_settings` makes a session that builds its own. What it
    tells goes through `report` (session_report.py); commands act through the parts
    session_commands.py names; `markers` places markers on its time axis.
    """

    def __init__(
        self,
        source: str | FrameSource,
        pipeline: Pipeline,
        options: SessionOptions | None = None,
        outputs: list[Output] | None = None,
        on_event: Callable[[Event], Any] | None = None,
    ):
        if isinstance(pipeline, Settings):
            raise TypeError("a Session takes a Pipeline: use Session.from_settings for Settings")
        self.source_spec = source if isinstance(source, str) else source.name
        self._source = None if isinstance(source, str) else source
        self._camera: int | str | None = None  # the camera opened from the spec, by id
        self.pipeline: Pipeline | None = pipeline
        self._own_settings: Settings | None = None  # from_settings: built in run(), closed
        self.options = options or SessionOptions()
        self._eyes: AlertMonitor | None = self.options.alerts  # blinks, and live --alert
        self.on_event = on_event or (lambda event: None)
        self.report = SessionReport(
            lambda event: self.on_event(event), lambda: self.last_t, self._summary_extra
        )
        self.markers = SessionMarkers()
        self._pending = list(outputs or [])
        self._commands: queue.Queue[Command] = queue.Queue()
        self._stop = threading.Event()
        self._stop_reason: str | None = None
        self.realtime = self.options.realtime
        self.last_t = 0.0
        self.frames = 0  # frames analysed: the `frame` number, which only goes up
        self._time_base = TimeBase()
        self._seeked = False
        # for a watchdog (`live --health`), read from any thread, with `state`:
        self.ready = threading.Event()  # the outputs are up
        self.finished = threading.Event()  # run() has returned (or raised)

    @classmethod
    def from_settings(
        cls,
        source: str | FrameSource,
        settings: Settings,
        options: SessionOptions | None = None,
        outputs: list[Output] | None = None,
        on_event: Callable[[Event], Any] | None = None,
    ) -> Session:
        """A session with a pipeline of its own, built from `settings` on the session's
        thread when it runs (a model or baseline that cannot load fails `run`) and closed at
        its end."""
        session = cls(source, None, options, outputs, on_event)  # its pipeline: see run()
        session._own_settings = settings
        return session

    # --- any thread ----------------------------------------------------------------------
    def send(self, command: Command) -> None:
        self._commands.put(command)

    def stop(self, reason: str | None = None) -> None:
        """Ask the loop to end; it checks between frames and while waiting. A `reason`
        ("terminated", "interrupted") goes into the end summary as `stopped`."""
        if reason and not self._stop.is_set():
            self._stop_reason = reason
        self._stop.set()
        self._commands.put(Wake())

    def inbound_marker(self, note: str, source: str, t_wall: str | None = None) -> None:
        """A marker from outside the window (a game over WebSocket, an LSL stream), from any
        thread: checked here (MarkerError, one line, for the sender), then placed by the
        session's thread. `t_wall` (ISO 8601 with a time zone) places it in the past, within
        the session; without it, now: stamped here, on arrival, not when the frame loop gets
        to it (a slow frame would make it late)."""
        self.send(AddMarker(note, source, self.markers.stamp(note, t_wall)))

    @property
    def state(self) -> SessionState:
        """What the session is doing, replaced (never changed) on each change."""
        return self.report.state

    @property
    def paused(self) -> bool:
        return self.state.paused

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def source(self) -> FrameSource | None:
        return self._source

    @property
    def outputs(self) -> list[Output]:
        """The outputs running (the session's thread changes it)."""
        return self.report.outputs.running

    # --- the session's thread ------------------------------------------------------------
    def run(self) -> SessionSummary:
        """Analyse until the source ends, `stop()` is called or the reader goes away."""
        t0 = time.perf_counter()
        self.markers.start()
        summary = SessionSummary()
        extra: dict = {}
        try:
            if self._own_settings is not None:
                self.pipeline = Pipeline(self._own_settings)
            if self.pipeline is not None:
                self.report.set_state(settings=self.pipeline.settings)
                self.report.problems(self.pipeline.notices)  # lives without (no iris: no gaze)
            if self._source is None:
                self._source = self._open_first()
            self._start_pending()
            if self._source is not None:  # None: stopped while waiting for the camera
                self._loop()
        except OutputClosed:
            summary.stopped_by_reader = True
        except KeyboardInterrupt:
            extra["interrupted"] = True
            raise
        except Exception as exc:
            self.report.set_state(source=SourceState.FAILED, error=str(exc))
            raise
        finally:
            summary.frames, summary.last_t = self.frames, self.last_t
            summary.elapsed_s = time.perf_counter() - t0
            extra.setdefault("elapsed_s", round(summary.elapsed_s, 3))
            if self._stop_reason:
                extra["stopped"] = self._stop_reason
            summary.extra = extra
            if self._eyes is not None:  # alerts still on end with the session
                for record in self._eyes.close(self.last_t):
                    self.report.record(record)
            self.report.outputs.close_all(extra)
            if self._source is not None:
                self._source.close()
            if self._own_settings is not None and self.pipeline is not None:
                self.pipeline.close()
            self.finished.set()
        return summary

    def info(self) -> SessionInfo:
        p = self.pipeline
        return SessionInfo(
            source=self.source_spec,
            labels=list(p.labels),
            settings=p.describe(),
            fps=getattr(self._source, "fps", None),
            extra={"every": self.options.every},
            name=self.options.name,
            size=getattr(self._source, "size", None),
            place_marker=marker_placer(self),
        )

    def jumped(self) -> None:
        """After a seek: the pacing clock re-anchors, blinks start afresh."""
        self._eyes = self.options.alerts
        self._seeked = True

    def _open_first(self) -> FrameSource | None:
        spec = self.source_spec
        if not (spec.startswith("camera:") or spec.isdigit()):
            return open_source(spec, every=self.options.every)
        self._camera = camera_id(spec)
        self.report.set_state(waiting_since=time.monotonic())  # an open may block
        try:
            source = self._open_camera()
            self.report.set_state(waiting_since=None)
            return source
        except SourceError:
            if self._stop.is_set():  # stopped while a camera was opening
                return None
            if not self.options.wait_for_camera:
                raise
        self._start_pending()  # outputs are up while we wait: "no camera" is not "app down"
        self.report.set_state(source=SourceState.WAITING)
        self.report.status("waiting for the camera")
        source = self._reopen_camera()
        if source is not None:
            self._source = source
            self.report.set_state(source=SourceState.RUNNING)
            self.report.status("camera found", fps=source.fps)
        return source

    def _start_pending(self) -> None:
        for output in self._pending:
            self.report.outputs.add(output, self.info(), fatal=True)
        self._pending = []
        self.ready.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            lost = self._play()
            if self._stop.is_set():
                return
            if lost is not None:
                if not self.options.reconnect:
                    raise SourceError(lost)
                if not self._reconnect(lost):
                    return
                continue
            self.report.set_state(source=SourceState.ENDED)
            self.report.status("source ended")
            if not self.options.hold_at_end or not self._hold():
                return

    def _play(self) -> str | None:
        """Analyse frames until the source ends (None) or a camera is lost (the reason)."""
        source = self._source
        self.report.set_state(source=SourceState.RUNNING)
        wall0, src0 = time.perf_counter(), None
        try:
            frames = frames_to_analyse(
                source, self.options.every, self.options.prefetch, self.pipeline.detect
            )
            for frame, detected in frames:
                t_arrival = time.perf_counter()
                self._drain()
                if self.paused:
                    self._serve(lambda: not self.paused)
                    wall0, src0 = time.perf_counter(), None
                if self._stop.is_set():
                    return None
                if self._seeked:
                    self._seeked, wall0, src0 = False, time.perf_counter(), None
                if self.realtime and not source.live:
                    src0 = frame.t_source if src0 is None else src0
                    delay = (frame.t_source - src0) - (time.perf_counter() - wall0)
                    if delay > 0:
                        self._stop.wait(min(delay, 0.5))
                        t_arrival = time.perf_counter()
                    elif delay < -0.5:  # fell behind: re-anchor the clock
                        wall0, src0 = time.perf_counter(), frame.t_source
                self._analyse(frame, t_arrival, detected)
                if self.options.max_frames and self.frames >= self.options.max_frames:
                    self._stop.set()
                    return None
        except SourceError as exc:
            if self._camera is not None:
                return str(exc)
            raise
        return "camera stream ended" if self._camera is not None else None

    def _analyse(self, frame: Frame, t_arrival: float, detected: Detected | None = None) -> None:
        position = None
        source = self._source
        if isinstance(source, VideoSource) and source.frame_count:
            position = min(1.0, frame.index / max(1, source.frame_count - 1))
        frame = self._time_base.place(frame, self.frames, source.live)
        if detected is not None:
            detected = dataclasses.replace(detected, frame=frame)
        result = self.pipeline.process(frame, detected)
        self.last_t = result.t_source
        self.frames += 1
        self.markers.frame(frame.captured, result.t_source)
        self.report.calibration(self.pipeline.calibration_notices())
        self.report.outputs.frame(result, frame.bgr)
        for record in self._eye_events(result):
            self.report.record(record)
        self.on_event(FrameAnalysed(result, frame.bgr, t_arrival, position))

    def _eye_events(self, result: FrameResult) -> list[dict]:
        """Blink events whenever the face mesh is on, and `live --alert`'s alerts."""
        if self._eyes is None and self.pipeline.meshes is not None:
            self._eyes = AlertMonitor(())  # no alerts asked for: blinks only
        return self._eyes.frame(result) if self._eyes is not None else []

    def _hold(self) -> bool:
        """After the end of a file: serve commands until stop or a seek (True: play on)."""
        return self._serve(lambda: self._seeked)

    # --- cameras ----------------------------------------------------------------------------
    def _reconnect(self, reason: str) -> bool:
        self.report.event("gap", note="camera lost", reason=reason)
        self.report.set_state(source=SourceState.CAMERA_LOST)
        self.report.status("camera lost, reconnecting")
        self._source.close()
        new = self._reopen_camera()
        if new is None:
            return False
        self._source = new
        self.report.event("gap", note="camera back")
        self.report.set_state(source=SourceState.RUNNING)
        self.report.status("camera back")
        return True

    def _open_camera(self) -> FrameSource:
        return self.options.open_camera(self._camera, self.options.capture, self._stop)

    def _reopen_camera(self) -> FrameSource | None:
        self.report.set_state(waiting_since=self.state.waiting_since or time.monotonic())
        backoff = self.options.backoff or RECONNECT_BACKOFF
        camera = reopen_camera(self._open_camera, backoff, self._stop, self._drain)
        if camera is not None:
            self.report.set_state(waiting_since=None)
        return camera

    # --- commands ---------------------------------------------------------------------------
    def _drain(self) -> None:
        """Apply the commands waiting, without waiting for more."""
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            self._apply_or_say(command)

    def _serve(self, done: Callable[[], bool]) -> bool:
        """Apply commands as they come, blocked on the queue between them, until `done()`
        (True) or `stop` (False): paused, or at the end of a file."""
        self._drain()
        while not self._stop.is_set():
            if done():
                return True
            self._apply_or_say(self._commands.get())
        return False

    def _apply_or_say(self, command: Command) -> None:
        """Apply one command; one refused (a model that cannot load…) is a Problem."""
        try:
            apply(command, self)
        except FerDesktopError as exc:
            self.report.problems([str(exc)], command)

    def _summary_extra(self) -> dict:
        return {"settings": self.pipeline.describe()} if self.pipeline else {}
