"""An ArgumentParser that keeps what argparse gives back through no public API: the parsers
of its commands and its options (`live --config` checks a file's keys against them)."""

from __future__ import annotations

import argparse
from typing import Any


class CommandParser(argparse.ArgumentParser):
    """`command(name)`: a command's parser. `options`: every option by dest, also those
    added through a group; `repeatable`: the dests of those given with action="append"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.options: dict[str, argparse.Action] = {}  # before: __init__ adds --help
        self.repeatable: set[str] = set()
        self._commands: dict[str, CommandParser] = {}
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return self._keep(super().add_argument(*args, **kwargs), kwargs)

    def add_argument_group(self, *args: Any, **kwargs: Any):
        return self._keeping(super().add_argument_group(*args, **kwargs))

    def add_mutually_exclusive_group(self, **kwargs: Any):
        return self._keeping(super().add_mutually_exclusive_group(**kwargs))

    def add_subparsers(self, **kwargs: Any):
        """The commands' action; each parser it adds is a CommandParser too (argparse makes
        them of the parser's own class) and is found by `command`."""
        commands = super().add_subparsers(**kwargs)
        self._commands = commands.choices  # filled as commands.add_parser adds them
        return commands

    def command(self, name: str) -> CommandParser:
        """The parser of the command `name` (KeyError when there is none)."""
        return self._commands[name]

    def _keep(self, action: argparse.Action, kwargs: dict[str, Any]) -> argparse.Action:
        self.options[action.dest] = action
        if kwargs.get("action") == "append":
            self.repeatable.add(action.dest)
        return action

    def _keeping(self, group):
        """`group`, whose options are kept here as they are added."""
        add = group.add_argument
        group.add_argument = lambda *args, **kwargs: self._keep(add(*args, **kwargs), kwargs)
        return group
