"""How long a rig keeps its recordings (`live --record DIR --keep-days D --keep-gb G`).

At 640x480 a recording grows about 2.2 GB an hour, so a rig that records for days fills its
disk unless the oldest parts go. A part is every file of one `session-…` stem (timeline,
video, review sidecar); only such files in the record folder are ever touched, the part
being written never. The oldest parts (by their newest file's time) go first.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.errors import UsageError

PART_NAME = re.compile(r"session-\d{8}-\d{6}(-\d+)?(-part\d+)?")  # recording_pair's names


@dataclass(frozen=True)
class Deleted:
    """One part removed: its stem, its files and the bytes they held, and why."""

    stem: str
    files: list[str]
    bytes: int
    why: str


@dataclass(frozen=True)
class Retention:
    """Keep parts at most `keep_days` old and at most `keep_gb` in all (None: no limit)."""

    keep_days: float | None = None
    keep_gb: float | None = None

    def __post_init__(self) -> None:
        for option, value in (("--keep-days", self.keep_days), ("--keep-gb", self.keep_gb)):
            if value is not None and not value > 0:
                raise UsageError(f"{option} must be more than 0 (got {value})")

    def prune(self, folder: Path, current: str) -> list[Deleted]:
        """Delete what is too old or over the size limit, oldest first, never `current`."""
        parts = sorted(_parts(folder, current), key=lambda part: part[0])
        deleted = []
        total = sum(size for _, _, size in parts)  # the part being written comes on top
        too_old = time.time() - self.keep_days * 86400 if self.keep_days else None
        for newest, files, size in parts:
            if too_old is not None and newest < too_old:
                why = f"older than {self.keep_days:g} days"
            elif self.keep_gb and total > self.keep_gb * 1e9:
                why = f"recordings over {self.keep_gb:g} GB"
            else:
                break
            for path in files:
                path.unlink(missing_ok=True)
            total -= size
            stem = files[0].name.split(".", 1)[0]
            deleted.append(Deleted(stem, sorted(p.name for p in files), size, why))
        return deleted


def _parts(folder: Path, current: str) -> list[tuple[float, list[Path], int]]:
    """Each finished part in `folder`: (its newest file's mtime, its files, their bytes)."""
    stems: dict[str, list[Path]] = {}
    for path in folder.glob("session-*"):
        stem = path.name.split(".", 1)[0]
        if stem != current and PART_NAME.fullmatch(stem) and path.is_file():
            stems.setdefault(stem, []).append(path)
    parts = []
    for files in stems.values():
        stats = [p.stat() for p in files]
        parts.append((max(s.st_mtime for s in stats), files, sum(s.st_size for s in stats)))
    return parts
