"""The fer-desktop command: gui (default), review, report, predict, analyze, live and models."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from fer_desktop._version import __version__
from fer_desktop.command_parser import CommandParser

EXIT_OK, EXIT_FAILED_INPUT, EXIT_CANNOT_START, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """exit status: 0 success (for live also a stop by SIGTERM); 1 some input failed (each
named on stderr); 2 cannot start (bad option, missing or corrupt model, unwritable output,
port in use); 3 internal error (a bug); 130 interrupted (Ctrl-C)."""


def _add_settings_options(p: argparse.ArgumentParser) -> None:
    """The analysis options, made from `Settings` (its defaults, ranges and help)."""
    from fer_desktop.settings import DEFAULTS, Settings

    g = p.add_argument_group("analysis")
    for f in Settings.command_line():
        meta = f.metadata
        kind = {"int": int, "float": float}.get(f.type, str)
        g.add_argument(
            meta["flag"],
            dest=f.name,
            type=kind,
            default=getattr(DEFAULTS, f.name),
            choices=meta["choices"],
            metavar=meta["metavar"],
            help=meta["help"],
        )


def build_parser() -> CommandParser:
    p = CommandParser(
        prog="fer-desktop",
        description="Reads faces and shows whether each person looks happy, neutral or sad. "
        "Runs fully offline: no frame leaves this computer, nothing is stored unless asked.",
        epilog=EPILOG,
    )
    p.add_argument("--version", action="version", version=f"fer-desktop {__version__}")
    p.add_argument(
        "--debug", action="store_true", help="show full tracebacks, also for user errors"
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="run the pipeline on built-in inputs and exit (same as `self-test`)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("gui", help="the desktop window (default)", epilog=EPILOG)
    g.add_argument(
        "--source",
        default=None,
        help="demo, camera:N, or a video / image path (default: the file or demo chosen "
        "last time if it is still there, else the webcam, else the demo)",
    )
    g.add_argument("--record", type=Path, metavar="DIR", help="record the timeline into DIR")
    g.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save the window as PNG before exiting (with --exit-after)",
    )
    g.add_argument("--exit-after", type=float, metavar="SECONDS", help="close after SECONDS")

    rv = sub.add_parser(
        "review",
        help="play a recording with its labels, chart, markers and segments",
        epilog=EPILOG,
    )
    rv.add_argument("path", type=Path, help="a recorded timeline (.csv/.jsonl) or its video")
    rv.add_argument("--exit-after", type=float, metavar="SECONDS", help="close after SECONDS")
    rv.add_argument("--screenshot", type=Path, metavar="PNG", help="save the window as PNG")

    rp = sub.add_parser(
        "report",
        help="the report of a recording (markers and names as review left them)",
        epilog=EPILOG,
    )
    rp.add_argument(
        "recording",
        type=Path,
        metavar="RECORDING",
        help="a recording folder (its newest session) or a timeline (.csv/.jsonl)",
    )
    rp.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="the report's .html file (default: <timeline>_report.html beside the timeline)",
    )
    rp.add_argument(
        "--clips",
        type=float,
        metavar="SECONDS",
        help="also one H.264 clip per marker, SECONDS either side, linked from the report",
    )
    rp.add_argument(
        "--import-events",
        type=Path,
        metavar="LOG",
        help="first import a game's event log (a wall-clock time and a note per row, e.g. "
        "t_wall,note) or annotations in video time (a t_source or time column in seconds or "
        "hh:mm:ss.fff; BORIS's or ELAN's export) as markers into the recording's sidecar; "
        "rows that cannot be read are named and left out, and none imported is an error",
    )
    rp.add_argument(
        "--segments",
        metavar="LENGTH",
        help="also segments of a fixed length, back to back from the start (60s, 5m), in the "
        "segment table",
    )
    rp.add_argument("--no-thumbnails", action="store_true", help="no small picture of each face")

    st = sub.add_parser(
        "study",
        help="many recordings as one study: one table, event-locked charts, study.html",
        epilog=EPILOG,
    )
    st.add_argument(
        "folder",
        type=Path,
        metavar="FOLDER",
        help="timelines laid out as PARTICIPANT/SESSION/file, or listed in participants.csv",
    )
    st.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    st.add_argument(
        "--window", type=float, default=5.0, metavar="S", help="seconds either side of an event"
    )
    st.add_argument(
        "--baseline",
        type=float,
        default=2.0,
        metavar="S",
        help="the seconds before an event that each point is measured against",
    )
    st.add_argument(
        "--group-by",
        choices=["settings"],
        help="read recordings made with differing settings per group (else they are refused)",
    )

    pr = sub.add_parser("predict", help="label the faces in images", epilog=EPILOG)
    pr.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    pr.add_argument("--json", action="store_true", help="one JSON object per image")
    pr.add_argument(
        "--no-detect",
        action="store_true",
        help="treat each image as one already-cropped face (like FER2013)",
    )
    _add_settings_options(pr)

    an = sub.add_parser("analyze", help="timeline (and report) for video files", epilog=EPILOG)
    an.add_argument(
        "videos",
        nargs="+",
        type=Path,
        metavar="VIDEO",
        help="video files, folders (every video inside) or quoted globs ('study/**/*.mp4')",
    )
    an.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="videos analysed at once, each in its own process (default: the number of cores)",
    )
    an.add_argument(
        "--force", action="store_true", help="redo videos already finished with these settings"
    )
    an.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="run on a Dask cluster (needs the [cluster] extra; workers read the videos by "
        "path, so use a shared filesystem), or `local` for a LocalCluster of --jobs workers",
    )
    an.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    an.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    an.add_argument(
        "--report", action="store_true", help="also write a report (HTML, with its SVG chart)"
    )
    an.add_argument(
        "--no-thumbnails",
        action="store_true",
        help="reports without the small picture of each face (embedded by default)",
    )
    an.add_argument("--every", type=int, default=1, metavar="N", help="analyse every Nth frame")
    an.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_settings_options(an)

    lv = sub.add_parser("live", help="headless: one JSON line per frame on stdout", epilog=EPILOG)
    src = lv.add_mutually_exclusive_group()
    src.add_argument(
        "--camera",
        action="append",
        metavar="N|PATH",
        help="a camera by index or device path (/dev/video2, /dev/v4l/by-id/…); repeat for "
        "several cameras, each analysed on its own thread as its own stream",
    )
    src.add_argument(
        "--source",
        action="append",
        help="demo, camera:N, camera:/dev/PATH or a video/image path; repeatable",
    )
    lv.add_argument(
        "--config",
        type=Path,
        metavar="TOML",
        help="read the options from a TOML file (keys: these options' long names with _; "
        "settings under [analysis]); options given here win",
    )
    lv.add_argument(
        "--alert",
        metavar="KINDS",
        help="rig alerts as events on every output: drowsy, distracted, yawn, face-lost, "
        "eyes-hidden (comma-separated) or all; all but face-lost need --mesh face or eyes; "
        "thresholds in the config file's [alerts] table",
    )
    lv.add_argument("--every", type=int, default=1, metavar="N", help="analyse every Nth frame")
    lv.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    lv.add_argument(
        "--latest",
        action="store_true",
        help="a slow reader gets the newest frame only (without it, 16 frames wait for a slow "
        "reader before the oldest are dropped); drops are counted in the end line",
    )
    lv.add_argument("--no-stdout", action="store_true", help="write nothing on stdout")
    lv.add_argument(
        "--name",
        action="append",
        help="the stream's name: the LSL stream (and NAME-markers) and every header; one per "
        "source, in order (default fer_desktop; with several sources fer_desktop-1, -2, …)",
    )
    lv.add_argument(
        "--size", metavar="WxH", default="640x480", help="camera capture size (default 640x480)"
    )
    lv.add_argument("--fps", type=float, default=None, help="camera frame rate to ask for")
    lv.add_argument(
        "--lsl",
        action="store_true",
        help="stream to Lab Streaming Layer (needs the [lsl] extra: mne-lsl); liblsl serves "
        "it on every network interface: a firewall keeps it on this machine (see README)",
    )
    lv.add_argument(
        "--lsl-network",
        action="store_true",
        help="the LSL streams are meant for other machines too: no warning that they are "
        "readable from the network",
    )
    lv.add_argument(
        "--lsl-slots",
        type=int,
        default=4,
        metavar="N",
        help="face slots in the LSL stream (default 4); the 'faces' channel counts them all",
    )
    lv.add_argument(
        "--lsl-driver",
        metavar="RULE",
        help="put the driver in LSL slot 1: 'largest' (the largest face) or X,Y,W,H (the "
        "largest face centred in that region, in fractions of the frame, e.g. 0.5,0,0.5,1)",
    )
    lv.add_argument(
        "--serve",
        metavar="ws://HOST:PORT",
        help="serve each frame's JSON over WebSocket (e.g. ws://127.0.0.1:8765; localhost "
        "unless you name another interface)",
    )
    lv.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        help="let browser pages from ORIGIN (e.g. https://lab.example.org) read the WebSocket "
        "stream; pages this program serves are always allowed, others refused (403)",
    )
    lv.add_argument(
        "--token",
        help="the token WebSocket clients must give (?token= or Authorization: Bearer); "
        "without it, one is generated and printed when --serve is not a loopback address",
    )
    lv.add_argument(
        "--marker-inlet",
        metavar="NAME",
        help="follow the LSL marker stream NAME (a game's; string markers): each sample "
        "becomes a marker at the time it was sent (needs the [lsl] extra)",
    )
    lv.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="record the timeline and the analysed video (Matroska) into DIR",
    )
    lv.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="timeline format")
    lv.add_argument(
        "--save-baseline",
        type=Path,
        metavar="FILE",
        help="at the end, save the resting-face baseline of the first calibrated face "
        "(with --calibrate SECONDS)",
    )
    lv.add_argument(
        "--wait-for-camera",
        action="store_true",
        help="keep trying to open the camera at start instead of failing",
    )
    lv.add_argument("--realtime", action="store_true", help="play a video file at its own speed")
    lv.add_argument(
        "--loop", action="store_true", help="start a video file again at its end (rehearsals)"
    )
    lv.add_argument(
        "--as-camera",
        action="store_true",
        help="play a video file as a camera: at its own rate, frames dropped when the "
        "analysis falls behind (rehearse a rig without hardware)",
    )
    lv.add_argument(
        "--reconnect-backoff",
        default="0,0.5,1,2,4",
        metavar="S,S,...",
        help="seconds before each attempt to reopen a lost camera; the last repeats "
        "(default 0,0.5,1,2,4: the first at once)",
    )
    lv.add_argument(
        "--record-video",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --record: also record the analysed video (default); --no-record-video "
        "records the timeline only (no images stored)",
    )
    lv.add_argument(
        "--rotate-minutes",
        type=float,
        metavar="MIN",
        help="with --record: start a new part (timeline + video) every MIN minutes; the cut "
        "falls between two frames, nothing is lost",
    )
    lv.add_argument(
        "--rotate-mb",
        type=float,
        metavar="MB",
        help="with --record: start a new part when the current one reaches MB megabytes",
    )
    lv.add_argument(
        "--keep-days",
        type=float,
        metavar="DAYS",
        help="with --rotate-*: delete recorded parts older than DAYS days (oldest first; "
        "each deletion is logged)",
    )
    lv.add_argument(
        "--keep-gb",
        type=float,
        metavar="GB",
        help="with --rotate-*: delete the oldest recorded parts while DIR's recordings take "
        "more than GB gigabytes",
    )
    lv.add_argument(
        "--health",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="every SECONDS, frames or none, one line per stream on stderr: 'health' and a "
        "JSON object (state, frames per second, faces, seconds since the last frame and "
        "waiting for the camera, each output's state; 0: off)",
    )
    _add_settings_options(lv)

    m = sub.add_parser("models", help="fetch or check the model files", epilog=EPILOG)
    msub = m.add_subparsers(dest="models_command", metavar="ACTION")
    f = msub.add_parser(
        "fetch",
        help="download the face-detector models (mediapipe 0.10.21 "
        "wheel from PyPI) and verify their sha256",
    )
    f.add_argument("--wheel", type=Path, help="use this mediapipe 0.10.21 wheel (offline)")
    f.add_argument("--dest", type=Path, help="install folder (default: models/detector)")
    f.add_argument("--force", action="store_true", help="fetch again even if present")
    msub.add_parser("list", help="show the models and whether they are usable")

    sub.add_parser(
        "self-test",
        help="run the pipeline on the built-in demo and a generated "
        "video; exit 0 when faces are found and labelled",
    )
    return p


def _prepare_environment(command: str) -> None:
    """Native libraries' log levels, and for a window Qt's variables, before they load."""
    from fer_desktop._quiet import quiet_native_logs

    quiet_native_logs()
    if command in ("gui", "review"):
        from fer_desktop.gui import prepare_qt_environment

        prepare_qt_environment()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = "self-test" if args.self_test else (args.command or "gui")
    if command == "gui" and args.command is None:
        args = parser.parse_args(["gui", *(argv if argv is not None else sys.argv[1:])])
    from fer_desktop.errors import FerDesktopError

    handler = COMMANDS[command]
    try:
        _prepare_environment(command)
        if getattr(args, "config", None):  # live --config: the file, then the options
            from fer_desktop.config_file import load

            live = parser.command("live")
            given = {k for k in vars(args) if getattr(args, k) != live.get_default(k)}
            from_file = {k: v for k, v in load(args.config, live).items() if k not in given}
            live.set_defaults(**from_file)  # options on the command line win over the file
            args = parser.parse_args(argv)
        return handler(args)
    except FerDesktopError as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"fer-desktop: error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    except KeyboardInterrupt:
        print("fer-desktop: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug, not the user's mistake: show it
        traceback.print_exc()
        print(
            f"fer-desktop: internal error ({type(exc).__name__}): this is a bug in "
            "fer-desktop; please report it with the traceback above (--debug shows more)",
            file=sys.stderr,
        )
        return EXIT_BUG


def _settings(args):
    """The Settings the options (and a config file) give, validated there: one line naming
    the option."""
    import dataclasses

    from fer_desktop.settings import Settings

    fields = [f.name for f in dataclasses.fields(Settings)]
    return Settings.of(**{name: getattr(args, name) for name in fields if hasattr(args, name)})


def cmd_gui(args) -> int:
    from fer_desktop.gui.app import run

    return run(args)


def cmd_review(args) -> int:
    from fer_desktop.gui.review_window import run

    return run(args)


def cmd_predict(args) -> int:
    from fer_desktop.commands.predict import run

    return run(args, _settings(args))


def cmd_analyze(args) -> int:
    from fer_desktop.commands.analyze import run

    return run(args, _settings(args))


def cmd_live(args) -> int:
    from fer_desktop.commands.live import run

    return run(args, _settings(args))


def cmd_report(args) -> int:
    from fer_desktop.commands.report import run

    return run(args)


def cmd_study(args) -> int:
    from fer_desktop.commands.study import run

    return run(args)


def cmd_models(args) -> int:
    from fer_desktop.commands.models import run

    return run(args)


def cmd_self_test(args) -> int:
    from fer_desktop.commands.self_test import run

    return run(args)


COMMANDS = {
    "gui": cmd_gui,
    "review": cmd_review,
    "predict": cmd_predict,
    "analyze": cmd_analyze,
    "live": cmd_live,
    "report": cmd_report,
    "study": cmd_study,
    "models": cmd_models,
    "self-test": cmd_self_test,
}
