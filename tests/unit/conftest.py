"""The unit tier: pure logic on inputs a test builds, with no subprocess, no model file and
no window, in well under a minute (`make test-unit`). Every test here is marked `unit`."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.unit)
