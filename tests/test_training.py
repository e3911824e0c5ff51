"""training/: data loading, the honest protocol, and the quick mode end to end."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, shared_path
from training import data as D


def test_npz_split_and_duplicates_match_the_dataset_readme():
    data = D.load(shared_path("data", "fer2013.npz"))
    assert len(data.pixels) == 35_887
    dup = D.duplicates_of_training(data)
    assert dup.sum() == 568
    assert dup[data.usage == "PublicTest"].sum() == 280
    task = D.make_task(data, "2class")
    _x, y = task.subset("PrivateTest", dedup=False)
    assert np.bincount(y).tolist() == [879, 594]


def test_three_class_task_uses_ferplus_majority():
    data = D.load(shared_path("data", "fer2013.npz"))
    task = D.make_task(data, "3class")
    assert task.labels == ["happy", "neutral", "sad"]
    assert np.allclose(task.soft.sum(axis=1), 1.0)
    assert (task.soft.argmax(axis=1) == task.y).all()


def test_kaggle_csv_and_folders_load(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    rows = ["emotion,pixels,Usage"]
    for i, usage in enumerate(["Training"] * 4 + ["PublicTest", "PrivateTest"]):
        px = " ".join(map(str, rng.integers(0, 256, 2304)))
        rows.append(f"{3 + i % 2},{px},{usage}")
    csv_path = tmp_path / "fer2013.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    data = D.load(csv_path)
    assert data.pixels.shape == (6, 48, 48) and data.votes is None
    for split in ("train", "test"):
        for cls in ("happy", "sad"):
            folder = tmp_path / "tree" / split / cls
            folder.mkdir(parents=True)
            for k in range(3):
                cv2.imwrite(str(folder / f"{k}.png"), rng.integers(0, 256, (48, 48), np.uint8))
    tree = D.load(tmp_path / "tree")
    assert len(tree.pixels) == 12 and set(tree.usage) >= {"Training", "PrivateTest"}


@pytest.mark.parametrize("content", ["", "emotion,pixels,Usage\n3,1 2 3,Training\n", "x,y\n1,2\n"])
def test_malformed_dataset_is_one_clear_error(tmp_path, content):
    path = tmp_path / "fer2013.csv"
    path.write_text(content)
    with pytest.raises(D.DatasetError):
        D.load(path)
    with pytest.raises(D.DatasetError, match="not found"):
        D.load(tmp_path / "absent.npz")


def _train_python() -> str:
    """The training venv's python, as an absolute path (tests run it from other folders)."""
    python = REPO / os.environ.get("FER_TRAIN_PYTHON", ".venv-train/bin/python")
    if not python.exists():
        pytest.skip("the training environment is not installed (make setup-train)")
    return str(python)


@pytest.mark.slow
def test_quick_mode_trains_exports_and_cards(tmp_path):
    shared_path("data", "fer2013.npz")
    out = subprocess.run(
        [
            _train_python(),
            "-m",
            "training",
            "ship",
            "--quick",
            "--task",
            "2class",
            "--out",
            str(tmp_path),
            "--float-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    card = json.loads((tmp_path / "model_a_2class_int8.json").read_text())
    assert card["labels"] == ["happy", "sad"]
    assert card["tensors"]["input"]["dtype"] == "float32"  # the first stage runs in float32
    assert "int8" in card["quantization"]
    assert set(card["metrics_int8"]) == {"private_dedup", "private_full", "public_dedup"}
    metrics = card["metrics_int8"]
    removed = metrics["private_full"]["n"] - metrics["private_dedup"]["n"]
    assert card["data"]["duplicates_removed"]["PrivateTest"] == removed
    # the card's numbers are what a fresh evaluation of the same file gives
    from fer_desktop.classifier import MoodModel

    model = MoodModel(tmp_path / "model_a_2class_int8.tflite")
    assert model.labels == ["happy", "sad"]
    assert (tmp_path / "model_a_2class_float32.tflite").exists()
    conditions = {row["condition"] for row in card["accuracy_by_condition"]}
    assert {"face 24 px (down and up)", "lower third hidden", "JPEG quality 20"} <= conditions
    assert any("Art. 5(1)(f)" in line for line in card["limitations"])
    assert card["intended_use"] and card["out_of_scope"]


CURVE_CHECK = """
import numpy as np, keras
from training.architectures import model_a_sep
from training.architectures import averaged_logits, with_softmax
keras.utils.set_random_seed(0)
nets = [model_a_sep(8, width=8), model_a_sep(8, width=8)]
x = np.random.default_rng(0).integers(0, 256, (5, 48, 48, 1)).astype(np.float32)
body = lambda n, v: keras.Model(n.inputs, n.get_layer("logits").output)(v).numpy()
want = np.mean([body(n, v) for n in nets for v in (x, x[:, :, ::-1])], axis=0)
got = averaged_logits(nets, mirror=True)(x).numpy()
assert np.allclose(got, want, atol=1e-5), np.abs(got - want).max()
head = with_softmax(averaged_logits(nets, mirror=True), [1, 0, 3], [0.0, 0.0, 0.5])
p = head(x).numpy()
z = want[:, [1, 0, 3]] + [0.0, 0.0, 0.5]
assert np.allclose(p, np.exp(z) / np.exp(z).sum(1, keepdims=True), atol=1e-5)
print("ok")
"""


@pytest.mark.slow
def test_curve_points_average_members_and_mirrors_exactly():
    """An ensemble curve point is the mean of its members' logits over the face and its
    mirror; a head is the softmax over its columns of that mean, plus the log-prior."""
    out = subprocess.run(
        [_train_python(), "-c", CURVE_CHECK], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_training_cli_explains_itself():
    out = subprocess.run(
        [sys.executable, "-m", "training", "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 0 and "PublicTest" in out.stdout


def test_missing_dataset_exits_with_a_message(tmp_path):
    out = subprocess.run(
        [_train_python(), "-m", "training", "--data", str(tmp_path / "x.npz"), "ship", "--quick"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 2 and "dataset not found" in out.stderr


def test_report_is_made_from_cards_and_run_records(tmp_path):
    """REPORT.md's numbers come from the model cards and training/runs/: the goals table
    shows each shipped card's own figures, and earlier rounds are copied from their record."""
    from training.report import write

    runs = REPO / "training" / "runs"
    out = write(REPO / "models", runs, tmp_path / "REPORT.md")
    text = out.read_text()
    card = json.loads((REPO / "models" / "model_a_3class_int8.json").read_text())
    m = card["metrics_int8"]["private_dedup"]
    row = next(line for line in text.splitlines() if line.startswith("| 3-class accuracy |"))
    assert f"| {100 * m['accuracy']:.1f}% |" in row
    sad = next(line for line in text.splitlines() if line.startswith("| 3-class sad recall |"))
    assert f"| {100 * m['recall']['sad']:.1f}% |" in sad
    assert (runs / "history.md").read_text().strip() in text
    for record in runs.glob("speed_*.json"):
        assert f"training/runs/{record.name}" in text
