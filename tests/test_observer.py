"""The observer page in a real browser (Debian's chromium, driven by Selenium): served on the
--serve port, reading a real session's stream, showing each face's label, the chart and the
markers; with a token, the page passes on the one in its own URL."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from fer_desktop.outputs.websocket import WebSocketOutput
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO
from tests.test_playtest import GameSession

WAIT_S = 60
LABELS = {"happy", "neutral", "sad"}


def wait_for(driver, condition, message: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(condition, message)


def faces_shown(driver) -> list[dict]:
    """The faces in view as the page shows them, read at once (the page redraws them on
    every frame, so elements found one by one would go stale)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.face:not(.gone)')].map(f => ({"
        "id: f.dataset.faceId, name: f.querySelector('.name').textContent,"
        "label: f.querySelector('.label').textContent}))"
    )


def Served(video: Path, folder: Path, pipeline, **server_options) -> GameSession:
    """A real session on a video, served with markers taken from clients, and recorded
    (timeline only): the play tests' GameSession."""
    return GameSession(video, folder, pipeline, video_too=False, **server_options)


def test_the_page_is_served_from_the_package_with_its_headers(tmp_path, demo_video, pipeline):
    with Served(demo_video, tmp_path, pipeline) as served:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(served.page, timeout=WAIT_S) as response:
            page = response.read().decode()
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
        assert '<script src="observer.js"></script>' in page and "://" not in page
        with opener.open(served.page + "observer.js", timeout=WAIT_S) as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
        with pytest.raises(urllib.error.HTTPError) as missing:
            opener.open(served.page + "secrets.txt", timeout=WAIT_S)
        assert missing.value.code == 404


def test_with_a_token_the_page_may_come_from_the_address_the_browser_used():
    """A server on all interfaces is opened as http://<its LAN address>:PORT/: with a token,
    a page whose origin is the Host it asked for is its own page (here: a server bound to
    localhost, reached as 127.0.0.1); without the token it is still refused."""
    from websockets.exceptions import InvalidStatus

    from fer_desktop.outputs import SessionInfo

    server = WebSocketOutput("ws://localhost:0", require_token=True)
    server.start(SessionInfo("test", sorted(LABELS), {}))
    try:
        url, origin = f"ws://127.0.0.1:{server.port}", f"http://127.0.0.1:{server.port}"
        with connect(f"{url}/?token={server.token}", origin=origin, proxy=None) as ws:
            assert json.loads(ws.recv(timeout=WAIT_S))["type"] == "header"
        with pytest.raises(InvalidStatus) as refused, connect(url, origin=origin, proxy=None):
            pass
        assert refused.value.response.status_code == 401
        foreign = "http://evil.example.com"
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{url}/?token={server.token}", origin=foreign, proxy=None)
        assert refused.value.response.status_code == 403
    finally:
        server.close({})


def test_the_observer_page_shows_labels_chart_and_markers_in_chromium(
    browser, tmp_path, face_video, pipeline
):
    from selenium.webdriver.common.by import By

    with Served(face_video, tmp_path, pipeline, require_token=True) as served:
        token = served.server.token
        # without the token the page says it cannot connect (401), and shows no face
        browser.get(served.page)
        wait_for(
            browser,
            lambda d: "cannot connect" in d.find_element(By.ID, "state").text,
            "the page without a token did not say it cannot connect",
        )
        # with the token from its own URL: live, a label per face, the chart drawn
        browser.get(f"{served.page}?token={token}")
        wait_for(browser, lambda d: d.find_element(By.ID, "state").text == "live", "not live")
        faces = wait_for(browser, faces_shown, "no face label rendered")
        assert {f["label"] for f in faces} <= LABELS
        assert all(f["id"].isdigit() and f["name"] == f"face {f['id']}" for f in faces)
        wait_for(
            browser,
            lambda d: d.find_element(By.ID, "chart").get_attribute("data-drawn") not in (None, "0"),
            "the chart was never drawn",
        )
        # a marker typed on the page, and one from a game: both listed, with their source
        browser.find_element(By.ID, "note").send_keys("observer saw a smile")
        browser.find_element(By.CSS_SELECTOR, "#marker-form button").click()
        with connect(served.server.client_url, proxy=None, open_timeout=WAIT_S) as game:
            game.send(json.dumps({"type": "marker", "note": "boss #2"}))
            game.send("{not json")
            wait_for(
                browser,
                lambda d: len(d.find_elements(By.CSS_SELECTOR, "#markers li")) >= 2,
                "the markers did not appear",
            )
        items = browser.execute_script(
            "return [...document.querySelectorAll('#markers li')].map(li => li.innerText)"
        )
        assert any("observer saw a smile" in i and i.endswith("websocket") for i in items)
        assert any("boss #2" in i for i in items)
        assert browser.find_element(By.ID, "error").text == ""  # the game's error was its own
        shot = tmp_path / "observer.png"
        assert browser.save_screenshot(str(shot))
        if os.environ.get("FER_OBSERVER_SCREENSHOT"):  # refresh the README's picture
            shutil.copy(shot, REPO / "assets" / "screenshot_observer.png")
        last = faces_shown(browser)
    assert {f["label"] for f in last} <= LABELS
    (timeline,) = tmp_path.glob("session-*.csv")
    notes = {(m["note"], m["source"]) for m in read_timeline(timeline)["markers"]}
    assert notes == {("observer saw a smile", "websocket"), ("boss #2", "websocket")}
    print(f"screenshot: {shot}")


def page_state(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "state").text


@pytest.mark.slow
def test_the_page_follows_the_windows_stream_across_a_change_of_source_and_a_restart(
    browser, qtbot, tmp_path, demo_video
):
    """Issue #28: after a change of source the page said "session ended" for good. Now the
    window's stream goes on (a new header: the new source), and when the server goes away
    the page says it tries again and comes back by itself. Markers are listed in time
    order (one a game placed earlier goes below a later one), and their notes over the
    chart never overlap."""
    from selenium.webdriver.common.by import By

    from tests.test_window_stream import free_port, open_window, serving

    port = free_port()
    window = open_window(qtbot, tmp_path / "s.ini")
    window.set_stream_address(port, lan=False)
    window.start_source("demo")
    window.ws_box.setChecked(True)
    serving(qtbot, port)
    page = f"http://127.0.0.1:{port}/"
    browser.get(page)
    wait_for(browser, lambda d: page_state(d) == "live" and faces_shown(d), "not live")
    with connect(f"ws://127.0.0.1:{port}", proxy=None, open_timeout=WAIT_S) as game:
        earlier = next(
            line for line in map(json.loads, iter(lambda: game.recv(timeout=WAIT_S), None))
            if line["type"] == "frame"
        )  # fmt: skip
        qtbot.wait(600)
        for k in range(6):  # close together: their notes would share the chart's top rows
            game.send(json.dumps({"type": "marker", "note": f"later marker number {k}"}))
        game.send(json.dumps({"type": "marker", "note": "earlier", "t_wall": earlier["t_wall"]}))
        wait_for(
            browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#markers li")) == 7,
            "the markers did not appear",
        )  # fmt: skip
        notes = browser.execute_script(
            "return [...document.querySelectorAll('#markers .note-text')].map(n => n.textContent)"
        )
        assert notes[-1] == "earlier" and notes[0] == "later marker number 5"
        boxes = json.loads(wait_for(
            browser, lambda d: d.find_element(By.ID, "chart").get_attribute("data-notes"),
            "no marker note drawn",
        ))  # fmt: skip
        assert boxes
        for a in boxes:
            for b in boxes:
                if a is not b and a["row"] == b["row"]:
                    assert a["right"] <= b["left"] or b["right"] <= a["left"]
        window.change_source(str(demo_video))
        wait_for(
            browser, lambda d: d.find_element(By.ID, "stream").text.endswith(str(demo_video)),
            "the page did not follow the change of source",
        )  # fmt: skip
        wait_for(browser, lambda d: page_state(d) == "live" and faces_shown(d), "not live")
    window.ws_box.setChecked(False)  # the server goes away…
    wait_for(browser, lambda d: "retrying" in page_state(d), "the page did not say so")
    window.ws_box.setChecked(True)  # …and comes back: the page reconnects by itself
    wait_for(browser, lambda d: page_state(d) == "live", "the page did not reconnect")
    window.close()


@pytest.mark.slow
def test_faces_gone_a_while_are_counted_not_carded(browser, tmp_path, pipeline):
    """Issue #28: on a long crowd clip the page filled with "not in view" cards. Here twelve
    Yale subjects pass one after another (1 s each, a blank second between, each on another
    spot); at the end, those gone over GONE_S (10 s) are one line, not cards (and at most
    GONE_CARDS, 4, faces out of view keep one)."""
    import cv2
    import numpy as np
    from selenium.webdriver.common.by import By

    from tests.conftest import shared_path, write_video

    yale = shared_path("faces", "yale", "neutral")
    fps, frames = 10.0, []
    for k, photo in enumerate(sorted(yale.glob("*_normal.png"))[:12]):
        face = cv2.imread(str(photo))
        canvas = np.full((480, 960, 3), 128, np.uint8)
        x = (k % 3) * 320
        canvas[100 : 100 + face.shape[0], x : x + face.shape[1]] = face
        frames += [canvas] * int(fps) + [np.full_like(canvas, 128)] * int(fps)
    clip = write_video(tmp_path / "passers_by.avi", frames, fps=fps)
    with (
        Served(clip, tmp_path, pipeline) as served,
        connect(served.server.url, proxy=None, open_timeout=WAIT_S) as reader,
    ):
        browser.get(served.page)
        ids, last_seen, t_end = set(), {}, None
        while t_end is None:
            line = json.loads(reader.recv(timeout=WAIT_S))
            if line["type"] == "frame":
                for f in line["faces"]:
                    ids.add(f["face_id"])
                    last_seen[f["face_id"]] = line["t_wall"]
                if line["frame"] == len(frames) - 1:
                    t_end = line["t_wall"]
        from fer_desktop.marker_time import parse_wall

        recent = {i for i, t in last_seen.items() if parse_wall(t_end) - parse_wall(t) <= 10}
        wait_for(
            browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#faces .left"),
            "no line for the faces that left",
        )  # fmt: skip
        cards = browser.find_elements(By.CSS_SELECTOR, "#faces .face")
        left = browser.find_element(By.CSS_SELECTOR, "#faces .left").text
    assert len(ids) >= 8  # the subjects were told apart
    assert len(cards) <= min(len(recent) + 1, 5) < len(ids)
    assert left.startswith(f"{len(ids) - len(cards)} faces left the view")


def test_the_page_shows_head_pose_and_eye_openness_per_face_as_text(browser, tmp_path, face_video):
    """Issue #31: with the face mesh on, each face's card has a line of text with its head
    pose and eye openness, the values of the stream's own lines."""
    import re

    from selenium.webdriver.common.by import By

    from fer_desktop.pipeline import Pipeline
    from fer_desktop.settings import Settings

    shape = re.compile(
        r"^head yaw [+−]\d+° pitch [+−]\d+° roll [+−]\d+° · eyes R 0\.\d\d L 0\.\d\d$"
    )
    with (
        Pipeline(Settings(mesh="eyes")) as meshed,
        Served(face_video, tmp_path, meshed) as served,
        connect(served.server.url, proxy=None, open_timeout=WAIT_S) as reader,
    ):
        browser.get(served.page)
        wait_for(
            browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".face .measures"),
            "no measures line on the face card",
        )  # fmt: skip
        shown = browser.execute_script(
            "const m = document.querySelector('.face .measures');"
            "return {text: m.textContent, html: m.innerHTML, yaw: m.dataset.yaw};"
        )
        sent = []
        while len(sent) < 5:
            line = json.loads(reader.recv(timeout=WAIT_S))
            sent += [f["mesh"] for f in line.get("faces", [])]
    assert shape.match(shown["text"]), shown
    assert shown["html"] == shown["text"].replace("&", "&amp;")  # text only, no markup
    assert abs(float(shown["yaw"])) < 30
    assert all(abs(m["head_pose_deg"]["yaw"]) < 30 for m in sent)
