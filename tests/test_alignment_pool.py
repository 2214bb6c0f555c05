"""Variants aligned by a pool of worker processes (issue 22): each variant's alignment is the one a single process
finds, whatever the number of workers and however they start; the budget still stops the work; a worker that raises
or dies is an error that says so, not a hang."""

import multiprocessing
import os
import signal
import threading

import pytest
from support.real_models import real_log_and_model

from mining import alignment_pool
from mining.alignment_pool import AlignmentWorkerError, pool_size, usable_cores
from mining.conformance_checks import align
from mining.discovery import variants

HANG = 300  # seconds after which a call that should have failed counts as hanging


@pytest.fixture(scope="module")
def receipt(shared_data, tmp_path_factory):
    """The receipt log's variants, most frequent first, and two nets pm4py discovered from it: IMf at 0.5 (its 116
    variants align in about 2 s) and IMf at 0.2 (about 50 s, up to 4 s for one variant)."""
    tmp = tmp_path_factory.mktemp("receipt")
    con, _, _, loose = real_log_and_model(shared_data, "receipt_wabo.xes.gz", tmp, lambda x: x, 0.5)
    _, _, _, tight = real_log_and_model(shared_data, "receipt_wabo.xes.gz", tmp, lambda x: x, 0.2)
    found = variants(con, "p")
    keys = sorted((v for v in found if v), key=lambda v: (-found[v], v))
    assert len(keys) == 116
    return keys, loose, tight


def in_thread(call):
    """`call()`'s result or exception, from a thread given HANG seconds."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = call()
        except Exception as e:  # noqa: BLE001 - handed to the test
            box["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), "hangs"
    return box


def test_pool_size():
    assert alignment_pool.CHUNK == 16 and alignment_pool.MIN_VARIANTS == 64
    assert pool_size(63) == 1  # a small log: no pool
    assert pool_size(64) == min(usable_cores(), 4)  # four chunks at most keep four workers busy
    assert pool_size(2138) == usable_cores()
    assert pool_size(16, workers=2) == 1  # one chunk: one process
    assert pool_size(17, workers=2) == 2
    assert pool_size(40, workers=8) == 3
    assert pool_size(2138, workers=1) == 1


@pytest.mark.slow
@pytest.mark.parametrize("workers, start", [(2, "fork"), (3, "fork"), (2, "spawn")])
def test_the_pool_aligns_each_variant_as_one_process_does(receipt, workers, start, monkeypatch):
    """The receipt log's 116 variants (8 chunks): the same cost, worst cost, fitness and deviations variant by
    variant, in the same order, with more workers than cores too, and with workers started from a fresh Python."""
    monkeypatch.setattr(alignment_pool, "START_METHOD", start)
    keys, loose, _ = receipt
    alone = align(keys, *loose, workers=1)
    pooled = align(keys, *loose, workers=workers)
    assert len(alone) == 116
    assert list(pooled.items()) == list(alone.items())
    fitting = sum(r["fitness"] == 1 for r in alone.values())
    assert 0 < fitting < 116  # fitting variants and deviating ones compared alike


@pytest.mark.slow
def test_a_small_budget_aligns_fewer_variants_each_as_one_process_does(receipt):
    """Against the net that takes about 50 s, 2 s of two workers align the most frequent variant and not all of
    them; each one aligned is what one process finds with all the time it needs."""
    keys, _, tight = receipt
    found = align(keys, *tight, 2.0, workers=2)
    assert keys[0] in found and 0 < len(found) < len(keys)
    assert [k for k in keys if k in found] == list(found)  # in the order given
    for key, result in found.items():
        assert align([key], *tight, workers=1)[key] == result, key


@pytest.mark.slow
def test_a_worker_that_raises_is_an_error_that_names_the_variants(receipt):
    """A variant no worker can align (an activity that is not a name) after the receipt log's: the error names
    its chunk and the cause, and the other workers stop."""
    keys, loose, _ = receipt
    bad = ("Confirmation of receipt", 7)
    box = in_thread(lambda: align([*keys, bad], *loose, workers=2))
    error = box.get("error")
    assert isinstance(error, AlignmentWorkerError), box
    assert f"the variant {list(keys[112])} or one of the 4 after it failed in a worker process: TypeError" in str(error)
    assert not multiprocessing.active_children()


def signal_first_worker(sig: int, over: threading.Event, sent: list[int]) -> threading.Thread:
    """A thread that sends `sig` to the first worker process to appear, unless `over` is set first."""

    def run() -> None:
        while not sent and not over.wait(0.01):
            children = multiprocessing.active_children()
            if children:
                os.kill(children[0].pid, sig)
                sent.append(children[0].pid)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow
def test_a_worker_that_dies_is_an_error_not_a_hang(receipt):
    """One of two workers killed (as the kernel's out-of-memory killer would) while the slow net's variants are
    aligned: the call fails at once and says why."""
    keys, _, tight = receipt
    killed: list[int] = []
    over = threading.Event()
    killer = signal_first_worker(signal.SIGKILL, over, killed)
    box = in_thread(lambda: align(keys, *tight, workers=2))
    over.set()
    killer.join()
    error = box.get("error")
    assert killed and isinstance(error, AlignmentWorkerError), box
    assert "a process aligning variants stopped without answering" in str(error)
    assert not multiprocessing.active_children()


@pytest.mark.slow
def test_a_worker_that_does_not_stop_at_the_deadline_is_stopped(receipt):
    """One of two workers frozen (SIGSTOP, as a worker stuck on a lock would be) while the slow net's variants are
    aligned within 1 s: GRACE_SECONDS after the deadline the workers are killed and the call says why."""
    keys, _, tight = receipt
    frozen: list[int] = []
    over = threading.Event()
    freezer = signal_first_worker(signal.SIGSTOP, over, frozen)
    box = in_thread(lambda: align(keys, *tight, 1.0, workers=2))
    over.set()
    freezer.join()
    error = box.get("error")
    assert frozen and isinstance(error, AlignmentWorkerError), box
    assert "had not stopped 5 s after the time to align ran out: the workers were stopped" in str(error)
    assert not multiprocessing.active_children()
