"""fer-desktop live: headless analysis streamed as JSON lines, to LSL and over WebSocket.

stdout gets a header line, then one "frame" line per analysed frame and "event" lines
(camera lost / back, markers, settings, end); see fer_desktop/results.py. A closed pipe
(`| head`) ends quietly with status 0; `--latest` keeps a slow reader on the newest frame.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.alerts import rig_alerts
from fer_desktop.calibration import CalibrationError
from fer_desktop.commands.health import FrameCounter, HealthMonitor, StreamHealth
from fer_desktop.commands.sd_notify import SystemdNotifier
from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.outputs import Output
from fer_desktop.outputs.handoff import HandOff
from fer_desktop.outputs.retention import Retention
from fer_desktop.outputs.rotation import RotatingRecording
from fer_desktop.outputs.stdout import JsonLinesOutput
from fer_desktop.outputs.websocket import parse_ws_url
from fer_desktop.recording_files import new_stem, recording_outputs, recording_pair
from fer_desktop.rehearsal import FileCamera, LoopedVideo
from fer_desktop.session import CameraOpener, Session, SessionOptions, open_camera
from fer_desktop.session_messages import OutputEnded, OutputStarted, Status
from fer_desktop.settings import Settings
from fer_desktop.sources import FrameSource


@dataclass
class Stream:
    """One source of a `live` run and where its results go."""

    source: str | FrameSource
    name: str
    serve: str | None  # ws://HOST:PORT
    record: Path | None  # a folder


def _streams(args) -> list[Stream]:
    """The sources, each with its own name, WebSocket port and recording folder: with several
    sources, port + k and DIR/NAME; names default to fer_desktop-1, -2, …"""
    specs = args.source or [f"camera:{c}" for c in (args.camera or ["0"])]
    names = args.name or (["fer_desktop"] if len(specs) == 1 else [])
    if len(names) > len(specs):
        raise UsageError(f"{len(names)} names (--name) for {len(specs)} sources")
    names += [f"fer_desktop-{k + 1}" for k in range(len(names), len(specs))]
    if len(set(names)) < len(names):
        raise UsageError(f"two sources with the same stream name: {', '.join(names)}")
    several = len(specs) > 1
    host_port = parse_ws_url(args.serve) if args.serve else None
    streams = []
    for k, (spec, name) in enumerate(zip(specs, names, strict=True)):
        serve = None
        if host_port:
            serve = f"ws://{host_port[0]}:{host_port[1] + k}" if several else args.serve
        record = (args.record / name if several else args.record) if args.record else None
        streams.append(Stream(_source(spec, args), name, serve, record))
    return streams


def _outputs(args, stream: Stream, tag: bool) -> list[Output]:
    """Each output behind its own hand-off: a slow one drops its oldest frames (counted) and
    never holds back the analysis or the others. The recording's timeline and video share
    one, so they stay frame for frame together."""
    if not stream.record and (args.keep_days or args.keep_gb):
        raise UsageError("--keep-days and --keep-gb apply to a recording: add --record DIR")
    outputs: list[Output] = []
    if args.lsl:
        from fer_desktop.outputs.face_slots import Driver
        from fer_desktop.outputs.lsl import LslOutput

        driver = Driver.parse(args.lsl_driver) if args.lsl_driver else None
        outputs.append(HandOff(LslOutput(args.lsl_slots, stream.name, driver)))
    if stream.serve:
        from fer_desktop.outputs.websocket import WebSocketOutput

        server = WebSocketOutput(
            stream.serve,
            allow_origins=args.allow_origin or (),
            token=args.token,
            log=_log,
        )
        outputs.append(HandOff(server))
    if stream.record:
        outputs.append(HandOff(_recording(args, stream.record), depth=64, complete=True))
    if not args.no_stdout:  # last: a busy port or an unwritable folder fails before a header
        lines = JsonLinesOutput(sys.stdout, tag=stream.name if tag else None)
        outputs.append(HandOff(lines, depth=1 if args.latest else 16))
    return outputs


def _log(line: str) -> None:
    """An output's line for the journal (stderr)."""
    print(f"fer-desktop: {line}", file=sys.stderr, flush=True)


def _recording(args, folder: Path) -> list[Output]:
    """The recording's timeline and video, cut into parts when --rotate-* asks for it."""
    retention = Retention(args.keep_days, args.keep_gb)
    if not (args.rotate_minutes or args.rotate_mb):
        if retention != Retention():
            raise UsageError("--keep-days and --keep-gb delete whole parts: add --rotate-minutes")
        return recording_outputs(folder, args.format, video=args.record_video)
    if (args.rotate_minutes or 0) < 0 or (args.rotate_mb or 0) < 0:
        raise UsageError("--rotate-minutes and --rotate-mb must be more than 0")
    return [
        RotatingRecording(
            new_stem(folder),
            lambda stem: recording_pair(stem, args.format, video=args.record_video),
            max_s=args.rotate_minutes * 60 if args.rotate_minutes else None,
            max_bytes=int(args.rotate_mb * 1e6) if args.rotate_mb else None,
            retention=retention,
            log=_log,
        )
    ]


def _stop_on_signals(sessions: list[Session]) -> dict:
    """SIGTERM (systemctl stop) and Ctrl-C end every session cleanly, outputs closed and end
    lines sent; which one came is noted for the exit status (0 for SIGTERM, 130 for Ctrl-C).
    """
    seen: dict = {}

    def stop(signum, _frame) -> None:
        seen["signal"] = signum
        for session in sessions:
            session.stop("interrupted" if signum == signal.SIGINT else "terminated")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return seen


def _say(event) -> None:
    if isinstance(event, OutputStarted) and event.output.name != "stdout":  # where each is
        print(f"fer-desktop: output {event.output.state}", file=sys.stderr, flush=True)
        page = getattr(getattr(event.output, "outputs", [None])[0], "page_url", None)
        if page:
            print(f"fer-desktop: the observer page: {page}", file=sys.stderr, flush=True)
    elif isinstance(event, Status):
        print(f"fer-desktop: {event.text}", file=sys.stderr, flush=True)
    elif isinstance(event, OutputEnded) and event.error:
        print(f"fer-desktop: {event.output.name} stopped: {event.error}", file=sys.stderr)


def _source(spec: str, args) -> str | FrameSource:
    """What a stream reads: a camera, a file, the demo; a file looped or played as a camera."""
    if not (args.loop or args.as_camera):
        return spec
    if spec == "demo" or spec.startswith("camera:"):
        raise UsageError("--loop and --as-camera take a video file: --source FILE")
    if args.as_camera:
        return FileCamera(Path(spec), loop=args.loop)
    return LoopedVideo(Path(spec), every=args.every)


def _capture(text: str, fps: float | None) -> tuple[int, int, float | None]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        width = height = 0
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise UsageError(f"--size {text}: give WIDTHxHEIGHT, e.g. 1280x720")
    if fps is not None and not 0 < fps <= 1000:
        raise UsageError("--fps must be between 0 and 1000")
    return width, height, fps


def _backoff(text: str) -> tuple[float, ...]:
    try:
        waits = tuple(float(v) for v in text.split(","))
    except ValueError:
        waits = ()
    if not waits or any(not 0 <= w <= 600 for w in waits):
        raise UsageError(
            f"--reconnect-backoff {text}: give seconds separated by commas, e.g. 0,0.5,1,2,4"
        )
    return waits


def run(args, settings: Settings, open_camera: CameraOpener = open_camera) -> int:
    """`open_camera`: how 'camera:N' sources are opened (and reopened after an outage)."""
    if args.health < 0:
        raise UsageError("--health must be 0 (off) or a number of seconds")
    if args.save_baseline and not settings.calibrate_s:
        raise UsageError("--save-baseline needs --calibrate SECONDS (how long to collect)")
    alerts = rig_alerts(args, settings)
    streams = _streams(args)
    sessions, healths = [], []
    for stream in streams:
        options = SessionOptions(
            realtime=args.realtime or args.loop,
            every=args.every,
            max_frames=args.max_frames,
            wait_for_camera=args.wait_for_camera,
            name=stream.name,
            backoff=_backoff(args.reconnect_backoff),
            capture=_capture(args.size, args.fps),
            open_camera=open_camera,
            alerts=alerts(),
        )
        frames = FrameCounter()
        outputs = _outputs(args, stream, tag=len(streams) > 1)
        session = Session.from_settings(
            stream.source, settings, options, outputs, on_event=frames.wrap(_say)
        )
        sessions.append(session)
        healths.append(StreamHealth(session, frames))
    if args.lsl and not args.lsl_network:  # after the options' errors, before the outlets
        from fer_desktop.outputs.lsl import EXPOSED

        print(f"fer-desktop: warning: {EXPOSED}", file=sys.stderr, flush=True)
    inlets = _marker_inlets(args, sessions)
    stopped_by = _stop_on_signals(sessions)
    monitor = HealthMonitor(healths, args.health, SystemdNotifier.from_environment())
    monitor.start()
    try:
        summaries = [sessions[0].run()] if len(sessions) == 1 else _run_together(sessions)
    finally:
        monitor.stop()
        for inlet in inlets:
            inlet.close()
    if args.save_baseline:
        baselines = sessions[0].pipeline.baselines()
        if not baselines:
            raise CalibrationError(
                "no face showed a neutral, steady stretch long enough to save a baseline"
            )
        baselines[min(baselines)].save(args.save_baseline)
        print(f"fer-desktop: baseline saved to {args.save_baseline}", file=sys.stderr)
    if any(s is not None and s.stopped_by_reader for s in summaries):  # `| head`: quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if stopped_by.get("signal") == signal.SIGINT:
        print("fer-desktop: interrupted", file=sys.stderr)
        return 130
    failed = sum(s is None for s in summaries)
    return 0 if not failed else (1 if failed < len(summaries) else 2)


def _marker_inlets(args, sessions: list[Session]) -> list:
    """`--marker-inlet NAME`: a game's LSL marker stream, followed into every session."""
    if not args.marker_inlet:
        return []
    from fer_desktop.game_markers import LslMarkerInlet

    def place(note: str, t_wall: str | None) -> None:
        for session in sessions:
            session.inbound_marker(note, "lsl", t_wall)

    inlet = LslMarkerInlet(args.marker_inlet, place, _log)
    inlet.start()
    return [inlet]


def _run_together(sessions: list[Session]) -> list:
    """Several sources at once, each session on a thread of its own. A source that fails is
    named on stderr and the others go on; its summary is None."""
    summaries: list = [None] * len(sessions)

    def run_one(k: int) -> None:
        try:
            summaries[k] = sessions[k].run()
        except FerDesktopError as exc:
            print(f"fer-desktop: error: {sessions[k].options.name}: {exc}", file=sys.stderr)

    threads = [
        threading.Thread(target=run_one, args=(k,), name=s.options.name, daemon=True)
        for k, s in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)  # short waits: signals are handled here, on the main thread
    return summaries
