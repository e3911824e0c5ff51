"""The face mesh's cost per face, one thread: the mesh alone, with the iris model, the
measures, and what following a face from its last landmarks saves against detecting it on
every frame (the talking-head clip, 512x512, one face). Prints medians and the machine's load.
Run: `python -m benchmarks.bench_mesh`.
"""

from __future__ import annotations

import time

import av

from benchmarks.common import SHARED_VIDEOS, machine, stats
from fer_desktop.detector import FaceDetector
from fer_desktop.measures import measure
from fer_desktop.mesh import FaceMesh, MeshTracker, roi_from_detection


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t0) * 1e3, out


def main() -> None:
    print(f"machine: {machine()}")
    path = SHARED_VIDEOS / "talking_head_512.mp4"
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    detector = FaceDetector("short")
    with_iris, face_only = FaceMesh(iris=True), FaceMesh(iris=False)
    rows: dict[str, list[float]] = {k: [] for k in ("detect", "mesh", "mesh+iris", "measures")}
    for bgr in frames * 3:
        ms, faces = timed(detector.detect, bgr, None)
        rows["detect"].append(ms)
        roi = roi_from_detection(faces[0])
        rows["mesh"].append(timed(face_only.run, bgr, roi)[0])
        ms, found = timed(with_iris.run, bgr, roi)
        rows["mesh+iris"].append(ms)
        rows["measures"].append(timed(measure, found.points, found.iris.centres)[0])
    for name, values in rows.items():
        print(f"{name:<28} per face {stats(values)}")

    for label, mesh in (("tracked mesh", face_only), ("tracked mesh+iris", with_iris)):
        tracker, times, detections = MeshTracker(mesh), [], 0
        for bgr in frames * 3:
            t0 = time.perf_counter()
            found = None
            if tracker.lost:
                detections += 1
                found = detector.detect(bgr, None)[0]
            tracker.update(bgr, found)
            times.append((time.perf_counter() - t0) * 1e3)
        print(f"{label:<28} per frame {stats(times)}   detector ran {detections}x")
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
