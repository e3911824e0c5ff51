"""Model A on LiteRT: time per face for the shipped int8 models, one thread; and per face
with mirror averaging (the face and its mirror in one batch of two, averaged as
`training.mirror_study` scored it: issue #33's budget is 1.0 ms per face, mirror included).
Run: `python -m benchmarks.bench_classifier`."""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import machine, stats
from fer_desktop.classifier import MODEL_FILES, MoodModel
from training.mirror_study import mirrored


def _per_face(predict, faces: np.ndarray, runs: int = 2000) -> list[float]:
    for _ in range(100):
        predict(faces)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        predict(faces)
        times.append((time.perf_counter() - t0) * 1e3 / len(faces))
    return times


def main() -> None:
    print(f"machine: {machine()}")
    rng = np.random.default_rng(0)
    for name in MODEL_FILES:
        model = MoodModel(name, num_threads=1)
        for batch in (1, 8):
            faces = rng.integers(0, 256, (batch, 48, 48), dtype=np.uint8)
            print(f"{name} int8, batch {batch}: per face {stats(_per_face(model.predict, faces))}")
        face = rng.integers(0, 256, (1, 48, 48), dtype=np.uint8)
        mirror = stats(_per_face(mirrored(model.predict), face))
        print(f"{name} int8, one face and its mirror: per face {mirror}")
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
