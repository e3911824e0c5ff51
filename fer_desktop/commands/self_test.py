"""fer-desktop self-test: the whole pipeline on the built-in demo and on a generated video."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from fer_desktop.errors import FerDesktopError
from fer_desktop.pipeline import Pipeline
from fer_desktop.settings import Settings
from fer_desktop.sources import DemoSource, VideoSource


def write_demo_video(path: Path, seconds: float = 2.0, fps: float = 15.0) -> Path:
    """An MJPEG .avi of the demo source, written with PyAV (as recordings are)."""
    import av

    demo = DemoSource(fps=fps, duration=seconds, realtime=False)
    try:
        with av.open(str(path), "w") as container:
            stream = container.add_stream("mjpeg", rate=round(fps))
            stream.width, stream.height = demo.size
            stream.pix_fmt = "yuvj420p"
            for frame in demo:
                picture = av.VideoFrame.from_ndarray(frame.bgr, format="bgr24")
                container.mux(stream.encode(picture))
            container.mux(stream.encode(None))
    except (OSError, av.FFmpegError) as exc:
        raise FerDesktopError(f"cannot write {path}: {exc}") from exc
    return path


def run(args) -> int:
    t0 = time.perf_counter()
    checks: list[tuple[str, bool, str]] = []
    with Pipeline(Settings()) as pipeline:
        first_label_s = None
        demo = DemoSource(duration=1.0, realtime=False)
        results = [pipeline.process(f) for f in demo]
        labelled = [r for r in results if r.faces and r.faces[0].label in pipeline.labels]
        if labelled:
            first_label_s = time.perf_counter() - t0
        checks.append(
            (
                "demo frames: faces found and labelled",
                len(labelled) == len(results),
                f"{len(labelled)}/{len(results)}",
            )
        )
        with tempfile.TemporaryDirectory() as tmp:
            video = write_demo_video(Path(tmp) / "self_test.avi")
            pipeline.reset(restart_ids=True)  # a new video: its face is face 1
            with VideoSource(video) as src:
                vids = [pipeline.process(f) for f in src]
        ids = {f.id for r in vids for f in r.faces}
        ok = bool(vids) and all(r.faces for r in vids) and len(ids) == 1
        checks.append(
            (
                "generated video: one stable face id in every frame",
                ok,
                f"{len(vids)} frames, ids {sorted(ids)}",
            )
        )
        label_counts: dict[str, int] = {}
        for r in results + vids:
            for f in r.faces:
                label_counts[f.label] = label_counts.get(f.label, 0) + 1
    for name, passed, detail in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {name} ({detail})")
    print(
        f"labels: {label_counts}; model {pipeline.model.name}; "
        f"first labelled frame after {first_label_s or 0:.2f} s; "
        f"total {time.perf_counter() - t0:.2f} s"
    )
    return 0 if all(p for _, p, _ in checks) else 1
