"""A recording: a timeline and, beside it, the analysed video, named after the start time."""

from __future__ import annotations

import time
from pathlib import Path

from fer_desktop.outputs import Output
from fer_desktop.outputs.video import VideoOutput
from fer_desktop.timeline import TimelineWriter, open_timeline


def recording_outputs(folder: Path, fmt: str = "csv", video: bool = True) -> list[Output]:
    """[timeline, video] for `folder`/session-YYYYmmdd-HHMMSS.{csv|jsonl, mkv}."""
    stem = Path(folder) / f"session-{time.strftime('%Y%m%d-%H%M%S')}"
    timeline: TimelineWriter = open_timeline(stem.with_suffix(f".{fmt}"), fmt)
    return [timeline, VideoOutput(stem.with_suffix(".mkv"))] if video else [timeline]
