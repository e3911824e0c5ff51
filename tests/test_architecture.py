"""The core pipeline imports no Qt; only fer_desktop/gui/ does."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE = sorted(
    ".".join(p.relative_to(REPO).with_suffix("").parts)
    for p in (REPO / "fer_desktop").rglob("*.py")
    if "gui" not in p.parts and p.name != "__main__.py"
)


def test_core_modules_load_no_qt():
    code = (
        "import importlib, sys\n"
        f"for m in {CORE!r}: importlib.import_module(m)\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'shiboken6', 'qtpy'))\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert len(CORE) > 10
    assert out.stdout.strip() == "", f"Qt loaded by the core: {out.stdout}"


def test_core_needs_no_tensorflow():
    code = (
        "import sys\n"
        "import fer_desktop.pipeline, fer_desktop.classifier\n"
        "print('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "False", out.stderr


def test_qt_starts_after_cv2_set_its_qt_variables():
    """cv2 points QT_QPA_PLATFORM_PLUGIN_PATH at its own Qt; the window's start undoes that
    (fer_desktop.gui.prepare_qt_environment, called by `fer-desktop gui` and `review`)."""
    code = (
        "import os, cv2\n"
        "if 'cv2' not in os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH', ''): raise SystemExit(7)\n"
        "import fer_desktop.gui\n"
        "fer_desktop.gui.prepare_qt_environment()\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "w = QLabel('hello'); w.show(); app.processEvents()\n"
        "print(app.platformName(), 'QT_QPA_PLATFORM_PLUGIN_PATH' in os.environ)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if out.returncode == 7:
        pytest.skip("this cv2 is headless: it sets no Qt variables to undo")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["offscreen", "False"]


def import_cycles(package: str) -> list[list[str]]:
    """Every cycle of imports among `package`'s modules (imports inside functions count;
    those only for type checkers do not), each as the chain of modules that closes it."""
    import grimp

    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        path.pop()
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            visit(module)
    return cycles


def test_no_module_imports_itself_through_others():
    assert import_cycles("fer_desktop") == []
