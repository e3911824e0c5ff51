"""The observer page in a real browser (Debian's chromium, driven by Selenium): served on the
--serve port, reading a real session's stream, showing each face's label, the chart and the
markers; with a token, the page passes on the one in its own URL."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from fer_desktop.outputs.websocket import WebSocketOutput
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO
from tests.test_playtest import GameSession

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WAIT_S = 60
LABELS = {"happy", "neutral", "sad"}


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver)")  # fmt: skip
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-proxy-server",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1000,760",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


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
