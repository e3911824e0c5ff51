"""Model A on LiteRT: time per face for the shipped int8 models, one thread."""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import machine, stats
from fer_desktop.classifier import MODEL_FILES, MoodModel


def main() -> None:
    print(f"machine: {machine()}")
    rng = np.random.default_rng(0)
    for name in MODEL_FILES:
        model = MoodModel(name, num_threads=1)
        for batch in (1, 8):
            faces = rng.integers(0, 256, (batch, 48, 48), dtype=np.uint8)
            for _ in range(100):
                model.predict(faces)
            times = []
            for _ in range(2000):
                t0 = time.perf_counter()
                model.predict(faces)
                times.append((time.perf_counter() - t0) * 1e3 / batch)
            print(f"{name} int8, batch {batch}: per face {stats(times)}")


if __name__ == "__main__":
    main()
