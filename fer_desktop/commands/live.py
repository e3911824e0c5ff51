"""fer-desktop live: headless analysis streamed as JSON lines, to LSL and over WebSocket.

stdout gets a header line, then one "frame" line per analysed frame and "event" lines
(camera lost / back, markers, settings, end); see fer_desktop/results.py. A closed pipe
(`| head`) ends quietly with status 0; `--latest` keeps a slow reader on the newest frame.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from fer_desktop.calibration import CalibrationError
from fer_desktop.errors import UsageError
from fer_desktop.outputs import Output
from fer_desktop.outputs.handoff import HandOff
from fer_desktop.outputs.stdout import JsonLinesOutput
from fer_desktop.rehearsal import FileCamera, LoopedVideo
from fer_desktop.session import (
    FrameAnalysed,
    OutputEnded,
    OutputStarted,
    Session,
    SessionOptions,
    Status,
)
from fer_desktop.settings import Settings
from fer_desktop.sources import FrameSource


def _outputs(args) -> list[Output]:
    """Each output behind its own hand-off: a slow one drops its oldest frames (counted) and
    never holds back the analysis or the others. The recording's timeline and video share
    one, so they stay frame for frame together."""
    outputs: list[Output] = []
    if not args.no_stdout:
        outputs.append(HandOff(JsonLinesOutput(sys.stdout), depth=1 if args.latest else 16))
    if args.lsl:
        from fer_desktop.outputs.lsl import LslOutput

        outputs.append(HandOff(LslOutput(name=args.name)))
    if args.serve:
        from fer_desktop.outputs.websocket import WebSocketOutput

        outputs.append(HandOff(WebSocketOutput(args.serve)))
    if args.record:
        from fer_desktop.session import recording_outputs

        recording = recording_outputs(args.record, args.format, video=args.record_video)
        outputs.append(HandOff(recording, depth=64))
    return outputs


def _stop_on_signals(session: Session) -> dict:
    """SIGTERM (systemctl stop) and Ctrl-C end the session cleanly, outputs closed and end
    lines sent; which one came is noted for the exit status (0 for SIGTERM, 130 for Ctrl-C).
    """
    seen: dict = {}

    def stop(signum, _frame) -> None:
        seen["signal"] = signum
        session.stop("interrupted" if signum == signal.SIGINT else "terminated")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return seen


def _say(event) -> None:
    if isinstance(event, OutputStarted) and event.output.name != "stdout":  # where each is
        print(f"fer-desktop: output {event.output.state}", file=sys.stderr, flush=True)
    elif isinstance(event, Status):
        print(f"fer-desktop: {event.text}", file=sys.stderr, flush=True)
    elif isinstance(event, OutputEnded) and event.error:
        print(f"fer-desktop: {event.output.name} stopped: {event.error}", file=sys.stderr)


def _source(args) -> str | FrameSource:
    """What `live` reads: a camera, a file, the demo; a file looped or played as a camera."""
    spec = args.source if args.source is not None else f"camera:{args.camera or 0}"
    if not (args.loop or args.as_camera):
        return spec
    if spec == "demo" or spec.startswith("camera:"):
        raise UsageError("--loop and --as-camera take a video file: --source FILE")
    if args.as_camera:
        return FileCamera(Path(spec), loop=args.loop)
    return LoopedVideo(Path(spec), every=args.every)


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


def run(args, settings: Settings) -> int:
    if args.health < 0:
        raise UsageError("--health must be 0 (off) or a number of seconds")
    options = SessionOptions(
        realtime=args.realtime or args.loop,
        every=args.every,
        max_frames=args.max_frames,
        wait_for_camera=args.wait_for_camera,
        name=args.name,
        backoff=_backoff(args.reconnect_backoff),
    )
    if args.save_baseline and not settings.calibrate_s:
        raise UsageError("--save-baseline needs --calibrate SECONDS (how long to collect)")
    health = Health(args.health)
    session = Session(_source(args), settings, options, _outputs(args), on_event=health.wrap(_say))
    health.session = session
    stopped_by = _stop_on_signals(session)
    summary = session.run()
    if args.save_baseline:
        baselines = session.pipeline.calibrator().baselines()
        if not baselines:
            raise CalibrationError("no face was seen long enough to save a baseline")
        baselines[min(baselines)].save(args.save_baseline)
        print(f"fer-desktop: baseline saved to {args.save_baseline}", file=sys.stderr)
    if summary.stopped_by_reader:  # `| head`: stop quietly, and keep Python's exit quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if stopped_by.get("signal") == signal.SIGINT:
        print("fer-desktop: interrupted", file=sys.stderr)
        return 130
    return 0


class Health:
    """`--health SECONDS`: one line on stderr every SECONDS saying the session is alive and
    how each output is doing (a dashboard's watchdog can read it)."""

    def __init__(self, every_s: float):
        self.every_s = every_s
        self.session: Session | None = None
        self._frames = self._faces = 0
        self._last = time.monotonic()

    def wrap(self, on_event):
        def handle(event) -> None:
            if isinstance(event, FrameAnalysed):
                self._frames += 1
                self._faces = len(event.result.faces)
                if self.every_s and time.monotonic() - self._last >= self.every_s:
                    self.report()
            else:
                on_event(event)

        return handle

    def report(self) -> None:
        now = time.monotonic()
        fps = self._frames / max(now - self._last, 1e-6)
        outputs = "; ".join(o.state for o in self.session.outputs) if self.session else ""
        source_drops = getattr(self.session.source if self.session else None, "dropped", None)
        behind = f", {source_drops} source frames dropped" if source_drops else ""
        print(
            f"fer-desktop: health: {fps:.1f} frames/s{behind}, {self._faces} faces, outputs: "
            f"{outputs or 'none'}",
            file=sys.stderr,
            flush=True,
        )
        self._frames, self._last = 0, now
