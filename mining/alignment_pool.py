"""Variants aligned in worker processes, one per usable core, in chunks handed out most frequent first.

Aligning a process's variants is many small independent searches (about 2 ms each for the
sickness-benefit process's 2,138 variants). Each worker is forked with the net already indexed
(it is never sent) and aligns the chunks of variants the caller hands it, until the run's
deadline, as one process would: a variant still searching then is left unaligned, and so are
the chunks not handed out yet. A variant's alignment does not depend on which process finds
it, so every variant aligned is aligned as in one process; with time enough, all of them are.

Nothing here can hang the caller. Each worker has a pipe of its own each way (no lock shared
between processes, no helper thread); the caller reads answers without blocking, so a worker
frozen half-way through an answer blocks nothing, and it sees a worker die by its pipe's end
and its exit. A worker still busy GRACE_SECONDS after the deadline is stopped (terminate, then
kill) and its chunks are left unaligned, as over the budget. A worker that raises, or dies, is
an `AlignmentWorkerError` that names the variants; the other workers are stopped. A death is
not retried in the caller's process: what killed a worker (memory, most likely) would meet
the caller next. With one usable core, too few variants, or no fork (not Linux), the caller
aligns in its own process.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
import pickle
import signal
import struct
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from vaerdistrom.errors import VaerdistromError

Check = Callable[[Sequence[tuple], float], list[tuple[tuple, dict]]]
"""Aligns variants in order until a `time.monotonic()` deadline; returns (variant, result) for those it aligned."""

MIN_VARIANTS = 64  # fewer variants are aligned in process: starting workers costs about what 20-40 alignments do
CHUNK = 16  # variants per chunk: about 40 ms of work, so the budget and the frequency order hold closely
IN_FLIGHT = 2  # chunks a worker holds at once: it goes on with the next while the caller reads an answer
GRACE_SECONDS = 5.0  # for a worker to answer after the deadline (a search looks at the clock at every step)
STOP_SECONDS = 1.0  # for a worker to exit once told, or once terminated, before the next, harder, signal
KILL_SECONDS = 5.0  # for a killed worker to be gone: SIGKILL cannot be caught, only a process stuck in the kernel lasts
_HEADER = struct.Struct("!Q")  # a message's length before its pickle


class AlignmentWorkerError(VaerdistromError):
    """A process aligning variants raised or died: the variants, the process and the cause are said."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def pool_size(n_variants: int, workers: int | None = None) -> int:
    """How many processes should align `n_variants` variants: `workers` if given, else the usable cores; one (the
    caller's own process) for fewer than MIN_VARIANTS, where there is no fork, or in a daemonic process (which
    may not start any), and never more than there are chunks."""
    if not sys.platform.startswith("linux") or multiprocessing.current_process().daemon:
        return 1
    if workers is None:
        workers = usable_cores() if n_variants >= MIN_VARIANTS else 1
    return max(1, min(workers, -(-n_variants // CHUNK)))


@dataclass
class _Worker:
    """A worker process as the caller sees it: the pipe it is handed chunk numbers by, the pipe it answers by
    (read without blocking), the chunks it holds and the bytes of an answer not yet whole."""

    process: BaseProcess
    tasks: int
    answers: int
    held: list[int] = field(default_factory=list)
    inbox: bytearray = field(default_factory=bytearray)
    ended: bool = False  # its answers' pipe reached its end: the worker exited (or died)


def align_in_pool(check: Check, keys: Sequence[tuple], deadline: float, workers: int) -> dict[tuple, dict]:
    """`check` run over `keys` by `workers` forked processes, CHUNK variants at a time handed out in the order
    given, until `deadline` (`time.monotonic()`, one clock for every process of the machine); the aligned
    variants' results, in the order given.

    The first worker to raise or die stops the others and raises `AlignmentWorkerError` here. A worker that has
    not answered GRACE_SECONDS after the deadline is stopped, and its variants left unaligned.
    """
    chunks = [tuple(keys[i : i + CHUNK]) for i in range(0, len(keys), CHUNK)]
    pool: list[_Worker] = []
    try:
        _start(pool, check, chunks, deadline, workers)
        answered = _collect(pool, chunks, deadline)
    finally:
        _stop(pool)
    return {k: r for i in sorted(answered) for k, r in answered[i]}


def _start(pool: list[_Worker], check: Check, chunks: list[tuple], deadline: float, workers: int) -> None:
    """Fork `workers` workers into `pool`, each with its two pipes.

    'fork': a worker starts in milliseconds with the net and pm4py's LP solver already there (a fresh interpreter
    imports pm4py for 1.5-2 s of a 3-8 s job). A forked worker touches nothing of its parent's but what it was
    handed: it runs Python, numpy and pm4py's LP solver and writes to its own pipe, never to a stream of the
    parent's (whose locks another thread may have held at the fork). The parent's objects are frozen while the
    workers fork (`gc.freeze`, as Python's gc documentation advises before a fork), so a worker's collector never
    frees the parent's garbage: without it a worker's first collection freed a DuckDB connection the parent had
    dropped, and crashed.
    """
    context = multiprocessing.get_context("fork")
    gc.freeze()
    try:
        for _ in range(workers):
            task_out, task_in = os.pipe()
            answer_out, answer_in = os.pipe()
            theirs = [fd for w in pool for fd in (w.tasks, w.answers)] + [task_in, answer_out]
            process = context.Process(
                target=_work, args=(check, chunks, deadline, task_out, answer_in, theirs), daemon=True
            )
            try:
                with warnings.catch_warnings():  # Python 3.12+ warns of any fork beside threads: reasoned above
                    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                    process.start()
            except BaseException:
                os.close(task_in)
                os.close(answer_out)
                raise
            finally:
                os.close(task_out)  # the worker's ends: its pipes end when it does
                os.close(answer_in)
            os.set_blocking(answer_out, False)
            pool.append(_Worker(process, task_in, answer_out))
    finally:
        gc.unfreeze()


def _collect(pool: list[_Worker], chunks: list[tuple], deadline: float) -> dict[int, list]:
    """Hand out the chunks and read the answers until every chunk handed out is answered (the chunks not handed
    out by the deadline are left), or GRACE_SECONDS after the deadline; the answers by chunk number."""
    answered: dict[int, list] = {}
    following = iter(range(len(chunks)))
    for worker in pool:
        for _ in range(IN_FLIGHT):
            _hand_out(worker, following, deadline)
    while any(w.held for w in pool):
        timeout = None if math.isinf(deadline) else deadline + GRACE_SECONDS - time.monotonic()
        if timeout is not None and timeout <= 0:
            break  # a worker still busy: `_stop` stops it, its chunks are left unaligned
        busy = [w for w in pool if w.held]
        wait([w.answers for w in busy if not w.ended] + [w.process.sentinel for w in busy], timeout)
        for worker in busy:
            exited = worker.process.exitcode is not None  # before reading: all it wrote is read below
            for message in _read(worker):
                _take(worker, message, answered)
                _hand_out(worker, following, deadline)
            if worker.held and (worker.ended or exited):
                raise _died(worker, chunks)
    return answered


def _hand_out(worker: _Worker, following: Iterator[int], deadline: float) -> None:
    """The next chunk to `worker`, unless the deadline has passed or none is left. The write cannot block: a
    worker's task pipe holds at most IN_FLIGHT chunk numbers of a few bytes. A worker that died is found by its
    pipe's end, not here."""
    if time.monotonic() >= deadline:
        return
    index = next(following, None)
    if index is None:
        return
    worker.held.append(index)
    with contextlib.suppress(BrokenPipeError):
        _write(worker.tasks, index)


def _take(worker: _Worker, message: tuple, answered: dict[int, list]) -> None:
    """A worker's answer: a chunk's aligned variants kept, or its error raised."""
    kind, index, payload = message
    if kind == "error":
        key, cause = payload
        raise AlignmentWorkerError(
            f"aligning the variant {list(key)} failed in a worker process (pid {worker.process.pid}): {cause}"
        )
    worker.held.remove(index)
    answered[index] = payload


def _died(worker: _Worker, chunks: list[tuple]) -> AlignmentWorkerError:
    """What to say of a worker that ended without answering for the chunks it held."""
    worker.process.join(STOP_SECONDS)
    code = worker.process.exitcode
    how = "still running" if code is None else f"killed by signal {-code}" if code < 0 else f"exit code {code}"
    first = chunks[worker.held[0]]
    return AlignmentWorkerError(
        f"a process aligning variants (pid {worker.process.pid}) stopped without answering ({how}) while it held "
        f"{len(worker.held)} chunk(s) of variants, the first beginning with {list(first[0])}"
    )


def _stop(pool: list[_Worker]) -> None:
    """Every worker told to stop (its task pipe closed), then terminated and at last killed if it has not exited;
    every pipe closed. Waits at most 2 STOP_SECONDS + KILL_SECONDS a worker."""
    for worker in pool:
        os.close(worker.tasks)
    for worker in pool:
        process = worker.process
        process.join(STOP_SECONDS)
        if process.exitcode is None:
            process.terminate()
            process.join(STOP_SECONDS)
        if process.exitcode is None:  # a stopped (SIGSTOP) process keeps SIGTERM pending, but not SIGKILL
            process.kill()
            process.join(KILL_SECONDS)
        os.close(worker.answers)
        if process.exitcode is not None:
            process.close()


def _work(check: Check, chunks: list[tuple], deadline: float, tasks: int, answers: int, theirs: list[int]) -> None:
    """A worker: chunk numbers read until its task pipe ends, each chunk aligned variant by variant until the
    deadline and answered; an error is answered and ends the worker."""
    for fd in theirs:  # the caller's ends of every pipe, so that each pipe ends when its two processes do
        os.close(fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the worker's for its whole life
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # `terminate` ends it, whatever handler the parent had
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle: it stops the workers
    while (index := _read_task(tasks)) is not None:
        found: list[tuple[tuple, dict]] = []
        for key in chunks[index]:
            try:
                aligned = check([key], deadline)
            except Exception as e:  # noqa: BLE001 - any error of the check is the caller's to raise
                _write(answers, ("error", index, (key, f"{type(e).__name__}: {e}")))
                return
            if not aligned:  # out of time: the rest of the chunk is left, as one process leaves it
                break
            found += aligned
        _write(answers, ("done", index, found))


def _write(fd: int, message: object) -> None:
    """`message` as its length and its pickle, whole, to `fd` (blocking)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_task(fd: int) -> int | None:
    """The next chunk number on a worker's task pipe (blocking), None at the pipe's end."""
    header = _read_exactly(fd, _HEADER.size)
    data = None if header is None else _read_exactly(fd, _HEADER.unpack(header)[0])
    return None if data is None else int(pickle.loads(data))


def _read_exactly(fd: int, n: int) -> bytes | None:
    out = bytearray()
    while len(out) < n:
        data = os.read(fd, n - len(out))
        if not data:
            return None
        out += data
    return bytes(out)


def _read(worker: _Worker) -> list[tuple]:
    """The answers of `worker` that have arrived whole, read without blocking; marks the worker `ended` at its
    pipe's end."""
    while not worker.ended:
        try:
            data = os.read(worker.answers, 1 << 20)
        except BlockingIOError:
            break
        if not data:
            worker.ended = True
        worker.inbox += data
    messages = []
    while len(worker.inbox) >= _HEADER.size:
        (n,) = _HEADER.unpack_from(worker.inbox)
        if len(worker.inbox) < _HEADER.size + n:
            break
        messages.append(pickle.loads(worker.inbox[_HEADER.size : _HEADER.size + n]))
        del worker.inbox[: _HEADER.size + n]
    return messages
