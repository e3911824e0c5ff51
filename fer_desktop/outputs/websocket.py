"""A WebSocket server that sends each frame's JSON line to every connected client.

`live --serve ws://127.0.0.1:8765` binds to localhost unless the user names another
interface. Each client gets the header line first, then frames and events. Each client has a
short queue: a slow or stuck client never slows the analysis, its oldest lines are dropped
and counted instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from urllib.parse import urlsplit

import numpy as np

from fer_desktop.outputs import Output, OutputError, SessionInfo
from fer_desktop.outputs.stdout import dumps
from fer_desktop.results import FrameResult, event_record, frame_record

QUEUE_LINES = 8
# Kernel and library buffers per client are kept small too: lines waiting there are lines
# the client will see late. 32 KiB holds about 50 frames.
SEND_BUFFER_BYTES = 32 * 1024


def parse_ws_url(url: str) -> tuple[str, int]:
    """'ws://HOST:PORT' -> (host, port); a missing host means 127.0.0.1."""
    parts = urlsplit(url if "://" in url else f"ws://{url}")
    if parts.scheme != "ws":
        raise OutputError(f"--serve {url}: use ws://HOST:PORT (TLS is not offered)")
    try:
        port = parts.port
    except ValueError as exc:
        raise OutputError(f"--serve {url}: the port must be a number 0-65535") from exc
    if port is None:
        raise OutputError(f"--serve {url}: name a port, e.g. ws://127.0.0.1:8765")
    return parts.hostname or "127.0.0.1", port


class WebSocketOutput(Output):
    name = "WebSocket"

    def __init__(self, url: str = "ws://127.0.0.1:8765"):
        self.host, self.port = parse_ws_url(url)
        self.dropped = 0
        self.sent = 0
        self._queues: set[asyncio.Queue] = set()
        self._header = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None

    @property
    def clients(self) -> int:
        return len(self._queues)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self, info: SessionInfo) -> None:
        self._header = dumps(info.header())
        started: dict = {}
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(started, ready), name="websocket", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if "error" in started:
            raise OutputError(f"cannot serve {self.url}: {started['error']}")

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
                    max_queue=4,
                    write_limit=SEND_BUFFER_BYTES,
                )
            except OSError as exc:
                started["error"] = exc.strerror or str(exc)
                ready.set()
                return
            if self.port == 0:  # an ephemeral port was asked for: report the real one
                self.port = next(iter(server.sockets)).getsockname()[1]
            ready.set()
            async with server:
                await self._stop.wait()

        asyncio.run(main())

    async def _client(self, ws) -> None:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_LINES)
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        queue.put_nowait(self._header)
        self._queues.add(queue)
        try:
            while True:
                await ws.send(await queue.get())
        except Exception:  # the client went away; nothing to report
            return
        finally:
            self._queues.discard(queue)

    def _fanout(self, line: str) -> None:
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(line)
            self.sent += 1

    def _post(self, line: str) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self._loop.call_soon_threadsafe(self._fanout, line)

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self._queues:
            self._post(dumps(frame_record(result)))

    def event(self, record: dict) -> None:
        self._post(dumps(record))

    def relabel(self, labels: list[str]) -> bool:
        self._post(dumps(event_record("labels", None, labels=labels)))
        return True

    def close(self, summary: dict) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def state(self) -> str:
        return f"WS {self.url} ({self.clients})"
