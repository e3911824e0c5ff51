"""training/mirror_study.py: averaging a face with its mirror through a shipped file."""

import numpy as np
import pytest

from tests.conftest import REPO, shared_path
from training import data as D
from training import mirror_study

MODEL = REPO / "models" / "model_a_3class_int8.tflite"


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    data = D.load(shared_path("data", "fer2013.npz"))
    return data.pixels[data.usage == "PublicTest"][:32]


@pytest.fixture(scope="module")
def predict():
    if not MODEL.exists():
        pytest.skip("the shipped 3-class model is not in models/")
    from fer_desktop.classifier import MoodModel

    return MoodModel(MODEL, num_threads=1).predict


def test_mirror_average_is_the_geometric_mean_of_both_passes(faces, predict):
    both = mirror_study.mirrored(predict)(faces)
    one, other = (np.clip(predict(f), 1e-7, 1.0) for f in (faces, faces[:, :, ::-1]))
    want = np.sqrt(one * other)
    assert np.allclose(both, want / want.sum(axis=1, keepdims=True), atol=1e-5)
    assert np.allclose(both.sum(axis=1), 1.0, atol=1e-5)


def test_a_face_and_its_mirror_get_the_same_answer(faces, predict):
    averaged = mirror_study.mirrored(predict)
    single_differs = np.abs(predict(faces) - predict(faces[:, :, ::-1])).max()
    assert single_differs > 0.01  # one pass does see the difference
    assert np.allclose(averaged(faces), averaged(faces[:, :, ::-1]), atol=1e-5)


def test_the_plain_mean_is_the_other_choice(faces, predict):
    plain = mirror_study.mirrored(predict, geometric=False)(faces)
    assert np.allclose(plain, (predict(faces) + predict(faces[:, :, ::-1])) / 2, atol=1e-6)
