"""What one WebSocket client is sent when it reads slower than frames come: only the newest
frame line, up to EVENT_LINES event lines in order, drops counted and told, the end line last."""

from __future__ import annotations

import asyncio
import json

from fer_desktop.outputs.client_queue import EVENT_LINES, ClientQueue
from fer_desktop.results import event_record


def line(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"))


HEADER = line({"type": "header", "labels": ["happy", "neutral", "sad"]})


def frame(n: int) -> str:
    return line({"type": "frame", "frame": n, "faces": []})


def marker(note: str) -> str:
    return line(event_record("marker", 1.0, note=note))


def test_a_newer_frame_replaces_the_waiting_one_and_events_keep_their_order():
    queue = ClientQueue(HEADER)
    assert queue.put(frame(0), frame=True) == 0
    assert queue.put(marker("a"), frame=False) == 0
    assert queue.put(frame(1), frame=True) == 1  # frame 0 was still waiting
    assert queue.put(marker("b"), frame=False) == 0
    assert queue.put(frame(2), frame=True) == 1
    sent = [json.loads(x) for x in queue.remaining()]
    assert [x.get("frame", x.get("note")) for x in sent[1:-1]] == ["a", "b", 2]
    assert sent[0]["type"] == "header" and sent[3]["dropped_lines"] == 2  # told on its frame
    assert sent[-1]["event"] == "end" and sent[-1]["dropped_lines"] == 2


def test_events_beyond_the_limit_drop_the_oldest_and_the_newest_stay():
    queue = ClientQueue(HEADER)
    asyncio.run(queue.get())
    notes = [f"m{k}" for k in range(EVENT_LINES + 10)]
    dropped = sum(queue.put(marker(n), frame=False) for n in notes)
    queue.finish({"frames": 0})
    sent = [json.loads(x) for x in queue.remaining()]
    kept = [x["note"] for x in sent[:-1]]
    assert kept == notes[-len(kept) :] and len(kept) >= EVENT_LINES
    assert dropped == len(notes) - len(kept) == queue.dropped
    assert sent[-1] == {**sent[-1], "event": "end", "frames": 0, "dropped_lines": dropped}


def test_get_waits_for_the_next_line():
    async def deliver() -> list[str]:
        queue = ClientQueue(HEADER)
        first = await queue.get()
        waiting = asyncio.ensure_future(queue.get())
        await asyncio.sleep(0)
        assert not waiting.done()  # nothing queued: the client's sender waits
        queue.put(frame(7), frame=True)
        return [first, await asyncio.wait_for(waiting, 10)]

    assert asyncio.run(deliver()) == [HEADER, frame(7)]


def test_finish_is_said_once():
    queue = ClientQueue(HEADER)
    queue.finish({"stopped": "end of file"})
    queue.finish({"stopped": "interrupted"})
    assert queue.ending.is_set()
    end = json.loads(list(queue.remaining())[-1])
    assert end["stopped"] == "end of file"
