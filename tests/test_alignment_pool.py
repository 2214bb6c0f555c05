"""Variants aligned by worker processes (issue 22): each variant's alignment is the one a single process finds,
whatever the number of workers; the budget still stops the work and leaves variants unaligned; a worker that
raises or dies is an error that says so, and a worker frozen past the deadline is stopped: never a hang."""

import multiprocessing
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from support.real_models import real_log_and_model

from mining import alignment_pool
from mining.alignment_pool import AlignmentWorkerError, align_in_pool, pool_size, usable_cores
from mining.conformance_checks import VariantCheck, align, variant_check
from mining.discovery import variants

HANG = 240  # seconds after which a call that should have ended counts as hanging


@pytest.fixture
def no_hang():
    """A test that runs HANG seconds fails (SIGALRM raises in its main thread) instead of hanging the suite."""

    def ring(signum, frame):
        raise TimeoutError(f"still running after {HANG} s: hangs")

    before = signal.signal(signal.SIGALRM, ring)
    signal.alarm(HANG)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, before)
    assert not multiprocessing.active_children(), "a worker process left behind"


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


@dataclass(frozen=True)
class EndsAt:
    """A worker's check that ends its own process at `key` (exit code 3, as a crash or the kernel's out-of-memory
    killer would end it), and checks the other variants as `check` does."""

    check: VariantCheck
    key: tuple

    def __call__(self, keys: Sequence[tuple], deadline: float) -> list[tuple[tuple, dict]]:
        if self.key in keys:
            os._exit(3)
        return self.check(keys, deadline)


@dataclass(frozen=True)
class FreezesAt:
    """A worker's check that stops its own process (SIGSTOP, as a worker stuck on a lock would be) at `key`, and
    checks the other variants as `check` does."""

    check: VariantCheck
    key: tuple

    def __call__(self, keys: Sequence[tuple], deadline: float) -> list[tuple[tuple, dict]]:
        if self.key in keys:
            os.kill(os.getpid(), signal.SIGSTOP)
        return self.check(keys, deadline)


def test_pool_size():
    assert alignment_pool.CHUNK == 16 and alignment_pool.MIN_VARIANTS == 64
    assert pool_size(63) == 1  # a small log: no pool
    assert pool_size(64) == min(usable_cores(), 4)  # four chunks keep at most four workers busy
    assert pool_size(2138) == usable_cores()
    assert pool_size(16, workers=2) == 1  # one chunk: one process
    assert pool_size(17, workers=2) == 2
    assert pool_size(40, workers=8) == 3
    assert pool_size(2138, workers=1) == 1


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 3])
def test_the_pool_aligns_each_variant_as_one_process_does(receipt, workers, no_hang):
    """The receipt log's 116 variants (8 chunks): the same cost, worst cost, fitness and deviations variant by
    variant, in the same order, with more workers than cores too."""
    keys, loose, _ = receipt
    alone = align(keys, *loose, workers=1)
    pooled = align(keys, *loose, workers=workers)
    assert len(alone) == 116
    assert list(pooled.items()) == list(alone.items())
    fitting = sum(r["fitness"] == 1 for r in alone.values())
    assert 0 < fitting < 116  # fitting variants and deviating ones compared alike


@pytest.mark.slow
def test_a_small_budget_leaves_variants_unaligned_and_aligns_the_others_as_one_process_does(receipt, no_hang):
    """Against the net that takes about 50 s, 2 s align the most frequent variant and not all of them, in one
    process and in two; each one aligned is what one process finds with all the time it needs."""
    keys, _, tight = receipt
    for workers in (1, 2):
        found = align(keys, *tight, 2.0, workers=workers)
        assert keys[0] in found and 0 < len(found) < len(keys), workers
        assert [k for k in keys if k in found] == list(found)  # in the order given
        for key, result in found.items():
            assert align([key], *tight, workers=1)[key] == result, key


@pytest.mark.slow
def test_a_worker_that_raises_is_an_error_that_names_the_variant(receipt, no_hang):
    """A variant no worker can align (an activity that is not a name) after the receipt log's: the error names
    it and the cause, and the other workers are stopped."""
    keys, loose, _ = receipt
    bad = ("Confirmation of receipt", 7)
    with pytest.raises(AlignmentWorkerError) as raised:
        align([*keys, bad], *loose, workers=2)
    said = str(raised.value)
    assert said.startswith("aligning the variant ['Confirmation of receipt', 7] failed in a worker process (pid ")
    assert "): TypeError: " in said


@pytest.mark.slow
def test_a_worker_that_dies_is_an_error_not_a_hang(receipt, no_hang):
    """A worker that ends at the receipt log's 40th variant (its third chunk): the call fails and says which
    process ended how, holding which variants; the other worker is stopped."""
    keys, loose, _ = receipt
    check = variant_check(*loose)
    assert check is not None
    with pytest.raises(AlignmentWorkerError) as raised:
        align_in_pool(EndsAt(check, keys[40]), keys, float("inf"), 2)
    # the second worker is handed chunks 2 and 3 (variants 32-63) at the start
    assert "stopped without answering (exit code 3) while it held 2 chunk(s) of variants, the first beginning " in (
        said := str(raised.value)
    )
    assert said.endswith(f"with {list(keys[32])}")


@pytest.mark.slow
def test_a_worker_frozen_past_the_deadline_is_stopped_and_its_variants_left(receipt, monkeypatch, no_hang):
    """A worker that freezes at the receipt log's 40th variant, with a budget of 3 s and 1 s of grace after it:
    the call returns, the frozen worker's chunks (variants 32-63) are left unaligned as over the budget, and the
    other variants each as one process aligns them."""
    monkeypatch.setattr(alignment_pool, "GRACE_SECONDS", 1.0)
    keys, loose, _ = receipt
    check = variant_check(*loose)
    assert check is not None
    deadline = alignment_pool.time.monotonic() + 3.0
    found = align_in_pool(FreezesAt(check, keys[40]), keys, deadline, 2)
    assert not set(keys[32:64]) & set(found)  # the frozen worker's two chunks (handed out at the start)
    assert keys[0] in found
    alone = align(keys, *loose, workers=1)
    assert all(alone[k] == r for k, r in found.items())
