"""Timelines written by the app's own writers from readings a test chooses: the input of the
unit tests of reading a timeline back and of the figures a report gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fer_desktop.outputs import SessionInfo
from fer_desktop.results import Box, FrameResult, TrackedFace, iso_time, valence
from fer_desktop.settings import Settings
from fer_desktop.timeline import TimelineWriter, open_timeline

LABELS = ["happy", "neutral", "sad"]
T0 = 1_796_000_000.0  # epoch seconds of t_source 0 (a December 2026 afternoon)


def face(face_id: int, label: str, box: Box = (200.0, 120.0, 96.0, 96.0)) -> TrackedFace:
    """A face read as `label` with p 0.8 (0.1 for each other label)."""
    probs = np.where(np.array(LABELS) == label, 0.8, 0.1)
    return TrackedFace(face_id, box, 0.9, probs, probs, label, valence(probs, LABELS))


def write_timeline(
    path: Path, steps: list[tuple[float, list[TrackedFace]] | dict], meta: dict | None = None
) -> Path:
    """A closed timeline at `path` (CSV, or JSONL by its suffix): each step is a frame
    (t_source, faces) or an event record, in order."""
    return written(open_timeline(path, path.suffix.lstrip("."), meta), steps).path


def written(
    writer: TimelineWriter, steps: list[tuple[float, list[TrackedFace]] | dict]
) -> TimelineWriter:
    """`writer` started, given each step (see `write_timeline`) and closed."""
    path = writer.path
    writer.start(SessionInfo(path.stem, LABELS, Settings().as_dict()))
    index = 0
    for step in steps:
        if isinstance(step, dict):
            writer.event(step)
            continue
        t, faces = step
        writer.frame(FrameResult(index, t, iso_time(T0 + t), 640, 480, LABELS, faces))
        index += 1
    writer.close()
    return writer


def readings(face_id: int, label: str, start: float, stop: float, step: float) -> list:
    """Frames from `start` until before `stop`, every `step` s, with this one face."""
    count = round((stop - start) / step)
    return [(round(start + k * step, 4), [face(face_id, label)]) for k in range(count)]
