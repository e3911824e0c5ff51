"""fer-desktop live: headless analysis streamed as JSON lines, to LSL and over WebSocket.

stdout gets a header line, then one "frame" line per analysed frame and "event" lines
(camera lost / back, markers, settings, end); see fer_desktop/results.py. A closed pipe
(`| head`) ends quietly with status 0; `--latest` keeps a slow reader on the newest frame.
"""

from __future__ import annotations

import os
import sys

from fer_desktop.calibration import CalibrationError
from fer_desktop.commands import install_stop_signals
from fer_desktop.errors import UsageError
from fer_desktop.outputs import Output
from fer_desktop.outputs.stdout import JsonLinesOutput
from fer_desktop.session import OutputEnded, Session, SessionOptions, Status
from fer_desktop.settings import Settings


def _outputs(args) -> list[Output]:
    outputs: list[Output] = []
    if not args.no_stdout:
        outputs.append(JsonLinesOutput(sys.stdout, latest=args.latest))
    if args.lsl:
        from fer_desktop.outputs.lsl import LslOutput

        outputs.append(LslOutput())
    if args.serve:
        from fer_desktop.outputs.websocket import WebSocketOutput

        outputs.append(WebSocketOutput(args.serve))
    if args.record:
        from fer_desktop.session import recording_outputs

        outputs += recording_outputs(args.record, args.format)
    return outputs


def _say(event) -> None:
    if isinstance(event, Status):
        print(f"fer-desktop: {event.text}", file=sys.stderr, flush=True)
    elif isinstance(event, OutputEnded) and event.error:
        print(f"fer-desktop: {event.output.name} stopped: {event.error}", file=sys.stderr)


def run(args, settings: Settings) -> int:
    install_stop_signals()
    spec = args.source if args.source is not None else f"camera:{args.camera or 0}"
    options = SessionOptions(
        realtime=args.realtime,
        every=args.every,
        max_frames=args.max_frames,
        wait_for_camera=args.wait_for_camera,
    )
    session = Session(spec, settings, options, _outputs(args), on_event=_say)
    if args.save_baseline and not settings.calibrate_s:
        raise UsageError("--save-baseline needs --calibrate SECONDS (how long to collect)")
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
    return 0
