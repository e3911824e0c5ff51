"""fer-desktop live: headless analysis streamed as JSON lines, to LSL and over WebSocket.

stdout gets a header line, then one "frame" line per analysed frame and "event" lines
(camera lost / back, markers, settings, end); see fer_desktop/results.py. A closed pipe
(`| head`) ends quietly with status 0; `--latest` keeps a slow reader on the newest frame.
"""

from __future__ import annotations

import os
import signal
import sys

from fer_desktop.calibration import CalibrationError
from fer_desktop.errors import UsageError
from fer_desktop.outputs import Output
from fer_desktop.outputs.handoff import HandOff
from fer_desktop.outputs.stdout import JsonLinesOutput
from fer_desktop.session import OutputEnded, OutputStarted, Session, SessionOptions, Status
from fer_desktop.settings import Settings


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

        outputs.append(HandOff(recording_outputs(args.record, args.format), depth=64))
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


def run(args, settings: Settings) -> int:
    spec = args.source if args.source is not None else f"camera:{args.camera or 0}"
    options = SessionOptions(
        realtime=args.realtime,
        every=args.every,
        max_frames=args.max_frames,
        wait_for_camera=args.wait_for_camera,
        name=args.name,
    )
    if args.save_baseline and not settings.calibrate_s:
        raise UsageError("--save-baseline needs --calibrate SECONDS (how long to collect)")
    session = Session(spec, settings, options, _outputs(args), on_event=_say)
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
