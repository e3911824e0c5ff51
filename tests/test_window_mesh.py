"""The live window with the face mesh on, offscreen on the real talking-head clip: the mesh
chosen in the toolbar, the landmarks and pose axes drawn over the face (pixels change where
the face is, and only there), the eye state on the label, the overlay kept in QSettings and
switched by its key, and a missing iris model shown as a notice, not a traceback."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from fer_desktop import detector_models
from fer_desktop.gui.face_overlay import OVERLAY_KEYS
from tests.helpers import main_window


def pixels(image: QImage) -> np.ndarray:
    """A grabbed image as an (h, w, 4) array."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()].copy()


def meshed_face(window):
    """The face of the last frame shown, once it has its mesh and its eye state."""
    result = window.view.result
    if result is None or not result.faces:
        return None
    face = result.faces[0]
    if face.landmarks is None or not window.view.eyes.text(face.id, face.measures):
        return None
    return face


def paused_on_a_face(qtbot, window, face_video):
    """Play the clip with the mesh on until the face has its eye state, then pause there."""
    window.mesh_box.setCurrentIndex(window.mesh_box.findData("face"))  # as a user picks it
    assert window.analysis.mesh == "face"
    window.start_source(str(face_video))
    qtbot.waitUntil(lambda: meshed_face(window) is not None, timeout=60_000)
    window.toggle_pause()
    qtbot.waitUntil(lambda: window.worker.session.paused, timeout=10_000)
    return meshed_face(window)


def face_rect(window, face) -> tuple[slice, slice]:
    """The face box in the view's pixels, as row and column slices."""
    target = window.view.image_rect()
    scale = target.width() / window.view.result.width
    x, y, w, h = face.box
    left, top = target.x() + x * scale, target.y() + y * scale
    return (
        slice(int(top), int(top + h * scale)),
        slice(int(left), int(left + w * scale)),
    )


def test_the_overlays_draw_on_the_face_and_the_label_says_the_eyes(qtbot, window, face_video):
    face = paused_on_a_face(qtbot, window, face_video)
    view = window.view
    grabs = {}
    for mode in OVERLAY_KEYS:
        window.overlay_switch.set(mode)
        grabs[mode] = pixels(view.grab().toImage())
    rows, cols = face_rect(window, face)
    for mode in ("landmarks", "pose"):
        changed = np.any(grabs[mode] != grabs["off"], axis=2)
        inside = changed[rows, cols].sum()
        outside = changed.sum() - inside
        assert inside > 300, mode  # hundreds of points, or three thick lines
        assert outside < 0.1 * inside, mode  # the label's place may differ by nothing else
    # the landmarks are many small points over the whole face; the axes start at the nose
    landmark_px = np.any(grabs["landmarks"] != grabs["off"], axis=2)[rows, cols]
    assert landmark_px[: landmark_px.shape[0] // 3].any()  # brow and eyes
    assert landmark_px[-landmark_px.shape[0] // 4 :].any()  # mouth and chin
    label = view.face_label(face, 0.5)
    assert label.startswith(f"#{face.id} {face.label} 50% · eyes ")
    assert label.endswith(("eyes open", "eyes closed"))


def test_the_overlay_is_kept_and_switched_by_its_key(qtbot, tmp_path):
    settings = tmp_path / "settings.ini"
    w = main_window(qtbot, settings)
    assert w.view.face_overlay == "off" and w.overlay_switch.actions["off"].isChecked()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_O)
    assert w.view.face_overlay == "landmarks" and w.overlay_switch.actions["landmarks"].isChecked()
    assert "face mesh" in w.statusBar().currentMessage()  # the mesh is off: said why
    w.overlay_switch.actions["pose"].trigger()  # the View menu
    assert w.view.face_overlay == "pose"
    w.mesh_box.setCurrentIndex(w.mesh_box.findData("eyes"))
    w.close()
    again = main_window(qtbot, settings)
    assert again.view.face_overlay == "pose" and again.overlay_switch.actions["pose"].isChecked()
    assert again.analysis.mesh == "eyes" and again.mesh_box.currentData() == "eyes"
    again.close()


def test_a_missing_iris_model_is_a_notice_and_the_mesh_runs_on(
    qtbot, window, face_video, tmp_path, monkeypatch
):
    models = tmp_path / "detector"
    models.mkdir()
    for model in detector_models.ALL_MODELS.values():
        if model.range != "iris":
            (models / model.filename).symlink_to(detector_models.find(model.range))
    (models / "iris_landmark.tflite").write_bytes(b"not a model")
    monkeypatch.setenv("FER_DESKTOP_DETECTOR_DIR", str(models))
    window.mesh_box.setCurrentIndex(window.mesh_box.findData("eyes"))
    window.start_source(str(face_video))
    qtbot.waitUntil(lambda: meshed_face(window) is not None, timeout=60_000)
    notice = next(e for e in window.errors if "gaze off" in e)
    assert "\n" not in notice and "Traceback" not in notice and "fer-desktop models fetch" in notice
    assert "gaze off" in window.view.alert  # on the picture, not only in the status bar
    face = meshed_face(window)
    assert face.measures.gaze is None and face.measures.eye_openness is not None
