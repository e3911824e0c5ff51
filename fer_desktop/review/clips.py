"""A stretch of a reviewed recording as a video clip (H.264), with its rows beside it as CSV."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fer_desktop.results import FrameResult
from fer_desktop.review.errors import ExportCancelled, ReviewError
from fer_desktop.review.video_reader import VideoReader

if TYPE_CHECKING:
    from fer_desktop.review.recording_review import Review


CLIP_TIME_BASE = Fraction(1, 1000)  # exported clips are timed in milliseconds
CLIP_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
H264_ENCODERS = ("libx264", "h264", "libopenh264")  # whichever this PyAV has, in this order


def write_clip(
    review: Review,
    start: float,
    end: float,
    path: Path,
    labels: bool = False,
    progress: Callable[[int, int], bool] | None = None,
) -> int:
    """The video between two recording times as an H.264 clip (MP4 unless `path` says
    .mkv or .mov), each frame at its own recording time, at the recording's frame rate;
    `labels` draws each face's box and label. The segment's rows go beside it as CSV
    (`path` with .csv). Returns the clip's frame count. `progress(done, total)` is
    called after each frame; when it returns False the export stops (ExportCancelled)."""
    import av

    path = Path(path)
    last = float(review.times[-1])
    if start > last + review.axis.step:
        raise ReviewError(
            f"a clip from {start:.2f} s is past the end of the recording ({last:.2f} s)"
        )
    if end < start:
        raise ReviewError(f"a clip ends ({end:.2f} s) before it starts ({start:.2f} s)")
    chosen = review.indices(start, end)
    if not chosen:
        raise ReviewError(f"no frame between {start:.2f} s and {end:.2f} s")
    codec, fmt = clip_codec(), CLIP_FORMATS.get(path.suffix.lower(), "mp4")
    rate = Fraction(round(review.frame_rate() * 1000), 1000)
    written = 0
    reader = VideoReader(review.video_path)
    try:
        with av.open(str(path), "w", format=fmt) as out:
            stream, last_pts = None, -1
            for done, i in enumerate(chosen, 1):
                if progress is not None and not progress(done, len(chosen)):
                    raise ExportCancelled(f"the export of {path.name} was cancelled")
                bgr = reader.read(review.video_index[i])
                if bgr is None:
                    continue
                if stream is None:
                    stream = out.add_stream(codec, rate=rate)
                    stream.width, stream.height = bgr.shape[1] // 2 * 2, bgr.shape[0] // 2 * 2
                    stream.pix_fmt = "yuv420p"
                    stream.time_base = CLIP_TIME_BASE
                    stream.codec_context.time_base = CLIP_TIME_BASE
                if labels:
                    bgr = draw_faces(bgr, review.frames[i], review.person)
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(bgr[: stream.height, : stream.width]), format="bgr24"
                )
                pts = max(last_pts + 1, round((review.times[i] - review.times[chosen[0]]) * 1000))
                frame.pts, frame.time_base, last_pts = pts, CLIP_TIME_BASE, pts
                for packet in stream.encode(frame):
                    out.mux(packet)
                written += 1
            if stream is not None:
                for packet in stream.encode(None):
                    out.mux(packet)
    except (OSError, av.FFmpegError) as exc:
        raise ReviewError(f"cannot write {path}: {exc}") from exc
    except ExportCancelled:
        path.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    if not written:
        path.unlink(missing_ok=True)
        raise ReviewError(f"{review.video_path}: no frame between {start:.2f} and {end:.2f} s")
    review.export_csv(start, end, path.with_suffix(".csv"))
    return written


def clip_codec() -> str:
    """The H.264 encoder PyAV has here."""
    import av

    have = av.codecs_available
    for name in H264_ENCODERS:
        if name in have:
            try:
                av.codec.Codec(name, "w")
            except (av.FFmpegError, ValueError):
                continue
            return name
    raise ReviewError("this PyAV has no H.264 encoder (libx264, h264 or libopenh264)")


def draw_faces(bgr: np.ndarray, frame: FrameResult, person) -> np.ndarray:
    """A copy of the picture with each face's box and "name: label" in its colour."""
    import cv2

    from fer_desktop.report import face_colour

    out = bgr.copy()
    for face in frame.faces:
        pid, name = person(face.id)
        colour = face_colour(pid).lstrip("#")
        r, g, b = (int(colour[k : k + 2], 16) for k in (0, 2, 4))
        x, y, w, h = (round(v) for v in face.box)
        cv2.rectangle(out, (x, y), (x + w, y + h), (b, g, r), 2)
        text = f"{name}: {face.label}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
        top = max(y - th - base - 4, 0)
        cv2.rectangle(out, (x, top), (x + tw + 6, top + th + base + 4), (b, g, r), -1)
        cv2.putText(
            out, text, (x + 3, top + th + 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2
        )
    return out
