"""The one frame loop: source -> pipeline -> outputs, for the window, `live` and `analyze`.

A `Session` owns pacing (a file's own speed, or as fast as possible), pause and seek, the
reconnect policy for a lost camera, markers and setting changes. Other threads steer it with
typed commands (`send`); markers from outside (a game over WebSocket, an LSL stream) come
through `inbound_marker`, which checks them for the sender (marker_time.py places them). It
reports what happens through one callback of typed events (commands and events are in
session_messages.py); what it is doing (the source's state, paused, outputs, calibration,
settings) is one frozen `SessionState` (state.py), sent as a `StateChanged` event whenever a
field changes. It runs in whichever thread calls `run`: the main thread for the command line,
a QThread for the window (gui/worker.py moves its events onto queued Qt signals). No Qt here.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from fer_desktop.alerts import AlertMonitor
from fer_desktop.errors import FerDesktopError
from fer_desktop.marker_time import MarkerError, WallHistory, check_note, check_wall
from fer_desktop.outputs import Output, OutputClosed, SessionInfo
from fer_desktop.pipeline import CALIBRATION_FIELDS, Detected, Pipeline
from fer_desktop.results import FrameResult, event_record, iso_time
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
from fer_desktop.session_outputs import SessionOutputs
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
from fer_desktop.timeaxis import wall_seconds

__all__ = [  # the messages and options too, for those who drive a session
    "RECONNECT_BACKOFF", "AddMarker", "AddOutput", "CalibrateNeutral", "CameraOpener", "Capture",
    "ChangeSettings", "Command", "Event", "FrameAnalysed", "MarkerPlaced", "OutputEnded",
    "OutputStarted", "Pause", "Problem", "RemoveOutput", "ResetCalibration", "Seek", "Session",
    "SessionOptions", "SessionSummary", "SetRealtime", "Status", "Together", "open_camera",
]  # fmt: skip


class Session:
    """Runs one source through one pipeline into any number of outputs.

    The source is always the session's: a spec ('camera:0', 'demo', a file) it opens when it
    runs, or a source already open; it closes it at the end (and reopens a lost camera with
    `options.open_camera`). The pipeline is the caller's when given (reused from session to
    session, never closed here); `from_settings` makes a session that builds its own.
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
        self._outputs = SessionOutputs(
            lambda event: self.on_event(event),
            lambda names: self._set_state(outputs=names),
            self._summary_extra,
        )
        self._pending = list(outputs or [])
        self._commands: queue.Queue[Command] = queue.Queue()
        self._stop = threading.Event()
        self._stop_reason: str | None = None
        self.state = SessionState()  # replaced (never changed) by _set_state; any thread reads
        self.realtime = self.options.realtime
        self.last_t = 0.0
        self.frames = 0  # frames analysed: the `frame` number, which only goes up
        self._time_base = TimeBase()
        self._seeked = False
        self._started: float | None = None  # time.time() when run() began
        self._walls = WallHistory()
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
        check_note(note)
        if t_wall is not None:
            t_wall = iso_time(check_wall(t_wall, self._started, time.time()))
        elif self._started is not None:  # before the start: placed on the first frame
            t_wall = iso_time()
        self.send(AddMarker(note, source, t_wall))

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
        return self._outputs.running

    # --- the session's thread ------------------------------------------------------------
    def run(self) -> SessionSummary:
        """Analyse until the source ends, `stop()` is called or the reader goes away."""
        t0 = time.perf_counter()
        self._started = time.time()
        summary = SessionSummary()
        extra: dict = {}
        try:
            if self._own_settings is not None:
                self.pipeline = Pipeline(self._own_settings)
            if self.pipeline is not None:
                self._set_state(settings=self.pipeline.settings)
                self._pipeline_notices()
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
            self._set_state(source=SourceState.FAILED, error=str(exc))
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
                    self._outputs.event(record)
            self._outputs.close_all(extra)
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
            place_marker=_marker_placer(self),
        )

    def _open_first(self) -> FrameSource | None:
        spec = self.source_spec
        if not (spec.startswith("camera:") or spec.isdigit()):
            return open_source(spec, every=self.options.every)
        self._camera = camera_id(spec)
        self._set_state(waiting_since=time.monotonic())  # an open may block
        try:
            source = self._open_camera()
            self._set_state(waiting_since=None)
            return source
        except SourceError:
            if self._stop.is_set():  # stopped while a camera was opening
                return None
            if not self.options.wait_for_camera:
                raise
        self._start_pending()  # outputs are up while we wait: "no camera" is not "app down"
        self._set_state(source=SourceState.WAITING)
        self._status("waiting for the camera")
        source = self._reopen_camera()
        if source is not None:
            self._source = source
            self._set_state(source=SourceState.RUNNING)
            self._status("camera found", fps=source.fps)
        return source

    def _start_pending(self) -> None:
        for output in self._pending:
            self._outputs.add(output, self.info(), fatal=True)
        self._pending = []
        self.ready.set()

    def _set_state(self, **changes) -> None:
        """Replace the state; its owner hears of it only when a field really changed."""
        state, changed = self.state.changed(**changes)
        if changed:
            self.state = state
            self.on_event(StateChanged(state, changed))

    def _status(self, text: str, **fields) -> None:
        """A line for people (stderr, the status bar) and a "status" event for every output,
        with the source's state for programs (`state`: SourceState's value, never the text
        to parse); `fields` go into the event (the camera found at last: its `fps`)."""
        self.on_event(Status(text))
        self._emit_event("status", note=text, state=self.state.source.value, **fields)

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
            self._set_state(source=SourceState.ENDED)
            self._status("source ended")
            if not self.options.hold_at_end or not self._hold():
                return

    def _play(self) -> str | None:
        """Analyse frames until the source ends (None) or a camera is lost (the reason)."""
        source = self._source
        self._set_state(source=SourceState.RUNNING)
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
        self._walls.add(frame.captured, result.t_source)
        self._calibration_notices()
        self._outputs.frame(result, frame.bgr)
        for record in self._eye_events(result):
            self._outputs.event(record)
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
        self._emit_event("gap", note="camera lost", reason=reason)
        self._set_state(source=SourceState.CAMERA_LOST)
        self._status("camera lost, reconnecting")
        self._source.close()
        new = self._reopen_camera()
        if new is None:
            return False
        self._source = new
        self._emit_event("gap", note="camera back")
        self._set_state(source=SourceState.RUNNING)
        self._status("camera back")
        return True

    def _open_camera(self) -> FrameSource:
        return self.options.open_camera(self._camera, self.options.capture, self._stop)

    def _reopen_camera(self) -> FrameSource | None:
        self._set_state(waiting_since=self.state.waiting_since or time.monotonic())
        backoff = self.options.backoff or RECONNECT_BACKOFF
        camera = reopen_camera(self._open_camera, backoff, self._stop, self._drain)
        if camera is not None:
            self._set_state(waiting_since=None)
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
            self._apply(command)
        except FerDesktopError as exc:
            self.on_event(Problem(str(exc), command))

    def _pipeline_notices(self) -> None:
        """What the pipeline lives without (the iris model missing: no gaze), one Problem
        each: the user must read it, and the session goes on."""
        for notice in self.pipeline.notices:
            self.on_event(Problem(notice))

    def _apply(self, command: Command) -> None:
        p = self.pipeline
        match command:
            case Together(commands):
                for each in commands:
                    self._apply(each)
            case Pause(paused):
                if paused != self.paused and self._source is not None and self._source.live:
                    # a camera's time runs on while paused: the hole is marked like an outage
                    self._emit_event("gap", note="paused" if paused else "resumed")
                self._set_state(paused=paused)
            case SetRealtime(realtime):
                self.realtime = realtime
            case Seek(position) if isinstance(self._source, VideoSource):
                source = self._source
                if source.frame_count:
                    target = round(min(max(position, 0.0), 1.0) * (source.frame_count - 1))
                    source.seek(target)
                    p.seeked()  # the same people keep their ids
                    self._eyes = self.options.alerts  # blinks start afresh after a jump
                    self._emit_event("seek", to_t_source=round(target / source.fps, 4))
                    self._seeked = True
            case AddMarker(note, source, t_wall):
                self._marker(note, source, t_wall)
            case ChangeSettings(settings):
                labels = p.labels
                changed = p.apply(settings)
                if changed:
                    if p.labels != labels:
                        changed["labels"] = p.labels
                    self._setting(**changed)
                    forgot = changed.keys() & {"model", *CALIBRATION_FIELDS}  # a new calibrator
                    calibration = {} if forgot else self.state.calibration
                    self._set_state(settings=p.settings, calibration=calibration)
                    if "mesh" in changed:
                        self._pipeline_notices()
                if p.labels != labels:
                    self._outputs.relabel(p.labels)
            case CalibrateNeutral(seconds):
                ids = p.calibrate(seconds, self.last_t)
                if not ids:
                    self.on_event(Status("calibration: no face in view"))
                self._setting(calibrate_neutral_s=seconds, faces=ids)
                self._calibration_notices()
            case ResetCalibration():
                p.reset_calibration()
                self._emit_event("calibration", state="reset", face_id=None)
                self._set_state(calibration={})
                self.on_event(Status("calibration reset: every face reads raw until calibrated"))
            case AddOutput(output):
                self._outputs.add(output, self.info())
            case RemoveOutput(output):
                self._outputs.remove(output)

    def _calibration_notices(self) -> None:
        """Each face's changes of calibration state: a "calibration" event, a Status and the
        state's `calibration`."""
        notices = self.pipeline.calibration_notices()
        if notices:
            faces = {**self.state.calibration, **{n.face_id: n.state for n in notices}}
            self._set_state(calibration=faces)
        for notice in notices:
            record = event_record(
                "calibration", notice.t, state=notice.state, face_id=notice.face_id,
                **notice.fields,
            )  # fmt: skip
            self._outputs.event(record)
            self.on_event(Status(notice.text))

    def _marker(self, note: str, source: str, t_wall: str | None) -> None:
        """A "marker" event; one with a past `t_wall` gets the t_source of that moment (the
        frame analysed just before it, plus the time since, within a second)."""
        record = event_record("marker", self.last_t, note=note, source=source)
        when = wall_seconds(t_wall)
        running = not (self.paused or self.state.at_end)
        t_source = None if when is None else self._walls.t_source_at(when, running)
        if t_source is not None:
            record["t_source"] = t_source
            record["t_wall"] = t_wall
        self._outputs.event(record)
        self.on_event(MarkerPlaced(record))

    def _setting(self, **changes) -> None:
        self._emit_event("setting", **changes)

    def _emit_event(self, kind: str, **fields) -> None:
        record = event_record(kind, self.last_t, **fields)
        self._outputs.event(record)

    def _summary_extra(self) -> dict:
        return {"settings": self.pipeline.describe()} if self.pipeline else {}


def _marker_placer(session: Session) -> Callable[[str, str, str | None], None]:
    """`session.inbound_marker` for its outputs, without keeping the session alive: an
    output kept after the session (a recording's parts, a lasting server) must not hold its
    pipeline and source, and their threads, with it."""
    ref = weakref.ref(session)

    def place(note: str, source: str, t_wall: str | None = None) -> None:
        live = ref()
        if live is None:
            raise MarkerError("the session has ended")
        live.inbound_marker(note, source, t_wall)

    return place
