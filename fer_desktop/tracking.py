"""Stable face ids across frames, probability smoothing and label hysteresis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fer_desktop.calibration import Baseline, Calibration, calibrate
from fer_desktop.results import Box, TrackedFace, valence


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


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
    smooth: np.ndarray
    label_index: int
    last_seen: float
    hits: int = 1
    velocity: tuple[float, float] = (0.0, 0.0)  # centre motion, pixels per second
    calibrate_until: float = -1.0  # collecting the resting face until this time
    resting: list = field(default_factory=list)  # raw probabilities while collecting
    baseline: np.ndarray | None = None  # mean log-probabilities of this face at rest


class Tracker:
    """Greedy nearest-centre matching with a grace period, EMA smoothing and label hysteresis.

    A face matches a track when its centre lies within `max_shift` face sizes of where the
    track was heading (its last centre moved by its velocity) and its size is within
    `max_scale` of the track's. Centre distance, unlike box overlap, keeps the id of a face
    that comes towards the camera fast or whose detected box changes size from one frame to
    the next (both common in crowds, where boxes come from overlapping tiles).

    smoothing: 0 = no smoothing, 0.9 = very smooth (weight of the previous value).
    hysteresis: how far (in probability) a new label must lead the current one to take over.
    grace: seconds a face may go unseen before its id is dropped.
    min_hits: frames a new face must be seen in before it is reported (filters one-frame false
    detections); the faces of the first frame after a reset are reported at once.
    """

    def __init__(
        self,
        labels: list[str],
        smoothing: float = 0.6,
        hysteresis: float = 0.1,
        grace: float = 1.0,
        min_hits: int = 1,
        calibration: Calibration | None = None,
        max_shift: float = 0.75,
        max_scale: float = 2.2,
    ):
        self.labels = list(labels)
        self.calibration = calibration
        self.smoothing = smoothing
        self.hysteresis = hysteresis
        self.grace = grace
        self.max_shift = max_shift
        self.max_scale = max_scale
        self.min_hits = min_hits
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._fresh = True

    def reset(self, labels: list[str] | None = None, restart_ids: bool = False) -> None:
        """Forget every track (after a seek, a new frame size or a model change).

        Ids keep counting up, so one recording never reuses an id; `restart_ids` starts again
        from 1 (a new video).
        """
        if labels is not None:
            self.labels = list(labels)
        self._tracks.clear()
        self._fresh = True
        if restart_ids:
            self._next_id = 1

    @property
    def active_ids(self) -> list[int]:
        return [t.id for t in self._tracks]

    def calibrate_now(self, t: float, seconds: float, ids: list[int] | None = None) -> None:
        """Collect the next `seconds` of these faces (all in view by default) as their rest."""
        for track in self._tracks:
            if ids is None or track.id in ids:
                track.calibrate_until, track.resting = t + seconds, []

    def baselines(self) -> dict[int, Baseline]:
        """The baselines of the faces in view that have one."""
        return {
            tr.id: Baseline(self.labels, tr.baseline, len(tr.resting))
            for tr in self._tracks
            if tr.baseline is not None
        }

    def _calibrated(self, track: _Track, p: np.ndarray, t: float) -> np.ndarray | None:
        """This face's calibrated probabilities, or None while it has no baseline."""
        cal = self.calibration
        if cal is None:
            return None
        if t < track.calibrate_until:
            track.resting.append(p)
        elif track.resting and track.calibrate_until >= 0:
            track.baseline = Baseline.of(self.labels, np.stack(track.resting)).log_probs
            track.calibrate_until = -1.0
        baseline = track.baseline
        if baseline is None and cal.baseline is not None:
            baseline = cal.baseline.log_probs
        return None if baseline is None else calibrate(p, baseline, cal.reference)

    def _match(self, boxes: list[Box], t: float) -> dict[int, _Track]:
        """Box index -> its track, closest pairs first, each track and box used once."""
        pairs = []
        for ti, tr in enumerate(self._tracks):
            dt = t - tr.last_seen
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
        out = []
        for bi, box in enumerate(boxes):
            p = np.asarray(probs[bi], dtype=np.float32)
            track = track_for.get(bi)
            new = track is None
            if track is None:
                track = _Track(self._next_id, box, p.copy(), int(p.argmax()), t)
                if self.calibration is not None and self.calibration.seconds > 0:
                    track.calibrate_until = t + self.calibration.seconds
                self._next_id += 1
                self._tracks.append(track)
            cal = self._calibrated(track, p, t)
            shown = p if cal is None else cal  # labels follow the calibrated values
            if new:
                track.smooth = shown.copy()
                track.label_index = int(shown.argmax())
            else:
                s = self.smoothing
                track.smooth = s * track.smooth + (1.0 - s) * shown
                self._follow(track, box, t)
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
                    self.labels[track.label_index],
                    valence(track.smooth, self.labels),
                    cal,
                )
            )
        self._tracks = [tr for tr in self._tracks if t - tr.last_seen <= self.grace]
        self._fresh = False
        return out
