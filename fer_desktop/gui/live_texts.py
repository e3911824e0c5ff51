"""The live window's fixed texts and choices."""

from __future__ import annotations

import glob
import html
import sys
from pathlib import Path

from fer_desktop.classifier import ModelCard, card_path_for, resolve_model_path
from fer_desktop.errors import FerDesktopError

APP_NAME = "fer_desktop"
ICON_PATH = Path(__file__).resolve().parent.parent.parent / "assets" / "fer_desktop.svg"
MODEL_CHOICES = [
    ("3class", "happy / neutral / sad"),
    ("2class", "happy / sad"),
    ("8class", "8 expressions"),
]
# (menu text, settings key) -> detector range and tile rows
RANGE_CHOICES = {
    "auto:0": ("Automatic", "auto", 0),
    "short:1": ("Near faces", "short", 1),
    "full:1": ("Far faces", "full", 1),
    "full:2": ("Crowd (tiled)", "full", 2),
}

MESH_CHOICES = (  # settings.mesh: the toolbar's text for each
    ("off", "Mesh off"),
    ("face", "Mesh: face"),
    ("eyes", "Mesh: eyes"),
)
MESH_TIP = (
    "Face mesh: off; face (head pose, eye openness and mouth for each face; its eye state on "
    "the label; View → Landmarks or Pose axes draws it); eyes (face, and gaze from the iris "
    "model). With the mesh on the detector reads every tenth frame"
)

NOTICE_TEXT = (
    "• The label describes the look of a face, not what the person feels.\n"
    "• Ask people before recording them.\n"
    "• Do not use it to make decisions about people. The EU AI Act, Art. 5(1)(f), prohibits "
    "emotion recognition in workplaces and education, except for medical or safety reasons.\n\n"
    "Everything runs on this computer: no frame leaves it, and nothing is stored unless you "
    "record."
)


def looks(model: str) -> str:
    """What `model` reads, from its card: "happy, neutral or sad"."""
    try:
        labels = ModelCard.load(card_path_for(resolve_model_path(model))).labels
    except FerDesktopError:  # not installed: the window says so when it loads it
        return "facial expressions"
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def notice_text(model: str) -> str:
    """The responsible-use notice for the model chosen."""
    return "fer_desktop reads the look of faces: " + looks(model) + ".\n\n" + NOTICE_TEXT


def about_text(model: str) -> str:
    return (
        "<b>fer_desktop</b> — the look of faces, read in real time, offline.<br><br>"
        + html.escape(notice_text(model)).replace("\n", "<br>")
        + "<br><br>Face detection: MediaPipe BlazeFace (Apache-2.0). Model A: trained on "
        "FER2013 with FER+ votes; see each model's card in models/."
    )


STATUS_TIP = (
    "fps: frames shown per second. detect / classify: time per frame of each stage. "
    "not drawn: frames analysed (and recorded, when recording) but not drawn, because the "
    "window was still busy drawing the one before; the recording misses none of them."
)


def list_cameras() -> list[str]:
    """Camera specs found on this machine (Linux: /dev/video*), without opening them."""
    if sys.platform.startswith("linux"):
        nums = sorted(int(p[len("/dev/video") :]) for p in glob.glob("/dev/video[0-9]*"))
        return [f"camera:{n}" for n in nums]
    return ["camera:0"]


def is_file(spec: str) -> bool:
    return spec != "demo" and not spec.startswith("camera:")
