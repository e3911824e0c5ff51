"""Per-person neutral calibration: the method, saved baselines, the pipeline, and Yale."""

import json
import subprocess
import sys

import numpy as np
import pytest

from fer_desktop.calibration import Baseline, CalibrationError, calibrate
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, shared_path

CLI = [sys.executable, "-m", "fer_desktop"]


def test_a_resting_face_reads_as_the_reference_and_changes_move_the_same_way():
    labels = ["happy", "neutral", "sad"]
    rest = np.array([0.05, 0.55, 0.40])  # someone who looks a little sad at rest
    reference = np.array([0.1, 0.8, 0.1])
    base = Baseline.of(labels, rest[None]).log_probs
    assert np.allclose(calibrate(rest, base, reference), reference, atol=1e-5)
    sadder = np.array([0.03, 0.37, 0.60])
    assert calibrate(sadder, base, reference)[2] > reference[2]


def test_baseline_saves_loads_and_refuses_other_labels(tmp_path):
    base = Baseline.of(["happy", "neutral", "sad"], np.array([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]]))
    base.save(tmp_path / "b.json")
    back = Baseline.load(tmp_path / "b.json", ["happy", "neutral", "sad"])
    assert back.frames == 2 and np.allclose(back.log_probs, base.log_probs, atol=1e-5)
    with pytest.raises(CalibrationError, match="labels"):
        Baseline.load(tmp_path / "b.json", ["happy", "sad"])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(CalibrationError, match="not a fer_desktop baseline"):
        Baseline.load(tmp_path / "bad.json", ["happy", "sad"])


def test_live_calibrates_saves_a_baseline_and_analyze_applies_it(tmp_path, demo_video):
    saved = tmp_path / "me.json"
    out = subprocess.run(
        [*CLI, "live", "--source", str(demo_video), "--calibrate", "1",
         "--save-baseline", str(saved), "--record", str(tmp_path / "rec"), "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(saved.read_text())["labels"] == ["happy", "neutral", "sad"]
    faces = read_timeline(next((tmp_path / "rec").glob("*.csv")))["faces"]
    early = [f for f in faces if f["t_source"] < 0.9]
    late = [f for f in faces if f["t_source"] > 1.1]
    assert early and all(f["calibrated"] is None for f in early)  # still collecting the rest
    assert late and all(f["calibrated"] is not None for f in late)
    # the label follows the calibrated values (smoothed), raw ones stay in the file
    assert all(set(f["probs"]) == {"happy", "neutral", "sad"} for f in late)
    out = subprocess.run(
        [*CLI, "analyze", str(demo_video), "--out", str(tmp_path / "a"), "--baseline",
         str(saved), "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    faces = read_timeline(tmp_path / "a" / "demo.csv")["faces"]
    assert faces and all(f["calibrated"] is not None for f in faces)
    wrong = subprocess.run(
        [*CLI, "analyze", str(demo_video), "--out", str(tmp_path / "b"), "--baseline",
         str(saved), "--model", "2class"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert wrong.returncode == 2 and "labels" in wrong.stderr and "Traceback" not in wrong.stderr


def test_calibration_on_yale_reads_more_sad_photos_as_sad():
    shared_path("faces", "yale")
    from benchmarks.calibration_study import study, table

    result = study("3class")
    print(table(result))
    n_sad = result["n"]["sad"]
    assert n_sad >= 12 and result["n"]["side-lit neutral"] >= 20
    # against each person's own resting face, more sad photos read as sad than without
    assert result["calibrated"].get("sad", 0) > result["raw"].get("sad", 0)
    assert result["calibrated"].get("happy", 0) >= result["raw"].get("happy", 0) - 1
