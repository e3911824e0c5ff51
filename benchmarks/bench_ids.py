"""How many ids the tracker gives the people in the test clips, by re-identification window.

A face that leaves the view (or is missed by the detector) for longer than `grace_seconds`
used to come back under a new id. `reid_seconds` remembers it: back at about the same place
and size within that time, it keeps its id. Run: `python -m benchmarks.bench_ids`.

Measured people (counted by eye on frames 5, 30, 50, 70, 90 and 100 drawn with their ids):
the crowd clip shows 11 different faces, at most 8 at once; the talking head one.
"""

from __future__ import annotations

import collections

from benchmarks.common import machine, shared_video
from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import VideoSource

PEOPLE = {"crowd_1080p.mp4": 11, "talking_head_512.mp4": 1}
WINDOWS = (0.0, 1.0, 2.0, 5.0, 10.0)


def ids_in(frames: list, settings: Settings) -> collections.Counter:
    """Frames each id was reported in."""
    counts: collections.Counter = collections.Counter()
    with Pipeline(settings) as pipeline:
        for frame in frames:
            counts.update(face.id for face in pipeline.process(frame).faces)
    return counts


def main() -> None:
    print(machine())
    print(f"{'clip':24} {'people':>6} " + " ".join(f"reid {w:>4}s" for w in WINDOWS))
    for name, people in PEOPLE.items():
        source = VideoSource(shared_video(name))
        frames = list(source)
        source.close()
        counts = [len(ids_in(frames, Settings(reid_seconds=w))) for w in WINDOWS]
        print(f"{name:24} {people:>6} " + " ".join(f"{c:>9}" for c in counts))


if __name__ == "__main__":
    main()
