"""`live --config rig.toml`: everything `live` takes, from one file a rig starts with.

Top-level keys are `live`'s long options with `_` for `-` (`serve`, `lsl`, `name`,
`record`, `reconnect_backoff`…); the `[analysis]` table holds `Settings` fields
(`smoothing`, `model`, `calibrate_s`, …, also those without an option, such as
`reid_seconds`); the `[alerts]` table holds `live --alert`'s thresholds (alerts.Thresholds:
`closed_s`, `perclos`, `yaw_deg`, …). Options given on the command line win over the file. A
key the command does not know, or a value of the wrong type or out of range, is one line
naming the file, the line and the key. Cameras may be numbers (`camera = [0]`), the reconnect
waits a list of seconds (`reconnect_backoff = [0, 0.5, 1]`).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

from fer_desktop.alerts import Thresholds
from fer_desktop.command_parser import CommandParser
from fer_desktop.errors import UsageError
from fer_desktop.settings import Settings

NOT_IN_FILE = {"config", "command", "debug", "self_test", "help"}


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def _where(path: Path, text: str, key: str) -> str:
    line = _line_of(text, key)
    return f"{path}, line {line}" if line else str(path)


def _expected(action: argparse.Action) -> tuple[type, ...]:
    """The TOML types an option accepts."""
    if action.nargs == 0 or isinstance(action, argparse.BooleanOptionalAction):
        return (bool,)
    if action.type is int:
        return (int,)
    if action.type is float:
        return (int, float)
    return (str,)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _natural(key: str, value: Any) -> Any:
    """An option that is text on the command line, from its natural TOML form: a camera
    index as a number, the reconnect waits as a list of seconds."""
    if key == "camera" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if key == "reconnect_backoff" and isinstance(value, list) and all(map(_number, value)):
        return ",".join(map(str, value)) if value else value
    return value


def _check(path: Path, text: str, key: str, value: Any, expected: tuple[type, ...]) -> None:
    ok = isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)
    if not ok:
        names = " or ".join("true/false" if t is bool else t.__name__ for t in expected)
        raise UsageError(
            f"{_where(path, text, key)}: {key} must be {names} (got {type(value).__name__})"
        )


def _alert_thresholds(path: Path, text: str, table: Any) -> dict[str, Any]:
    """The `[alerts]` table (alerts.Thresholds), each value checked on its own, then together."""
    if not isinstance(table, dict):
        raise UsageError(f"{_where(path, text, 'alerts')}: alerts must be an [alerts] table")
    for key, value in table.items():
        try:
            Thresholds.check(key, value)
        except UsageError as exc:
            raise UsageError(f"{_where(path, text, key)}: {exc}") from None
    try:
        Thresholds.of(table)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return table


def load(path: Path, parser: CommandParser) -> dict[str, Any]:
    """The file's values, checked against `parser`'s options and Settings' fields."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--config {path}: not valid TOML: {exc}") from None
    actions = {k: a for k, a in parser.options.items() if k not in NOT_IN_FILE}
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    alerts = data.pop("alerts", None)
    if alerts is not None:
        values["alert_thresholds"] = _alert_thresholds(path, text, alerts)
    analysis = data.pop("analysis", {})
    if not isinstance(analysis, dict):
        raise UsageError(f"{_where(path, text, 'analysis')}: analysis must be a [analysis] table")
    for key, value in data.items():
        action = actions.get(key)
        if key in fields:
            raise UsageError(
                f"{_where(path, text, key)}: {key} is a setting: put it under [analysis]"
            )
        if action is None:
            known = ", ".join(sorted(k for k in actions if k not in fields))
            raise UsageError(
                f"{_where(path, text, key)}: unknown key {key!r} (known keys: {known})"
            )
        if key in parser.repeatable:  # one value or a list
            value = [_natural(key, v) for v in (value if isinstance(value, list) else [value])]
            for item in value:
                _check(path, text, key, item, _expected(action))
            values[key] = value
            continue
        value = _natural(key, value)
        _check(path, text, key, value, _expected(action))
        if action.choices and value not in action.choices:
            raise UsageError(
                f"{_where(path, text, key)}: {key} must be one of "
                f"{', '.join(map(str, action.choices))}"
            )
        values[key] = Path(value) if action.type is Path else value
    for key, value in analysis.items():
        if key not in fields:
            raise UsageError(
                f"{_where(path, text, key)}: unknown setting {key!r} in [analysis] (known: "
                f"{', '.join(sorted(fields))})"
            )
        if fields[key].type in ("int", "float"):
            _check(path, text, key, value, (int,) if fields[key].type == "int" else (int, float))
        try:
            Settings.of(**{key: value})  # in range, on its own
        except UsageError as exc:
            raise UsageError(f"{_where(path, text, key)}: {exc}") from None
        values[key] = value
    try:  # together: rules that tie settings to each other
        Settings.of(**{k: v for k, v in values.items() if k in fields})
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return values
