"""What a batch is given: files, folders and globs expanded into videos, and each video's
output name (unique, and stable from run to run)."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from fer_desktop.sources import IMAGE_SUFFIXES

# What a folder is searched for (a file named on its own is tried whatever its name): the
# usual containers, camcorders' AVCHD (.mts, .m2ts) and phones' 3GPP (.3gp, .3g2).
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv",
                  ".mts", ".m2ts", ".3gp", ".3g2", ".flv", ".ogv", ".mxf"}  # fmt: skip


def expand_inputs(items: Iterable[str | Path]) -> tuple[list[Path], list[str], list[str]]:
    """Files as given; folders -> the videos inside (recursively); globs expanded (also on
    Windows, where the shell does not). Returns the videos, a one-line problem for each input
    that gave none (the batch goes on without it) and a line for each file in a folder that
    is left out, with the reason."""
    out: list[Path] = []
    problems: list[str] = []
    left_out: list[str] = []
    for item in map(str, items):
        path = Path(item)
        if path.is_dir():
            found, skipped = videos_in(path)
            if not found:
                problems.append(f"{path}: is a directory with no videos in it")
            out += found
            left_out += skipped
        elif not path.exists() and glob.has_magic(item):
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            if not found:
                problems.append(f"{item}: no file matches")
            out += found
        else:
            out.append(path)
    seen: set[Path] = set()
    unique = [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]
    return unique, problems, left_out


def videos_in(folder: Path) -> tuple[list[Path], list[str]]:
    """The videos in a folder and its subfolders (by name: VIDEO_SUFFIXES), and a line for
    every other file saying why it is left out."""
    videos, left_out = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix in VIDEO_SUFFIXES:
            videos.append(path)
        elif suffix in IMAGE_SUFFIXES:
            left_out.append(f"{path}: left out: an image (fer-desktop predict reads images)")
        else:
            kind = f"{path.suffix} is" if path.suffix else "a name without a suffix is"
            left_out.append(
                f"{path}: left out: {kind} not a video type analyze looks for in a folder "
                f"(name the file on its own to try it)"
            )
    return videos, left_out


def output_names(paths: list[Path]) -> dict[Path, str]:
    """A unique, stable output name per video: its path relative to the inputs' common folder,
    without the suffix (day1/interview.mp4 and day2/interview.mp4 stay apart)."""
    absolute = [p.resolve() for p in paths]
    root = Path(os.path.commonpath([a.parent for a in absolute])) if absolute else Path()
    names = {
        p: a.relative_to(root).with_suffix("").as_posix()
        for p, a in zip(paths, absolute, strict=True)
    }
    taken: set[str] = set()
    for p, name in names.items():  # a.mp4 and a.mkv in one folder
        if name in taken:
            names[p] = f"{name}.{p.suffix.lstrip('.')}"
        taken.add(names[p])
    return names
