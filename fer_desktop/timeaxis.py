"""The recording time of a timeline: one time axis that only goes up, for review and reports.

`t_source` is the file's own time, so a seek in the window makes it jump back or forward
(and logs a `seek` event with `to_t_source`); for a camera it is the capture clock, which
runs on through a pause or an outage. Review needs an axis that only goes up, and we chose
**the stretches of source time laid end to end, from 0 at the recording's first frame**:
the recording time is `t_source` minus the first frame's until the first seek, and after
each seek the new stretch starts one frame step after the last frame before it. So:

- one clock per recording: a recording started 15 s into its source, or into a session,
  starts at 0, as the window's REC badge does; `t_source` stays beside it (markers and
  sidecars keep the source time and are placed by it);
- a recording of a whole file without a seek keeps its `t_source` exactly;
- time jumps that are real (a camera gap, a paused camera, frames the source skipped) keep
  their length, and a file paused in the window skipped nothing of it, so nothing is added;
- the axis follows the content, not the wall clock: an `analyze` timeline, read faster than
  real time, and a recording played at the file's own speed give the same axis.

Wall-clock time (`t_wall`) only decides which frame a seek or a marker event came before,
as it is taken for both in the order they happen. A seek takes effect one frame late (the
frame already read is analysed first), so the stretch starts at the first frame after the
event whose `t_source` is the seek's target. A line of the chart must not join two frames
across a seek or a gap (`breaks`).

A leaf module (numpy only), so that the report can use it too.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

MIN_GAP_S = 0.25  # a step this long, and 3 typical steps, is a gap: no line across it


def wall_seconds(t_wall: str | None) -> float | None:
    """An ISO 8601 `t_wall` as seconds since the epoch (None when it is not one)."""
    try:
        return datetime.fromisoformat(t_wall).timestamp() if t_wall else None
    except (TypeError, ValueError):
        return None


@dataclass
class TimeAxis:
    """Per frame row, in file order: the recording time and where lines must break."""

    t: np.ndarray  # recording time (s) from 0 at the first frame, strictly increasing
    t_source: np.ndarray  # the rows' own t_source
    frame: np.ndarray  # the rows' `frame` numbers
    piece: np.ndarray  # which stretch of source time (0 until the first seek, then 1…)
    breaks: np.ndarray  # breaks[k]: no line joins frame k-1 to frame k (a seek or a gap)
    step: float  # the typical time between two analysed frames
    walls: list[float | None]  # t_wall as epoch seconds

    @property
    def seek_starts(self) -> list[int]:
        """The frames where a stretch after a seek begins."""
        return [int(k) for k in np.flatnonzero(np.diff(self.piece)) + 1]

    def broken(self, k1: int, k2: int) -> bool:
        """True when a line from frame k1 to frame k2 would cross a seek or a gap."""
        return bool(self.breaks[k1 + 1 : k2 + 1].any()) or self.t[k2] - self.t[k1] > self.gap

    @property
    def gap(self) -> float:
        """A step longer than this is a gap."""
        return max(3 * self.step, MIN_GAP_S)

    def index_of_frame(self, frame: int) -> int | None:
        """The first row with this `frame` number, or None."""
        i = int(self.rows_of_frames([frame])[0])
        return None if i < 0 else i

    def rows_of_frames(self, frames: Sequence[int] | np.ndarray) -> np.ndarray:
        """The row of each `frame` number (-1 where there is none); numbers that only go up
        (schema 2) are looked up by bisection, older files' repeated ones by first use."""
        frames = np.asarray(frames, dtype=int)
        if not len(self.frame):
            return np.full(len(frames), -1)
        if np.all(np.diff(self.frame) > 0):
            i = np.minimum(np.searchsorted(self.frame, frames), len(self.frame) - 1)
            return np.where(self.frame[i] == frames, i, -1)
        first: dict[int, int] = {}
        for k, f in enumerate(self.frame.tolist()):
            first.setdefault(f, k)
        return np.array([first.get(int(f), -1) for f in frames], dtype=int)

    def times_of_frames(self, frames: Sequence[int] | np.ndarray) -> np.ndarray:
        """The recording time of each `frame` number (NaN where there is none): for a
        timeline's face rows, `axis.times_of_frames([r["frame"] for r in faces])`."""
        rows = self.rows_of_frames(frames)
        padded = np.append(self.t, np.nan)  # row -1 reads the NaN
        return padded[np.where(rows >= 0, rows, len(self.t))]

    def index_at(self, t: float) -> int:
        """The last frame at or before recording time `t` (clamped)."""
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        return min(max(i, 0), len(self.t) - 1)

    def place(self, t_source: float, t_wall: str | None = None, frame: int | None = None) -> int:
        """The frame an event belongs to: by its `frame` number when it has one, else the
        frame just before its `t_wall` (or the one after, when that one's t_source fits
        better), else the frame at or before its t_source in the first stretch holding it."""
        if frame is not None and (k := self.index_of_frame(frame)) is not None:
            return k
        wall = wall_seconds(t_wall)
        if wall is not None and all(w is not None for w in self.walls):
            k = max(bisect.bisect_right(self.walls, wall) - 1, 0)
            near = [j for j in (k, k + 1) if j < len(self.t)]
            return min(near, key=lambda j: abs(self.t_source[j] - t_source))
        return self._first_stretch_with(t_source)

    def _first_stretch_with(self, t_source: float) -> int:
        """The frame at or before `t_source` in the first stretch that holds it."""
        s, eps = self.t_source, 1e-6
        ends = np.append(self.piece[1:] != self.piece[:-1], True)  # last frame of a stretch
        after = np.append(s[1:], np.inf)
        within = np.where(ends, t_source < s + self.step - eps, after > t_source + eps)
        hits = np.flatnonzero((s <= t_source + eps) & within)
        return int(hits[0]) if len(hits) else int(np.argmin(np.abs(s - t_source)))

    def time_of(
        self, t_source: float, t_wall: str | None = None, frame: int | None = None
    ) -> float:
        """An event's recording time: its frame's, moved by how far its t_source is from
        that frame's (within one step)."""
        k = self.place(t_source, t_wall, frame)
        offset = min(max(t_source - self.t_source[k], 0.0), self.step)
        return float(self.t[k] + offset)


def typical_step(t_source: np.ndarray) -> float:
    steps = np.diff(t_source)
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 1.0 / 30


def _seek_starts(
    t_source: np.ndarray, walls: list[float | None], seeks: list[dict], step: float
) -> set[int]:
    """The first frame of each stretch that a logged seek began."""
    starts = set()
    if any(w is None for w in walls):
        return starts
    for seek in seeks:
        wall, target = wall_seconds(seek.get("t_wall")), seek.get("to_t_source")
        if wall is None or target is None:
            continue
        k = bisect.bisect_left(walls, wall)
        for j in range(max(k, 1), min(k + 3, len(t_source))):
            if abs(t_source[j] - target) <= 1.5 * step:
                starts.add(j)
                break
    return starts


def time_axis(frames: list[dict], seeks: list[dict] | None = None) -> TimeAxis:
    """The recording time of a timeline's frame rows (`read_timeline(path)["frames"]`, in
    file order) given its seek events (`["seeks"]`)."""
    src = np.array([float(f["t_source"]) for f in frames], dtype=float)
    walls = [wall_seconds(f.get("t_wall")) for f in frames]
    step = typical_step(src)
    starts = _seek_starts(src, walls, seeks or [], step)
    n = len(src)
    t, piece, breaks = np.zeros(n), np.zeros(n, dtype=int), np.zeros(n, dtype=bool)
    for k in range(n):
        if k == 0:
            continue  # the recording starts at 0
        d = src[k] - src[k - 1]
        new_piece = k in starts or d <= 0  # time went back: a seek, logged or not
        piece[k] = piece[k - 1] + new_piece
        t[k] = t[k - 1] + (step if new_piece else d)
        breaks[k] = new_piece or d > max(3 * step, MIN_GAP_S)
    frame_numbers = np.array([int(f["frame"]) for f in frames], dtype=int)
    t = np.round(t, 6)  # sums of steps: no float noise in what is shown and saved
    return TimeAxis(t, src, frame_numbers, piece, breaks, step, walls)
