"""What a video file says about itself beyond its pixels: whether it was cut short, and how
it is meant to be shown (the display matrix a phone writes instead of turning its pixels).

Every reader of a file (`sources.VideoSource` for analysis and the window, `review.VideoReader`
for review, clips and thumbnails) shows frames through `upright`, so boxes, crops and
pictures all share one orientation: the one a video player shows.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

# A file whose frames end this much before its container's duration was cut short. Not less:
# container durations count audio tracks, which often run past the last frame by up to a
# second, and edit lists and rounding move the end by a frame or two.
TRUNCATION_SLACK_S = 1.0
TRUNCATION_SLACK_FRAMES = 3
ISO_BOX_TYPES = {b"ftyp", b"free", b"skip", b"wide", b"mdat", b"moov", b"pnot", b"uuid"}

# A counter-clockwise turn (PyAV's `VideoFrame.rotation`, from the display matrix) -> the
# OpenCV rotation that undoes the stored orientation.
TURNS = {
    90: cv2.ROTATE_90_COUNTERCLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_CLOCKWISE,
}


def ends_early(read_s: float, duration_s: float | None, fps: float) -> bool:
    """Frames ran out before the container's duration, by more than the slack above."""
    if not duration_s:
        return False
    slack = max(TRUNCATION_SLACK_S, TRUNCATION_SLACK_FRAMES / fps)
    return read_s < duration_s - slack


def missing_index(path: Path) -> bool:
    """An MP4 / MOV (ISO base media file) with frame data but no index ("moov" box): what a
    recorder leaves when it is stopped or a copy is cut before the index, written last, is
    there. Reads only the top-level box headers."""
    seen: set[bytes] = set()
    with open(path, "rb") as fh:
        size_left = fh.seek(0, 2)
        offset = 0
        while size_left >= 8:
            fh.seek(offset)
            head = fh.read(16)
            size, kind = int.from_bytes(head[:4], "big"), head[4:8]
            if not seen and kind not in ISO_BOX_TYPES:
                return False  # not an ISO base media file
            seen.add(kind)
            if size == 1 and len(head) == 16:
                size = int.from_bytes(head[8:16], "big")
            if size == 0 or size < 8 or size > size_left:
                break  # runs to (or past) the end of the file
            offset, size_left = offset + size, size_left - size
    return b"mdat" in seen and b"moov" not in seen


def turn(rotation: float) -> int:
    """A display rotation in degrees (any sign, as PyAV gives it) as 0, 90, 180 or 270
    counter-clockwise; phones write only quarter turns, so others round to the nearest."""
    return round(rotation / 90) % 4 * 90


def upright(bgr: np.ndarray, rotation: float) -> np.ndarray:
    """A decoded picture turned as its display matrix says (`rotation`: PyAV's
    `VideoFrame.rotation`); the picture itself when there is nothing to turn. Mirroring in
    the matrix (rare outside screen captures) is not applied."""
    quarter = turn(rotation)
    return cv2.rotate(bgr, TURNS[quarter]) if quarter else bgr


class NoVideoStream(ValueError):
    """The file opens but holds no picture; the message says what it holds."""


def video_stream(container, path: Path):
    """The container's first video stream; NoVideoStream saying what the file holds instead
    ("no video stream (audio only)") when it has none."""
    if container.streams.video:
        return container.streams.video[0]
    kinds = sorted({s.type for s in container.streams})
    held = f" ({', '.join(kinds)} only)" if kinds else ""
    raise NoVideoStream(f"{path}: no video stream{held}")
