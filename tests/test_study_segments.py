"""Segments across participants on a real study: the shared clips' timelines with BORIS,
ELAN and CSV annotations imported as `report --import-events` imports them, checked against
a hand computation in pandas; markers outside their recording listed; `analyze --segments`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fer_desktop.game_markers import import_events
from fer_desktop.study import event_locked, load_study
from fer_desktop.study_report import write_study
from fer_desktop.study_segments import segment_tables
from tests.conftest import REPO, shared_path
from tests.test_study import BOSS, HOSTILE, _place, clips  # noqa: F401  (clips: a fixture)

pd = pytest.importorskip("pandas")
pytest.importorskip("scipy.stats")
TALK = "talking"
BORIS = (
    "Time\tMedia file path\tTotal length\tFPS\tSubject\tBehavior\tBehavior type\n"
    f"1.0\tclip.mp4\t8.0\t25\tNo focal subject\t{TALK}\tSTART\n"
    f"3.0\tclip.mp4\t8.0\t25\tNo focal subject\t{BOSS}\tPOINT\n"
    f"4.5\tclip.mp4\t8.0\t25\tNo focal subject\t{TALK}\tSTOP\n"
)
ELAN = (
    "Tier\tBegin Time - hh:mm:ss.ms\tEnd Time - hh:mm:ss.ms\tDuration - hh:mm:ss.ms\tText\n"
    f"{TALK}\t00:00:02.000\t00:00:06.500\t00:00:04.500\t\n"
)  # a tier per behaviour, its annotations empty: named by the tier


def _annotate(timeline: Path, name: str, text: str) -> None:
    log = timeline.parent / name
    log.write_text(text, encoding="utf-8")
    result = import_events(timeline, log)
    assert result.imported and not result.bad, result.lines()
    log.unlink()


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, clips) -> Path:  # noqa: F811
    """P01 (BORIS), P02 (ELAN), P03 (a CSV, the crowd clip): "talking" with a start and an
    end; P04 a talk of 0.1 s (too little data) and a marker past its recording's end."""
    root = tmp_path_factory.mktemp("annotated") / "interviews"
    head, crowd = clips["talking_head_512"], clips["crowd_1080p"]
    _annotate(_place(root / "P01" / "day1", head, []), "boris.tsv", BORIS)
    _annotate(_place(root / "P02" / "day1", head, []), "elan.txt", ELAN)
    _annotate(_place(root / "P03" / "day1", crowd, []), "notes.csv",
              f"time,end,note\n0.5,3.5,{TALK}\n2.0,,{BOSS}\n")  # fmt: skip
    p04 = _place(root / "P04" / "day1", head, [(2.6, BOSS), (40.0, HOSTILE)])
    _annotate(p04, "short.csv", f"time,end,note\n7.0,7.1,{TALK}\n")
    return root


def _weights(t: np.ndarray) -> np.ndarray:
    """Each reading counts until the next, capped at twice the usual step (the upper median)."""
    steps = np.diff(t)
    typical = np.sort(steps)[len(steps) // 2]
    return np.append(np.minimum(steps, 2 * typical), typical)


def _by_hand(faces, events, name: str, measure: str) -> pd.DataFrame:
    """Per participant: the rows of every face inside each `name` state, weighted by time."""
    parts = []
    for ev in events[(events["kind"] == "state") & (events["name"] == name)].itertuples():
        rows = faces[(faces["source"] == ev.source) & faces["t_rel"].between(ev.t_rel, ev.end_rel)]
        for _, track in rows.sort_values("t_rel").groupby("face"):
            parts.append(track.assign(w=_weights(track["t_rel"].to_numpy())))
    rows = pd.concat(parts)
    out = {}
    for person, mine in rows.groupby("participant"):
        w = mine["w"]
        out[person] = {
            "readings": len(mine),
            "seconds": w.sum(),
            "share_happy": w[mine["label"] == "happy"].sum() / w.sum(),
            "share_sad": w[mine["label"] == "sad"].sum() / w.sum(),
            "mean_valence": (w * mine["valence"]).sum() / w.sum(),
            f"mean_{measure}": (w * mine[measure]).sum() / w.sum(),
        }
    return pd.DataFrame(out).T


def test_segment_statistics_match_a_hand_computation(annotated):
    study = load_study(annotated)
    # a measure column as the mesh adds them (here the box's aspect, from the real rows)
    study.faces["box_aspect"] = study.faces["h"] / study.faces["w"]
    per, pooled = segment_tables(study)
    hand = _by_hand(study.faces, study.events, TALK, "box_aspect")
    mine = per[per["segment"] == TALK].set_index("participant")
    assert list(mine.index) == ["P01", "P02", "P03", "P04"]
    assert list(mine["enough_data"]) == [True, True, True, False]  # P04: 0.1 s
    assert mine.loc["P04", "readings"] < 5 and np.isnan(mine.loc["P04", "share_happy"])
    for person in ("P01", "P02", "P03"):
        for col in ("share_happy", "share_sad", "mean_valence", "mean_box_aspect"):
            assert mine.loc[person, col] == pytest.approx(hand.loc[person, col], abs=1e-12)
        assert mine.loc[person, "face_seconds"] == pytest.approx(hand.loc[person, "seconds"])
    assert mine.loc["P03", "readings"] > mine.loc["P01", "readings"]  # every crowd face counts
    row = pooled.set_index("segment").loc[TALK]
    assert (row["participants"], row["left_out"]) == (3, 1)
    counted = hand.loc[["P01", "P02", "P03"]]
    assert row["mean_valence"] == pytest.approx(counted["mean_valence"].mean(), abs=1e-12)
    assert row["share_happy"] == pytest.approx(counted["share_happy"].mean(), abs=1e-12)
    assert pooled["segment"].iloc[0] == "whole session"
    assert {f"from {BOSS}", f"from {TALK} (end)"} <= set(pooled["segment"])
    shares = per.dropna(subset=["share_happy"])
    assert np.allclose(shares[["share_happy", "share_neutral", "share_sad"]].sum(axis=1), 1)


def test_states_come_from_each_import_format(annotated):
    events = load_study(annotated).events
    states = events[events["kind"] == "state"].set_index("participant")
    assert list(states["name"]) == [TALK] * 4
    assert states.loc["P01", ["t_rel", "end_rel"]].tolist() == pytest.approx([1.0, 4.5], abs=0.04)
    assert states.loc["P02", ["t_rel", "end_rel"]].tolist() == pytest.approx([2.0, 6.5], abs=0.04)
    assert states.loc["P03", ["t_rel", "end_rel"]].tolist() == pytest.approx([0.5, 3.5], abs=0.04)


def test_markers_outside_their_recording_are_listed_and_used_nowhere(annotated, tmp_path):
    study = load_study(annotated)
    outside = study.events[study.events["kind"] == "outside"]
    assert list(zip(outside["participant"], outside["t_source"], strict=True)) == [("P04", 40.0)]
    locked = event_locked(study, 3.0, 1.5)
    assert " ".join(HOSTILE.split()) not in set(locked["event"])
    page = write_study(study, tmp_path / "out", 3.0, 1.5)
    text = page.read_text(encoding="utf-8")
    assert "Events outside their recording" in text and "<script>alert" not in text
    back = pd.read_csv(tmp_path / "out" / "segments.csv")
    assert TALK in set(back["segment"]) and "<h2>Segments</h2>" in text
    per = pd.read_csv(tmp_path / "out" / "segments_by_participant.csv")
    assert set(per["participant"]) == {"P01", "P02", "P03", "P04"}


def test_the_study_command_names_markers_outside_their_recording(annotated, tmp_path, capsys):
    from argparse import Namespace

    from fer_desktop.commands.study import run

    args = Namespace(folder=annotated, out=tmp_path / "out", group_by=None, window=3.0,
                     baseline=1.5)  # fmt: skip
    assert run(args) == 0
    err = capsys.readouterr().err.splitlines()
    outside = [line for line in err if "outside the recording" in line]
    assert outside == [
        f"fer-desktop: P04/day1/talking_head_512.csv: marker {' '.join(HOSTILE.split())!r} at "
        "40.00 s is outside the recording (listed in study.html, used nowhere)"
    ]


def test_the_grouped_study_keeps_its_segments_apart(tmp_path, clips):  # noqa: F811
    import json

    root = tmp_path / "mixed"
    for k in (1, 2, 3):
        _place(root / f"P0{k}" / "day1", clips["talking_head_512"], [(3.0, BOSS)])
    other = root / "P03" / "day1" / "talking_head_512.csv"
    first, rest = other.read_text(encoding="utf-8").split("\n", 1)
    header = json.loads(first[2:])
    header["settings"]["smoothing"] = 0.9
    other.write_text(f"# {json.dumps(header)}\n{rest}", encoding="utf-8")
    _per, pooled = segment_tables(load_study(root, group_by="settings"))
    whole = pooled[pooled["segment"] == "whole session"].set_index("group")
    assert whole["participants"].to_dict() == {"settings 1": 2, "settings 2": 1}


@pytest.mark.slow
def test_analyze_reports_carry_fixed_length_segments(tmp_path):
    video = shared_path("videos", "talking_head_512.mp4")
    run = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "analyze", str(video), "--out", str(tmp_path),
         "--report", "--segments", "2s", "--quiet", "--jobs", "1", "--no-thumbnails"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "talking_head_512_report.html").read_text(encoding="utf-8")
    assert [f"2 s segment {k}" in page for k in range(1, 6)] == [True] * 4 + [False]
    bad = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "analyze", str(video), "--out",
         str(tmp_path / "never"), "--report", "--segments", "0.1s"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "--segments 0.1s" in bad.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "never").exists()
