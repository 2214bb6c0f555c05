"""CPR-shaped numbers: real shape, consistent century digit, never a pre-2007 (modulus-11) number."""

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from simulator.people import Population, century_digits, cpr_mod11_ok, make_cpr


def test_mod11_reference_number():
    # 070761-4285 is the classic textbook example that passes modulus 11
    assert cpr_mod11_ok("070761-4285")
    assert not cpr_mod11_ok("070761-4286")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2057, 12, 31)), st.booleans(), st.integers(0, 2**32))
def test_generated_cpr_has_the_real_shape(birth, female, seed):
    cpr = make_cpr(random.Random(seed), birth, female)
    assert len(cpr) == 11 and cpr[6] == "-" and (cpr[:6] + cpr[7:]).isdigit()
    assert dt.datetime.strptime(cpr[:6], "%d%m%y").date().replace(year=birth.year) == birth
    assert int(cpr[7]) in century_digits(birth.year)
    assert int(cpr[-1]) % 2 == (0 if female else 1)
    assert not cpr_mod11_ok(cpr)


def test_population_cprs_are_unique_and_ages_in_range():
    pop = Population(random.Random(3), dt.date(2025, 1, 1))
    citizens = [pop.new(62, 97) for _ in range(3000)]
    assert len({c.cpr for c in citizens}) == 3000
    assert all(2025 - 98 <= c.birth_year <= 2025 - 62 for c in citizens)


def test_population_stays_unique_when_birth_dates_are_crowded():
    """20,000 citizens born within one year (about 27 per birth date and sex): all unique, all well-formed."""
    pop = Population(random.Random(4), dt.date(2025, 1, 1))
    citizens = [pop.new(30, 30) for _ in range(20_000)]
    cprs = [c.cpr for c in citizens]
    assert len(set(cprs)) == 20_000
    for c in citizens[:2000]:
        assert not cpr_mod11_ok(c.cpr)
        assert int(c.cpr[7]) in century_digits(c.birth_year)
        assert int(c.cpr[-1]) % 2 == (0 if c.female else 1)
        assert int(c.cpr[4:6]) == c.birth_year % 100
