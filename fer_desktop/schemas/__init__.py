"""The JSON Schemas of what fer_desktop writes: `stream.schema.json` (stdout, WebSocket, LSL
markers) and `timeline.schema.json` (JSONL timelines). Shipped in the package, so a consumer
can validate against the schema of the version it talks to."""

from __future__ import annotations

import json
from importlib import resources


def load(name: str) -> dict:
    """A schema by name: "stream" or "timeline"."""
    return json.loads(resources.files(__package__).joinpath(f"{name}.schema.json").read_text())
