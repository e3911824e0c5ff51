"""REPORT.md's curve comparison: ours against the public FER+ CNN's published curve, as two
SVG charts on the same axes and a table of every epoch both have."""

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from training import anchor

RUNS = Path(__file__).resolve().parents[2] / "training" / "runs"
RECORD = "anchor_curve_ferplus_cnn_diag.json"
SVG = "{http://www.w3.org/2000/svg}"


def _runs(tmp_path: Path, **change) -> Path:
    shutil.copy(RUNS / anchor.ANCHOR_RECORD, tmp_path / anchor.ANCHOR_RECORD)
    record = json.loads((RUNS / RECORD).read_text()) | change
    (tmp_path / RECORD).write_text(json.dumps(record))
    return tmp_path


def test_section_links_both_charts_and_lists_every_epoch_ours_has(tmp_path):
    runs = _runs(tmp_path)
    record = json.loads((runs / RECORD).read_text())
    section = anchor.report_section(runs)
    full, first = (
        runs / "anchor_curve_ferplus_cnn_diag.svg",
        runs / ("anchor_curve_ferplus_cnn_diag_first.svg"),
    )
    assert f"(runs/{full.name})" in section and f"(runs/{first.name})" in section
    rows = [line for line in section.splitlines() if line[:2] == "| " and line[2].isdigit()]
    assert len(rows) == min(record["epochs_done"], 222)
    for path in (full, first):
        lines = ET.parse(path).getroot().findall(f"{SVG}polyline")
        assert len(lines) == 3  # the anchor's, ours on its labels, ours on our labels
    anchor_points = ET.parse(full).getroot().findall(f"{SVG}polyline")[0].get("points")
    assert len(anchor_points.split()) == 222


def test_a_short_run_says_so_and_states_where_it_stands(tmp_path):
    section = anchor.report_section(
        _runs(
            tmp_path,
            public_8class_majority=[0.30, 0.40],
            public_8class_dedup=[0.3, 0.4],
            epochs_done=2,
        )
    )
    assert "the lead changes hands (+3.5 pp at epoch 1, -9.9 pp at epoch 2)" in section
    assert "too few epochs for a verdict" in section


def test_text_in_the_chart_is_escaped(tmp_path):
    section = anchor.report_section(_runs(tmp_path, run='a<b>&"c'))
    assert section
    title = ET.parse(tmp_path / "anchor_curve_ferplus_cnn_diag.svg").getroot().find(f"{SVG}text")
    assert 'run a<b>&"c against' in title.text
