"""The wheel: built, installed into a fresh venv outside the repository, and used; what it
pulls in; and what importing the package does (nothing to the environment)."""

import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    out = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", dist,
              timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return next(dist.glob("fer_desktop-*.whl"))


# Qt 5 (a second Qt beside PySide6's), the reference detector, TensorFlow: never the app's.
NEVER = {"pyqt5", "pyqt5-qt5", "opencv-python", "opencv-contrib-python", "mediapipe"}


def resolved(wheel, extras: str, tmp_path) -> set[str]:
    """The names pip would install for the wheel (with `extras`) into an empty venv."""
    report = tmp_path / f"report{extras}.json"
    out = run(sys.executable, "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed",
              "--report", report, f"{wheel}{extras}", timeout=900)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    names = [i["metadata"]["name"] for i in json.loads(report.read_text())["install"]]
    return {re.sub(r"[-_.]+", "-", name).lower() for name in names}


@pytest.mark.network
@pytest.mark.slow
def test_the_wheel_pulls_no_qt5_mediapipe_or_tensorflow(wheel, tmp_path):
    plain = resolved(wheel, "", tmp_path)
    assert "opencv-python-headless" in plain and "matplotlib" in plain
    assert not plain & NEVER and not any(n.startswith("tensorflow") for n in plain)
    assert not any(n.startswith(("pyside6", "shiboken6", "pyqtgraph")) for n in plain)  # [gui]
    full = resolved(wheel, "[gui,worker]", tmp_path)
    assert {"pyside6-essentials", "pyqtgraph", "distributed"} <= full
    assert not full & NEVER and not any(n.startswith("tensorflow") for n in full)


def test_importing_the_package_leaves_the_environment_alone():
    """Only the entry points set the native libraries' log levels (and cv2's Qt variables
    are undone only when a window starts)."""
    code = (
        "import os, sys\n"
        "before = dict(os.environ)\n"
        "import fer_desktop, fer_desktop.cli, fer_desktop.gui\n"
        "assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())\n"
        "assert fer_desktop.cli.main(['models', 'list']) == 0\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['OPENCV_FFMPEG_LOGLEVEL'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL",
           "OPENCV_FFMPEG_LOGLEVEL", "FER_DESKTOP_NATIVE_LOGS")}  # fmt: skip
    out = run(sys.executable, "-c", code, cwd=REPO, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[-1] == "3 -8"


def test_a_cluster_workers_analysis_imports_no_qt(tmp_path, demo_video):
    """What `analyze_collected` runs on a Dask worker needs no Qt (the [worker] extra)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fer_desktop.batch import Job, analyze_collected\n"
        "from fer_desktop.settings import Settings\n"
        f"job = Job(Path({str(demo_video)!r}), 'demo', Path('.'), 'csv', 1, False, Settings())\n"
        "payload = analyze_collected(job)\n"
        "assert len(payload['results']) == 45, len(payload['results'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "      ('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'mediapipe', 'tensorflow')))\n"
    )
    out = run(sys.executable, "-c", code, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines()[-1] == "[]"


@pytest.mark.network
@pytest.mark.slow
def test_wheel_installs_and_works_outside_the_repository(tmp_path, astronaut_png, wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("3class", "2class"):
        assert f"fer_desktop/model_files/model_a_{name}_int8.tflite" in names
        assert f"fer_desktop/model_files/model_a_{name}_int8.json" in names
    assert not any(n.startswith("training/") for n in names)  # no generic top-level package
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    py, app = venv / "bin" / "python", venv / "bin" / "fer-desktop"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # see no source tree
    out = run(py, "-m", "pip", "install", "-q", wheel, env=clean, timeout=900)
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
    window = run(app, "gui", "--source", "demo", cwd=tmp_path, env=env, timeout=120)
    assert window.returncode == 2, window.stderr  # no Qt without the [gui] extra: one line
    assert window.stderr.strip().splitlines() == [
        "fer-desktop: error: the window needs Qt: pip install 'fer-desktop[gui]'"
    ]
