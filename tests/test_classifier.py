"""MoodModel on LiteRT: the shipped models, their cards, and broken model files."""

import json
import shutil

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from fer_desktop.classifier import ModelError, MoodModel, resolve_model_path, shipped_models

LABELS = {
    "3class": ["happy", "neutral", "sad"],
    "2class": ["happy", "sad"],
    "8class": ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt"],
}


def test_both_first_models_are_shipped():
    assert shipped_models()[:2] == ["3class", "2class"]


@pytest.mark.parametrize("name", shipped_models())
def test_shipped_models_load_with_their_card_labels(name):
    model = MoodModel(name)
    assert model.labels == LABELS[name]
    faces = np.random.default_rng(0).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    probs = model.predict(faces)
    assert probs.shape == (5, len(model.labels))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=0.02)
    assert model.predict(np.zeros((0, 48, 48), np.uint8)).shape == (0, len(model.labels))


@pytest.mark.parametrize("name", shipped_models())
def test_card_matches_its_file_and_budget(name):
    from fer_desktop.detector_models import sha256_of

    path = resolve_model_path(name)
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["file_sha256"] == sha256_of(path)
    assert card["size_bytes"] == path.stat().st_size <= 400_000  # issue #21's budget
    interp = Interpreter(model_path=str(path))
    for side, details in (
        ("input", interp.get_input_details()),
        ("output", interp.get_output_details()),
    ):
        assert card["tensors"][side]["dtype"] == np.dtype(details[0]["dtype"]).name
        assert card["tensors"][side]["shape"] == [int(s) for s in details[0]["shape_signature"]]
    assert card["tensors"]["input"]["shape"][1:] == [48, 48, 1]
    assert card["tensors"]["output"]["shape"][1:] == [len(card["labels"])]


@pytest.mark.parametrize("name", shipped_models())
def test_shipped_weights_are_int8_but_the_first_stage(name):
    """The card's quantization: int8 weights except the early layers' float32 ones (the stem
    network: stem and 24 px blocks, 6% of the weights; a full-resolution network: its layers
    at 48, 24 and 12 px, a quarter; see training/export.py)."""
    card = json.loads(resolve_model_path(name).with_suffix(".json").read_text())
    interp = Interpreter(model_path=str(resolve_model_path(name)))
    stored: dict[str, int] = {}
    for t in interp.get_tensor_details():
        if list(t["shape_signature"][:1]) == [-1]:
            continue  # activations (batch dimension first), not weights
        kind = np.dtype(t["dtype"]).name
        stored[kind] = stored.get(kind, 0) + int(np.prod(t["shape"]))
    float_share = 0.3 if card["recipe"].get("first_stage") else 0.1
    assert stored["int8"] > (1 - float_share) * card["parameters"]
    assert stored.get("float32", 0) < float_share * card["parameters"]
    assert "int8" in card["quantization"] and "float32" in card["quantization"]


def _copy_model(tmp_path, name="3class"):
    src = resolve_model_path(name)
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    shutil.copy(src.with_suffix(".json"), dst.with_suffix(".json"))
    return dst


def test_missing_corrupt_and_mismatched_models_are_refused(tmp_path):
    with pytest.raises(ModelError, match="model file missing"):
        MoodModel(tmp_path / "nope.tflite")
    path = _copy_model(tmp_path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ModelError, match="not a usable TFLite model"):
        MoodModel(path)
    path = _copy_model(tmp_path)
    card = json.loads(path.with_suffix(".json").read_text())
    card["labels"] = ["happy", "sad"]
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match=r"lists 2 labels but .* has 3 outputs"):
        MoodModel(path)
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        MoodModel(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="model card missing"):
        MoodModel(path)


def test_wrong_input_shape_model_is_refused(tmp_path):
    # The detector's own TFLite file is a real model with a 128x128x3 input.
    from fer_desktop.detector_models import find

    path = tmp_path / "detector_as_mood.tflite"
    shutil.copy(find("short"), path)
    path.with_suffix(".json").write_text(json.dumps({"labels": ["happy", "sad"]}))
    with pytest.raises(ModelError, match="expected \\(48, 48, 1\\)"):
        MoodModel(path)


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_models())
def test_card_metrics_match_a_fresh_evaluation(name):
    from tests.conftest import shared_path
    from training import data as D
    from training import evaluate as ev

    data = D.load(shared_path("data", "fer2013.npz"))
    card = json.loads(resolve_model_path(name).with_suffix(".json").read_text())
    fresh = ev.evaluate(ev.litert_predictor(resolve_model_path(name)), D.make_task(data, name))
    assert ev.strip_predictions(fresh) == card["metrics_int8"]
