"""Citizens with CPR-shaped numbers, and staff with fake Danish names.

CPR numbers have the real shape (ddmmyy-xxxx): a valid birth date, the 7th digit
consistent with the century of birth, the last digit odd for men and even for women.
All of them deliberately *fail* the modulus-11 check that every number issued before
2007 passes, so a generated number cannot be a pre-2007 number of a real person.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import cache
from math import gcd

from simulator.engine import Citizen, Staff

CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)

FIRST_F = (
    "Anne",
    "Kirsten",
    "Mette",
    "Hanne",
    "Helle",
    "Lene",
    "Maria",
    "Susanne",
    "Lone",
    "Marianne",
    "Camilla",
    "Pia",
    "Louise",
    "Charlotte",
    "Tina",
    "Gitte",
    "Bente",
    "Signe",
    "Sofie",
    "Ida",
    "Karen",
    "Inge",
    "Birgitte",
    "Malene",
    "Julie",
    "Søs",
    "Åse",
    "Dorte",
    "Rikke",
    "Else",
)
FIRST_M = (
    "Peter",
    "Jens",
    "Lars",
    "Michael",
    "Henrik",
    "Thomas",
    "Søren",
    "Jan",
    "Niels",
    "Christian",
    "Martin",
    "Anders",
    "Morten",
    "Jesper",
    "Mads",
    "Rasmus",
    "Jørgen",
    "Per",
    "Ole",
    "Kim",
    "Klaus",
    "Bo",
    "Steen",
    "Torben",
    "Mikkel",
    "Frederik",
    "Bjørn",
    "Øjvind",
    "Poul",
    "Erik",
)
SURNAMES = (
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Mikkelsen",
    "Frederiksen",
    "Laursen",
    "Holm",
    "Schmidt",
    "Kjær",
    "Østergaard",
    "Bæk",
    "Dahl",
    "Lund",
    "Skov",
    "Bruun",
    "Ærenlund",
    "Vestergaard",
)


def cpr_mod11_ok(cpr: str) -> bool:
    """True when the ten digits pass the classic modulus-11 check."""
    digits = cpr.replace("-", "")
    return sum(w * (ord(ch) - 48) for w, ch in zip(CPR_WEIGHTS, digits, strict=True)) % 11 == 0


def century_digits(year: int) -> tuple[int, ...]:
    """Seventh digits that are consistent with a birth year (CPR-kontoret's table)."""
    if 1900 <= year <= 1936:
        return (0, 1, 2, 3)
    if 1937 <= year <= 1999:
        return (0, 1, 2, 3, 4, 9)
    if 2000 <= year <= 2036:
        return (4, 5, 6, 7, 8, 9)
    if 2037 <= year <= 2057:
        return (5, 6, 7, 8)
    raise ValueError(f"no CPR century digit for birth year {year}")


def make_cpr(rng: random.Random, birth: dt.date, female: bool) -> str:
    """A CPR-shaped number (ddmmyy-xxxx) for `birth` that fails modulus 11."""
    head = f"{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}"
    seventh = rng.choice(century_digits(birth.year))
    while True:
        middle = rng.randrange(100)
        last = rng.randrange(5) * 2 + (0 if female else 1)
        tail = f"{seventh}{middle:02d}{last}"
        if not cpr_mod11_ok(head + tail):
            return f"{head}-{tail}"


@cache
def _tail_order(year: int, female: bool) -> tuple[tuple[int, ...], int, int, int]:
    """(century digits, n, a, b): tail j is the (a*j + b) mod n-th allowed tail, a fixed shuffled order."""
    digits = century_digits(year)
    n = len(digits) * 100 * 5
    rng = random.Random(f"cpr-tails:{year}:{female}")
    while True:
        a = rng.randrange(1, n)
        if gcd(a, n) == 1:
            return digits, n, a, rng.randrange(n)


def _tail(year: int, female: bool, j: int) -> str:
    """The j-th last-four-digit tail for a birth year and sex (j < number of allowed tails)."""
    digits, n, a, b = _tail_order(year, female)
    k = (a * j + b) % n
    century, rest = divmod(k, 500)
    middle, last = divmod(rest, 5)
    return f"{digits[century]}{middle:02d}{last * 2 + (0 if female else 1)}"


class Population:
    """Citizens created on demand, each with a unique CPR-shaped number.

    Uniqueness without remembering every number: for each birth date and sex a cursor
    walks the allowed tails in a fixed pseudo-random order (an affine permutation), so
    memory is bounded by the number of possible birth dates (about 60,000), not by the
    number of citizens.
    """

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.count = 0
        self._cursor: dict[tuple[int, bool], int] = {}

    def new(self, min_age: int, max_age: int) -> Citizen:
        """A new citizen aged between min_age and max_age on `today`."""
        rng = self.rng
        while True:
            age = rng.randint(min_age, max_age)
            birth = self.today - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
            citizen = self._take(birth, rng.random() < 0.5)
            if citizen is not None:
                return citizen

    def born(self, birth: dt.date) -> Citizen:
        """A new citizen born on `birth` (a child in a placement case)."""
        while True:
            citizen = self._take(birth, self.rng.random() < 0.5)
            if citizen is not None:
                return citizen

    def _take(self, birth: dt.date, female: bool) -> Citizen | None:
        """The next unused CPR for this birth date and sex, or None when all are used."""
        head = f"{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}"
        n = _tail_order(birth.year, female)[1]
        key = (birth.toordinal(), female)
        i = self._cursor.get(key, 0)
        while i < n and cpr_mod11_ok(head + _tail(birth.year, female, i)):
            i += 1
        self._cursor[key] = min(i + 1, n)
        if i == n:
            return None
        citizen = Citizen(self.count, f"{head}-{_tail(birth.year, female, i)}", birth.year, female)
        self.count += 1
        return citizen


def make_staff(rng: random.Random, role: str, org_unit: str, count: int, taken: set[str]) -> list[Staff]:
    """`count` staff with unique fake names and initials (systems get the system's name)."""
    if role in ("System", "Udvalg"):
        return [Staff(org_unit, "SYS" if role == "System" else "UDV", role, org_unit)]
    out = []
    while len(out) < count:
        female = rng.random() < 0.6
        first = rng.choice(FIRST_F if female else FIRST_M)
        last = rng.choice(SURNAMES)
        name = f"{first} {last}"
        if name in taken:
            name = f"{first} {rng.choice(SURNAMES)} {last}"
            if name in taken:
                continue
        taken.add(name)
        initials = "".join(part[0] for part in name.split()).upper()
        out.append(Staff(name, initials, role, org_unit))
    return out
