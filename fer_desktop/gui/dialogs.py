"""File dialogs that remember their folder, suggest a name and add the extension."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget


def last_folder(settings: QSettings, key: str, fallback: str | Path | None = None) -> Path:
    """The folder last used for `key` when it still exists, else `fallback`, else home."""
    stored = settings.value(f"folders/{key}", "")
    for candidate in (stored, fallback):
        if candidate and Path(str(candidate)).is_dir():
            return Path(str(candidate))
    return Path.home()


def with_suffix(path: str, suffix: str) -> str:
    """`path` with `suffix` (".csv") added when it has none of its own."""
    return path if Path(path).suffix else path + suffix


def save_path(
    parent: QWidget,
    settings: QSettings,
    key: str,
    title: str,
    name: str,
    file_filter: str,
    suffix: str,
    fallback: str | Path | None = None,
) -> str | None:
    """Ask where to save: opens in the folder last used for `key` with `name` suggested;
    the extension is added when left out; the folder is remembered. None when cancelled."""
    start = last_folder(settings, key, fallback) / name
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start), file_filter)
    if not path:
        return None
    path = with_suffix(path, suffix)
    settings.setValue(f"folders/{key}", str(Path(path).parent))
    return path
