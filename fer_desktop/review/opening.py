"""Opening a recording for review: its timeline and video, found from either one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fer_desktop.errors import FerDesktopError
from fer_desktop.recording import Recording, read_recording
from fer_desktop.review.errors import ReviewError
from fer_desktop.review.recording_review import Review
from fer_desktop.review.video_reader import VideoReader

TIMELINE_SUFFIXES = (".csv", ".jsonl")


def find_pair(path: Path) -> tuple[Path, Path]:
    """(timeline, video) for a timeline or a video path; the other is looked for beside it."""
    timeline = timeline_of(Path(path))
    if timeline != Path(path):
        return timeline, Path(path)
    return timeline, video_beside(timeline, read_recording(timeline, edits=False).header)


def timeline_of(path: Path) -> Path:
    """The timeline a path names, or the one beside the video it names."""
    if not path.exists():
        raise ReviewError(f"{path}: no such file")
    if path.suffix in TIMELINE_SUFFIXES:
        return path
    timeline = next(
        (path.with_suffix(s) for s in TIMELINE_SUFFIXES if path.with_suffix(s).is_file()), None
    )
    if timeline is None:
        raise ReviewError(
            f"{path}: no timeline beside it: open the timeline that `fer-desktop analyze` wrote"
            f" in its --out folder ({path.stem}.csv or .jsonl), or analyze the video first"
        )
    return timeline


def video_beside(timeline: Path, header: dict) -> Path:
    """The video recorded beside a timeline, else the file it was analysed from."""
    candidates = [timeline.with_suffix(".mkv")]
    if header.get("source_path"):
        candidates.append(Path(header["source_path"]))
    video = next((c for c in candidates if c.is_file()), None)
    if video is None:
        raise ReviewError(
            f"{timeline}: no video found beside it ({timeline.with_suffix('.mkv').name})"
        )
    return video


def video_index(rec: Recording, video_path: Path) -> list[int]:
    """The video frame of each frame row: the k-th for a video recorded beside it, else the
    frame of the original file at the row's t_source (`frame` counts analysed frames, not
    the file's)."""
    if video_path.suffix == ".mkv" and video_path.stem == rec.path.stem:
        return list(range(len(rec.frames)))
    reader = VideoReader(video_path)
    try:
        return [reader.index_near(row["t_source"]) for row in rec.frames]
    finally:
        reader.close()


def open_recording(path: Path) -> Review:
    """Load a recording for review (a timeline or a video path)."""
    path = Path(path)
    timeline_path = timeline_of(path)
    try:
        rec = read_recording(timeline_path)
    except FerDesktopError as exc:  # its sidecar cannot be read
        raise ReviewError(str(exc)) from exc
    video_path = path if timeline_path != path else video_beside(timeline_path, rec.header)
    if not rec.frames:
        raise ReviewError(f"{timeline_path}: holds no analysed frames")
    return Review(
        rec,
        video_path,
        rec.frame_results(),
        video_index(rec, video_path),
        rec.placed_markers(),
        dataclasses.replace(rec.sidecar, markers=None),
    )
