"""Work ahead in a background thread: read and map the next chunks while DuckDB stores this one.

Reading a file (pyarrow), mapping it (polars) and appending it to DuckDB each release
Python's lock while they work, so running the first two in a thread overlaps them with
the third. Results come back in order; an exception in the thread is raised in the caller
at the item where it happened; when the caller stops early, the thread stops too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_END = object()


def ahead(items: Iterable[T], fn: Callable[[T], R], depth: int = 2) -> Iterator[R]:
    """`fn(item)` for every item, computed up to `depth` items ahead in one background thread."""
    done: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                done.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if stop.is_set() or not put((fn(item), None)):
                    return
            put((_END, None))
        except BaseException as e:  # handed to the caller, raised there
            put((None, e))

    thread = threading.Thread(target=work, name="vaerdistrom-ahead", daemon=True)
    thread.start()
    try:
        while True:
            value, error = done.get()
            if error is not None:
                raise error
            if value is _END:
                return
            yield value
    finally:
        stop.set()
        thread.join()
