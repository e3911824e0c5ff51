"""Reading ahead on a thread: decoding (and detection) overlap analysis.

`Session` chains two: one thread decodes a file's frames, the next runs the detector on
them, while the session's thread classifies and writes (`SessionOptions.prefetch`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator


def prefetched(source: Iterable, depth: int = 4, work: Callable | None = None) -> Iterator:
    """Items of `source` (frames of a FrameSource, say), read up to `depth` ahead in a thread
    so that decoding overlaps analysis; with `work`, that thread yields `work(item)` instead.

    Errors of the source or of `work` are raised here, in order. Stopping early (break, an
    exception in the consumer) stops the thread before the generator returns.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            for item in source:
                if not put(item if work is None else work(item)):
                    return
            put(done)
        except Exception as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            if isinstance(source, Generator):
                source.close()  # a chained prefetch stops its own thread

    name = getattr(source, "name", None) or getattr(work, "__name__", "prefetch")
    thread = threading.Thread(target=reader, name=f"ahead {name}", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5.0)
