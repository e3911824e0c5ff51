"""What review adds beside a timeline, in one JSON file: markers, names and merges of ids.

The timeline itself is never rewritten. The sidecar is `<timeline>.markers.json` (the name
it had when it held markers only; such files read as before):

    {"version": 2,
     "markers": [{"t_source": 12.5, "frame": 311, "note": "boss #2",
                  "source": "import", "t_wall": "2026-12-01T22:15:03.120000+00:00"}],
     "names": {"3": "Player A"},
     "merges": {"7": 3}}

- a marker's `frame` is the session's frame number (it only goes up, so it stays exact after
  a seek); `t_source` is the file's time there, for readers that know no frames;
- a marker's `source` (window, websocket, lsl, import) and `t_wall` (when it happened) are
  there when known;
- `names`: face id -> a name for that person;
- `merges`: face id -> the id it was merged into (the same person came back under a new id).
  Chains resolve (7 -> 3 -> 1 is person 1); a name belongs to the id at the end of the chain.

A file without "markers" leaves the timeline's own markers in force (`markers` is None).
Writes are atomic (a temporary file beside it, then renamed), so a crash leaves the old file
or the new one. A leaf module.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from fer_desktop.errors import FerDesktopError

VERSION = 2
SUFFIX = ".markers.json"


class SidecarError(FerDesktopError):
    """The sidecar file cannot be read or written."""


@dataclass
class SidecarMarker:
    t_source: float
    note: str = ""
    frame: int | None = None  # the session's frame number, when known
    source: str = ""  # who placed it (window, websocket, lsl, import), when known
    t_wall: str | None = None  # ISO UTC: when it happened, when known
    number: int | None = None  # its name's number ("marker 3"), kept when others are added

    def record(self) -> dict:
        out: dict = {"t_source": round(float(self.t_source), 4)}
        if self.number is not None:
            out["number"] = int(self.number)
        if self.frame is not None:
            out["frame"] = int(self.frame)
        out["note"] = self.note
        if self.source:
            out["source"] = self.source
        if self.t_wall:
            out["t_wall"] = self.t_wall
        return out


@dataclass
class Sidecar:
    markers: list[SidecarMarker] | None = None  # None: the timeline's own markers hold
    names: dict[int, str] = field(default_factory=dict)  # face id -> name
    merges: dict[int, int] = field(default_factory=dict)  # face id -> the id it joined

    def canonical(self, face_id: int) -> int:
        """The id a face id was merged into, following chains (the id itself if none)."""
        seen = {face_id}
        while face_id in self.merges and self.merges[face_id] not in seen:
            face_id = self.merges[face_id]
            seen.add(face_id)
        return face_id

    def person(self, face_id: int) -> tuple[int, str]:
        """(canonical id, name to show): the name given to that person, else "face <id>"."""
        pid = self.canonical(int(face_id))
        return pid, self.names.get(pid) or f"face {pid}"

    def ids_of(self, person_id: int, face_ids) -> list[int]:
        """Which of `face_ids` are this person."""
        return sorted(f for f in face_ids if self.canonical(f) == person_id)

    def set_name(self, face_id: int, name: str) -> None:
        """Name the person a face id belongs to ("" forgets the name)."""
        pid, name = self.canonical(face_id), name.strip()
        if name:
            self.names[pid] = name
        else:
            self.names.pop(pid, None)

    def merge(self, face_id: int, into: int) -> None:
        """`face_id`'s person is `into`'s person; a name only the first one had moves over."""
        a, b = self.canonical(face_id), self.canonical(into)
        if a == b:
            return
        self.merges[a] = b
        if a in self.names:
            self.names.setdefault(b, self.names[a])
            del self.names[a]

    def unmerge(self, face_id: int) -> None:
        """`face_id` is its own person again (ids merged into it stay with it)."""
        self.merges.pop(face_id, None)

    def record(self) -> dict:
        out: dict = {"version": VERSION}
        if self.markers is not None:
            out["markers"] = [m.record() for m in self.markers]
        out["names"] = {str(k): v for k, v in sorted(self.names.items())}
        out["merges"] = {str(k): v for k, v in sorted(self.merges.items())}
        return out


def path_for(timeline_path: Path) -> Path:
    """The sidecar file of a timeline."""
    timeline_path = Path(timeline_path)
    return timeline_path.with_name(timeline_path.name + SUFFIX)


def load(timeline_path: Path) -> Sidecar:
    """The sidecar of a timeline (an empty one when there is no file)."""
    path = path_for(timeline_path)
    if not path.exists():
        return Sidecar()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse(data)
    except OSError as exc:
        raise SidecarError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SidecarError(f"{path}: not a sidecar file ({exc})") from exc


def parse(data: dict) -> Sidecar:
    """A sidecar from its JSON object (version 1: markers only)."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    markers = None
    if "markers" in data:
        markers = [
            SidecarMarker(
                float(m["t_source"]),
                m.get("note") or "",
                None if m.get("frame") is None else int(m["frame"]),
                str(m.get("source") or ""),
                m.get("t_wall") or None,
                None if m.get("number") is None else int(m["number"]),
            )
            for m in data["markers"]
        ]
    names = {int(k): str(v) for k, v in (data.get("names") or {}).items() if str(v).strip()}
    merges = {int(k): int(v) for k, v in (data.get("merges") or {}).items() if int(k) != int(v)}
    return Sidecar(markers, names, merges)


def save(timeline_path: Path, sidecar: Sidecar) -> Path:
    """Write the sidecar atomically beside its timeline; returns its path."""
    path = path_for(timeline_path)
    text = json.dumps(sidecar.record(), indent=1, ensure_ascii=False) + "\n"
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # as an ordinary file (mkstemp makes it private)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise SidecarError(f"cannot save {path}: {exc.strerror or exc}") from exc
    return path
