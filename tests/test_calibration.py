"""Per-person neutral calibration: the method, the baseline rule, saved baselines, the
pipeline, and Yale (photos and photo clips)."""

import csv
import json
import subprocess

import numpy as np
import pytest

from fer_desktop.calibration import (
    CALIBRATED,
    COLLECTING,
    NO_BASELINE,
    SAVED,
    WAIT_S,
    Baseline,
    CalibrationError,
    Calibrator,
    calibrate,
)
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, shared_path
from tests.helpers import CLI, ini_settings

LABELS = ["happy", "neutral", "sad"]
REFERENCE = np.array([0.0573, 0.7932, 0.1495])  # the 3-class card's neutral_reference
SMILE = np.array([0.98, 0.02, 0.0])
CALM = np.array([0.02, 0.93, 0.05])


def test_a_resting_face_reads_as_the_reference_and_changes_move_the_same_way():
    rest = np.array([0.05, 0.55, 0.40])  # someone who looks a little sad at rest
    reference = np.array([0.1, 0.8, 0.1])
    base = Baseline.of(LABELS, rest[None]).log_probs
    assert np.allclose(calibrate(rest, base, reference, shrink=0.0), reference, atol=1e-5)
    assert np.allclose(calibrate(rest, base, reference), reference, atol=0.03)  # nearly
    sadder = np.array([0.03, 0.37, 0.60])
    assert calibrate(sadder, base, reference)[2] > reference[2]


def test_a_full_smile_stays_happy_against_a_rest_that_is_half_happy():
    rest = np.array([0.35, 0.65, 0.0])  # Yale subject06's calm face, as the model reads it
    base = Baseline.of(LABELS, rest[None]).log_probs
    smile = calibrate(np.array([1.0, 0.0, 0.0]), base, REFERENCE)
    assert smile[0] > 0.5 and smile[2] < 0.3


def _feed(cal: Calibrator, rows, t0: float, seconds: float, fps: float = 10.0):
    """Feed face 1 the same reading for `seconds`; the readings and the time after."""
    readings, n = [], round(seconds * fps)
    for i in range(n):
        readings.append(cal.read(1, rows, t0 + i / fps))
    return readings, t0 + n / fps


def test_a_smile_is_never_taken_as_the_baseline_and_no_neutral_face_is_reported():
    cal = Calibrator(LABELS, REFERENCE, seconds=2.0)
    readings, t = _feed(cal, SMILE, 0.0, 2.0 + WAIT_S + 1.0)
    assert all(r.probs is None for r in readings)  # raw values, all along
    assert readings[0].state == COLLECTING and readings[-1].state == NO_BASELINE
    notices = cal.notices()
    assert [n.state for n in notices] == [NO_BASELINE]  # a new face collects quietly
    assert "no neutral" in notices[-1].text and notices[-1].face_id == 1
    readings, t = _feed(cal, CALM, t, 3.0)  # still trying: a calm face comes
    assert readings[-1].state == CALIBRATED and readings[-1].probs is not None
    (done,) = cal.notices()
    assert done.state == CALIBRATED and done.fields["baseline_from"] >= 2.0 + WAIT_S + 1.0
    assert sum(r.switched for r in readings) == 1  # the one switch from raw to calibrated
    smile = cal.read(1, SMILE, t)
    assert smile.probs[0] > 0.9  # a smile after a calm baseline reads happy


def test_a_stretch_broken_by_a_smile_starts_again():
    cal = Calibrator(LABELS, REFERENCE, seconds=2.0)
    _, t = _feed(cal, CALM, 0.0, 1.5)
    _, t = _feed(cal, SMILE, t, 0.2)
    readings, t = _feed(cal, CALM, t, 1.5)
    assert readings[-1].state == COLLECTING  # 1.5 s + 1.5 s, but not 2 s in one stretch
    readings, _ = _feed(cal, CALM, t, 1.0)
    assert readings[-1].state == CALIBRATED


def test_a_saved_baseline_that_does_not_look_neutral_is_refused(tmp_path, demo_video):
    smiling = Baseline.of(LABELS, SMILE[None])
    with pytest.raises(CalibrationError, match="does not look neutral"):
        Calibrator(LABELS, REFERENCE, saved=smiling)
    calm = Calibrator(LABELS, REFERENCE, saved=Baseline.of(LABELS, CALM[None]))
    reading = calm.read(1, CALM, 0.0)
    assert reading.state == SAVED and reading.probs is not None
    smiling.save(tmp_path / "smile.json")  # as the old calibration could save one
    out = subprocess.run(
        [*CLI, "analyze", str(demo_video), "--out", str(tmp_path / "a"), "--baseline",
         str(tmp_path / "smile.json")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 2 and "does not look neutral" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_reset_forgets_baselines_and_says_the_values_switched():
    cal = Calibrator(LABELS, REFERENCE, seconds=1.0)
    readings, t = _feed(cal, CALM, 0.0, 1.5)
    assert readings[-1].state == CALIBRATED and cal.baselines()
    cal.reset()
    after = cal.read(1, CALM, t)
    assert after.state == COLLECTING and after.probs is None and after.switched
    assert not cal.baselines()


def test_baseline_saves_loads_and_refuses_other_labels(tmp_path):
    base = Baseline.of(LABELS, np.array([[0.05, 0.85, 0.10], [0.03, 0.9, 0.07]]))
    base.save(tmp_path / "b.json")
    back = Baseline.load(tmp_path / "b.json", ["happy", "neutral", "sad"])
    assert back.frames == 2 and np.allclose(back.log_probs, base.log_probs, atol=1e-5)
    with pytest.raises(CalibrationError, match="labels"):
        Baseline.load(tmp_path / "b.json", ["happy", "sad"])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(CalibrationError, match="not a fer_desktop baseline"):
        Baseline.load(tmp_path / "bad.json", ["happy", "sad"])


@pytest.mark.slow
def test_live_calibrates_saves_a_baseline_and_analyze_applies_it(qtbot, tmp_path, demo_video):
    saved = tmp_path / "me.json"
    out = subprocess.run(
        [*CLI, "live", "--source", str(demo_video), "--calibrate", "1",
         "--save-baseline", str(saved), "--record", str(tmp_path / "rec"), "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "face 1: calibrated on its neutral face" in out.stderr  # said on stderr
    assert json.loads(saved.read_text())["labels"] == ["happy", "neutral", "sad"]
    timeline = read_timeline(next((tmp_path / "rec").glob("*.csv")))
    faces = timeline["faces"]
    (done,) = [e for e in timeline["calibrations"] if e["state"] == CALIBRATED]
    assert done["face_id"] == 1 and done["baseline_to"] - done["baseline_from"] >= 1.0
    early = [f for f in faces if f["t_source"] < done["t_source"]]
    late = [f for f in faces if f["t_source"] >= done["t_source"]]
    # before: raw, and marked so; from the event on: calibrated, and marked so
    assert early and all(f["cal"] == COLLECTING and f["calibrated"] is None for f in early)
    assert late and all(f["cal"] == CALIBRATED and f["calibrated"] for f in late)
    assert all(set(f["probs"]) == {"happy", "neutral", "sad"} for f in late)
    _review_marks_the_switch(qtbot, next((tmp_path / "rec").glob("*.csv")), late[0]["t_source"])
    out = subprocess.run(
        [*CLI, "analyze", str(demo_video), "--out", str(tmp_path / "a"), "--baseline",
         str(saved), "--quiet", "--format", "jsonl"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    faces = read_timeline(tmp_path / "a" / "demo.jsonl")["faces"]
    assert faces and all(f["calibrated"] is not None and f["cal"] == SAVED for f in faces)
    wrong = subprocess.run(
        [*CLI, "analyze", str(demo_video), "--out", str(tmp_path / "b"), "--baseline",
         str(saved), "--model", "2class"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert wrong.returncode == 2 and "labels" in wrong.stderr and "Traceback" not in wrong.stderr


def _review_marks_the_switch(qtbot, recording, t_switch: float) -> None:
    """Review's chart of a recording: one dotted line where face 1 became calibrated."""
    from fer_desktop.gui.review_window import ReviewWindow

    window = ReviewWindow(recording, ini_settings(recording.with_suffix(".ini")))
    qtbot.addWidget(window)
    lines = [(line.value(), line.label.toPlainText()) for line in window.chart.switch_lines]
    assert lines == [(pytest.approx(t_switch, abs=1e-3), "calibrated")]
    window.close()


def test_a_talking_smiling_face_gets_no_baseline_and_live_says_so(tmp_path):
    video = shared_path("videos", "talking_head_512.mp4")
    out = subprocess.run(
        [*CLI, "live", "--source", str(video), "--calibrate", "2", "--record",
         str(tmp_path), "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "no neutral, steady 2 s" in out.stderr and "still trying" in out.stderr
    timeline = read_timeline(next(tmp_path.glob("*.csv")))
    states = [e["state"] for e in timeline["calibrations"]]
    assert NO_BASELINE in states and CALIBRATED not in states
    faces = timeline["faces"]
    assert faces and all(f["calibrated"] is None for f in faces)
    assert {f["cal"] for f in faces} == {COLLECTING, NO_BASELINE}


def test_reset_calibration_in_a_session(demo_video, tmp_path):
    from fer_desktop.session import FrameAnalysed, ResetCalibration, Session, SessionOptions
    from fer_desktop.settings import Settings
    from fer_desktop.timeline import open_timeline

    statuses = []

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed) and event.result.index == 25:
            session.send(ResetCalibration())
        elif hasattr(event, "text"):
            statuses.append(event.text)

    timeline = open_timeline(tmp_path / "t.jsonl", "jsonl")
    options = SessionOptions(realtime=False)
    session = Session.from_settings(
        str(demo_video), Settings.of(calibrate_s=0.5), options, [timeline], on_event
    )
    session.run()
    events = read_timeline(tmp_path / "t.jsonl")["calibrations"]
    states = [e["state"] for e in events]
    # calibrated, reset, calibrated again (calibrate_s is set: each face collects anew)
    assert states == [CALIBRATED, "reset", CALIBRATED], states
    assert any("calibration reset" in s for s in statuses)
    reset_t = events[1]["t_source"]
    faces = read_timeline(tmp_path / "t.jsonl")["faces"]
    right_after = [f for f in faces if reset_t < f["t_source"] < events[2]["t_source"]]
    assert right_after and all(f["calibrated"] is None for f in right_after)


def test_calibration_on_yale_reads_more_sad_photos_as_sad():
    shared_path("faces", "yale")
    from benchmarks.calibration_study import study, table

    result = study("3class")
    print(table(result))
    n_sad = result["n"]["sad"]
    assert n_sad >= 12 and result["n"]["side-lit neutral"] >= 20
    # against each person's own resting face, more sad photos read as sad than without
    assert result["calibrated"].get("sad", 0) > result["raw"].get("sad", 0)
    assert result["calibrated"].get("happy", 0) >= result["raw"].get("happy", 0) - 1


def test_no_yale_sad_photo_reads_happy_against_its_subjects_neutral_photo():
    """Issue #28: a rest reading P(happy) at the int8 floor made a frown reading 0.11 happy
    thirty times its rest, and the frown read happy."""
    shared_path("faces", "yale")
    from benchmarks.calibration_study import crops
    from fer_desktop.classifier import MoodModel

    model = MoodModel("3class")
    sad_labels = {}
    for subject, faces in crops().items():
        if not {"normal", "sad"} <= set(faces):
            continue
        cal = Calibrator.for_model(model.labels, model.card.raw, seconds=1.0)
        rest, sad = model.predict(np.stack([faces["normal"], faces["sad"]]))
        readings, t = _feed(cal, rest, 0.0, 1.5)
        assert readings[-1].state == CALIBRATED, subject
        sad_labels[subject] = model.labels[int(np.argmax(cal.read(1, sad, t).probs))]
    assert len(sad_labels) >= 12
    assert [s for s, label in sad_labels.items() if label == "happy"] == []
    assert "sad" in sad_labels.values()  # calibration still finds frowns the raw model misses


@pytest.mark.slow
def test_the_issue_28_clip_reads_no_frown_happy_and_its_report_names_the_baseline(tmp_path):
    """Yale subject03: normal 3 s, then happy, sad, normal, happy, sad 2 s each, 10 fps. Its
    frowns read happy in every frame once calibrated. Raw, and now calibrated, only the frames
    just after a smile do (the smoothing's lag)."""
    shared_path("faces", "yale")
    from benchmarks.calibration_study import REST, photos, segments, truth_at, write_clip
    from fer_desktop.report.clock import clock

    clip = write_clip(tmp_path / "frown.avi", photos()["subject03"], REST)
    out = subprocess.run(
        [*CLI, "analyze", str(clip), "--out", str(tmp_path), "--calibrate", "2", "--report",
         "--quiet", "--no-thumbnails"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    timeline = read_timeline(tmp_path / "frown.csv")
    sad = [f for f in timeline["faces"] if truth_at(REST, f["t_source"]) == "sad"]
    assert len(sad) >= 35 and all(f["calibrated"] for f in sad)
    settled = [  # the second half of each frown, a second after the smile
        f for f in sad
        if any(k == "sad" and (t0 + t1) / 2 <= f["t_source"] < t1 for k, t0, t1 in segments(REST))
    ]  # fmt: skip
    assert len(settled) >= 15 and [f["t_source"] for f in settled if f["label"] == "happy"] == []
    assert sum(f["label"] == "happy" for f in sad) < len(sad) / 4
    (done,) = [e for e in timeline["calibrations"] if e["state"] == CALIBRATED]
    switch = min(f["t_source"] for f in timeline["faces"] if f["cal"] == CALIBRATED)
    page = (tmp_path / "frown_report.html").read_text()
    taken = f"{clock(done['baseline_from'])}–{clock(done['baseline_to'])}"
    assert f"face 1: baseline taken {taken}" in page
    assert "<th>baseline taken</th>" in page and f"<td>{taken}</td>" in page  # faces table
    assert f"calibrated from {clock(switch)}" in page
    chart = (tmp_path / "frown_report.svg").read_text()
    assert f"face 1: calibrated from {switch:.2f} s" in chart  # the switch, marked


@pytest.mark.slow
def test_a_clip_that_opens_with_a_smile_does_not_turn_later_smiles_sad(tmp_path):
    """Issue #20: calibrating on a smile read every later clear smile as sad."""
    shared_path("faces", "yale")
    from benchmarks.calibration_study import OPENING_S, photos, plan_of, truth_at, write_clip

    plan = plan_of("happy")
    clip = write_clip(tmp_path / "smile_first.avi", photos()["subject01"], plan)
    out = subprocess.run(
        [*CLI, "analyze", str(clip), "--out", str(tmp_path / "out"), "--calibrate", "2",
         "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    timeline = read_timeline(tmp_path / "out" / "smile_first.csv")
    (done,) = [e for e in timeline["calibrations"] if e["state"] == CALIBRATED]
    assert done["baseline_from"] >= OPENING_S  # not from the smile
    smiles = [
        f for f in timeline["faces"] if f["t_source"] > OPENING_S and f["probs"]["happy"] >= 0.9
    ]
    assert len(smiles) >= 20
    assert all(f["label"] != "sad" for f in smiles)
    calibrated = [f for f in smiles if f["calibrated"]]
    assert calibrated and all(f["calibrated"]["sad"] < 0.5 for f in calibrated)
    assert sum(f["label"] == "happy" for f in smiles) >= 0.9 * len(smiles)
    neutral = [f for f in timeline["faces"] if truth_at(plan, f["t_source"]) == "neutral"]
    assert neutral and sum(f["label"] == "sad" for f in neutral) <= 0.05 * len(neutral)


@pytest.mark.slow
def test_analyze_says_when_a_face_got_no_baseline_and_the_report_says_calibration_was_on(
    tmp_path,
):
    video = shared_path("videos", "talking_head_512.mp4")
    out = subprocess.run(
        [*CLI, "analyze", str(video), "--out", str(tmp_path), "--calibrate", "2", "--report",
         "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "calibration: no neutral, steady stretch for face 1 (raw values)" in out.stderr
    with open(tmp_path / "index.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert "calibration on: 0 of 1 faces read calibrated" in row["note"]
    page = (tmp_path / "talking_head_512_report.html").read_text()
    assert "Calibration on: 0 of 1 faces read calibrated" in page


def test_the_live_chart_marks_where_a_face_switches_to_calibrated(qtbot, demo_video):
    """The window's chart, fed a real session's frames: one dotted line at the switch."""
    from fer_desktop.gui.mood_chart import MoodChart
    from fer_desktop.session import FrameAnalysed, Session, SessionOptions
    from fer_desktop.settings import Settings

    chart = MoodChart(60.0)
    qtbot.addWidget(chart)
    results = []

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed):
            results.append(event.result)
            chart.add(event.result)

    options = SessionOptions(realtime=False)
    Session.from_settings(
        str(demo_video), Settings.of(calibrate_s=0.5), options, [], on_event
    ).run()
    first = next(r for r in results if any(f.cal_state == CALIBRATED for f in r.faces))
    lines = [(t, line.label.toPlainText()) for t, line in chart.markers]
    assert lines == [(first.t_source, "calibrated")]


def test_a_saved_baseline_stays_when_the_calibration_seconds_change(tmp_path, demo_video):
    """The window's calibration seconds changed while --baseline was set: the faces went on
    reading against the saved baseline (before: raw, the baseline forgotten)."""
    from fer_desktop.pipeline import Pipeline
    from fer_desktop.settings import Settings
    from fer_desktop.sources import VideoSource

    Baseline.of(LABELS, CALM[None]).save(tmp_path / "calm.json")
    settings = Settings(baseline=str(tmp_path / "calm.json"))
    with Pipeline(settings) as pipeline, VideoSource(demo_video) as video:
        frames = iter(video)

        def states() -> set[str]:
            return {f.cal_state for f in pipeline.process(next(frames)).faces}

        before = states() | states() | states()
        pipeline.apply(settings.replace(calibrate_s=2.0))
        after = states() | states() | states()
    assert before == {SAVED}
    assert after == {SAVED}  # collecting its own, read against the saved meanwhile
