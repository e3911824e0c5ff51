"""Still pictures as sources: one image file, or a folder of them shown in turn."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.sources.frames import Frame, FrameSource, SourceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def read_image(path: Path) -> np.ndarray:
    """Read an image file as BGR uint8 (8- or 16-bit, gray, palette or with alpha)."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except PermissionError as exc:
        raise SourceError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if data.size == 0:
        raise SourceError(f"{path}: empty file")
    if data[:2].tobytes() == b"\xff\xd8" and b"\xff\xd9" not in data[-64:].tobytes():
        raise SourceError(f"{path}: truncated JPEG (no end-of-image marker)")
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise SourceError(f"{path}: not a readable image")
    return _as_bgr_u8(img)


def _as_bgr_u8(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        from fer_desktop.preprocess import _rescale_to_u8

        img = _rescale_to_u8(img)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    return img


class ImageSource(FrameSource):
    """One still image, given once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        self._image = read_image(self.path)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, 0.0, self._image, time.time(), still=True)


class FolderSource(FrameSource):
    """Every image in a folder, in name order; unreadable files are skipped and counted."""

    def __init__(self, path: Path, fps: float = 1.0):
        self.path = Path(path)
        self.name = self.path.name
        self.fps = fps
        self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f"{self.path}: is a directory with no images in it")
        self.skipped: list[tuple[Path, str]] = []

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        for f in self.files:
            try:
                img = read_image(f)
            except SourceError as exc:
                self.skipped.append((f, str(exc)))
                continue
            yield Frame(index, index / self.fps, img, time.time(), still=True)
            index += 1
