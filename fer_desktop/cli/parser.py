"""The command line: the fer-desktop command, its subcommands and their options."""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_desktop._version import __version__
from fer_desktop.cli.live_options import add_live_options
from fer_desktop.cli.settings_options import add_settings_options
from fer_desktop.command_parser import CommandParser

EPILOG = """exit status: 0 success (for live also a stop by SIGTERM); 1 some input failed (each
named on stderr); 2 cannot start (bad option, missing or corrupt model, unwritable output,
port in use); 3 internal error (a bug); 130 interrupted (Ctrl-C)."""


def build_parser() -> CommandParser:
    """The fer-desktop command line: its global options and one parser per subcommand."""
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
    rp.add_argument(
        "--lanes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="chart one lane per expression (each 0-1) instead of valence; --no-lanes: "
        "valence (default: lanes when the model has more than 3 classes)",
    )

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
    st.add_argument(
        "--measure",
        action="append",
        metavar="NAME",
        help="also lock a measure column to the events (recorded with --mesh): a column or "
        "the start of some (eye_open: both eyes), or 'all'; repeatable",
    )

    pr = sub.add_parser("predict", help="label the faces in images", epilog=EPILOG)
    pr.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    pr.add_argument("--json", action="store_true", help="one JSON object per image")
    pr.add_argument(
        "--no-detect",
        action="store_true",
        help="treat each image as one already-cropped face (like FER2013)",
    )
    add_settings_options(pr)

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
    an.add_argument("--segments", metavar="LENGTH", help="reports: also segments this long (60s)")
    an.add_argument("--quiet", action="store_true", help="no progress bar")
    add_settings_options(an)

    lv = sub.add_parser("live", help="headless: one JSON line per frame on stdout", epilog=EPILOG)
    add_live_options(lv)

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
