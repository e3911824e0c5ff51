"""A WebSocket server that sends each frame's JSON line to every connected client.

`live --serve ws://127.0.0.1:8765` binds to localhost unless the user names another
interface. Each client gets the header line first, then frames and events, and at the end an
"end" event line and a close with code 1001 (going away).

Who may connect:
- a browser page only when its `Origin` is allowed: the server's own http://HOST:PORT (and
  http://localhost:PORT on loopback; with a token, http:// and the Host the client asked
  for, so the observer page works on a server bound to 0.0.0.0), plus `allow_origins`; any
  other gets HTTP 403. Clients
  that send no Origin (programs, not browsers) are served;
- on any address other than loopback (127.0.0.0/8, ::1, localhost) every client needs the
  token (`?token=` in the URL or `Authorization: Bearer`), else HTTP 401. The token is given
  or generated and announced through `log`, like Jupyter's;
- a client may place a marker: `{"type": "marker", "note": "boss #2"}`, with an optional
  `"t_wall": "2026-12-01T22:15:03.120Z"` to place it earlier in the session. What cannot be
  taken (not JSON, over MAX_MESSAGE_BYTES, another type, a wrong field, a time outside the
  session) gets `{"type": "error", "error": "…"}` back and that client stays connected; the
  marker itself comes back to every client as an "event" line (`"source": "websocket"`).
  Only a message over HARD_MESSAGE_BYTES closes the client, with 1009 (message too big);
- plain HTTP GET / (no WebSocket upgrade) answers the observer page (fer_desktop/observer):
  each face's label and a chart of the last minute, read from this stream on the same
  origin; it passes on the `?token=` of its own URL. The page holds no data.

A slow client stays near the present, whatever its read rate. Each message is followed by a
ping and at most IN_FLIGHT messages go out ahead of the client's last pong, so lines cannot
pile up in socket buffers: a client answers a ping only once its library has read that far.
Each line goes out in FRAGMENTS frames: a client library that bounds its receive queue in
frames (the websockets client: `max_queue`, 16 by default) then holds about one line ahead
of its reader, not 16. While a client is behind, only the newest frame line waits for it;
its event lines (markers, gaps, errors; up to EVENT_LINES) all wait, in order. Every frame
line sent to a client that has lost lines carries `"dropped_lines": N`, the number that
client has lost so far, and so does its end line. A client reading 5 lines a second with the
default `max_queue` reads lines under 1 s old (benchmarks/bench_outputs.py prints the lag
against the read rate). One client gets at most IN_FLIGHT messages per network round trip
(40 a second at 50 ms). A client that never reads holds only its own short queue; the others
are not slowed, and keepalive pings (every 20 s) close it after 20 s without a pong.

close() returns within CLOSE_SECONDS: clients get GOODBYE_SECONDS to take the end line and
answer the close; one further behind may miss its last lines when its connection is cut.
A `lasting` server (the window's) outlives its sessions: at a session's close its clients get
the end line and stay connected, the next session's `start` sends them its header line, and
`shut_down` ends the server.

Each client's queue is `client_queue.ClientQueue` (EVENT_LINES); the pacing, FRAGMENTS and
IN_FLIGHT, is in `ws_pacing`; the URL, loopback and origin rules are in `ws_addresses`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterable
from importlib import resources
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np

from fer_desktop import observer
from fer_desktop.errors import FerDesktopError
from fer_desktop.outputs import Output, OutputError, SessionInfo
from fer_desktop.outputs.client_queue import ClientQueue
from fer_desktop.outputs.stdout import dumps
from fer_desktop.outputs.ws_addresses import is_loopback, normalize_origin, parse_ws_url
from fer_desktop.outputs.ws_pacing import fragments, wait_for_window
from fer_desktop.results import FrameResult, event_record, frame_record

MAX_MESSAGE_BYTES = 4096  # incoming messages; larger ones get an error back
HARD_MESSAGE_BYTES = 65536  # larger ones close that client (1009) unread
MARKER_FIELDS = {"type", "note", "t_wall"}
PAGES = {  # the observer page's files: path -> (file, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/observer.js": ("observer.js", "text/javascript; charset=utf-8"),
    "/observer.css": ("observer.css", "text/css; charset=utf-8"),
}
GOODBYE_SECONDS = 0.5  # a client's closing handshake at the end
CLOSE_SECONDS = 0.7  # close() as a whole (within live's hand-off's 0.8 s): then cut the rest
TOKEN_BYTES = 24


class WebSocketOutput(Output):
    name = "WebSocket"

    def __init__(
        self,
        url: str = "ws://127.0.0.1:8765",
        allow_origins: Iterable[str] = (),
        token: str | None = None,
        require_token: bool = False,
        log: Callable[[str], None] | None = None,
        on_marker: Callable[[str, str | None], None] | None = None,
        lasting: bool = False,
    ):
        """`allow_origins`: browser origins served besides the server's own page.
        `token`: what clients must present; generated when the address is not loopback (or
        `require_token`) and none is given. `log` gets one line per refused client and the
        token announcement; it is called from the server's thread. `on_marker(note, t_wall)`
        takes a client's marker (it raises FerDesktopError to refuse it); without it markers
        go to the session served (`SessionInfo.place_marker`), or are refused when it takes
        none. It is called from the server's thread.
        `lasting`: serve on across sessions until `shut_down` (see the module's notes)."""
        self.host, self.port = parse_ws_url(url)
        if token is not None and not token.strip():
            raise OutputError("--token: give a non-empty token")
        if token is None and (require_token or not is_loopback(self.host)):
            token = secrets.token_urlsafe(TOKEN_BYTES)
        self.token = token
        self.allow_origins = {normalize_origin(o) for o in allow_origins}
        self.log = log or (lambda line: None)
        self.on_marker = on_marker
        self._to_session: Callable[[str, str | None], None] | None = None  # see `start`
        self.lasting = lasting
        self.markers = 0  # taken from clients
        self.dropped = 0
        self.sent = 0
        self.refused = 0
        self._queues: set[ClientQueue] = set()
        self._connections: set = set()
        self._handlers: set[asyncio.Task] = set()
        self._header = ""
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None

    @property
    def clients(self) -> int:
        return len(self._queues)

    @property
    def url(self) -> str:
        return f"ws://{self._netloc()}"

    @property
    def page_url(self) -> str:
        """The observer page: http://HOST:PORT/ (with `?token=` when there is one)."""
        page = f"http://{self._netloc()}/"
        return f"{page}?token={quote(self.token, safe='')}" if self.token else page

    @property
    def client_url(self) -> str:
        """The URL to give clients: with `?token=` when there is one."""
        return f"{self.url}/?token={quote(self.token, safe='')}" if self.token else self.url

    def _netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def own_origins(self) -> set[str]:
        """Origins of pages this server itself serves: http://HOST:PORT (and localhost)."""
        own = {f"http://{self._netloc()}"}
        if self.host in ("127.0.0.1", "::1", "localhost"):
            own.add(f"http://localhost:{self.port}")
        return own

    # --- server thread ----------------------------------------------------------------------
    def start(self, info: SessionInfo) -> None:
        """Serve a session's stream. A server still running (a lasting one, at the next
        session) keeps its clients and sends them the new header line."""
        self._header = dumps(info.header())
        self._closing = False
        place = info.place_marker
        self._to_session = (
            None if place is None else lambda note, t_wall: place(note, "websocket", t_wall)
        )
        if self._thread is not None and self._thread.is_alive():
            self._post(self._fanout, self._header, False)
            return
        started: dict = {}
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(started, ready), name="websocket", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if "error" in started:
            raise OutputError(f"cannot serve {self.url}: {started['error']}")
        if self.token:
            self.log(f"WebSocket clients need the token: {self.client_url}")

    def _serve(self, started: dict, ready: threading.Event) -> None:
        from websockets.asyncio.server import serve

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                server = await serve(
                    self._client,
                    self.host,
                    self.port,
                    process_request=self._admit,
                    max_size=HARD_MESSAGE_BYTES,
                    close_timeout=GOODBYE_SECONDS,
                )
            except OSError as exc:
                taken = exc.errno == errno.EADDRINUSE
                started["error"] = (
                    f"port {self.port} is taken by another program"
                    if taken
                    else exc.strerror or str(exc)
                )
                ready.set()
                return
            if self.port == 0:  # an ephemeral port was asked for: report the real one
                self.port = next(iter(server.sockets)).getsockname()[1]
            self.allow_origins |= self.own_origins()
            ready.set()
            await self._stop.wait()
            await self._shut_down(server)

        asyncio.run(main())

    async def _shut_down(self, server) -> None:
        """Say goodbye to every client (end line, 1001), cutting those not done in time."""
        deadline = asyncio.get_running_loop().time() + CLOSE_SECONDS
        if self._handlers:  # each says goodbye in _client, within GOODBYE_SECONDS
            await asyncio.wait(set(self._handlers), timeout=GOODBYE_SECONDS + 0.1)
        server.close()  # refuses new clients, closes any left with 1001
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                await server.wait_closed()
        for ws in list(self._connections) + list(server.all_connections):
            ws.transport.abort()

    def _admit(self, connection, request):
        """process_request: the observer page for a plain GET; refuse foreign browser pages
        (403) and missing tokens (401)."""
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return self._page(connection, urlsplit(request.path).path)
        origins = request.headers.get_all("Origin")
        if len(origins) > 1:
            return self._refuse(connection, 400, "send one Origin header")
        origin = origins[0].rstrip("/").lower() if origins else None
        if origin and origin not in self.allow_origins and not self._own_page(origin, request):
            return self._refuse(
                connection,
                403,
                f"pages from {origins[0]} may not read this stream (--allow-origin to allow)",
            )
        if self.token and not self._token_ok(request):
            response = self._refuse(connection, 401, "missing or wrong token")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None

    def _page(self, connection, path: str):
        """One of the observer page's files (no data in them: the stream needs the token)."""
        if path not in PAGES:
            return connection.respond(404, "no such page: the observer page is at /\n")
        name, kind = PAGES[path]
        text = resources.files(observer).joinpath(name).read_text("utf-8")
        response = connection.respond(200, text)
        headers = response.headers
        del headers["Content-Type"]
        headers["Content-Type"] = kind
        headers["Cache-Control"] = "no-store"
        headers["Referrer-Policy"] = "no-referrer"  # the URL may hold the token
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Content-Security-Policy"] = (
            f"default-src 'self'; connect-src 'self' ws://{self._netloc()}; "
            "img-src 'self' data:; frame-ancestors 'none'"
        )
        return response

    def _own_page(self, origin: str, request) -> bool:
        """With a token: the observer page from whichever address reached this server (one
        bound to 0.0.0.0 is opened as http://192.168.1.5:PORT/). Its origin is the Host it
        asked for; a page elsewhere that made its name point here still lacks the token."""
        host = request.headers.get("Host", "").lower()
        return self.token is not None and bool(host) and origin == f"http://{host}"

    def _token_ok(self, request) -> bool:
        given = parse_qs(urlsplit(request.path).query).get("token", [])
        for auth in request.headers.get_all("Authorization"):
            scheme, _, credentials = auth.partition(" ")
            if scheme.lower() == "bearer":
                given.append(credentials.strip())
        expected = (self.token or "").encode()
        return any(hmac.compare_digest(t.encode(), expected) for t in given)

    def _refuse(self, connection, status: int, reason: str):
        self.refused += 1
        peer = connection.remote_address
        who = f"{peer[0]}:{peer[1]}" if peer else "a client"
        self.log(f"WebSocket: refused {who} ({status}): {reason}")
        return connection.respond(status, f"{reason}\n")

    async def _client(self, ws) -> None:
        if self._closing:
            return
        queue = ClientQueue(self._header)
        self._queues.add(queue)
        self._connections.add(ws)
        self._handlers.add(asyncio.current_task())
        tasks = [
            asyncio.create_task(self._send(ws, queue)),
            asyncio.create_task(self._read(ws, queue)),
            asyncio.create_task(queue.ending.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if queue.ending.is_set():
                await self._goodbye(ws, queue)
        except Exception:  # the client went away; nothing to report
            return
        finally:
            self._queues.discard(queue)
            self._connections.discard(ws)
            self._handlers.discard(asyncio.current_task())

    async def _send(self, ws, queue: ClientQueue) -> None:
        """Send lines, each followed by a ping, at most IN_FLIGHT ahead of the last pong."""
        pongs: deque[asyncio.Future[float]] = deque()
        while True:
            await wait_for_window(pongs)
            await ws.send(fragments(await queue.get()))
            pongs.append(await ws.ping())

    async def _read(self, ws, queue: ClientQueue) -> None:
        """Take the client's markers; anything else gets an error line back (reading on
        also keeps the pongs arriving)."""
        async for message in ws:
            error = self.take(message)
            if error:
                queue.put(dumps({"type": "error", "error": error}), frame=False)

    def take(self, message: str | bytes) -> str | None:
        """A client's message: None when it placed a marker, else why it was refused."""
        if isinstance(message, bytes):
            return "send markers as text messages (JSON), not binary"
        if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
            return f"message too big: at most {MAX_MESSAGE_BYTES} bytes"
        try:
            data = json.loads(message)
        except ValueError as exc:
            return f"not JSON ({exc.msg} at character {exc.pos})"
        if not isinstance(data, dict):
            return 'send a JSON object: {"type": "marker", "note": "..."}'
        if data.get("type") != "marker":
            return f'unknown message type {data.get("type")!r}: only "marker" is taken'
        unknown = sorted(set(data) - MARKER_FIELDS)
        if unknown:
            return f"unknown field {unknown[0]!r}: a marker has note and t_wall (optional)"
        note, t_wall = data.get("note", ""), data.get("t_wall")
        if not isinstance(note, str):
            return "note must be a string"
        if t_wall is not None and not isinstance(t_wall, str):
            return "t_wall must be an ISO 8601 string, e.g. 2026-12-01T22:15:03.120Z"
        place = self.on_marker or self._to_session
        if place is None:
            return "this stream does not take markers"
        try:
            place(note, t_wall)
        except FerDesktopError as exc:
            return str(exc)
        self.markers += 1
        return None

    async def _goodbye(self, ws, queue: ClientQueue) -> None:
        """The lines still queued, the end line, a 1001 close."""
        from websockets.frames import CloseCode

        for line in queue.remaining():
            await ws.send(line)
        await ws.close(CloseCode.GOING_AWAY)

    def _fanout(self, line: str, frame: bool) -> None:
        for queue in list(self._queues):
            self.dropped += queue.put(line, frame)
            self.sent += 1

    def _finish(self, summary: dict) -> None:
        self._closing = True
        for queue in list(self._queues):
            queue.finish(summary)
        if self._stop is not None:
            self._stop.set()

    def _cut(self) -> None:
        self._closing = True
        for ws in list(self._connections):
            ws.transport.abort()
        if self._stop is not None:
            self._stop.set()

    def _post(self, callback, *args) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self._loop.call_soon_threadsafe(callback, *args)

    # --- session thread ---------------------------------------------------------------------
    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self._queues:
            self._post(self._fanout, dumps(frame_record(result)), True)

    def event(self, record: dict) -> None:
        self._post(self._fanout, dumps(record), False)

    def relabel(self, labels: list[str]) -> bool:
        self._post(self._fanout, dumps(event_record("labels", None, labels=labels)), False)
        return True

    def close(self, summary: dict) -> None:
        """Each client gets the end line and a 1001 close; returns within about a second. A
        lasting server only sends the end line: its clients wait for the next session."""
        if self.lasting:
            self._post(self._fanout, dumps(event_record("end", None, **summary)), False)
            return
        self._post(self._finish, summary)
        if self._thread is not None:
            self._thread.join(timeout=CLOSE_SECONDS + 0.1)

    def shut_down(self, summary: dict) -> None:
        """End a lasting server (or any): the end line and a 1001 close to every client."""
        self.lasting = False
        self.close(summary)

    def abandon(self) -> None:
        """Cut every connection now, goodbyes or not (from another thread)."""
        self._post(self._cut)

    @property
    def state(self) -> str:
        return f"WS {self.url} ({self.clients})"
