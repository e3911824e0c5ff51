"""Where a recording's files go: `session-YYYYmmdd-HHMMSS.{csv|jsonl, mkv}` in a folder.

One stem names every file of a recording (timeline, video, review sidecar); `live --rotate`
adds `-partN` and `outputs/retention.py` finds parts by the same names. The window, `live`
and the tests name recordings only through here.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from fer_desktop.classifier import shipped_labels
from fer_desktop.outputs import Output
from fer_desktop.outputs.video import VideoOutput
from fer_desktop.timeline import open_timeline


def recording_outputs(folder: Path, fmt: str = "csv", video: bool = True) -> list[Output]:
    """A recording: [timeline, video] as `folder`/session-YYYYmmdd-HHMMSS.{csv|jsonl, mkv}.

    The k-th video frame is the k-th "frame" row of the timeline.
    """
    return recording_pair(new_stem(Path(folder)), fmt, video)


def new_stem(folder: Path) -> Path:
    """`folder`/session-YYYYmmdd-HHMMSS, with -2, -3… when a recording of that second exists."""
    base = f"session-{time.strftime('%Y%m%d-%H%M%S')}"
    taken = {p.stem for p in folder.glob(f"{base}*")} if folder.is_dir() else set()

    def free(name: str) -> bool:
        return not any(t == name or t.startswith(f"{name}-part") for t in taken)

    names = itertools.chain([base], (f"{base}-{k}" for k in itertools.count(2)))
    return folder / next(n for n in names if free(n))


def recording_pair(stem: Path, fmt: str = "csv", video: bool = True) -> list[Output]:
    """[timeline, video] at `stem`.{csv|jsonl, mkv} (the video only when asked). The
    timeline has columns for every shipped model's labels: the model can change while it
    records, and the recording goes on."""
    path = stem.with_name(f"{stem.name}.{fmt}")
    timeline = open_timeline(path, fmt, room_for=shipped_labels())
    return [timeline, VideoOutput(stem.with_name(f"{stem.name}.mkv"))] if video else [timeline]
