"""Studies on real recordings: the shared clips analysed once, their timelines laid out as
participants' folders with markers placed through review's sidecar and through
`report --import-events`, read as one table, locked to their events and reported."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fer_desktop import sidecar as sidecars
from fer_desktop.sidecar import Sidecar, SidecarMarker
from fer_desktop.study import StudyError, event_locked, load_study, read_study
from fer_desktop.study_report import write_study
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, shared_path

pd = pytest.importorskip("pandas")
stats = pytest.importorskip("scipy.stats")
BOSS = "boss appears"
HOSTILE = "<script>alert(1)</script> {0} %s"


def _analyse(video: Path, out: Path) -> Path:
    from fer_desktop.api import analyze_file

    timeline = out / f"{video.stem}.csv"
    analyze_file(video, timeline=timeline)
    return timeline


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """The two shared clips' timelines, analysed once."""
    out = tmp_path_factory.mktemp("clips")
    return {
        name: _analyse(shared_path("videos", f"{name}.mp4"), out)
        for name in ("talking_head_512", "crowd_1080p")
    }


def _place(folder: Path, clip: Path, markers: list[tuple[float, str]]) -> Path:
    """A copy of `clip` in `folder`, with `markers` (t_source, note) in its sidecar."""
    folder.mkdir(parents=True, exist_ok=True)
    timeline = folder / clip.name
    shutil.copy(clip, timeline)
    if markers:
        sidecars.save(timeline, Sidecar(markers=[SidecarMarker(t, n) for t, n in markers]))
    return timeline


def _import_marker(timeline: Path, frame: int, note: str) -> None:
    """A game's event at the wall time of `frame`, imported with `report --import-events`."""
    wall = next(f["t_wall"] for f in read_timeline(timeline)["frames"] if f["frame"] == frame)
    log = timeline.with_name("game_log.csv")
    log.write_text(f"t_wall,note\n{wall},{note}\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "report", str(timeline), "--import-events",
         str(log), "--no-thumbnails"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr


@pytest.fixture(scope="session")
def study_folder(tmp_path_factory, clips) -> Path:
    """Five participants: four of the talking head (one with two sessions), the crowd; P06's
    only boss marker is at 0 s (nothing before it to measure against)."""
    root = tmp_path_factory.mktemp("study") / "level1"
    head, crowd = clips["talking_head_512"], clips["crowd_1080p"]
    _place(root / "P01" / "day1", head, [(2.6, BOSS), (6.2, HOSTILE)])
    _place(root / "P01" / "day2", head, [(5.4, BOSS)])
    _place(root / "P02" / "day1", head, [(3.3, BOSS), (5.8, HOSTILE)])
    _place(root / "P03" / "day1", head, [(4.1, BOSS)])
    _place(root / "P04" / "day1", crowd, [(2.0, BOSS)])
    _import_marker(_place(root / "P05" / "day1", head, []), 120, BOSS)
    _place(root / "P06" / "day1", head, [(0.0, BOSS)])
    return root


def test_read_study_is_every_face_row_with_its_participant_and_session(study_folder, clips):
    faces = read_study(study_folder)
    assert faces.attrs["rule"].startswith("folder layout")
    head = read_timeline(clips["talking_head_512"])["faces"]
    crowd = read_timeline(clips["crowd_1080p"])["faces"]
    assert len(faces) == 6 * len(head) + len(crowd)
    sessions = faces.groupby("participant")["session"].unique().map(sorted).to_dict()
    assert sessions == {"P01": ["day1", "day2"], **{f"P0{k}": ["day1"] for k in range(2, 7)}}
    p04 = faces[faces["participant"] == "P04"]
    assert p04["face"].nunique() > 1 and set(p04["source"]) == {"P04/day1/crowd_1080p.csv"}
    # whole files analysed without a seek: the recording time is the file's own
    assert (faces["t_rel"] - faces["t_source"]).abs().max() == 0.0
    for col in ("p_happy", "p_neutral", "p_sad", "valence"):
        assert faces[col].dtype == "float64" and faces[col].notna().all()


def test_the_events_table_holds_markers_as_placed_and_imported(study_folder):
    study = load_study(study_folder)
    markers = study.events[study.events["kind"] == "marker"]
    boss = markers[markers["name"] == BOSS].set_index("source")
    assert boss.loc["P05/day1/talking_head_512.csv", "placed_by"] == "import"
    assert boss.loc["P05/day1/talking_head_512.csv", "t_rel"] == pytest.approx(120 / 25.0)
    assert boss.loc["P02/day1/talking_head_512.csv", "t_rel"] == pytest.approx(3.3)
    assert set(markers["name"]) == {BOSS, " ".join(HOSTILE.split())}
    segs = study.events[study.events["kind"] == "segment"]
    assert "from boss appears" in set(segs["name"])


def _hand_event_locked(faces, events, window, baseline, step=0.5):
    """The event-locked mean computed again, plainly: event by event, participant by
    participant, with a t-based 95% CI."""
    rows, used = [], {}
    cols = ["p_happy", "p_neutral", "p_sad", "valence"]
    for ev in events[events["kind"] == "marker"].itertuples():
        mine = faces[faces["source"] == ev.source]
        off = mine["t_rel"] - ev.t_rel
        base = mine[(off >= -baseline) & (off < 0)]
        used.setdefault(ev.name, {}).setdefault(ev.participant, False)
        if base.empty:
            continue
        used[ev.name][ev.participant] = True
        inside = mine[off.abs() <= window]
        for t, part in inside.groupby((off[inside.index] / step).round() * step + 0.0):
            for col in cols:
                value = part[col].mean() - base[col].mean()
                rows.append((ev.name, t, col, ev.participant, value))
    per = pd.DataFrame(rows, columns=["event", "t", "measure", "participant", "value"])
    person = per.groupby(["event", "measure", "t", "participant"])["value"].agg(["mean", "size"])
    out = {}
    for (event, measure, t), grp in person.groupby(level=[0, 1, 2]):
        n = len(grp)
        if n < 2:
            continue
        half = stats.t.ppf(0.975, n - 1) * grp["mean"].std() / math.sqrt(n)
        left = len(used[event]) - n  # with the event, not at this point
        out[(event, measure, t)] = (grp["mean"].mean(), half, n, int(grp["size"].sum()), left)
    return out


def test_event_locked_means_match_a_hand_computation(study_folder):
    study = load_study(study_folder)
    table = event_locked(study, window=3.0, baseline=1.5)
    hand = _hand_event_locked(study.faces, study.events, 3.0, 1.5)
    assert len(table) == len(hand) > 0
    for r in table.itertuples():
        mean, half, n, events, left = hand[(r.event, r.measure, r.t)]
        assert r.mean == pytest.approx(mean, abs=1e-9)
        assert r.ci_high - r.mean == pytest.approx(half, abs=1e-9)
        assert (r.participants, r.events, r.left_out) == (n, events, left)
    boss = table[table["event"] == BOSS]
    # P06's marker at 0 s has no baseline: left out of every point, and counted; near the
    # window's ends more participants have too little data for a point
    assert boss["left_out"].min() == 1
    assert (boss["left_out"] + boss["participants"] == 6).all()
    assert boss["participants"].max() == 5 and boss["participants"].min() >= 2
    assert boss["t"].min() >= -3.0 and boss["t"].max() <= 3.0
    # P01 placed two boss markers: their points stand on more events than participants
    assert (boss["events"] > boss["participants"]).any()


def test_a_study_with_a_differing_setting_is_refused_or_grouped(tmp_path, clips):
    root = tmp_path / "mixed"
    for k in (1, 2, 3, 4):
        _place(root / f"P0{k}" / "day1", clips["talking_head_512"], [(2.5 + 0.5 * k, BOSS)])
    for k in (3, 4):  # P03 and P04 smoothed more
        other = root / f"P0{k}" / "day1" / "talking_head_512.csv"
        lines = other.read_text(encoding="utf-8").split("\n", 1)
        header = json.loads(lines[0][2:])
        header["settings"]["smoothing"] = 0.9
        other.write_text(f"# {json.dumps(header)}\n{lines[1]}", encoding="utf-8")
    with pytest.raises(StudyError, match=r"'smoothing': 0\.6 in P01/day1/.*0\.9 in P03/day1/"):
        load_study(root)
    grouped = load_study(root, group_by="settings")
    assert grouped.faces.groupby("group")["participant"].unique().map(list).to_dict() == {
        "settings 1": ["P01", "P02"], "settings 2": ["P03", "P04"]
    }  # fmt: skip
    locked = event_locked(grouped, 3.0, 1.5)
    assert set(zip(locked["event"], locked["group"], strict=True)) == {
        (BOSS, "settings 1"), (BOSS, "settings 2")
    }  # fmt: skip
    assert set(locked["participants"]) == {2}
    page = write_study(grouped, tmp_path / "out", 3.0, 1.5).read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and f"{BOSS} · settings 2" in page


def test_an_unreadable_sidecar_or_a_cut_timeline_is_named_and_the_rest_read(tmp_path, clips):
    root = tmp_path / "broken"
    _place(root / "P01" / "day1", clips["talking_head_512"], [(3.0, BOSS)])
    bad = _place(root / "P02" / "day1", clips["talking_head_512"], [(4.0, BOSS)])
    sidecars.path_for(bad).write_text("{not json", encoding="utf-8")
    cut = root / "P03" / "day1" / "crash.csv"
    cut.parent.mkdir(parents=True)
    cut.write_bytes(clips["talking_head_512"].read_bytes()[:30_000])  # a crash mid-file
    study = load_study(root)
    assert len(study.problems) == 2
    assert study.problems[0].startswith("P02/day1/talking_head_512.csv: review's edits not read")
    assert study.problems[1].startswith("P03/day1/crash.csv: truncated: ")
    assert study.problems[1].endswith("cut short (no summary row)")
    assert set(study.faces["participant"]) == {"P01", "P02", "P03"}
    assert list(study.events.query("kind == 'marker'")["participant"]) == ["P01"]


def test_participants_csv_assigns_people_and_sessions(tmp_path, clips):
    root = tmp_path / "flat"
    _place(root, clips["talking_head_512"], [(3.0, BOSS)])
    (root / "participants.csv").write_text(
        "file,participant,session\ntalking_head_512.csv,anna,pilot\n", encoding="utf-8"
    )
    faces = read_study(root)
    assert faces.attrs["rule"].startswith("participants.csv")
    assert set(zip(faces["participant"], faces["session"], strict=True)) == {("anna", "pilot")}
    (root / "participants.csv").unlink()
    with pytest.raises(StudyError, match="not in a participant's folder"):
        read_study(root)


def test_the_parquet_table_round_trips_with_its_dtypes(study_folder, tmp_path):
    study = load_study(study_folder)
    write_study(study, tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "faces.parquet")
    pd.testing.assert_frame_equal(back, study.faces, check_like=False)
    assert str(back["participant"].dtype) == "string" and str(back["face"].dtype) == "Int64"
    assert str(back["t_wall"].dtype).startswith("datetime64") and back["t_wall"].dt.tz


@pytest.mark.slow
def test_the_study_command_writes_its_files_and_names_its_rule(study_folder, tmp_path):
    out = tmp_path / "report"
    run = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "study", str(study_folder), "--out", str(out),
         "--window", "3", "--baseline", "1.5"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "participants and sessions from folder layout" in run.stderr
    for name in ("faces.parquet", "faces.csv", "events.csv", "event_locked.csv", "study.html"):
        assert (out / name).stat().st_size > 0
    locked = pd.read_csv(out / "event_locked.csv")
    assert locked["t"].between(-3, 3).all() and set(locked["event"]) >= {BOSS}
    bad = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "study", str(tmp_path / "nowhere"), "--out",
         str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].endswith("nowhere: no such folder")


@pytest.mark.slow
def test_study_html_in_chromium(study_folder, tmp_path, browser):
    from selenium.webdriver.common.by import By

    page = write_study(load_study(study_folder), tmp_path / "out", 3.0, 1.5)
    html_text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html_text  # a marker's note is text, never markup
    browser.set_window_size(1100, 2400)
    browser.get(page.as_uri())
    assert browser.find_element(By.TAG_NAME, "h1").text == "Study: level1"
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h3")]
    assert sorted(headings) == sorted([BOSS, " ".join(HOSTILE.split())])
    assert len(browser.find_elements(By.CSS_SELECTOR, "h3 + p + svg")) == 2
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "not what the person feels" in body
    links = browser.find_elements(By.CSS_SELECTOR, "table a")
    assert len(links) == 7
    for link in links:  # each session's report is there
        assert Path(link.get_attribute("href").removeprefix("file://")).exists()
    shot = tmp_path / "study.png"
    assert browser.save_screenshot(str(shot))
    if os.environ.get("FER_STUDY_SCREENSHOT"):  # refresh the README's picture
        shutil.copy(shot, REPO / "assets" / "screenshot_study.png")
