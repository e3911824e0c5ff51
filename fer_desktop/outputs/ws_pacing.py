"""How fast lines go to a WebSocket client: in fragments, a few messages ahead of its pongs."""

from __future__ import annotations

import asyncio
from collections import deque

FRAGMENTS = 16  # frames per line: a queue of 16 frames on the client holds one line
IN_FLIGHT = 2  # messages sent ahead of the client's last pong: at most 2 per round trip


def fragments(line: str) -> list[str]:
    """A line cut into FRAGMENTS pieces (fewer for a short line), each sent as one frame."""
    size = -(-len(line) // FRAGMENTS)
    return [line[i : i + size] for i in range(0, len(line), size)]


async def wait_for_window(pongs: deque[asyncio.Future[float]]) -> None:
    """Wait until fewer than IN_FLIGHT sent messages are not yet acknowledged by a pong."""
    while pongs and (len(pongs) >= IN_FLIGHT or pongs[0].done()):
        await pongs.popleft()
