"""Windows and macOS readiness, checked on Linux: resolve the wheel's dependencies (with the
[gui] and [worker] extras) for win_amd64 and macOS arm64 from binary wheels only, as pip on
those machines would, without installing anything. Fails on a resolution error; prints
each platform's wheels and the oldest macOS every wheel supports.

Usage: python .ci/resolve_platforms.py [WHEEL]   (without WHEEL it builds one into build/)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"
# macOS 13 is the oldest that resolves (opencv-python-headless 5.0 and PySide6 6.11 have no
# older arm64 wheel; there pip takes av 15, av 16+ needs macOS 14); 14 gets every newest wheel.
PLATFORMS = ("win_amd64", "macosx_13_0_arm64", "macosx_14_0_arm64")
EXTRAS = "[gui,worker]"


def build_wheel() -> Path:
    dist = REPO / "build" / "ci-wheel"
    for old in dist.glob("fer_desktop-*.whl"):
        old.unlink()
    pip("wheel", "-q", "--no-deps", str(REPO), "-w", str(dist))
    return next(dist.glob("fer_desktop-*.whl"))


def pip(*args: str) -> None:
    out = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if out.returncode != 0:
        lines = [line for line in out.stderr.splitlines() if "is ignored" not in line]
        sys.exit(f"pip {args[0]} failed:\n" + "\n".join(lines[-30:]))


def resolve(wheel: Path, platform: str) -> list[str]:
    """The file names of the wheels pip would install on `platform`."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        pip(
            "install", "-q", "--dry-run", "--only-binary=:all:", "--platform", platform,
            "--python-version", PYTHON_VERSION, "--target", str(Path(tmp) / "target"),
            "--report", str(report), f"{wheel}{EXTRAS}",
        )  # fmt: skip
        installs = json.loads(report.read_text())["install"]
    return sorted(i["download_info"]["url"].rsplit("/", 1)[-1] for i in installs)


def oldest_macos(files: list[str]) -> str:
    """The newest of the wheels' minimum macOS versions: what every wheel runs on."""
    versions = [
        (int(m[1]), int(m[2])) for f in files if (m := re.search(r"macosx_(\d+)_(\d+)_", f))
    ]
    major, minor = max(versions)
    return f"{major}.{minor}"


def main() -> int:
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else build_wheel()
    for platform in PLATFORMS:
        files = resolve(wheel, platform)
        native = [f for f in files if not f.endswith("-none-any.whl")]
        print(f"{platform}: {len(files)} wheels resolve, {len(native)} binary:")
        for name in native:
            print(f"  {name}")
        if platform.startswith("macosx"):
            print(f"  oldest macOS every wheel supports: {oldest_macos(files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
