"""training/: a run killed mid-epoch resumes to the same weights; checkpoints of another
recipe, damaged checkpoints and data with the wrong checksum are refused in one line; a
model ships only from a clean commit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, shared_path
from tests.test_training import _train_python
from training import checkpoint as ckpt


def _fit_command(folder: Path, run: str, epochs: int = 3) -> list[str]:
    return [
        _train_python(),
        "-m",
        "training",
        "fit",
        "--quick",
        "--epochs",
        str(epochs),
        "--checkpoints",
        str(folder / "checkpoints"),
        "--run",
        run,
        "--fitted",
        str(folder / f"{run}.keras"),
    ]


def _start(cmd: list[str], folder: Path, name: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=open(folder / f"{name}.stderr", "w"),  # closed when the process ends
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def _finish(proc: subprocess.Popen, folder: Path, name: str) -> tuple[int, str, str]:
    out, _ = proc.communicate(timeout=600)
    return proc.returncode, out, (folder / f"{name}.stderr").read_text()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run "whole" trains three epochs; run "killed" is SIGKILLed in the middle of its second
    epoch and started again with the same command. A third process asks for four epochs in
    the killed run's folder (another recipe)."""
    shared_path("data", "fer2013.npz")
    folder = tmp_path_factory.mktemp("resume")
    whole = _start(_fit_command(folder, "whole"), folder, "whole")
    killed = _start(_fit_command(folder, "killed"), folder, "killed", {"FER_TRAIN_STALL": "2:2"})
    seen = []
    for line in killed.stdout:
        seen.append(line)
        if line.startswith("stalled at epoch 2 batch 2"):
            killed.send_signal(signal.SIGKILL)
            break
    killed.wait(timeout=60)
    after_kill = sorted(p.name for p in (folder / "checkpoints" / "killed").iterdir())
    resumed = _start(_fit_command(folder, "killed"), folder, "resumed")
    other = _start(_fit_command(folder, "killed", epochs=4), folder, "other")
    result = {
        "folder": folder,
        "stalled": "".join(seen),
        "killed_rc": killed.returncode,
        "after_kill": after_kill,
        "whole": _finish(whole, folder, "whole"),
    }
    # exporting the fitted network with other recipe options than it was fitted with
    export = [
        *_fit_command(folder, "whole", epochs=4)[:3],
        "ship",
        "--quick",
        "--epochs",
        "4",
        "--reuse-fit",
        "--fitted",
        str(folder / "whole.keras"),
        "--out",
        str(folder / "export"),
        "--float-dir",
        str(folder / "export"),
    ]
    mismatch = _start(export, folder, "export")
    result["resumed"] = _finish(resumed, folder, "resumed")
    result["other"] = _finish(other, folder, "other")
    result["export"] = _finish(mismatch, folder, "export")
    return result


def test_a_run_killed_mid_epoch_resumes_to_the_same_weights(runs):
    assert "stalled at epoch 2 batch 2" in runs["stalled"], runs["stalled"][-2000:]
    assert runs["killed_rc"] == -signal.SIGKILL
    assert runs["after_kill"] == ["epoch-0001.npz"]  # epoch 2 never finished
    for name in ("whole", "resumed"):
        rc, out, err = runs[name]
        assert rc == 0, out[-2000:] + err[-2000:]
    assert "resuming" in runs["resumed"][1] and "after epoch 1 of 3" in runs["resumed"][1]
    folder = runs["folder"] / "checkpoints"
    whole = ckpt.load_file(folder / "whole" / "epoch-0003.npz")
    resumed = ckpt.load_file(folder / "killed" / "epoch-0003.npz")
    for a, b in zip(whole.model + whole.optimizer, resumed.model + resumed.optimizer, strict=True):
        assert a.shape == b.shape
        assert np.allclose(a, b, rtol=0, atol=1e-6), float(np.abs(a - b).max())
    assert whole.header["history"] == resumed.header["history"]
    assert whole.header["best_epoch"] == resumed.header["best_epoch"]
    record = json.loads((runs["folder"] / "killed.json").read_text())
    assert [s["first_epoch"] for s in record["training"]["segments"]] == [1, 2]
    assert "--run killed" in record["command"]


def test_a_checkpoint_of_another_recipe_is_refused_in_one_line(runs):
    rc, out, err = runs["other"]
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert rc == 2 and len(lines) == 1, out[-2000:] + err[-2000:]
    assert "another recipe" in lines[0]
    assert "epoch 1:" not in out  # nothing was trained


def test_a_fitted_network_is_exported_only_with_its_own_recipe(runs):
    rc, out, err = runs["export"]
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert rc == 2 and len(lines) == 1, out[-2000:] + err[-2000:]
    assert "another recipe" in lines[0]
    assert not (runs["folder"] / "export" / "model_a_3class_int8.tflite").exists()


def _state(epoch: int, value: float) -> ckpt.State:
    return ckpt.State(
        epoch,
        [np.full((3, 2), value, np.float32)],
        [np.array(epoch, np.int64)],
        None,
        {"recipe_hash": "r", "data_key": "d", "best": 0.5, "best_epoch": 1, "history": []},
    )


def test_a_damaged_checkpoint_is_set_aside_and_the_one_before_used(tmp_path):
    for epoch in (1, 2, 3):
        ckpt.save(tmp_path, _state(epoch, float(epoch)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch-0002.npz", "epoch-0003.npz"]
    newest = tmp_path / "epoch-0003.npz"
    newest.write_bytes(newest.read_bytes()[:-200])  # a damaged file
    said = []
    state = ckpt.latest(tmp_path, said.append)
    assert state.epoch == 2 and np.all(state.model[0] == 2.0)
    assert len(said) == 1 and "epoch-0003.npz is damaged" in said[0]
    (tmp_path / "epoch-0002.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ckpt.CheckpointError, match="no usable checkpoint") as err:
        ckpt.latest(tmp_path, said.append)
    assert "\n" not in str(err.value)


def test_a_changed_byte_fails_the_digest(tmp_path):
    path = ckpt.save(tmp_path, _state(1, 1.0))
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["m0000"] = arrays["m0000"] + 1.0  # well-formed file, other numbers
    np.savez(path, **arrays)
    with pytest.raises(ckpt.CheckpointError, match="digest"):
        ckpt.load_file(path)


def test_a_checkpoint_of_other_data_is_refused(tmp_path):
    state = _state(1, 1.0)
    ckpt.check_compatible(state, "r", "d", tmp_path)
    with pytest.raises(ckpt.CheckpointError, match="another recipe"):
        ckpt.check_compatible(state, "x", "d", tmp_path)
    with pytest.raises(ckpt.CheckpointError, match="other data"):
        ckpt.check_compatible(state, "r", "x", tmp_path)


def test_data_with_the_wrong_checksum_is_refused(tmp_path):
    from training import data as D

    path = shared_path("data", "fer2013.npz")
    with pytest.raises(D.DatasetError, match="sha256") as err:
        D.load(path, expect_sha256="0" * 64)
    assert "\n" not in str(err.value)
    with pytest.raises(D.DatasetError, match="not found"):
        D.load(tmp_path / "absent.npz", expect_sha256=D.KNOWN_SHA256)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_shipping_needs_a_clean_commit(tmp_path):
    from training.provenance import DirtyTree, provenance

    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "t")
    (tmp_path / "recipe.py").write_text("epochs = 70\n")
    _git(tmp_path, "add", "recipe.py")
    _git(tmp_path, "commit", "-q", "-m", "recipe")
    (tmp_path / "notes.txt").write_text("untracked files do not count\n")
    clean = provenance(tmp_path, command="python -m training ship")
    assert not clean["git_dirty"] and len(clean["git_commit"]) == 40
    assert clean["command"] == "python -m training ship"
    (tmp_path / "recipe.py").write_text("epochs = 71\n")
    with pytest.raises(DirtyTree, match=r"recipe\.py") as err:
        provenance(tmp_path)
    assert "\n" not in str(err.value) and "--allow-dirty" in str(err.value)
    dirty = provenance(tmp_path, allow_dirty=True)
    assert dirty["git_dirty"] and dirty["git_commit"] == clean["git_commit"]


def test_ship_refuses_a_modified_tree_before_training(tmp_path):
    """The CLI path: a copy of training/ in a repository with an uncommitted change."""
    import shutil

    shutil.copytree(REPO / "training", tmp_path / "training", ignore=shutil.ignore_patterns("runs"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "t")
    _git(tmp_path, "add", "training")
    _git(tmp_path, "commit", "-q", "-m", "copy")
    with open(tmp_path / "training" / "train.py", "a") as f:
        f.write("# an uncommitted change\n")
    out = subprocess.run(
        [_train_python(), "-m", "training", "ship", "--task", "2class"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path) + os.pathsep + str(REPO)},
        timeout=300,
    )
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert out.returncode == 2 and len(errors) == 1, out.stdout[-2000:] + out.stderr[-2000:]
    assert "modified tree" in errors[0] and "training/train.py" in errors[0]
