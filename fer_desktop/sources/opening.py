"""A source from what the user typed: demo, camera:N, an image, a folder or a video file."""

from __future__ import annotations

import threading
from pathlib import Path

from fer_desktop.sources.camera import CameraSource, camera_id
from fer_desktop.sources.demo import DemoSource
from fer_desktop.sources.frames import FrameSource
from fer_desktop.sources.images import IMAGE_SUFFIXES, FolderSource, ImageSource
from fer_desktop.sources.video import VideoSource


def open_source(
    spec: str,
    every: int = 1,
    realtime_demo: bool = True,
    capture: tuple[int, int, float | None] | None = None,
    stop: threading.Event | None = None,
) -> FrameSource:
    """'demo', 'camera:N' (or a bare integer) or 'camera:/dev/PATH', an image, a folder or a
    video file. `capture` asks a camera for (width, height, fps); `stop` ends its opening."""
    if spec == "demo":
        return DemoSource(realtime=realtime_demo)
    if spec.startswith("camera:") or spec.isdigit():
        return CameraSource(camera_id(spec), *(capture or ()), stop=stop)
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoSource(path, every=every)
