"""The wheel: built, installed into a fresh venv outside the repository, and used."""

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


@pytest.mark.network
@pytest.mark.slow
def test_wheel_installs_and_works_outside_the_repository(tmp_path, astronaut_png):
    out = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w",
              tmp_path / "dist", timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("fer_desktop-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("3class", "2class"):
        assert f"fer_desktop/model_files/model_a_{name}_int8.tflite" in names
        assert f"fer_desktop/model_files/model_a_{name}_int8.json" in names
    assert not any(n.startswith("training/") for n in names)  # no generic top-level package
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    py, app = venv / "bin" / "python", venv / "bin" / "fer-desktop"
    out = run(py, "-m", "pip", "install", "-q", wheel, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    env = {
        "HOME": str(tmp_path / "home"),
        "PATH": "/usr/bin:/bin",
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    missing = run(app, "predict", astronaut_png, cwd=tmp_path, env=env, timeout=120)
    assert missing.returncode == 2 and str(tmp_path / "data" / "fer_desktop") in missing.stderr
    out = run(app, "models", "fetch", cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (
        tmp_path / "data" / "fer_desktop" / "detector" / "face_detection_short_range.tflite"
    ).exists()
    out = run(app, "self-test", cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    out = run(app, "predict", astronaut_png, "--json", cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0 and '"label"' in out.stdout, out.stderr
    assert run(py, "-c", "import training", cwd=tmp_path, env=env).returncode != 0
