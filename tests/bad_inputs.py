"""The corpus of bad inputs: each case builds its file in a folder and says what must happen.

Used by test_bad_inputs.py for `predict`, `analyze`, `live --source` and the window's open-file
path. Expected outcomes: "error" (a one-line message, exit 1 for predict/analyze, 2 for live),
"no_face" (runs, finds nothing), "faces" (runs, finds at least `min_faces`).
"""

from __future__ import annotations

import fractions
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Case:
    name: str
    kind: str  # image | video | folder
    make: Callable[[Path, np.ndarray], Path]  # (folder, astronaut BGR) -> path
    expect: str  # error | no_face | faces
    min_faces: int = 1
    message: str = ""  # part of the error message (of the warning, for a video that runs)
    options: tuple[str, ...] = ()  # extra command-line options for this case


def _write(path: Path, img: np.ndarray, *params) -> Path:
    assert cv2.imwrite(str(path), img, list(params)), path
    return path


def _face_jpg(d: Path, a: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", a)[1].tobytes()


def _video(path: Path, frames, fps=15.0, fourcc="MJPG") -> Path:
    frames = list(frames)
    h, w = frames[0].shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    for f in frames:
        wr.write(f)
    wr.release()
    return path


def _frames(a: np.ndarray, n: int = 12):
    return [np.roll(a, 4 * i, axis=1) for i in range(n)]


def _empty_video(d: Path, a: np.ndarray) -> Path:
    wr = cv2.VideoWriter(
        str(d / "zero_frames.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (64, 64)
    )
    wr.release()
    return d / "zero_frames.avi"


def _vfr(d: Path, a: np.ndarray) -> Path:
    import av

    path = d / "vfr.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=30)
        s.width, s.height, s.pix_fmt = 512, 512, "yuv420p"
        s.codec_context.time_base = s.time_base = fractions.Fraction(1, 1000)
        t = 0
        for i, f in enumerate(_frames(a, 12)):
            vf = av.VideoFrame.from_ndarray(f, format="bgr24")
            vf.pts, vf.time_base = t, fractions.Fraction(1, 1000)
            c.mux(s.encode(vf))
            t += 33 if i % 2 else 120
        c.mux(s.encode())
    return path


def _size_change(d: Path, a: np.ndarray) -> Path:
    import av

    parts = []
    for size in ((512, 512), (320, 240)):
        part = d / f"part{size[0]}.ts"
        with av.open(str(part), "w", format="mpegts") as c:
            s = c.add_stream("mpeg2video", rate=15)
            s.width, s.height, s.pix_fmt = *size, "yuv420p"
            for f in _frames(a, 8):
                c.mux(s.encode(av.VideoFrame.from_ndarray(cv2.resize(f, size), format="bgr24")))
            c.mux(s.encode())
        parts.append(part.read_bytes())
    path = d / "size_change.ts"
    path.write_bytes(b"".join(parts))
    return path


def _folder_of_sizes(d: Path, a: np.ndarray) -> Path:
    folder = d / "sizes"
    folder.mkdir()
    for i, size in enumerate([(512, 512), (640, 480), (300, 300), (1024, 768)]):
        _write(folder / f"{i}.png", cv2.resize(a, size))
    return folder


def _crowd(d: Path, a: np.ndarray) -> Path:
    face = cv2.resize(a[30:250, 130:330], (128, 128))
    return _write(d / "crowd25.png", np.vstack([np.hstack([face] * 5)] * 5))


def _border(d: Path, a: np.ndarray) -> Path:
    canvas = np.full((512, 512, 3), 100, np.uint8)
    canvas[:, :312] = a[:, 200:]  # the face cut by the left edge
    return _write(d / "border.png", canvas)


def _tiny_face(d: Path, a: np.ndarray) -> Path:
    canvas = np.full((480, 640, 3), 120, np.uint8)
    canvas[200:210, 300:310] = cv2.resize(a[60:200, 170:310], (10, 10))
    return _write(d / "face10px.png", canvas)


def _ir(d: Path, a: np.ndarray) -> Path:
    gray = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(np.float32)
    ir = np.clip(
        255 * (gray / 255) ** 0.5 * 0.6 + 40 + np.random.default_rng(0).normal(0, 6, gray.shape),
        0,
        255,
    ).astype(np.uint8)
    return _write(d / "ir_like.png", ir)


CASES: list[Case] = [
    Case("zero-byte jpg", "image", lambda d, a: _touch(d / "zero.jpg"), "error", message="empty"),
    Case(
        "truncated jpeg",
        "image",
        lambda d, a: _bytes(d / "cut.jpg", _face_jpg(d, a)[:3000]),
        "error",
        message="truncated",
    ),
    Case(
        "truncated png",
        "image",
        lambda d, a: _bytes(d / "cut.png", cv2.imencode(".png", a)[1].tobytes()[:5000]),
        "error",
        message="not a readable image",
    ),
    Case(
        "text named .jpg",
        "image",
        lambda d, a: _bytes(d / "text.jpg", b"hello world\n"),
        "error",
        message="not a readable image",
    ),
    Case(
        "directory as file",
        "image",
        lambda d, a: _mkdir(d / "dir.jpg"),
        "error",
        message="is a directory",
    ),
    Case("missing path", "image", lambda d, a: d / "missing.png", "error", message="no such file"),
    Case("1x1 image", "image", lambda d, a: _write(d / "one.png", a[:1, :1]), "no_face"),
    Case(
        "10000x10000 image",
        "image",
        lambda d, a: _write(d / "huge.png", np.full((10000, 10000, 3), 90, np.uint8)),
        "no_face",
    ),
    Case(
        "16-bit png",
        "image",
        lambda d, a: _write(d / "u16.png", a.astype(np.uint16) * 257),
        "faces",
    ),
    Case(
        "rgba png",
        "image",
        lambda d, a: _write(d / "rgba.png", cv2.cvtColor(a, cv2.COLOR_BGR2BGRA)),
        "faces",
    ),
    Case("palette png", "image", lambda d, a: _palette(d / "palette.png", a), "faces"),
    Case(
        "grayscale png",
        "image",
        lambda d, a: _write(d / "gray.png", cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)),
        "faces",
    ),
    Case("ir-like grayscale", "image", _ir, "faces"),
    Case(
        "no face",
        "image",
        lambda d, a: _write(d / "wall.png", np.full((480, 640, 3), 128, np.uint8)),
        "no_face",
    ),
    Case(
        "25 faces",
        "image",
        _crowd,
        "faces",
        min_faces=20,
        options=("--range", "full", "--tiles", "2"),
    ),
    Case("face at the border", "image", _border, "faces"),
    Case("face of 10 px", "image", _tiny_face, "no_face"),
    Case("zero-byte mp4", "video", lambda d, a: _touch(d / "zero.mp4"), "error", message="empty"),
    Case(
        "truncated mp4",
        "video",
        lambda d, a: _truncated_mp4(d, a),
        "error",
        message="incomplete recording (no index): was it still being written?",
    ),
    Case(
        "faststart mp4 cut in half",
        "video",
        lambda d, a: cut_in_half(mp4(d / "whole.mp4", _frames(a, 60), faststart=True)),
        "faces",
        message="truncated:",
    ),
    Case(
        "text named .mp4",
        "video",
        lambda d, a: _bytes(d / "text.mp4", b"not a video\n" * 50),
        "error",
        message="not a video",
    ),
    Case("video with 0 frames", "video", _empty_video, "error", message="no readable frames"),
    Case(
        "audio-only .m4a",
        "video",
        lambda d, a: audio_only(d / "voice.m4a"),
        "error",
        message="no video stream (audio only)",
    ),
    Case("video whose frame size changes", "video", _size_change, "faces"),
    Case("variable frame rate video", "video", _vfr, "faces"),
    Case(
        "directory as video",
        "video",
        lambda d, a: _mkdir(d / "dir.mp4"),
        "error",
        message="is a directory",
    ),
    Case("missing video", "video", lambda d, a: d / "missing.mp4", "error", message="no such file"),
    Case("folder of frames of different sizes", "folder", _folder_of_sizes, "faces"),
]


def _touch(p: Path) -> Path:
    p.write_bytes(b"")
    return p


def _bytes(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _mkdir(p: Path) -> Path:
    p.mkdir()
    return p


def _palette(p: Path, a: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(a[:, :, ::-1]).convert("P").save(p)
    return p


def _truncated_mp4(d: Path, a: np.ndarray) -> Path:
    full = _video(d / "full.mp4", _frames(a, 20), fourcc="mp4v")
    cut = d / "truncated.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    full.unlink()
    return cut


def mp4(path: Path, frames, fps: float = 15.0, faststart: bool = False) -> Path:
    """An MPEG-4 video written with PyAV, in the container the suffix names (MP4, MPEG-TS
    for .MTS, 3GPP for .3gp…); `faststart` puts an MP4's index ("moov") first."""
    import av

    frames = list(frames)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as c:
        s = c.add_stream("mpeg4", rate=round(fps))
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        for f in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(f, format="bgr24")))
        c.mux(s.encode())
    return path


def audio_only(path: Path, seconds: float = 1.0) -> Path:
    """An AAC file with a 440 Hz tone and no picture, written with PyAV."""
    import av

    rate = 44100
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=rate, layout="mono")
        for start in range(0, tone.shape[1], 1024):
            chunk = av.AudioFrame.from_ndarray(tone[:, start : start + 1024], "fltp", "mono")
            chunk.sample_rate, chunk.pts = rate, start
            c.mux(s.encode(chunk))
        c.mux(s.encode())
    return path


def cut_in_half(path: Path) -> Path:
    """The first half of a file's bytes, as `<stem>_cut<suffix>` (the whole file is removed)."""
    cut = path.with_name(f"{path.stem}_cut{path.suffix}")
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    path.unlink()
    return cut
