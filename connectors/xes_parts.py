"""A large XES log read by rustxes in parts, one per core: rustxes parses on one core and holds the GIL.

The log is cut between traces into parts that are each a whole XES document: the first keeps
everything up to its last trace and gets a closing `</log>`; every later one starts with the
log's own header (its extensions, `<global>` defaults, classifiers and log attributes, all
written before the first trace) and then its traces. Child processes (`python -m
connectors.xes_parts PART OUT`) read the parts from named pipes that this process fills, and hand
them back as Arrow IPC files. The parts' frames, put end to end, are the log in file order.

A `<trace` can stand in an XES file only as an element's start (a `<` inside a value is
written `&lt;`), so a cut just before one never splits an element. A gzipped log is unpacked
into memory first (rustxes would unpack it on one core too).
"""

from __future__ import annotations

import contextlib
import gzip
import mmap
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import polars as pl

TRACE = b"<trace"
PARALLEL_BYTES = 48 << 20  # logs smaller than this (unpacked) are read in one piece: a child costs ~0.4 s to start


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cut_points(data: mmap.mmap | bytes, parts: int) -> list[int]:
    """Offsets where the log is cut: the first trace, then a trace start at or after each k/parts of it, and the end.

    Fewer parts when the log has fewer traces than that."""
    first = data.find(TRACE)
    if first < 0:
        return []
    points = [first]
    for k in range(1, parts):
        at = data.find(TRACE, max(points[-1] + 1, first + (len(data) - first) * k // parts))
        if at < 0:
            break
        points.append(at)
    return points + [len(data)]


def _feed(fifo: Path, data: mmap.mmap | bytes, pieces: list[tuple[int, int] | bytes]) -> None:
    """Write `pieces` (ranges of `data`, or bytes) into a named pipe; the child at its other end reads them as one
    file. Copied a few megabytes at a time, so no view of `data` outlives the call."""
    with fifo.open("wb", buffering=0) as fh:
        for piece in pieces:
            if isinstance(piece, bytes):
                fh.write(piece)
                continue
            for at in range(piece[0], piece[1], 1 << 23):
                block = data[at : min(at + (1 << 23), piece[1])]
                written = 0
                while written < len(block):
                    written += fh.write(block[written:])


def defaults_of(header: bytes) -> dict[str, tuple[str, str]]:
    """The log's `<global>` defaults as column -> (XES type, value): trace-scoped ones as `case:<key>`.

    rustxes fills a column's gaps with its default, but makes no column that none of a part's events
    has: a column one part lacks gets its default here, as one read of the whole log would give it."""
    from xml.etree.ElementTree import Element, XMLPullParser

    parser: XMLPullParser[Element] = XMLPullParser(events=("end",))
    parser.feed(header + b"</log>")
    out: dict[str, tuple[str, str]] = {}
    # the stubs' event type covers every kind of event; "end" events are (event, element) pairs
    for _, elem in cast(Iterator[tuple[str, Element]], parser.read_events()):
        if elem.tag.rsplit("}", 1)[-1] != "global":
            continue
        prefix = "case:" if elem.get("scope", "event") == "trace" else ""
        for child in elem:
            key, value = child.get("key"), child.get("value")
            if key is not None and value is not None:
                out[prefix + key] = (child.tag.rsplit("}", 1)[-1], value)
    return out


def read_in_parts(
    path: Path, parts: int, *, min_bytes: int = PARALLEL_BYTES
) -> tuple[list[pl.DataFrame], dict[str, tuple[str, str]]] | None:
    """The frames of the log's parts, in file order, each read by rustxes in a child process, and the log's
    `<global>` defaults (`defaults_of`); None when it is not worth it (a log under `min_bytes` unpacked, one core,
    fewer than two traces).

    Each child reads its part from a named pipe that a thread here fills (this process only copies bytes, so it
    needs no core of its own), and writes its frame as Arrow IPC."""
    if parts < 2 or (not path.name.lower().endswith(".gz") and path.stat().st_size < min_bytes):
        return None
    with contextlib.ExitStack() as stack:
        data: bytes | mmap.mmap
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as gz:
                data = gz.read()
        else:
            fh = stack.enter_context(path.open("rb"))
            data = stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
        if len(data) < min_bytes:
            return None
        points = cut_points(data, parts)
        if len(points) < 3:
            return None
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vaerdistrom_xes_")))
        jobs = []
        # each point with the next: the second list is one shorter, on purpose
        for i, (start, end) in enumerate(zip(points, points[1:], strict=False)):
            fifo = folder / f"part{i}.xes"
            os.mkfifo(fifo)
            pieces: list[tuple[int, int] | bytes] = [(0, start if i == 0 else points[0]), (start, end)]
            if end < len(data):
                pieces.append(b"</log>\n")
            child = subprocess.Popen(
                [sys.executable, "-m", "connectors.xes_parts", str(fifo), f"{fifo}.arrow"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            feeder = threading.Thread(target=_feed_or_give_up, args=(fifo, data, pieces, child), daemon=True)
            feeder.start()
            jobs.append((fifo, child, feeder))
        frames = []
        for fifo, child, feeder in jobs:
            err = child.communicate()[1]
            if feeder.is_alive():  # the child ended without reading all of its part: let the feeder's open or write end
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            feeder.join()
            if child.returncode != 0:
                raise ValueError(
                    err.decode("utf-8", "replace").strip().splitlines()[-1]
                    if err.strip()
                    else f"the reader of part {fifo.name} stopped with exit code {child.returncode}"
                )
            if err:  # rustxes' word on a value it dropped: to our standard error, where the caller looks for it
                os.write(2, err)
            frames.append(pl.read_ipc(f"{fifo}.arrow"))
        return frames, defaults_of(bytes(data[: points[0]]))


def _feed_or_give_up(
    fifo: Path, data: mmap.mmap | bytes, pieces: list[tuple[int, int] | bytes], child: subprocess.Popen[bytes]
) -> None:
    """`_feed`, ended quietly when the child stopped reading (it failed: its own error says why)."""
    try:
        _feed(fifo, data, pieces)
    except (BrokenPipeError, OSError):
        child.wait()


def main(part: str, out: str) -> None:
    """A child's work: one part read by rustxes, written as Arrow IPC."""
    import rustxes

    rustxes.import_xes(part)[0].write_ipc(out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
