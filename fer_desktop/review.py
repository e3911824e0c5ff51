"""Reviewing a session afterwards, without Qt: the recording, its markers, people and segments.

A recording is a timeline plus a video. The video is either the one recorded beside the
timeline (`session-….mkv`: its k-th frame is the timeline's k-th "frame" row) or the
original file `analyze` read (found by each row's `t_source`, the file's own time).

Time: review runs on the recording time of `fer_desktop.timeaxis` — the stretches of source
time laid end to end at each seek, so it only goes up; without a seek it is `t_source`
itself. The chart, the cursor, markers, segments, exports and summaries all use it, and no
line of the chart joins two frames across a seek or a gap.

Markers edited here, names given to face ids and ids merged into one person go to the
sidecar file (`fer_desktop.sidecar`, `<timeline>.markers.json`); the timeline itself is never
rewritten.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from fer_desktop import sidecar as sidecars
from fer_desktop.errors import FerDesktopError
from fer_desktop.probe import NoVideoStream, upright, video_stream
from fer_desktop.recording import Marker, Recording, read_recording
from fer_desktop.results import FrameResult
from fer_desktop.sidecar import Sidecar, SidecarMarker
from fer_desktop.stats import calibration_switches, segments
from fer_desktop.timeaxis import TimeAxis

TIMELINE_SUFFIXES = (".csv", ".jsonl")
CLIP_TIME_BASE = Fraction(1, 1000)  # exported clips are timed in milliseconds


class ReviewError(FerDesktopError):
    """A recording cannot be opened for review (no timeline, no video), or a change to it
    makes no sense (merging two faces seen at the same moment)."""


class ExportCancelled(ReviewError):
    """The user stopped a clip's export; its partial file is gone."""


@dataclass
class Person:
    """One person in review: a face id, with the ids merged into it."""

    id: int
    name: str
    ids: list[int]
    frames: int  # frames this person is in


@dataclass
class Review:
    """A recording and its video, frame by frame, on one recording time, as review edits
    it: its markers (held here only, written to the sidecar by `save`), names and merges
    (in `sidecar`)."""

    recording: Recording
    video_path: Path
    frames: list[FrameResult]  # one per "frame" row, with its faces
    video_index: list[int]  # the video frame of each of them
    markers: list[Marker]
    sidecar: Sidecar  # names and merges; its markers are `markers`, on `save`
    _shown: tuple = field(default=(), repr=False, compare=False)  # (edits, `shown()`)

    @property
    def timeline_path(self) -> Path:
        return self.recording.path

    @property
    def header(self) -> dict:
        return self.recording.header

    @property
    def labels(self) -> list[str]:
        return self.recording.labels

    @property
    def axis(self) -> TimeAxis:
        return self.recording.axis

    @property
    def sidecar_path(self) -> Path:
        return sidecars.path_for(self.timeline_path)

    def shown(self) -> Recording:
        """The recording on its recording time with the names and merges as they are now
        (see `Recording.shown`); made again only after they change."""
        names, merges = dict(self.sidecar.names), dict(self.sidecar.merges)
        if not self._shown or self._shown[0] != (names, merges):
            edits = Sidecar(None, names, merges)
            self._shown = (names, merges), dataclasses.replace(self.recording, sidecar=edits).shown
        return self._shown[1]

    @property
    def times(self) -> np.ndarray:
        """The recording time of each frame: strictly increasing."""
        return self.axis.t

    def frame_at(self, t: float) -> int:
        """The index (into `frames`) of the last frame at or before recording time `t`."""
        return self.axis.index_at(t)

    def seeks(self) -> list[tuple[float, float]]:
        """(recording time, t_source) where each stretch after a seek starts."""
        return [(float(self.times[k]), self.frames[k].t_source) for k in self.axis.seek_starts]

    # --- people: names and merges -------------------------------------------------------------
    def person(self, face_id: int) -> tuple[int, str]:
        return self.sidecar.person(face_id)

    def people(self) -> list[Person]:
        counts: dict[int, int] = {}
        for f in self.frames:
            for face in f.faces:
                counts[face.id] = counts.get(face.id, 0) + 1
        out: dict[int, Person] = {}
        for fid, n in sorted(counts.items()):
            pid, name = self.person(fid)
            p = out.setdefault(pid, Person(pid, name, [], 0))
            p.ids.append(fid)
            p.frames += n
        return sorted(out.values(), key=lambda p: p.id)

    def chart_series(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per person, (recording time, valence) for the chart, with a NaN valence where a
        line would cross a seek, a gap or a stretch the person was not seen in (pyqtgraph
        breaks a curve there with connect="finite")."""
        series: dict[int, tuple[list[float], list[float]]] = {}
        last: dict[int, int] = {}
        for k, f in enumerate(self.frames):
            for face in f.faces:
                pid = self.person(face.id)[0]
                xs, ys = series.setdefault(pid, ([], []))
                if pid in last and self.axis.broken(last[pid], k):
                    xs.append(float(self.times[k]))
                    ys.append(np.nan)
                xs.append(float(self.times[k]))
                ys.append(face.valence)
                last[pid] = k
        return {pid: (np.array(xs), np.array(ys)) for pid, (xs, ys) in series.items()}

    def calibration_switches(self) -> dict[int, list[tuple[float, str]]]:
        """Per person, (recording time, "calibrated" or "raw") where their values switch."""
        return calibration_switches(self.shown())

    def name_face(self, face_id: int, name: str) -> None:
        self.sidecar.set_name(face_id, name)

    def merge(self, face_id: int, into: int) -> None:
        """`face_id` is the same person as `into` (refused when both are in one frame)."""
        a, b = self.person(face_id)[0], self.person(into)[0]
        for f in self.frames:
            people = {self.person(face.id)[0] for face in f.faces}
            if a in people and b in people and a != b:
                raise ReviewError(
                    f"face {face_id} and face {into} are both in frame {f.index}: not one person"
                )
        self.sidecar.merge(face_id, into)

    def unmerge(self, face_id: int) -> None:
        self.sidecar.unmerge(face_id)

    # --- markers and the sidecar --------------------------------------------------------------
    def marker_at(self, i: int, note: str = "") -> Marker:
        return Marker(float(self.times[i]), note, self.frames[i].index)

    def _sidecar_marker(self, m: Marker) -> SidecarMarker:
        k = self.axis.index_of_frame(m.frame) if m.frame is not None else None
        k = self.frame_at(m.t) if k is None else k
        t_source = self.frames[k].t_source + max(m.t - float(self.times[k]), 0.0)
        return SidecarMarker(t_source, m.note, self.frames[k].index, m.source, m.t_wall, m.number)

    def save(self) -> Path:
        """Markers, names and merges into the sidecar file (written atomically)."""
        self.markers.sort(key=lambda m: m.t)
        markers = [self._sidecar_marker(m) for m in self.markers]
        try:
            return sidecars.save(
                self.timeline_path, dataclasses.replace(self.sidecar, markers=markers)
            )
        except FerDesktopError as exc:
            raise ReviewError(str(exc)) from exc

    save_markers = save

    # --- segments and what is in them -------------------------------------------------------
    def segments(self) -> list[tuple[str, float, float]]:
        """(name, start, end): the whole session, then each stretch between markers."""
        return segments([(m.t, m.note) for m in self.markers], float(self.times[-1]))

    def indices(self, start: float, end: float) -> list[int]:
        """The frames between two recording times (inclusive)."""
        t = self.times
        a = int(np.searchsorted(t, start - 1e-9, side="left"))
        b = int(np.searchsorted(t, end + 1e-9, side="right"))
        return list(range(a, b))

    def face_rows(self, start: float, end: float) -> list[dict]:
        """One record per face per frame between two recording times (inclusive)."""
        rows = []
        for i in self.indices(start, end):
            f = self.frames[i]
            for face in f.faces:
                pid, name = self.person(face.id)
                rows.append(
                    {
                        "t": round(float(self.times[i]), 4),
                        "t_source": f.t_source,
                        "t_wall": f.t_wall,
                        "frame": f.index,
                        "face_id": face.id,
                        "person_id": pid,
                        "name": name,
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
        """Per person in a segment: share of time per label, mean valence, strongest moment
        (at its recording time)."""
        shown = self.shown()
        part = shown.with_faces([f for f in shown.faces if start <= f["t_source"] <= end])
        out = []
        for s in part.summary.faces:
            strongest = s.happiest if abs(s.happiest[1]) >= abs(s.saddest[1]) else s.saddest
            out.append(
                {
                    "face_id": s.face_id,
                    "name": self.person(s.face_id)[1],
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
        """The segment's face rows: recording time, the timeline's own time base, the face id
        and the person it belongs to (merged id and name), label, valence and probabilities."""
        rows = self.face_rows(start, end)
        columns = ["t", "t_source", "t_wall", "frame", "face_id", "person_id", "name"]
        columns += ["label", "valence"] + [f"p_{lab}" for lab in self.labels]
        try:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, columns)
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise ReviewError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return path

    def frame_rate(self) -> float:
        """The recording's real frame rate: its frames' own times (the median step)."""
        return 1.0 / self.axis.step if self.axis.step > 0 else 30.0

    def export_clip(
        self,
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
        last = float(self.times[-1])
        if start > last + self.axis.step:
            raise ReviewError(
                f"a clip from {start:.2f} s is past the end of the recording ({last:.2f} s)"
            )
        if end < start:
            raise ReviewError(f"a clip ends ({end:.2f} s) before it starts ({start:.2f} s)")
        chosen = self.indices(start, end)
        if not chosen:
            raise ReviewError(f"no frame between {start:.2f} s and {end:.2f} s")
        codec, fmt = clip_codec(), CLIP_FORMATS.get(path.suffix.lower(), "mp4")
        rate = Fraction(round(self.frame_rate() * 1000), 1000)
        written = 0
        reader = VideoReader(self.video_path)
        try:
            with av.open(str(path), "w", format=fmt) as out:
                stream, last_pts = None, -1
                for done, i in enumerate(chosen, 1):
                    if progress is not None and not progress(done, len(chosen)):
                        raise ExportCancelled(f"the export of {path.name} was cancelled")
                    bgr = reader.read(self.video_index[i])
                    if bgr is None:
                        continue
                    if stream is None:
                        stream = out.add_stream(codec, rate=rate)
                        stream.width, stream.height = bgr.shape[1] // 2 * 2, bgr.shape[0] // 2 * 2
                        stream.pix_fmt = "yuv420p"
                        stream.time_base = CLIP_TIME_BASE
                        stream.codec_context.time_base = CLIP_TIME_BASE
                    if labels:
                        bgr = draw_faces(bgr, self.frames[i], self.person)
                    frame = av.VideoFrame.from_ndarray(
                        np.ascontiguousarray(bgr[: stream.height, : stream.width]), format="bgr24"
                    )
                    pts = max(last_pts + 1, round((self.times[i] - self.times[chosen[0]]) * 1000))
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
            raise ReviewError(f"{self.video_path}: no frame between {start:.2f} and {end:.2f} s")
        self.export_csv(start, end, path.with_suffix(".csv"))
        return written


CLIP_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
H264_ENCODERS = ("libx264", "h264", "libopenh264")  # whichever this PyAV has, in this order


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


class VideoReader:
    """Random access to a video's frames by number, in presentation order.

    The packets' timestamps are listed once (no decoding); a jump seeks to the key frame
    before the one wanted and decodes up to it, so it is exact however the video is timed
    (a recording with a seek in it has timestamps 1 ms apart). Reading on decodes on.
    """

    def __init__(self, path: Path):
        import av

        self._av = av
        try:
            self.container = av.open(str(path))
            self.stream = video_stream(self.container, path)
            self.pts = sorted(p.pts for p in self.container.demux(self.stream) if p.pts is not None)
        except NoVideoStream as exc:
            self.container.close()
            raise ReviewError(str(exc)) from None
        except (OSError, av.FFmpegError) as exc:
            raise ReviewError(f"{path}: not a video that can be read") from exc
        if not self.pts:
            raise ReviewError(f"{path}: video has no frames")
        start = self.stream.start_time or 0
        self.seconds = np.array([(p - start) * self.stream.time_base for p in self.pts], float)
        self.next = -1
        self._decoded = None

    def __len__(self) -> int:
        return len(self.pts)

    def index_near(self, t: float) -> int:
        """The frame nearest to `t` seconds of the video's own time."""
        i = int(np.searchsorted(self.seconds, t))
        near = [j for j in (i - 1, i) if 0 <= j < len(self.pts)]
        return min(near, key=lambda j: abs(self.seconds[j] - t))

    def read(self, index: int) -> np.ndarray | None:
        """Frame `index` as BGR, or None past the end or when it cannot be decoded."""
        if not 0 <= index < len(self.pts):
            return None
        target = self.pts[index]
        jumped = index != self.next or self._decoded is None
        tries = (target, self.pts[0]) if jumped else (None,)
        for n, seek_to in enumerate(tries):
            if seek_to is not None:
                self.container.seek(seek_to, stream=self.stream, backward=True, any_frame=False)
                self._decoded = self.container.decode(self.stream)
            frame = self._decode_to(target)
            # past the frame: a seek that landed too late (no index); then from the start
            if frame is not None and (frame.pts == target or n == len(tries) - 1):
                self.next = index + 1
                return upright(frame.to_ndarray(format="bgr24"), frame.rotation)  # see probe
        self._decoded = None
        return None

    def _decode_to(self, target: int):
        try:
            for frame in self._decoded:
                if frame.pts is not None and frame.pts >= target:
                    return frame
        except self._av.FFmpegError:
            pass
        return None

    def close(self) -> None:
        self.container.close()


def find_pair(path: Path) -> tuple[Path, Path]:
    """(timeline, video) for a timeline or a video path; the other is looked for beside it."""
    timeline = _timeline_of(Path(path))
    if timeline != Path(path):
        return timeline, Path(path)
    return timeline, _video_beside(timeline, read_recording(timeline, edits=False).header)


def _timeline_of(path: Path) -> Path:
    """The timeline a path names, or the one beside the video it names."""
    if not path.exists():
        raise ReviewError(f"{path}: no such file")
    if path.suffix in TIMELINE_SUFFIXES:
        return path
    timeline = next(
        (path.with_suffix(s) for s in TIMELINE_SUFFIXES if path.with_suffix(s).is_file()), None
    )
    if timeline is None:
        raise ReviewError(
            f"{path}: no timeline beside it: open the timeline that `fer-desktop analyze` wrote"
            f" in its --out folder ({path.stem}.csv or .jsonl), or analyze the video first"
        )
    return timeline


def _video_beside(timeline: Path, header: dict) -> Path:
    """The video recorded beside a timeline, else the file it was analysed from."""
    candidates = [timeline.with_suffix(".mkv")]
    if header.get("source_path"):
        candidates.append(Path(header["source_path"]))
    video = next((c for c in candidates if c.is_file()), None)
    if video is None:
        raise ReviewError(
            f"{timeline}: no video found beside it ({timeline.with_suffix('.mkv').name})"
        )
    return video


def _video_index(rec: Recording, video_path: Path) -> list[int]:
    """The video frame of each frame row: the k-th for a video recorded beside it, else the
    frame of the original file at the row's t_source (`frame` counts analysed frames, not
    the file's)."""
    if video_path.suffix == ".mkv" and video_path.stem == rec.path.stem:
        return list(range(len(rec.frames)))
    reader = VideoReader(video_path)
    try:
        return [reader.index_near(row["t_source"]) for row in rec.frames]
    finally:
        reader.close()


def open_recording(path: Path) -> Review:
    """Load a recording for review (a timeline or a video path)."""
    path = Path(path)
    timeline_path = _timeline_of(path)
    try:
        rec = read_recording(timeline_path)
    except FerDesktopError as exc:  # its sidecar cannot be read
        raise ReviewError(str(exc)) from exc
    video_path = path if timeline_path != path else _video_beside(timeline_path, rec.header)
    if not rec.frames:
        raise ReviewError(f"{timeline_path}: holds no analysed frames")
    return Review(
        rec,
        video_path,
        rec.frame_results(),
        _video_index(rec, video_path),
        rec.placed_markers(),
        dataclasses.replace(rec.sidecar, markers=None),
    )
