"""The options of `fer-desktop live`: sources, outputs, recording, serving and health."""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_desktop.cli.settings_options import add_settings_options


def add_live_options(lv: argparse.ArgumentParser) -> None:
    """`live`'s options, on its parser."""
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
    add_settings_options(lv)
