"""Where a model comes from: the commit (shipping needs a clean one) and the command."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _git(*args: str, repo: Path = REPO) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def dirty_files(repo: Path = REPO) -> list[str]:
    """Tracked files with uncommitted changes (untracked files do not count)."""
    out = _git("status", "--porcelain", "--untracked-files=no", repo=repo)
    return [line[3:] for line in out.splitlines() if line.strip()]


class DirtyTree(RuntimeError):
    """Shipping needs a clean commit."""


def provenance(repo: Path = REPO, allow_dirty: bool = False, command: str = "") -> dict:
    """The commit a model comes from and the command that made it. Refuses (DirtyTree, one
    line) when tracked files have uncommitted changes, unless `allow_dirty` (the card then
    says dirty)."""
    try:
        commit = _git("rev-parse", "HEAD", repo=repo).strip()
        dirty = dirty_files(repo)
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", []
    if dirty and not allow_dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise DirtyTree(
            f"refusing to ship from a modified tree ({shown}): commit first, or pass "
            "--allow-dirty for an experiment (the card will say dirty)"
        )
    return {"git_commit": commit, "git_dirty": bool(dirty), "command": command}


def git_commit() -> str:
    """HEAD, with "+dirty" when tracked files have uncommitted changes."""
    try:
        return _git("rev-parse", "HEAD").strip() + ("+dirty" if dirty_files() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
