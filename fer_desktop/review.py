"""Reviewing a session afterwards, without Qt: the recording, its markers and its segments.

A recording is a timeline plus a video. The video is either the one recorded beside the
timeline (`session-….mkv`: its k-th frame is the timeline's k-th "frame" row) or the
original file `analyze` read (its frame numbers are the timeline's `frame` column). Markers
edited here go to a sidecar file (`<timeline>.markers.json`); the timeline itself is never
rewritten.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.errors import FerDesktopError
from fer_desktop.report import segments, summarise
from fer_desktop.results import FrameResult, TrackedFace
from fer_desktop.timeline import read_timeline

TIMELINE_SUFFIXES = (".csv", ".jsonl")


class ReviewError(FerDesktopError):
    """A recording cannot be opened for review (no timeline, no video)."""


@dataclass
class Marker:
    t: float
    note: str = ""


@dataclass
class Recording:
    """A timeline and its video, frame by frame."""

    timeline_path: Path
    video_path: Path
    header: dict
    labels: list[str]
    frames: list[FrameResult]  # one per "frame" row, with its faces
    video_index: list[int]  # the video frame of each of them
    markers: list[Marker] = field(default_factory=list)

    @property
    def sidecar(self) -> Path:
        return self.timeline_path.with_name(self.timeline_path.name + ".markers.json")

    @cached_property
    def times(self) -> np.ndarray:
        return np.array([f.t_source for f in self.frames])

    def frame_at(self, t: float) -> int:
        """The index (into `frames`) of the last frame at or before source time `t`."""
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        return min(max(i, 0), len(self.frames) - 1)

    def save_markers(self) -> Path:
        data = [{"t_source": round(m.t, 4), "note": m.note} for m in self.markers]
        try:
            self.sidecar.write_text(json.dumps({"markers": data}, indent=1) + "\n", "utf-8")
        except OSError as exc:
            raise ReviewError(f"cannot save markers to {self.sidecar}: {exc.strerror}") from exc
        return self.sidecar

    def segments(self) -> list[tuple[str, float, float]]:
        """(name, start, end): the whole session, then each stretch between markers."""
        end = self.frames[-1].t_source if self.frames else 0.0
        return segments([(m.t, m.note) for m in self.markers], end)

    def face_rows(self, start: float, end: float) -> list[dict]:
        """Timeline face records between two source times (inclusive)."""
        rows = []
        for f in self.frames:
            if start <= f.t_source <= end:
                for face in f.faces:
                    rows.append(
                        {
                            "t_source": f.t_source,
                            "frame": f.index,
                            "face_id": face.id,
                            "label": face.label,
                            "valence": face.valence,
                            **{
                                f"p_{lab}": float(p)
                                for lab, p in zip(self.labels, face.smooth, strict=True)
                            },
                        }
                    )
        return rows

    def summary(self, start: float, end: float) -> list[dict]:
        """Per face in a segment: share of time per label, mean valence, strongest moment."""
        rows = self.face_rows(start, end)
        timeline = {"header": {"labels": self.labels}, "faces": rows}
        out = []
        for s in summarise(timeline):
            strongest = s.happiest if abs(s.happiest[1]) >= abs(s.saddest[1]) else s.saddest
            out.append(
                {
                    "face_id": s.face_id,
                    **{
                        f"share_{lab}": round(s.label_share.get(lab, 0.0), 3) for lab in self.labels
                    },
                    "mean_valence": round(s.mean_valence, 3),
                    "strongest_t": round(strongest[0], 2),
                    "strongest_valence": round(strongest[1], 3),
                }
            )
        return out

    def export_csv(self, start: float, end: float, path: Path) -> Path:
        rows = self.face_rows(start, end)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            columns = ["t_source", "frame", "face_id", "label", "valence"] + [
                f"p_{lab}" for lab in self.labels
            ]
            writer = csv.DictWriter(fh, columns)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def export_clip(self, start: float, end: float, path: Path) -> int:
        """The video between two source times as a Matroska clip; returns its frame count."""
        import av

        reader = VideoReader(self.video_path)
        chosen = [i for i, f in enumerate(self.frames) if start <= f.t_source <= end]
        written = 0
        with av.open(str(path), "w", format="matroska") as out:
            stream = None
            for i in chosen:
                bgr = reader.read(self.video_index[i])
                if bgr is None:
                    continue
                if stream is None:
                    stream = out.add_stream("mjpeg", rate=30)
                    stream.width, stream.height = bgr.shape[1] // 2 * 2, bgr.shape[0] // 2 * 2
                    stream.pix_fmt = "yuvj420p"
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(bgr[: stream.height, : stream.width]), format="bgr24"
                )
                for packet in stream.encode(frame):
                    out.mux(packet)
                written += 1
            if stream is not None:
                for packet in stream.encode(None):
                    out.mux(packet)
        reader.close()
        return written


class VideoReader:
    """Random access to a video's frames (sequential reads stay cheap)."""

    def __init__(self, path: Path):
        self.capture = cv2.VideoCapture(str(path))
        if not self.capture.isOpened():
            raise ReviewError(f"{path}: not a video OpenCV can read")
        self.next = 0

    def read(self, index: int) -> np.ndarray | None:
        if index != self.next:
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = self.capture.read()
        self.next = index + 1
        return img if ok else None

    def close(self) -> None:
        self.capture.release()


def _faces(rows: list[dict], labels: list[str]) -> list[TrackedFace]:
    faces = []
    for r in rows:
        smooth = np.array([r["smooth"].get(lab, 0.0) for lab in labels], np.float32)
        probs = np.array([r["probs"].get(lab, 0.0) for lab in labels], np.float32)
        faces.append(
            TrackedFace(
                r["face_id"],
                tuple(r["box"]),
                r.get("score", 1.0),
                probs,
                smooth,
                r["label"],
                r["valence"],
            )
        )
    return faces


def find_pair(path: Path) -> tuple[Path, Path]:
    """(timeline, video) for a timeline or a video path; the other is looked for beside it."""
    path = Path(path)
    if not path.exists():
        raise ReviewError(f"{path}: no such file")
    if path.suffix in TIMELINE_SUFFIXES:
        header = read_timeline(path)["header"] or {}
        candidates = [path.with_suffix(".mkv")]
        if header.get("source_path"):
            candidates.append(Path(header["source_path"]))
        video = next((c for c in candidates if c.is_file()), None)
        if video is None:
            raise ReviewError(f"{path}: no video found beside it ({path.with_suffix('.mkv').name})")
        return path, video
    timeline = next(
        (path.with_suffix(s) for s in TIMELINE_SUFFIXES if path.with_suffix(s).is_file()), None
    )
    if timeline is None:
        raise ReviewError(f"{path}: no timeline beside it (run `fer-desktop analyze` on it first)")
    return timeline, path


def open_recording(path: Path) -> Recording:
    """Load a recording for review (a timeline or a video path)."""
    timeline_path, video_path = find_pair(path)
    t = read_timeline(timeline_path)
    header = t["header"] or {}
    labels = header.get("labels", [])
    by_frame: dict[int, list[dict]] = {}
    for row in t["faces"]:
        by_frame.setdefault(row["frame"], []).append(row)
    recorded_here = video_path.suffix == ".mkv" and video_path.stem == timeline_path.stem
    frames, video_index = [], []
    for k, row in enumerate(t["frames"]):
        faces = _faces(by_frame.get(row["frame"], []), labels)
        frames.append(
            FrameResult(row["frame"], row["t_source"], row["t_wall"], 0, 0, labels, faces)
        )
        video_index.append(k if recorded_here else row["frame"])
    if not frames:
        raise ReviewError(f"{timeline_path}: holds no analysed frames")
    recording = Recording(timeline_path, video_path, header, labels, frames, video_index)
    if recording.sidecar.exists():
        data = json.loads(recording.sidecar.read_text(encoding="utf-8"))
        recording.markers = [Marker(m["t_source"], m.get("note", "")) for m in data["markers"]]
    else:
        recording.markers = [Marker(m["t_source"], m.get("note") or "") for m in t["markers"]]
    return recording
