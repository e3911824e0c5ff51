"""Stable face ids across frames, probability smoothing and label hysteresis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_desktop.calibration import Calibrator, Reading
from fer_desktop.results import Box, TrackedFace, valence

STALE_S = 0.2  # a track unseen this long may also be matched where it was last seen
MAX_SMOOTHING = 0.99  # at 1 the first reading would stay forever


def _top(p: np.ndarray) -> int:
    """The most likely label's index (0 without labels: `--model none`)."""
    return int(p.argmax()) if p.size else 0


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _checked(name: str, value: float, lo: float, hi: float = np.inf, kind: type = float):
    """`value` as `kind` when it is such a number from `lo` to `hi`; ValueError naming it."""
    number = not isinstance(value, bool) and isinstance(value, int if kind is int else int | float)
    if not number or not lo <= value <= hi:
        raise ValueError(f"Tracker: {name} must be a number from {lo:g} to {hi:g} (got {value!r})")
    return kind(value)


def _center(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2.0, box[1] + box[3] / 2.0


def shift(a: Box, b: Box, moved: tuple[float, float] = (0.0, 0.0)) -> float:
    """How far b's centre lies from a's (moved by `moved`), in units of their mean size."""
    (ax, ay), (bx, by) = _center(a), _center(b)
    size = (a[2] + a[3] + b[2] + b[3]) / 4.0
    return float(np.hypot(bx - ax - moved[0], by - ay - moved[1]) / size) if size > 0 else np.inf


def scale_ratio(a: Box, b: Box) -> float:
    """The larger box's width over the smaller's (1.0 = same size)."""
    small, large = sorted((a[2], b[2]))
    return large / small if small > 0 else np.inf


@dataclass
class _Track:
    id: int
    box: Box
    smooth: np.ndarray | None  # None after a model change: starts again from the next frame
    label_index: int
    last_seen: float
    hits: int = 1
    velocity: tuple[float, float] = (0.0, 0.0)  # centre motion, pixels per second


class Tracker:
    """Greedy nearest-centre matching with a grace period, EMA smoothing and label hysteresis.

    A face matches a track when its centre lies within `max_shift` face sizes of where the
    track was heading (its last centre moved by its velocity) and its size is within
    `max_scale` of the track's. Centre distance, unlike box overlap, keeps the id of a face
    that comes towards the camera fast or whose detected box changes size from one frame to
    the next (both common in crowds, where boxes come from overlapping tiles).

    smoothing: 0 = no smoothing, 0.9 = very smooth (weight of the previous value).
    hysteresis: how far (in probability) a new label must lead the current one to take over.
    grace: seconds a face may go unseen before it leaves the view.
    reid: seconds a face that left is remembered: a face that appears where it was, at about
    its size, within that time gets its id back (`reid_shift`, `reid_scale` say how close).
    A seek or a pause remembers the faces in view the same way, whatever the time.
    min_hits: frames a new face must be seen in before it is reported (filters one-frame false
    detections); the faces of the first frame after a reset are reported at once.
    calibrator: reads each face against its own resting face (None: raw values only).
    Every argument is checked here (ValueError naming it); `configure` changes the ones a
    setting change may change, the tracks kept.
    """

    def __init__(
        self,
        labels: list[str],
        smoothing: float = 0.6,
        hysteresis: float = 0.1,
        grace: float = 1.0,
        min_hits: int = 1,
        calibrator: Calibrator | None = None,
        max_shift: float = 0.75,
        max_scale: float = 2.2,
        reid: float = 0.0,
        reid_shift: float = 1.0,
        reid_scale: float = 1.5,
    ):
        self.labels = list(labels)
        self.max_shift = _checked("max_shift", max_shift, 0.0)
        self.max_scale = _checked("max_scale", max_scale, 1.0)
        self.reid_shift = _checked("reid_shift", reid_shift, 0.0)
        self.reid_scale = _checked("reid_scale", reid_scale, 1.0)
        self.configure(
            calibrator=calibrator, smoothing=smoothing, hysteresis=hysteresis, grace=grace,
            min_hits=min_hits, reid=reid,
        )  # fmt: skip
        self._tracks: list[_Track] = []
        self._lost: list[_Track] = []  # faces that left, newest last, for re-identification
        self._next_id = 1
        self._fresh = True
        self._rebase = False  # the next frame restarts the clock of the remembered faces

    def configure(
        self,
        *,
        calibrator: Calibrator | None,
        smoothing: float,
        hysteresis: float,
        grace: float,
        min_hits: int,
        reid: float,
    ) -> None:
        """Take new settings, all checked first (ValueError naming a bad one, and nothing
        changes); the tracks and their ids stay."""
        checked = (
            _checked("smoothing", smoothing, 0.0, MAX_SMOOTHING),
            _checked("hysteresis", hysteresis, 0.0, 1.0),
            _checked("grace", grace, 0.0),
            _checked("min_hits", min_hits, 1, kind=int),
            _checked("reid", reid, 0.0),
        )
        self.smoothing, self.hysteresis, self.grace, self.min_hits, self.reid = checked
        self.calibrator = calibrator

    def reset(self, restart_ids: bool = False, remember: bool = False) -> None:
        """Forget the tracks (after a new frame size or a new video).

        Ids keep counting up, so one recording never reuses an id; `restart_ids` starts again
        from 1 (a new video). `remember` (a seek) keeps the faces in view for
        re-identification: the same person at the same place gets the same id back.
        """
        if remember:
            self._lost = [*self._lost, *self._tracks]
            self._rebase = True
        else:
            self._lost.clear()
        self._tracks.clear()
        self._fresh = True
        if restart_ids:
            self._next_id = 1

    def relabel(self, labels: list[str]) -> None:
        """A new model's labels: faces keep their ids; smoothing starts again on each."""
        self.labels = list(labels)
        for track in (*self._tracks, *self._lost):
            track.smooth, track.label_index = None, 0

    @property
    def active_ids(self) -> list[int]:
        return [t.id for t in self._tracks]

    def _match(self, boxes: list[Box], t: float) -> dict[int, _Track]:
        """Box index -> its recently seen track, closest pairs first, each used once."""
        pairs = []
        for ti, tr in enumerate(self._tracks):
            dt = t - tr.last_seen
            if dt > STALE_S:
                continue  # unseen a while: `_rematch` decides, more strictly
            moved = (tr.velocity[0] * dt, tr.velocity[1] * dt)
            for bi, box in enumerate(boxes):
                d = shift(tr.box, box, moved)
                if d <= self.max_shift and scale_ratio(tr.box, box) <= self.max_scale:
                    pairs.append((d, ti, bi))
        track_for: dict[int, _Track] = {}
        used: set[int] = set()
        for _, ti, bi in sorted(pairs):
            if ti not in used and bi not in track_for:
                used.add(ti)
                track_for[bi] = self._tracks[ti]
        return track_for

    def _rematch(self, boxes: list[Box], taken: dict[int, _Track], t: float) -> None:
        """Second chance for the boxes no track took: a face that was missed for a while, or
        that left and came back (within `reid` seconds), at about the place and size where
        it was last seen. Recently seen tracks have had their pick first."""
        if self._rebase:  # after a seek: the remembered faces' clock restarts now
            for track in self._lost:
                track.last_seen = t
            self._rebase = False
        self._lost = [tr for tr in self._lost if t - tr.last_seen <= self.reid]
        busy = {id(tr) for tr in taken.values()}
        stale = [tr for tr in self._tracks if id(tr) not in busy and t - tr.last_seen > STALE_S]
        candidates = stale + self._lost
        pairs = [
            (shift(tr.box, box), ci, bi)
            for ci, tr in enumerate(candidates)
            for bi, box in enumerate(boxes)
            if bi not in taken
            and shift(tr.box, box) <= self.reid_shift
            and scale_ratio(tr.box, box) <= self.reid_scale
        ]
        used: set[int] = set()
        for _, ci, bi in sorted(pairs):
            if ci in used or bi in taken:
                continue
            used.add(ci)
            track = candidates[ci]
            if ci >= len(stale):  # back from the remembered ones
                self._lost.remove(track)
                self._tracks.append(track)
            # seen again: a known face at its own place is no one-frame false alarm
            track.box, track.last_seen, track.velocity = boxes[bi], t, (0.0, 0.0)
            track.hits += 1
            taken[bi] = track

    @staticmethod
    def _follow(track: _Track, box: Box, t: float) -> None:
        """Move a track to its new box and update its velocity (smoothed, per second)."""
        dt = t - track.last_seen
        if dt > 0:
            (ax, ay), (bx, by) = _center(track.box), _center(box)
            v = ((bx - ax) / dt, (by - ay) / dt)
            k = 0.5 if track.hits > 1 else 1.0
            track.velocity = tuple(
                k * n + (1 - k) * o for n, o in zip(v, track.velocity, strict=True)
            )
        track.box, track.last_seen, track.hits = box, t, track.hits + 1

    def update(
        self, boxes: list[Box], scores: list[float], probs: np.ndarray, t: float
    ) -> list[TrackedFace]:
        """Match this frame's faces to tracks; return the confirmed ones, in input order."""
        track_for = self._match(boxes, t)
        fresh = set(track_for)
        self._rematch(boxes, track_for, t)
        out = []
        for bi, box in enumerate(boxes):
            p = np.asarray(probs[bi], dtype=np.float32)
            track = track_for.get(bi)
            new = bi not in fresh  # a new face, or one back after a while: smoothing restarts
            if track is None:
                track = _Track(self._next_id, box, p.copy(), _top(p), t)
                self._next_id += 1
                self._tracks.append(track)
            calibrator = self.calibrator
            reading = Reading(None) if calibrator is None else calibrator.read(track.id, p, t)
            cal = reading.probs
            if reading.switched:  # raw <-> calibrated: smoothing starts again, never mixes them
                track.smooth = None
            shown = p if cal is None else cal  # labels follow the calibrated values
            if not new:
                self._follow(track, box, t)
            if track.smooth is None or new:
                track.smooth = shown.copy()
                track.label_index = _top(shown)
            elif self.labels:  # `--model none`: no labels to smooth or choose
                s = self.smoothing
                track.smooth = s * track.smooth + (1.0 - s) * shown
                best = int(track.smooth.argmax())
                lead = track.smooth[best] - track.smooth[track.label_index]
                # Hysteresis keeps a label while it stays plausible; a label below an even
                # share (under 50% of two) gives way at once, so label and number agree.
                fallen = track.smooth[track.label_index] < 1.0 / len(self.labels)
                if best != track.label_index and (lead >= self.hysteresis or fallen):
                    track.label_index = best
            if track.hits < self.min_hits and not self._fresh:
                continue  # tentative until seen again
            out.append(
                TrackedFace(
                    track.id,
                    box,
                    float(scores[bi]),
                    p,
                    track.smooth.copy(),
                    self.labels[track.label_index] if self.labels else "",
                    valence(track.smooth, self.labels),
                    cal,
                    reading.state,
                )
            )
        gone = [tr for tr in self._tracks if t - tr.last_seen > self.grace]
        if gone:
            self._tracks = [tr for tr in self._tracks if t - tr.last_seen <= self.grace]
            self._lost += gone
        self._fresh = False
        return out
