"""Running the fer-desktop command: parse, prepare, run a handler, and one exit status."""

from __future__ import annotations

import sys
import traceback

from fer_desktop.cli.handlers import COMMANDS
from fer_desktop.cli.parser import build_parser

EXIT_OK, EXIT_FAILED_INPUT, EXIT_CANNOT_START, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _prepare_environment(command: str) -> None:
    """Native libraries' log levels, and for a window Qt's variables, before they load."""
    from fer_desktop._quiet import quiet_native_logs

    quiet_native_logs()
    if command in ("gui", "review"):
        from fer_desktop.gui import prepare_qt_environment

        prepare_qt_environment()


def main(argv: list[str] | None = None) -> int:
    """Run the fer-desktop command (argv, else the process's own); return its exit status."""
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
