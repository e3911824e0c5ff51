"""CommandParser keeps a parser's commands and options (argparse has no public API for them),
also those added through a group, which `live --config` checks a file against."""

from __future__ import annotations

import pytest

from fer_desktop.cli import build_parser
from fer_desktop.command_parser import CommandParser


def test_options_of_a_parser_its_groups_and_its_commands_are_kept():
    parser = CommandParser(prog="rig")
    parser.add_argument("--every", type=int, default=1)
    sources = parser.add_mutually_exclusive_group()
    sources.add_argument("--camera", action="append")
    sources.add_argument("--source")
    parser.add_argument_group("analysis").add_argument("--smoothing", type=float)
    commands = parser.add_subparsers(dest="command")
    live = commands.add_parser("live")
    live.add_argument("--name", action="append")
    assert sorted(parser.options) == ["camera", "every", "help", "smoothing", "source"]
    assert parser.options["every"].type is int and parser.repeatable == {"camera"}
    assert parser.command("live") is live and isinstance(live, CommandParser)
    assert sorted(live.options) == ["help", "name"] and live.repeatable == {"name"}
    with pytest.raises(KeyError):
        parser.command("nothere")
    args = parser.parse_args(["--camera", "0", "--camera", "1", "live", "--name", "a"])
    assert (args.camera, args.every, args.name) == (["0", "1"], 1, ["a"])  # parses as before
    with pytest.raises(SystemExit):
        parser.parse_args(["--camera", "0", "--source", "demo"])  # still exclusive


def test_the_live_command_keeps_every_option_a_config_file_may_hold():
    live = build_parser().command("live")
    assert {"camera", "source", "name", "allow_origin"} == live.repeatable
    assert {"config", "serve", "lsl", "record_video", "smoothing", "calibrate_s"} <= set(
        live.options
    )
