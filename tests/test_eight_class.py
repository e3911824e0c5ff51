"""The 8-expression model through the whole app: predict, analyze (timeline, report), the
window's model menu, `models`, valence with the other unpleasant expressions."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from fer_desktop.classifier import MODELS_DIR, ModelError, MoodModel, resolve_model_path
from fer_desktop.results import valence
from tests.helpers import run_cli

EIGHT = ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt"]
needs_8class = pytest.mark.skipif(
    not (MODELS_DIR / "model_a_8class_int8.tflite").is_file(),
    reason="models/model_a_8class_int8.tflite is not in this checkout",
)


def test_valence_counts_every_unpleasant_expression():
    probs = np.array([0.1, 0.4, 0.1, 0.1, 0.1, 0.05, 0.1, 0.05])
    # happy 0.4 against sad + anger + disgust + fear + contempt = 0.4; neutral and surprise 0
    assert valence(probs, EIGHT) == pytest.approx(0.0)
    assert valence(np.array([0.2, 0.7, 0.1]), ["happy", "neutral", "sad"]) == pytest.approx(0.1)


@needs_8class
def test_card_and_model_agree():
    model = MoodModel("8class")
    assert model.labels == EIGHT
    card = model.card.raw
    recall = card["metrics_int8"]["private_dedup"]["recall"]
    assert set(recall) == set(EIGHT)
    assert not card["git_dirty"] and card["command"]


@needs_8class
def test_predict_names_one_of_eight(astronaut_png):
    out = run_cli("predict", astronaut_png, "--json", "--model", "8class")
    assert out.returncode == 0, out.stderr
    face = json.loads(out.stdout)["faces"][0]
    assert set(face["probs"]) == set(EIGHT)
    assert abs(sum(face["probs"].values()) - 1.0) < 0.02
    assert face["label"] == "happy"  # she smiles broadly


@needs_8class
def test_analyze_and_report_with_eight_classes(tmp_path, demo_video):
    out = run_cli("analyze", demo_video, "--model", "8class", "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    timeline = tmp_path / "out" / f"{demo_video.stem}.csv"
    with open(timeline, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    header, faces = rows[0], [r for r in rows[1:] if r[0] == "face"]
    for lab in EIGHT:
        assert f"p_{lab}" in header
    assert faces and all(r[header.index("label")] in EIGHT for r in faces)
    p = np.array([[float(r[header.index(f"p_{lab}")]) for lab in EIGHT] for r in faces])
    assert np.allclose(p.sum(axis=1), 1.0, atol=0.02)
    report = tmp_path / "report.html"
    out = run_cli("report", timeline, "--out", report, "--no-thumbnails")
    assert out.returncode == 0, out.stderr
    assert "anger, disgust, fear and contempt count with sad" in report.read_text()


def test_a_missing_named_model_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr("fer_desktop.classifier.MODELS_DIR", tmp_path)
    with pytest.raises(ModelError, match=r"model 8class: not in this installation"):
        resolve_model_path("8class")


@needs_8class
def test_models_command_lists_it():
    out = run_cli("models")
    assert out.returncode == 0, out.stdout
    assert any(line.startswith("ok") and "8class" in line for line in out.stdout.splitlines())


@needs_8class
def test_window_offers_and_runs_it(window, qtbot):
    box = window.model_box
    keys = [box.itemData(i) for i in range(box.count())]
    assert keys == ["3class", "2class", "8class"]
    window.start_source("demo")
    box.setCurrentIndex(keys.index("8class"))
    qtbot.waitUntil(
        lambda: window.last_result is not None and window.last_result.labels == EIGHT,
        timeout=60_000,
    )
    assert all(f.label in EIGHT for f in window.last_result.faces)


@needs_8class
def test_index_and_overview_carry_every_class_share_of_the_model(tmp_path, face_video):
    """Before: the index and the overview kept happy/neutral/sad only."""
    out = run_cli("analyze", face_video, "--model", "8class", "--report", "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    with open(tmp_path / "index.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    labels = json.loads(Path(row["timeline"]).read_text().splitlines()[0][2:])["labels"]
    shares = {
        k[len("share_") : -len("_by_time")]: v for k, v in row.items() if k.startswith("share_")
    }
    assert set(shares) == set(labels) == set(EIGHT)
    assert sum(float(v) for v in shares.values()) == pytest.approx(1.0, abs=1e-3)
    page = (tmp_path / "overview.html").read_text()
    assert all(f"{lab} (time share)</th>" in page for lab in EIGHT)
