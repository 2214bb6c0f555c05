"""Variants aligned in worker processes, one per usable core, in chunks handed out most frequent first.

Aligning a process's variants is many small independent searches (about 2 ms each for the
sickness-benefit process's 2,138 variants): each worker gets the net once (the pool's
initializer) and then chunks of variants with the run's deadline, and answers with the
variants of its chunk it aligned before the deadline. Chunks are handed out in the order
given, so the most frequent variants are still done first; a variant's alignment does not
depend on which process found it, so the result is the serial one, whatever the number of
workers. A worker that raises or dies raises `AlignmentWorkerError` here (no hang: the
pool notices a dead worker, and one that has not stopped soon after the deadline is
killed). With one usable core, or too few variants to be worth a pool's start, the caller
aligns in its own process.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from ctypes import c_byte

from vaerdistrom.errors import VaerdistromError

Check = Callable[[Sequence[tuple], float], list[tuple[tuple, dict]]]
"""Aligns variants in order until a `time.monotonic()` deadline; returns (variant, result) for those it aligned."""

MIN_VARIANTS = 64  # fewer variants are aligned in process: a pool's start costs about what 20-40 alignments do
CHUNK = 16  # variants per task: about 40 ms of work, so the budget and the frequency order hold closely
GRACE_SECONDS = 5.0  # for the chunks under way to stop after the deadline (a search looks at the clock each step)
START_METHOD = "fork"  # see `_context`


class AlignmentWorkerError(VaerdistromError):
    """A process aligning variants failed: the variants, the worker and the cause are said."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def pool_size(n_variants: int, workers: int | None = None) -> int:
    """How many processes should align `n_variants` variants: `workers` if given, else the usable cores; one (the
    caller's own process) when there are fewer than MIN_VARIANTS, and never more than there are chunks."""
    if workers is None:
        workers = usable_cores() if n_variants >= MIN_VARIANTS else 1
    return max(1, min(workers, -(-n_variants // CHUNK)))


_check: Check | None = None  # a worker's, set once when it starts: the net and how to align on it
_stop: c_byte | None = None  # set by the caller: out of time, or another worker failed


def _start(check: Check, stop: c_byte) -> None:
    global _check, _stop
    _check, _stop = check, stop
    # a forked worker writes nothing; fresh streams, so that none of the parent's threads can hold their locks
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the worker's for its whole life


def _run(keys: Sequence[tuple], deadline: float) -> list[tuple[tuple, dict]]:
    """A worker's chunk: the check variant by variant, as it would run over the chunk, stopping early when told."""
    assert _check is not None and _stop is not None, "the pool's initializer sets them"
    out: list[tuple[tuple, dict]] = []
    for key in keys:
        if _stop.value:
            break
        found = _check([key], deadline)
        if not found:
            break
        out += found
    return out


def _context() -> multiprocessing.context.BaseContext:
    """'fork' on Linux: a worker starts in milliseconds with pm4py's LP solver already imported. A fresh interpreter
    ('spawn', 'forkserver') imports pm4py for 1.5-2 s of a 3-8 s job, and runs the caller's main script again
    (a script without an `if __name__ == "__main__"` guard would run twice). Elsewhere 'spawn'.

    A forked worker touches nothing of its parent's but what it was handed: it runs Python, numpy and pm4py's LP
    solver, answers through its pipe and writes to no stream of the parent's (whose locks another thread may have
    held at the fork). The parent's objects are frozen while the workers fork (`gc.freeze`, as Python's gc
    documentation advises before a fork), so a worker's collector never frees the parent's garbage: without it a
    worker's first collection freed a DuckDB connection the parent had dropped, and crashed.
    """
    return multiprocessing.get_context(START_METHOD if sys.platform.startswith("linux") else "spawn")


def _seconds_to(deadline: float) -> float | None:
    return None if math.isinf(deadline) else max(0.0, deadline - time.monotonic())


def align_in_pool(check: Check, keys: Sequence[tuple], deadline: float, workers: int) -> dict[tuple, dict]:
    """`check` run over `keys` by `workers` processes, CHUNK variants at a time in the order given, until
    `deadline` (`time.monotonic()`, one clock for every process of the machine); the aligned variants' results, in
    the order given.

    At the deadline the chunks no worker has taken are dropped, and those under way stop, as the serial check
    does; a worker that has not stopped GRACE_SECONDS later is killed, and that is an error. The first error in
    a worker stops the others and raises `AlignmentWorkerError` here.
    """
    chunks = [keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK)]
    context = _context()
    # no lock around the flag: a worker frozen or killed while it looks must not block the caller
    stop: c_byte = context.RawValue("b", 0)
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(check, stop))
    try:
        gc.freeze()  # the workers start at the first submit (all of them, when forked): see `_context`
        try:
            with warnings.catch_warnings():  # Python 3.12+ warns of any fork beside threads; see `_context`
                warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                futures = [pool.submit(_run, chunk, deadline) for chunk in chunks]
        finally:
            gc.unfreeze()
        started = set(multiprocessing.active_children()) - before
        _, pending = wait(futures, _seconds_to(deadline), FIRST_EXCEPTION)
        stuck: set = set()
        if pending:  # out of time, or a worker failed
            stop.value = 1
            for future in pending:
                future.cancel()
            _, stuck = wait(pending, GRACE_SECONDS)
            for process in started if stuck else ():
                process.kill()
        failed = _first_failure([(c, f) for c, f in zip(chunks, futures, strict=True) if f not in stuck])
        if failed is not None:
            message, cause = failed
            raise AlignmentWorkerError(message) from cause
        if stuck:
            raise AlignmentWorkerError(
                f"a process aligning variants had not stopped {GRACE_SECONDS:g} s after the time to align ran "
                "out: the workers were stopped"
            )
        return {k: r for future in futures if not future.cancelled() for k, r in future.result()}
    finally:
        stop.value = 1
        pool.shutdown(wait=True, cancel_futures=True)


def _first_failure(tasks: list[tuple[Sequence[tuple], Future]]) -> tuple[str, BaseException] | None:
    """What to say, and the cause, for the first chunk (in the order given) whose worker raised; else for a worker
    that died; else None. Chunks cancelled are passed over."""
    died = None
    for chunk, future in tasks:
        error = None if future.cancelled() else future.exception()
        if isinstance(error, BrokenProcessPool):
            died = died or error
        elif error is not None:
            return (
                f"aligning the variant {list(chunk[0])} or one of the {len(chunk) - 1} after it failed in a worker "
                f"process: {type(error).__name__}: {error}",
                error,
            )
    if died is not None:
        return f"a process aligning variants stopped without answering: {died}", died
    return None
