"""The analysis options every analysing command takes, made from `Settings`."""

from __future__ import annotations

import argparse


def add_settings_options(p: argparse.ArgumentParser) -> None:
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
