"""Citizens with CPR-shaped numbers, and staff with fake Danish names.

CPR numbers have the real shape (ddmmyy-xxxx): a valid birth date, the 7th digit
consistent with the century of birth, the last digit odd for men and even for women.
All of them deliberately *fail* the modulus-11 check that every number issued before
2007 passes, so a generated number cannot be a pre-2007 number of a real person.
"""

from __future__ import annotations

import datetime as dt
import random

from simulator.engine import Citizen, Staff

CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)

FIRST_F = ("Anne", "Kirsten", "Mette", "Hanne", "Helle", "Lene", "Maria", "Susanne", "Lone", "Marianne",
           "Camilla", "Pia", "Louise", "Charlotte", "Tina", "Gitte", "Bente", "Signe", "Sofie", "Ida",
           "Karen", "Inge", "Birgitte", "Malene", "Julie", "Søs", "Åse", "Dorte", "Rikke", "Else")
FIRST_M = ("Peter", "Jens", "Lars", "Michael", "Henrik", "Thomas", "Søren", "Jan", "Niels", "Christian",
           "Martin", "Anders", "Morten", "Jesper", "Mads", "Rasmus", "Jørgen", "Per", "Ole", "Kim",
           "Klaus", "Bo", "Steen", "Torben", "Mikkel", "Frederik", "Bjørn", "Øjvind", "Poul", "Erik")
SURNAMES = ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
            "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
            "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen",
            "Mikkelsen", "Frederiksen", "Laursen", "Holm", "Schmidt", "Kjær", "Østergaard", "Bæk",
            "Dahl", "Lund", "Skov", "Bruun", "Ærenlund", "Vestergaard")


def cpr_mod11_ok(cpr: str) -> bool:
    """True when the ten digits pass the classic modulus-11 check."""
    digits = cpr.replace("-", "")
    return sum(w * (ord(ch) - 48) for w, ch in zip(CPR_WEIGHTS, digits)) % 11 == 0


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


class Population:
    """Citizens created on demand, each with a unique CPR-shaped number."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.citizens: list[Citizen] = []
        self._cprs: set[str] = set()

    def new(self, min_age: int, max_age: int) -> Citizen:
        """A new citizen aged between min_age and max_age on `today`."""
        rng = self.rng
        while True:
            age = rng.randint(min_age, max_age)
            birth = self.today - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
            female = rng.random() < 0.5
            cpr = make_cpr(rng, birth, female)
            if cpr not in self._cprs:
                break
        self._cprs.add(cpr)
        citizen = Citizen(len(self.citizens), cpr, birth.year, female)
        self.citizens.append(citizen)
        return citizen

    @property
    def cprs(self) -> list[str]:
        return [c.cpr for c in self.citizens]


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
