"""warehouse.ahead: results in order, errors raised where they happened, the thread stops with the caller."""

import threading

import pytest

from warehouse.ahead import ahead


def test_results_come_in_order():
    assert list(ahead(range(1000), lambda x: x * x, depth=3)) == [x * x for x in range(1000)]


def test_error_in_thread_is_raised_after_the_items_before_it():
    def fn(x):
        if x == 5:
            raise ValueError("bad item 5")
        return x

    got = []
    with pytest.raises(ValueError, match="bad item 5"):
        for v in ahead(range(10), fn):
            got.append(v)
    assert got == [0, 1, 2, 3, 4]


def test_error_in_the_source_iterator_is_raised():
    def items():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(ahead(items(), lambda x: x))


def test_caller_stopping_early_stops_the_thread():
    seen = []
    gen = ahead(range(10_000), lambda x: seen.append(x) or x, depth=2)
    assert next(gen) == 0
    gen.close()
    assert not any(t.name == "vaerdistrom-ahead" for t in threading.enumerate())
    assert len(seen) <= 4  # the one taken, up to `depth` waiting, one being computed
