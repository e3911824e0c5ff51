"""The live window's widgets: video and chart, transport, toolbars. `build` makes them and
hangs them on the window (`window.play`, `window.model_box`…); the window connects them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from fer_desktop.classifier import shipped_models

from .expression_lanes_view import chart_mode_box
from .live_texts import MESH_CHOICES, MESH_TIP, MODEL_CHOICES, RANGE_CHOICES, STATUS_TIP
from .mood_chart import MoodChart
from .video_view import VideoView


def build(w) -> None:
    """The central widget (video over chart, transport under them) and the two toolbars."""
    w.view = VideoView()
    w.chart = MoodChart(60.0)
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(w.view)
    split.addWidget(w.chart)
    split.setSizes([520, 200])
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(split, 1)
    layout.addLayout(_transport(w))
    w.setCentralWidget(central)
    _analysis_bar(w)
    w.addToolBarBreak()
    _recording_bar(w)
    w.status_label = QLabel("")  # no stretch: messages stay visible on its left
    w.status_label.setToolTip(STATUS_TIP)
    w.statusBar().addPermanentWidget(w.status_label)


def _transport(w) -> QHBoxLayout:
    w.seek = QSlider(Qt.Orientation.Horizontal)
    w.seek.setRange(0, 1000)
    w.seek.setEnabled(False)
    w.play = QPushButton("Pause")
    w.play.setCheckable(True)
    w.play.setToolTip("Pause or play (Space); after the end of a file, Play starts it again")
    w.fast = QCheckBox("As fast as possible")
    w.window_box = QComboBox()  # under the chart it sets, not in a full toolbar
    for s in (30, 60, 120):
        w.window_box.addItem(f"{s} s chart", s)
    w.chart_mode_box = chart_mode_box(w.chart, w.settings)  # valence or lanes, remembered
    row = QHBoxLayout()
    for widget in (w.play, w.seek, w.fast, w.window_box, w.chart_mode_box):
        row.addWidget(widget)
    return row


def _analysis_bar(w) -> None:
    bar = QToolBar("Controls")
    bar.setMovable(False)
    w.addToolBar(bar)
    w.source_box = QComboBox()
    w.source_box.setToolTip("Source: a camera, the built-in demo, or a file")
    bar.addWidget(w.source_box)
    w.model_box = QComboBox()
    installed = shipped_models()
    for key, text in MODEL_CHOICES:
        if key in installed:
            w.model_box.addItem(text, key)
    w.model_box.setToolTip(
        "Model A: happy / neutral / sad (default), happy / sad (the original 2-class "
        "model), or 8 expressions (neutral, happy, surprise, sad, anger, disgust, fear, "
        "contempt) when installed; see Help → About and the model cards"
    )
    bar.addWidget(w.model_box)
    bar.addWidget(QLabel(" Smoothing "))
    w.smoothing = QSlider(Qt.Orientation.Horizontal)
    w.smoothing.setRange(0, 95)
    w.smoothing.setFixedWidth(90)
    w.smoothing.setToolTip("Stabilize labels: 0 = raw, 95 = very smooth")
    bar.addWidget(w.smoothing)
    w.range_box = QComboBox()
    for key, (text, _range, _tiles) in RANGE_CHOICES.items():
        w.range_box.addItem(text, key)
    w.range_box.setToolTip(
        "Automatic: near faces every frame, far and small faces searched once a second "
        "and followed where found. Near / Far: one detector only. Crowd: every tile, "
        "every frame (slow)"
    )
    bar.addWidget(w.range_box)
    bar.addWidget(QLabel(" Min face "))
    w.min_face = QSpinBox()
    w.min_face.setRange(0, 400)
    w.min_face.setSuffix(" px")
    bar.addWidget(w.min_face)
    w.mesh_box = QComboBox()
    for key, text in MESH_CHOICES:
        w.mesh_box.addItem(text, key)
    w.mesh_box.setToolTip(MESH_TIP)
    bar.addWidget(w.mesh_box)


def _recording_bar(w) -> None:
    rec = QToolBar("Recording")
    rec.setMovable(False)
    w.addToolBar(rec)
    w.record_btn = QPushButton("● Record")
    w.record_btn.setCheckable(True)
    w.record_btn.setToolTip(
        "Write the timeline and the analysed video (Ctrl+R). The folder is asked the first "
        "time; File → Recording folder… changes it"
    )
    rec.addWidget(w.record_btn)
    w.format_box = QComboBox()
    w.format_box.addItems(["csv", "jsonl"])
    rec.addWidget(w.format_box)
    w.note_edit = QLineEdit()
    w.note_edit.setPlaceholderText(NOTE_PLACEHOLDER)
    w.note_edit.setToolTip(
        "A marker is timed when you press M or start typing its note; Enter places it with "
        "the note, Esc without one"
    )
    w.note_edit.setMinimumWidth(200)
    # M times a marker and moves here for its note (Enter; Esc: none); typing here first
    # times it at the first key. The box takes focus only when clicked or after M, so M is
    # not typed into it by accident.
    w.note_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    rec.addWidget(w.note_edit)
    w.recording_bar = rec
    w.lsl_box = QCheckBox("LSL")
    w.lsl_box.setToolTip("Stream to Lab Streaming Layer (needs mne-lsl)")
    w.ws_box = QCheckBox("WebSocket")
    w.ws_box.setToolTip(
        "Serve each frame's JSON, and the observer page, over WebSocket; the Stream menu "
        "sets the port, opens it to the local network (with a token) and copies the page's link"
    )


NOTE_PLACEHOLDER = "marker note (optional)"


def on_escape(widget: QWidget, slot) -> None:
    """Esc in this widget (and only there) calls `slot`."""
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), widget)
    shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    shortcut.activated.connect(slot)
