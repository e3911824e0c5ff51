"""The keyboard shortcuts: one table per window of (keys, action, description). The same
table binds the keys (`bind`) and writes Help → Keyboard shortcuts (`help_html`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]  # QKeySequence strings: "Space", "Ctrl+R"
    action: str  # the name a window maps to its slot
    description: str


LIVE = (
    Shortcut(("Space",), "pause", "Pause or play the video"),
    Shortcut(("Ctrl+R",), "record", "Start or stop recording (the folder is asked once)"),
    Shortcut(("M", "Ctrl+M"), "marker", "Place a marker now, with the note typed in the box"),
    Shortcut(("O",), "overlay", "Switch the face overlay: none, landmarks, pose axes"),
    Shortcut(("Ctrl+O",), "open", "Open a video or an image"),
    Shortcut(("Ctrl+Shift+O",), "review", "Open a recording to review"),
    Shortcut(("F1",), "shortcuts", "This list of keyboard shortcuts"),
    Shortcut(("Ctrl+Q",), "quit", "Quit (asks first while recording)"),
)

REVIEW = (
    Shortcut(("Space",), "play", "Play or pause"),
    Shortcut(("Right",), "next_frame", "One frame on"),
    Shortcut(("Left",), "previous_frame", "One frame back"),
    Shortcut(("PgDown",), "next_marker", "To the next marker"),
    Shortcut(("PgUp",), "previous_marker", "To the previous marker"),
    Shortcut(("M",), "marker", "A marker at the cursor, its note asked for"),
    Shortcut(("Delete",), "delete_marker", "Delete the selected marker"),
    Shortcut(("Ctrl+Z",), "undo", "Undo the last edit (markers, names, merges)"),
    Shortcut(("Ctrl+S",), "save", "Save markers, names and merges (they are saved as you go)"),
    Shortcut(("Ctrl+P",), "report", "Write the HTML report and offer to open it"),
    Shortcut(("F1",), "shortcuts", "This list of keyboard shortcuts"),
    Shortcut(("Ctrl+W",), "close", "Close the review"),
)


def bind(
    window: QWidget, table: tuple[Shortcut, ...], slots: dict[str, Callable[[], object]]
) -> dict[str, QAction]:
    """One QAction per row, on `window`, calling `slots[row.action]`; returned by action."""
    actions = {}
    for row in table:
        action = QAction(row.description, window)
        action.setShortcuts([QKeySequence(k) for k in row.keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        slot = slots[row.action]
        action.triggered.connect(lambda _checked=False, slot=slot: slot())
        window.addAction(action)
        actions[row.action] = action
    return actions


def key_text(keys: tuple[str, ...]) -> str:
    """The keys as this platform writes them: "Ctrl+R" (⌘R on a Mac)."""
    native = QKeySequence.SequenceFormat.NativeText
    return " or ".join(QKeySequence(k).toString(native) for k in keys)


def help_html(title: str, table: tuple[Shortcut, ...]) -> str:
    rows = "".join(
        f"<tr><td><b>{escape(key_text(r.keys))}</b></td><td>{escape(r.description)}</td></tr>"
        for r in table
    )
    return f"<h3>{escape(title)}</h3><table cellspacing='6'>{rows}</table>"
