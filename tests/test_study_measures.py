"""Eyes and head in a study (issues #31, #32), on a real study made with --mesh face: the
talking-head clip (P01 twice, P02) and its mirror image (P03), each with a marker. The
segment figures and the event-locked measure lanes are checked against a hand computation
in pandas from `read_study`; the blink and PERCLOS rules themselves are
`fer_desktop.measures`' (called here, not copied), the pooling over faces, sessions and
participants is done by hand."""

from __future__ import annotations

import math
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest

from fer_desktop import measure_columns, measures
from fer_desktop.errors import UsageError
from fer_desktop.study import event_locked, load_study, read_study
from fer_desktop.study_measures import chosen_columns
from fer_desktop.study_report import write_study
from fer_desktop.study_segments import segment_tables
from tests.conftest import REPO, shared_path, write_av_video
from tests.test_study import _place
from tests.test_study_segments import _weights

pd = pytest.importorskip("pandas")
stats = pytest.importorskip("scipy.stats")
pytest.importorskip("pyarrow")
ASK = "question"
MARKERS = {"P01/day1": 3.0, "P01/day2": 5.0, "P02/day1": 4.0, "P03/day1": 2.5}
EYES = ["eye_open_right", "eye_open_left"]


def _analyse(video: Path, out: Path) -> Path:
    from fer_desktop.api import analyze_file

    timeline = out / f"{video.stem}.csv"
    analyze_file(video, timeline=timeline, mesh="face", calibrate_s=1.0)
    return timeline


def _mirrored(video: Path, out: Path) -> Path:
    """The clip turned left for right, frame by frame (lossless)."""
    import av

    with av.open(str(video)) as src:
        frames = [f.to_ndarray(format="bgr24")[:, ::-1] for f in src.decode(video=0)]
    return write_av_video(out / "mirrored.mp4", frames, fps=25)


@pytest.fixture(scope="module")
def mesh_study(tmp_path_factory) -> Path:
    """Three participants, four sessions, one marker each (MARKERS)."""
    video = shared_path("videos", "talking_head_512.mp4")
    work = tmp_path_factory.mktemp("mesh_clips")
    head = _analyse(video, work)
    mirror = _analyse(_mirrored(video, work), work)
    root = tmp_path_factory.mktemp("mesh_study") / "interviews"
    for where, t in MARKERS.items():
        _place(root / where, mirror if where.startswith("P03") else head, [(t, ASK)])
    return root


def test_the_faces_table_keeps_the_measures_as_floats_and_round_trips(mesh_study, tmp_path):
    study = load_study(mesh_study)
    faces = study.faces
    for column in measure_columns.NUMBERS:
        assert faces[column].dtype == "float64", column
    assert str(faces["mesh_reason"].dtype) == "string"
    assert faces[["yaw", "eye_open_right", "mouth_open"]].notna().all().all()
    assert faces[["gaze_x", "gaze_y"]].isna().all().all()  # --mesh face: no iris, no gaze
    # the mirror turns the head the other way, frame by frame
    yaw = {p: faces.loc[faces["participant"] == p, "yaw"].to_numpy() for p in ("P02", "P03")}
    assert np.corrcoef(yaw["P02"], yaw["P03"])[0, 1] < -0.8
    write_study(study, tmp_path / "out", 3.0, 1.5)
    back = pd.read_parquet(tmp_path / "out" / "faces.parquet")
    pd.testing.assert_frame_equal(back, faces)
    text = pd.read_csv(tmp_path / "out" / "faces.csv")
    for column in measure_columns.NUMBERS:
        assert text[column].dtype == "float64", column
        assert np.allclose(text[column], faces[column], equal_nan=True), column


def _series(track: pd.DataFrame) -> dict:
    """One face's rows over its whole recording: weights, closures and looking away as the
    session report reads them (the rules called from fer_desktop.measures)."""
    t = track["t_rel"].to_numpy()
    openness = track[EYES].mean(axis=1, skipna=False).to_numpy()
    steps = np.diff(t)
    typical = np.median(steps)
    w = np.append(np.minimum(steps, 2 * typical), typical)
    eyes = np.isfinite(openness)
    level = measures.open_level(openness[eyes])
    pc = np.full(len(t), np.nan)
    pc[eyes] = measures.perclos(t[eyes], openness[eyes], 60.0, level)
    onsets = np.array([b.onset for b in measures.blinks(t, openness, level)])
    away = ((track["yaw"].abs() > 30) | (track["pitch"].abs() > 20)).to_numpy(float)
    return {"t": t, "w": w, "eyes": eyes, "pc": pc, "onsets": onsets, "away": away}


def _by_hand(faces: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per segment and participant: blinks, blinks/min, PERCLOS mean, looking-away share,
    and the time-weighted mean of the eye-closure proxy."""
    whole = faces.groupby("source")["t_rel"].max().rename("end_rel").reset_index()
    whole = whole.assign(name="whole session", t_rel=0.0)
    whole["participant"] = whole["source"].str.split("/").str[0]
    spans = pd.concat([whole, events[events["kind"] == "segment"]], ignore_index=True)
    series = {
        key: _series(track.sort_values("t_rel")) for key, track in faces.groupby(["source", "face"])
    }
    rows = []
    for span in spans.itertuples():
        for (source, face), s in series.items():
            if source != span.source:
                continue
            inside = (s["t"] >= span.t_rel) & (s["t"] <= span.end_rel)
            if not inside.any():
                continue
            w = s["w"][inside]
            track = faces[(faces["source"] == source) & (faces["face"] == face)]
            track = track[track["t_rel"].between(span.t_rel, span.end_rel)].sort_values("t_rel")
            tw = _weights(track["t_rel"].to_numpy())
            au = track["au_eye_closure"].notna().to_numpy()
            rows.append({
                "segment": span.name, "participant": span.participant,
                "blinks": int(((s["onsets"] >= span.t_rel) & (s["onsets"] <= span.end_rel)).sum()),
                "eye_s": w[s["eyes"][inside]].sum(),
                "perclos_s": np.nanmean(s["pc"][inside]) * w[s["eyes"][inside]].sum(),
                "away_s": (w * s["away"][inside]).sum(), "pose_s": w.sum(),
                "au_ws": (tw[au] * track["au_eye_closure"].to_numpy()[au]).sum(),
                "au_w": tw[au].sum(),
            })  # fmt: skip
    per = pd.DataFrame(rows).groupby(["segment", "participant"]).sum()
    return pd.DataFrame({
        "blinks": per["blinks"],
        "blinks_per_min": 60 * per["blinks"] / per["eye_s"],
        "perclos_mean": per["perclos_s"] / per["eye_s"],
        "away_share": per["away_s"] / per["pose_s"],
        "mean_au_eye_closure": per["au_ws"] / per["au_w"].replace(0, np.nan),
    })  # fmt: skip


def test_segment_figures_match_a_hand_computation(mesh_study):
    faces = read_study(mesh_study)
    study = load_study(mesh_study)
    per, pooled = segment_tables(study)
    hand = _by_hand(faces, study.events)
    assert hand["blinks"].sum() > 0 and hand["away_share"].max() > 0  # real figures
    mine = per.set_index(["segment", "participant"])
    assert sorted(mine.index) == sorted(hand.index)
    assert mine["enough_data"].all()
    columns = ["blinks", "blinks_per_min", "perclos_mean", "away_share", "mean_au_eye_closure"]
    for key, row in hand.iterrows():
        for column in columns:
            assert mine.loc[key, column] == pytest.approx(row[column], abs=1e-9, nan_ok=True)
    # P01's two sessions count as one participant: their blinks add up
    whole = hand.loc["whole session"]
    assert whole.loc["P01", "blinks"] == 2 * whole.loc["P02", "blinks"]
    counted = pooled.set_index("segment")
    for segment, part in hand.groupby(level=0):
        assert counted.loc[segment, "participants"] == len(part) == 3
        for column in columns[1:]:
            assert counted.loc[segment, column] == pytest.approx(part[column].mean(), abs=1e-9)


def _hand_locked(faces, events, columns, window, baseline, step=0.5) -> dict:
    """The event-locked means of measure columns computed again: empty cells count nowhere."""
    rows = []
    for ev in events[events["kind"] == "marker"].itertuples():
        mine = faces[faces["source"] == ev.source]
        off = mine["t_rel"] - ev.t_rel
        base = mine[(off >= -baseline) & (off < 0)]
        inside = mine[off.abs() <= window]
        for t, part in inside.groupby((off[inside.index] / step).round() * step + 0.0):
            for column in columns:
                value = part[column].mean() - base[column].mean()
                if not math.isnan(value):
                    rows.append((ev.name, t, column, ev.participant, value))
    table = pd.DataFrame(rows, columns=["event", "t", "measure", "participant", "value"])
    person = table.groupby(["event", "measure", "t", "participant"])["value"].agg(["mean", "size"])
    out = {}
    for key, grp in person.groupby(level=[0, 1, 2]):
        n = len(grp)
        if n >= 2:
            half = stats.t.ppf(0.975, n - 1) * grp["mean"].std() / math.sqrt(n)
            out[key] = (grp["mean"].mean(), half, n, int(grp["size"].sum()))
    return out


def test_event_locked_measure_lanes_match_a_hand_computation(mesh_study):
    study = load_study(mesh_study)
    asked = chosen_columns(study.faces, ["eye_open", "yaw", "au_eye"])
    assert asked == ["yaw", "eye_open_right", "eye_open_left", "au_eye_closure"]
    table = event_locked(study, 3.0, 1.5, extra=asked)
    assert list(dict.fromkeys(table["measure"])) == ["p_happy", "p_neutral", "p_sad",
                                                     "valence", *asked]  # fmt: skip
    hand = _hand_locked(study.faces, study.events, asked, 3.0, 1.5)
    mine = table[table["measure"].isin(asked)]
    assert len(mine) == len(hand) > 0
    for r in mine.itertuples():
        mean, half, n, events = hand[(r.event, r.measure, r.t)]
        assert r.mean == pytest.approx(mean, abs=1e-9)
        assert r.ci_high - r.mean == pytest.approx(half, abs=1e-9)
        assert (r.participants, r.events) == (n, events)
    every = chosen_columns(study.faces, ["all"])
    assert "au_jaw_drop" in every and "gaze_x" not in every  # no readings: not offered
    with pytest.raises(UsageError, match="--measure blink: no such measure column"):
        chosen_columns(study.faces, ["blink"])


def test_the_study_command_charts_measures_and_shows_eyes_and_head(mesh_study, tmp_path):
    from fer_desktop.commands.study import run

    out = tmp_path / "out"
    args = Namespace(folder=mesh_study, out=out, group_by=None, window=3.0, baseline=1.5,
                     measure=["eye_open"])  # fmt: skip
    assert run(args) == 0
    chart = (out / "charts" / "event_01.svg").read_text(encoding="utf-8")
    assert ">eye_open_right</text>" in chart and ">eye_open_left</text>" in chart
    page = (out / "study.html").read_text(encoding="utf-8")
    assert "<h3>Eyes and head</h3>" in page and "<th>blinks/min</th>" in page
    assert "<h3>Action-unit proxies</h3>" in page and "<th>eye closure</th>" in page
    pooled = pd.read_csv(out / "segments.csv")
    assert {"blinks_per_min", "perclos_mean", "away_share", "mean_au_jaw_drop"} <= set(pooled)
    bad = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "study", str(mesh_study), "--out",
         str(tmp_path / "never"), "--measure", "blink"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "--measure blink: no such measure column" in bad.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "never").exists()
