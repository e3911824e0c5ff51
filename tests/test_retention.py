"""Retention of a rig's recording (`live --keep-days / --keep-gb`): the oldest parts go, each
deletion is logged (stderr and a "retention" event in the recording), nothing else is
touched, and wrong values are one line."""

import json
import os
import re
import subprocess
import sys
import time

import pytest

from fer_desktop.outputs.retention import Retention
from fer_desktop.recording_files import recording_outputs
from fer_desktop.session import Session, SessionOptions
from fer_desktop.settings import Settings
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO
from tests.test_schema import TIMELINE, validator

CLI = [sys.executable, "-m", "fer_desktop", "live"]
DELETED = re.compile(r"retention: deleted (\S+) \(")


def part_number(path) -> int:
    return int(path.name.split(".")[0].rsplit("-part", 1)[1])


def test_keep_gb_from_the_config_deletes_the_oldest_parts_and_logs_each(demo_video, tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "notes.txt").write_text("the rig's log book: not a recording")
    config = tmp_path / "rig.toml"
    config.write_text(f'record = "{folder}"\nrotate_mb = 0.1\nkeep_gb = 0.0003\nformat = "jsonl"\n')
    out = subprocess.run(
        [*CLI, "--config", str(config), "--source", str(demo_video), "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    timelines = sorted(folder.glob("session-*-part*.jsonl"), key=part_number)
    kept = [part_number(p) for p in timelines]
    last = kept[-1]
    assert last >= 8 and kept == list(range(kept[0], last + 1))  # the newest, none missing
    assert sorted(part_number(p) for p in folder.glob("*.mkv")) == kept  # pairs go together
    assert (folder / "notes.txt").exists()
    # each part deleted is named once on stderr: all the older ones, oldest first
    deleted = DELETED.findall(out.stderr)
    assert [int(s.rsplit("-part", 1)[1]) for s in deleted] == list(range(1, kept[0]))
    # ... and as an event in the part that was opened when it went (if that one is kept)
    events = [e for p in timelines for e in read_timeline(p)["retentions"]]
    assert events and {e["deleted"] for e in events} <= set(deleted)
    for event in events:
        assert event["why"] == "recordings over 0.0003 GB" and event["bytes"] > 0
        assert {f.rsplit(".", 1)[1] for f in event["files"]} == {"jsonl", "mkv"}
    for line in (line for p in timelines for line in p.read_text().splitlines()):
        validator(TIMELINE).validate(json.loads(line))  # the retention events included
    # the finished parts kept fit the limit (the one written last may grow past it)
    finished = sum(f.stat().st_size for f in folder.glob("session-*") if part_number(f) != last)
    assert finished <= 0.0003e9


def test_keep_days_deletes_whole_old_recordings_only(demo_video, tmp_path):
    """Recordings of earlier runs older than the limit go, with their review sidecar; a
    newer one, other files and the part being written stay."""

    def recording() -> list:
        outputs = recording_outputs(tmp_path)
        options = SessionOptions(realtime=False, max_frames=5)
        Session.from_settings(str(demo_video), Settings(), options, outputs).run()
        time.sleep(1.1)  # the next recording gets another second in its name
        return [o.path for o in outputs]

    old, recent, current = recording(), recording(), recording()
    sidecar = old[0].with_name(old[0].name + ".markers.json")
    sidecar.write_text("{}")
    other = tmp_path / "session-notes.txt"
    other.write_text("not a recording")
    ten_days_ago = time.time() - 10 * 86400
    for path in [*old, sidecar, other]:
        os.utime(path, (ten_days_ago, ten_days_ago))
    two_days_ago = time.time() - 2 * 86400
    for path in [*recent, *current]:
        os.utime(path, (two_days_ago, two_days_ago))

    deleted = Retention(keep_days=7).prune(tmp_path, current=current[0].stem)

    assert [d.stem for d in deleted] == [old[0].stem]
    assert sorted(deleted[0].files) == sorted(p.name for p in [*old, sidecar])
    assert deleted[0].why == "older than 7 days"
    assert not any(p.exists() for p in [*old, sidecar])
    assert all(p.exists() for p in [*recent, *current, other])
    # a size limit smaller than anything: every finished recording goes, the current stays
    deleted = Retention(keep_gb=1e-9).prune(tmp_path, current=current[0].stem)
    assert [d.stem for d in deleted] == [recent[0].stem]
    assert all(p.exists() for p in current)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--record", "", "--rotate-minutes", "1", "--keep-gb", "0"], "--keep-gb must be more"),
        (["--record", "", "--rotate-minutes", "1", "--keep-days", "-1"], "--keep-days must be"),
        (["--record", "", "--keep-days", "7"], "delete whole parts: add --rotate-minutes"),
        (["--keep-gb", "1"], "--keep-days and --keep-gb apply to a recording: add --record DIR"),
    ],
)
def test_wrong_retention_options_are_one_line(tmp_path, options, message):
    options = [str(tmp_path) if o == "" else o for o in options]  # "": the record folder
    out = subprocess.run(
        [*CLI, "--source", "demo", *options], cwd=REPO, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stdout == ""
    assert not list(tmp_path.iterdir())  # refused before anything is written
