"""The fer-desktop command: gui (default), review, report, predict, analyze, live and models.

One idea per module:
- `parser`: the command line and its subcommands;
- `live_options`: `live`'s many options;
- `settings_options`: the analysis options, made from `Settings`;
- `handlers`: what each subcommand runs;
- `running`: `main`: parse, prepare, run, and the exit status.
"""

from fer_desktop.cli.handlers import COMMANDS
from fer_desktop.cli.parser import build_parser
from fer_desktop.cli.running import (
    EXIT_BUG,
    EXIT_CANNOT_START,
    EXIT_FAILED_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    main,
)

__all__ = [
    "COMMANDS",
    "EXIT_BUG",
    "EXIT_CANNOT_START",
    "EXIT_FAILED_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "build_parser",
    "main",
]
