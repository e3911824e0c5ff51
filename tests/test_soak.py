"""A short run of the soak script (no timed assertions: it must run and report)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
@pytest.mark.parametrize("extra", [[], ["--window"]])
def test_short_soak_reports_memory_and_frame_time(extra):
    out = subprocess.run(
        [sys.executable, "benchmarks/soak.py", "--seconds", "6", *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["frames"] > 10
    for key in ("rss_mb_start", "rss_mb_end", "rss_growth_pct", "frame_time_growth_pct"):
        assert isinstance(result[key], float)
    assert out.stdout.startswith("machine: ")
