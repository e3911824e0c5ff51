"""`live` as a rig uses it: outputs never hold each other back, a closed stdout ends only
stdout, SIGTERM is a clean stop. Real processes, a real slow pipe reader, a real LSL inlet."""

import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import CLI

SLOW_READER = (
    "import sys, time\n"
    "n = 0\n"
    "for line in sys.stdin:\n"
    "    n += 1\n"
    "    time.sleep(0.1)\n"
    "print(n, file=sys.stderr)\n"
)


def lsl_samples(name: str, proc: subprocess.Popen, seconds: float) -> list[float]:
    """Timestamps of the samples an inlet on stream `name` receives while `proc` runs."""
    from mne_lsl import lsl

    infos = lsl.resolve_streams(timeout=20, name=name)
    assert infos, f"no LSL stream {name}"
    inlet = lsl.StreamInlet(infos[0])
    inlet.open_stream(timeout=10)
    stamps: list[float] = []
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        _, ts = inlet.pull_chunk(timeout=0.2)
        stamps += list(ts)
    inlet.close_stream()
    return stamps


@pytest.fixture
def lsl_name():
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    return f"fer_rig_{os.getpid()}_{time.monotonic_ns() % 100000}"


@pytest.mark.slow
def test_a_slow_stdout_reader_does_not_hold_back_lsl(lsl_name):
    """A reader taking 0.1 s a line (10 lines/s) of a 30 fps stream: LSL keeps full rate,
    stdout drops its oldest lines and says how many."""
    live = subprocess.Popen(
        [*CLI, "live", "--source", "demo", "--lsl", "--name", lsl_name, "--max-frames", "240"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", SLOW_READER],
        stdin=live.stdout,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    live.stdout.close()
    stamps = lsl_samples(lsl_name, live, 30)
    assert live.wait(timeout=30) == 0, live.stderr.read()
    _, read = reader.communicate(timeout=60)
    lines_read = int(read.split()[0])
    # LSL got (nearly) every analysed frame, at the source's pace, while the reader read a
    # fraction of them: nothing waits for the reader
    assert len(stamps) >= 200, len(stamps)
    assert lines_read < 150
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert max(gaps) < 0.5  # before: 1.5 s gaps while the session waited for the pipe


@pytest.mark.slow
def test_a_closed_stdout_ends_only_stdout(lsl_name):
    live = subprocess.Popen(
        f"{sys.executable} -m fer_desktop live --source demo --lsl --name {lsl_name} "
        "--max-frames 150 | head -3",
        shell=True,
        executable="/bin/bash",
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stamps = lsl_samples(lsl_name, live, 30)
    out, err = live.communicate(timeout=30)
    assert live.returncode == 0, err
    assert len(out.splitlines()) == 3
    assert len(stamps) >= 130  # LSL ran on to the end after `head` closed stdout
    assert "stdout stopped: the reader closed the stream; the other outputs go on" in err


def test_the_end_line_and_exit_status_after_sigterm():
    live = subprocess.Popen(
        [*CLI, "live", "--source", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    header = json.loads(live.stdout.readline())
    assert header["type"] == "header" and header["name"] == "fer_desktop" and header["fps"]
    assert header["size"] == [640, 480]
    live.stdout.readline()
    live.terminate()
    rest, _ = live.communicate(timeout=10)
    assert live.returncode == 0
    assert json.loads(rest.splitlines()[-1])["stopped"] == "terminated"


def test_a_slow_reader_gets_the_end_line_after_sigterm(face_video):
    """Frames still queued for a reader of 5 lines a second are dropped at the end and
    counted, so the end line follows at once (it was lost: the stop gave up waiting)."""
    live = subprocess.Popen(
        [*CLI, "live", "--source", str(face_video), "--as-camera", "--loop"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines = [live.stdout.readline()]  # the header: running
    for _ in range(5):
        time.sleep(0.2)
        lines.append(live.stdout.readline())
    live.terminate()
    for line in live.stdout:  # on reading at 5 lines a second
        lines.append(line)
        time.sleep(0.2)
    live.wait(timeout=30)
    end = json.loads(lines[-1])
    assert live.returncode == 0 and end["event"] == "end" and end["stopped"] == "terminated"
    assert end["dropped_frames"] > 0


def test_a_file_played_as_a_camera_drops_what_the_analysis_has_no_time_for(demo_video):
    from fer_desktop.rehearsal import FileCamera

    camera = FileCamera(demo_video, loop=True)  # 3 s at 15 fps, again and again
    seen = []
    try:
        for frame in camera:
            seen.append(frame.t_source)
            if len(seen) == 12:
                break
            time.sleep(0.3)  # a slow analysis: the camera does not wait for it
    finally:
        camera.close()
    assert seen == sorted(seen) and seen[-1] > 3.0  # past the end of the file: it looped
    assert camera.dropped > 20  # ~4 of every 5 frames had to go
    assert all(b - a > 0.15 for a, b in itertools.pairwise(seen))  # the newest, never a queue


@pytest.mark.slow
def test_live_rehearses_on_a_looped_file_with_one_rising_clock(demo_video):
    out = subprocess.run(
        [*CLI, "live", "--source", str(demo_video), "--loop", "--max-frames", "60"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    frames = [json.loads(x) for x in out.stdout.splitlines()]
    frames = [f for f in frames if f["type"] == "frame"]
    times = [f["t_source"] for f in frames]
    assert [f["frame"] for f in frames] == list(range(60))
    assert times == sorted(times) and times[-1] > 3.5  # the 3 s clip, and on into the 2nd pass


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--reconnect-backoff", "1,x"], "--reconnect-backoff 1,x: give seconds"),
        (["--loop"], "--loop and --as-camera take a video file"),
        (["--health", "-1"], "--health must be 0"),
        (["--lsl", "--lsl-driver", "0.8,0,0.5,1"], "--lsl-driver 0.8,0,0.5,1: give 'largest'"),
        (["--lsl", "--lsl-slots", "0"], "--lsl-slots must be 1 or more"),
    ],
)
def test_bad_rig_options_are_one_line(options, message):
    out = subprocess.run(
        [*CLI, "live", "--source", "demo", *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("fer-desktop: error: ") and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_config_file_starts_a_rig_and_options_override_it(tmp_path):
    config = tmp_path / "rig.toml"
    config.write_text(
        '# the driver camera\nsource = "demo"\nname = "driver"\nmax_frames = 3\n\n'
        "[analysis]\nsmoothing = 0.8\nreid_seconds = 3.0\n"
    )
    for extra, name, smoothing in [
        ([], "driver", 0.8),
        (["--name", "cab", "--smoothing", "0.3"], "cab", 0.3),
    ]:
        out = subprocess.run(
            [*CLI, "live", "--config", str(config), *extra],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        lines = [json.loads(x) for x in out.stdout.splitlines()]
        header = lines[0]
        assert (header["name"], header["settings"]["smoothing"]) == (name, smoothing)
        assert header["settings"]["reid_seconds"] == 3.0
        assert sum(x["type"] == "frame" for x in lines) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('source = "demo"\nsmoothing = 0.5\n', "line 2: smoothing is a setting: put it under"),
        ('source = "demo"\nmax_frames = "ten"\n', "line 2: max_frames must be int (got str)"),
        ('source = "demo"\nserv = "ws://x:1"\n', "line 2: unknown key 'serv'"),
        ("[analysis]\nsmothing = 0.5\n", "line 2: unknown setting 'smothing' in [analysis]"),
        ("[analysis]\nsmoothing = 3\n", "--smoothing must be between 0.0 and 0.95"),
        ('source = "demo\n', "not valid TOML"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_the_line(tmp_path, text, message):
    config = tmp_path / "rig.toml"
    config.write_text(text)
    out = subprocess.run(
        [*CLI, "live", "--config", str(config)], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def listening(pid: int) -> list[str]:
    """The addresses a process's TCP sockets listen on, read from the socket table
    (/proc/net/tcp and tcp6, matched to the process's open sockets)."""
    fd = f"/proc/{pid}/fd"
    inodes = {os.readlink(f"{fd}/{n}")[8:-1] for n in os.listdir(fd)}  # socket:[INODE]
    found = []
    for table, size in (("tcp", 4), ("tcp6", 16)):
        for row in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] == "0A" and cols[9] in inodes:  # LISTEN, one of the process's
                raw = bytes.fromhex(cols[1].split(":")[0])
                words = [raw[i : i + 4][::-1] for i in range(0, size, 4)]  # host-order words
                found.append(str(ipaddress.ip_address(b"".join(words))))
    return found


@pytest.mark.slow
def test_live_says_that_lsl_is_readable_from_the_network_and_it_is(lsl_name):
    """liblsl serves on every interface (its configuration cannot change that): `live --lsl`
    says so once on stderr, the socket table agrees, and an inlet here still receives;
    --lsl-network (the network is meant) drops the warning."""
    live = subprocess.Popen(
        [*CLI, "live", "--source", "demo", "--lsl", "--name", lsl_name, "--no-stdout"],
        cwd=REPO, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stamps = lsl_samples(lsl_name, live, 3)
    addresses = listening(live.pid)
    live.send_signal(signal.SIGTERM)
    _, err = live.communicate(timeout=30)
    assert live.returncode == 0, err
    assert len(stamps) > 10  # an inlet on this machine receives
    assert any(not ipaddress.ip_address(a).is_loopback for a in addresses), addresses
    assert err.count("LSL streams are readable from every network interface") == 1
    meant = subprocess.run(
        [*CLI, "live", "--source", "demo", "--lsl", "--lsl-network", "--name", lsl_name,
         "--max-frames", "5", "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert meant.returncode == 0 and "readable from every" not in meant.stderr


@pytest.mark.slow
def test_a_camera_found_late_gives_the_lsl_stream_its_rate(demo_video, tmp_path, lsl_name):
    """--wait-for-camera with no camera at start: the marker stream is up at once, the frame
    stream comes with the camera, at its frame rate (it was 0 for the whole run)."""
    from mne_lsl import lsl

    camera = tmp_path / "camera.avi"  # OpenCV opens a video file as a camera
    live = subprocess.Popen(
        [*CLI, "live", "--camera", str(camera), "--wait-for-camera", "--lsl", "--name",
         lsl_name, "--no-stdout"],
        cwd=REPO, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert lsl.resolve_streams(timeout=20, name=f"{lsl_name}-markers")
        shutil.copy(demo_video, tmp_path / "copy.avi")
        os.replace(tmp_path / "copy.avi", camera)  # the camera appears, whole
        found = lsl.resolve_streams(timeout=20, name=lsl_name)
    finally:
        live.send_signal(signal.SIGTERM)
        _, err = live.communicate(timeout=30)
    assert [info.sfreq for info in found] == [15.0]  # the clip's rate
    assert "camera found" in err


def test_two_sources_in_one_process_are_two_named_streams(demo_video, tmp_path, lsl_name):
    out = subprocess.run(
        [*CLI, "live", "--source", "demo", "--source", str(demo_video), "--max-frames", "20",
         "--name", f"{lsl_name}_a", "--name", f"{lsl_name}_b", "--record", str(tmp_path),
         "--no-record-video"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    for name in (f"{lsl_name}_a", f"{lsl_name}_b"):
        mine = [x for x in lines if x["stream"] == name]
        assert mine[0]["type"] == "header" and mine[0]["name"] == name
        frames = [x["frame"] for x in mine if x["type"] == "frame"]
        assert frames == list(range(20))  # each stream its own counter
        recorded = list((tmp_path / name).glob("session-*.csv"))
        assert len(recorded) == 1 and not list((tmp_path / name).glob("*.mkv"))


def test_two_sources_with_one_name_are_refused():
    out = subprocess.run(
        [*CLI, "live", "--source", "demo", "--source", "demo", "--name", "x", "--name", "x"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert "two sources with the same stream name: x, x" in out.stderr


def test_live_serves_websocket_clients_with_the_token_and_refuses_foreign_pages():
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = subprocess.Popen(
        [*CLI, "live", "--source", "demo", "--no-stdout", "--serve", f"ws://127.0.0.1:{port}",
         "--token", "s3cret"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = live.stderr.readline()  # the start-up lines: where to connect, and it is up
        assert f"need the token: ws://127.0.0.1:{port}/?token=s3cret" in first
        assert "output WS" in live.stderr.readline()
        url = f"ws://127.0.0.1:{port}"
        with pytest.raises(InvalidStatus) as refused:
            connect(url, open_timeout=10)
        assert refused.value.response.status_code == 401
        with pytest.raises(InvalidStatus) as foreign:
            connect(f"{url}/?token=s3cret", origin="https://evil.example.com", open_timeout=10)
        assert foreign.value.response.status_code == 403
        with connect(f"{url}/?token=s3cret", open_timeout=10, max_queue=2) as ws:
            header = json.loads(ws.recv(timeout=10))
            assert header["type"] == "header" and header["name"] == "fer_desktop"
            assert json.loads(ws.recv(timeout=10))["type"] in ("frame", "event")
    finally:
        live.terminate()
        live.communicate(timeout=10)
    assert live.returncode == 0


RIG = REPO / "packaging" / "rig"


def unit_settings() -> dict[str, str]:
    """The [Service] keys of the example systemd unit."""
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(RIG / "fer-desktop-live.service")
    return dict(unit["Service"])


def test_the_example_config_is_valid():
    from fer_desktop.cli import build_parser
    from fer_desktop.config_file import load

    parser = build_parser()
    values = load(RIG / "rig.toml", parser.command("live"))
    assert values["name"] == ["driver"] and values["wait_for_camera"] is True


def test_the_service_stops_and_fails_the_way_systemd_reads_it(tmp_path):
    """Without systemd here: its ExecStart with a rehearsal config, stopped with its
    KillSignal (exit 0, an end line, well within TimeoutStopSec); a busy port fails with a
    status its RestartPreventExitStatus names (no restart loop)."""
    unit = unit_settings()
    assert unit["Restart"] == "on-failure" and unit["KillSignal"] == "SIGTERM"
    command = unit["ExecStart"].split()
    assert command[1:3] == ["live", "--config"]
    config = tmp_path / "rig.toml"
    config.write_text('source = ["demo"]\nname = ["rehearsal"]\n')
    live = subprocess.Popen(
        [*CLI, *command[1:3], str(config)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert json.loads(live.stdout.readline())["name"] == "rehearsal"
    live.send_signal(getattr(signal, unit["KillSignal"]))
    rest, _ = live.communicate(timeout=float(unit["TimeoutStopSec"]))
    assert live.returncode == 0  # a requested stop: the unit is not marked failed
    assert json.loads(rest.splitlines()[-1])["event"] == "end"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config.write_text(f'source = ["demo"]\nserve = "ws://127.0.0.1:{port}"\n')
        failed = subprocess.run(
            [*CLI, "live", "--config", str(config)], cwd=REPO, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
    assert str(failed.returncode) in unit["RestartPreventExitStatus"].split()
    assert failed.stdout == ""  # refused before any header is written
    assert len(failed.stderr.strip().splitlines()) == 1 and "cannot serve" in failed.stderr


def systemd_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"needs {name} (apt-get install systemd)")
    return tool


def test_the_unit_passes_systemd_analyze_verify_and_security(tmp_path):
    """`verify` accepts the unit (its ExecStart pointed at this venv's fer-desktop) and
    `security` rates its exposure 2.0 or less, "OK" (it was 9.2, "UNSAFE")."""
    analyze = systemd_tool("systemd-analyze")
    unit = tmp_path / "fer-desktop-live.service"
    installed = unit_settings()["ExecStart"].split()[0]
    here = str(Path(sys.executable).with_name("fer-desktop"))
    unit.write_text((RIG / unit.name).read_text().replace(installed, here))
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    security = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", str(unit)],  # 0-100 scale
        capture_output=True, text=True,
    )  # fmt: skip
    assert security.returncode == 0, security.stdout.splitlines()[-1]
    settings = unit_settings()
    assert settings["UMask"] == "0077"
    record = re.search(r'record = "([^"]+)"', (RIG / "rig.toml").read_text()).group(1)
    assert record == f"/var/lib/{settings['StateDirectory']}"  # the example's record folder


def test_sysusers_makes_the_services_user_in_the_cameras_group(tmp_path):
    sysusers = systemd_tool("systemd-sysusers")
    (tmp_path / "etc").mkdir()
    subprocess.run(
        [sysusers, f"--root={tmp_path}", str(RIG / "fer-desktop.sysusers")],
        check=True, capture_output=True,
    )  # fmt: skip

    def table(name: str) -> dict[str, list[str]]:
        rows = (tmp_path / "etc" / name).read_text().splitlines()
        return {row.split(":")[0]: row.split(":") for row in rows}

    unit = unit_settings()
    user = table("passwd")[unit["User"]]
    assert user[5] == f"/var/lib/{unit['StateDirectory']}" and user[6] == "/usr/sbin/nologin"
    assert unit["User"] in table("group")[unit["SupplementaryGroups"]][3].split(",")


@pytest.mark.slow
def test_the_units_lsl_config_finds_every_stream_of_the_service(lsl_name):
    """packaging/rig/lsl_api.cfg (the unit's LSLAPICFG): liblsl takes it, and a consumer on
    this machine with it finds both streams, by asking this machine's ports directly."""
    env = {**os.environ, "LSLAPICFG": str(RIG / "lsl_api.cfg")}
    live = subprocess.Popen(
        [*CLI, "live", "--source", "demo", "--lsl", "--name", lsl_name, "--no-stdout"],
        cwd=REPO, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    code = (
        "import sys; from mne_lsl import lsl; "
        "print(sorted({i.name for i in lsl.resolve_streams(timeout=5) if sys.argv[1] in i.name}))"
    )
    try:
        found = subprocess.run(
            [sys.executable, "-c", code, lsl_name], env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
    finally:
        live.send_signal(signal.SIGTERM)
        _, err = live.communicate(timeout=30)
    assert found.stdout.strip() == str([lsl_name, f"{lsl_name}-markers"]), found.stderr
    assert live.returncode == 0 and "ERR" not in err, err


def test_a_rotated_recording_loses_no_frame_at_the_cuts(demo_video, tmp_path):
    import av

    from fer_desktop.timeline import read_timeline

    out = subprocess.run(
        [*CLI, "live", "--source", str(demo_video), "--record", str(tmp_path),
         "--rotate-mb", "0.15", "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    parts = sorted(tmp_path.glob("session-*-part*.csv"))
    assert len(parts) >= 3
    numbers = []
    for part in parts:
        timeline = read_timeline(part)
        assert timeline["summary"] is not None  # each part closed properly
        rows = [f["frame"] for f in timeline["frames"]]
        with av.open(str(part.with_suffix(".mkv"))) as video:
            assert sum(1 for _ in video.decode(video=0)) == len(rows)  # row k = frame k
        numbers += rows
    assert numbers == list(range(45))  # the whole 3 s clip, each frame once, in order


def test_the_readme_embedding_example_runs(demo_video, capsys):
    import re

    text = (REPO / "README.md").read_text()
    code = re.search(r"<!-- tested: tests/test_rig.py -->\n```python\n(.*?)```", text, re.S)
    assert code, "the README's embedding example is missing"
    example = code.group(1).replace('source = "camera:0"', f"source = {str(demo_video)!r}")
    assert example != code.group(1), "the example no longer sets its source"
    exec(example, {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "30 frames"
    faces = [line.split() for line in printed if line[0].isdigit() and len(line.split()) == 4]
    assert len(faces) >= 28 and {f[2] for f in faces} <= {"happy", "neutral", "sad"}
