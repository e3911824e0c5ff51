"""The saddest and happiest stretches of a recording: where a person's mean valence over a few
seconds is lowest or highest (no Qt; the review window jumps there)."""

from __future__ import annotations

import numpy as np

STRETCH_S = 3.0


def extreme_stretch(
    series: dict[int, tuple[np.ndarray, np.ndarray]], sign: int, seconds: float = STRETCH_S
) -> tuple[float, int, float] | None:
    """(start time, person id, mean valence) of the `seconds` stretch with the highest
    (sign +1) or lowest (sign -1) mean valence of any one person; None without data."""
    best: tuple[float, int, float] | None = None
    for pid, (xs, ys) in series.items():
        keep = np.isfinite(ys)
        xs, ys = np.asarray(xs)[keep], np.asarray(ys)[keep]
        if len(xs) == 0:
            continue
        sums = np.concatenate([[0.0], np.cumsum(ys)])
        ends = np.searchsorted(xs, xs + seconds, side="right")  # each stretch [x_i, x_i + s]
        means = (sums[ends] - sums[np.arange(len(xs))]) / (ends - np.arange(len(xs)))
        i = int(np.argmax(sign * means))
        if best is None or sign * means[i] > sign * best[2]:
            best = (float(xs[i]), pid, float(means[i]))
    return best
