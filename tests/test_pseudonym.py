"""Keyed CPR pseudonyms: stable, unlinkable without the key, and no CPR left in free text."""

import datetime as dt
import random
import stat

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.people import make_cpr
from warehouse.pseudonym import KEY_ENV, Pseudonymiser, PseudonymKeyError, contains_cpr, create_key_file, load_key

KEY = bytes(range(32))
P = Pseudonymiser(KEY)


def test_stable_for_the_same_key_and_different_for_another():
    assert P.of("010190-1234") == P.of("0101901234") == P.of(" 010190 1234 ") == Pseudonymiser(KEY).of("0101901234")
    assert P.of("010190-1234") != Pseudonymiser(bytes(32)).of("010190-1234")
    assert P.of("010190-1234") != P.of("010190-1235")
    assert P.of("010190-1234").startswith("cz_") and len(P.of("010190-1234")) == 35
    assert not any(ch.isdigit() for ch in P.of("010190-1234"))
    assert P.of(None) is None and P.of("  ") is None


@pytest.mark.parametrize("key", [KEY, bytes(range(64)), bytes(range(100))])
def test_the_pseudonym_is_hmac_sha256_of_the_digits(key):
    """The standard library's hmac is the oracle (keys shorter than, equal to and longer than a block)."""
    import hashlib
    import hmac

    digest = hmac.new(key, b"0101901234", hashlib.sha256).hexdigest()[:32]
    assert Pseudonymiser(key).of("010190-1234") == "cz_" + digest.translate(
        str.maketrans("0123456789abcdef", "abcdefghijklmnop")
    )
    other = hmac.new(key, "value:Åse Holm".encode(), hashlib.sha256).hexdigest()[:32]
    assert Pseudonymiser(key).of("Åse Holm")[3:] == other.translate(
        str.maketrans("0123456789abcdef", "abcdefghijklmnop")
    )


def test_a_personal_value_that_is_not_a_cpr_is_hashed_too():
    assert P.of("Åse Holm").startswith("cz_") and "Åse" not in P.of("Åse Holm")


def test_scrub_replaces_cpr_shaped_strings_with_valid_dates_only():
    text = "Borger 010190-1234 ringede; ref 0101901234, tlf 12345678, sag 02.34.02-P19-12-25, ordre 9999991234"
    out = P.scrub(text)
    assert out == (
        f"Borger {P.of('0101901234')} ringede; ref {P.of('0101901234')}, tlf 12345678, "
        "sag 02.34.02-P19-12-25, ordre 9999991234"
    )
    assert not contains_cpr(out)


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2057, 12, 31)),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**32),
)
def test_no_cpr_survives_scrubbing(before, after, birth, female, dash, seed):
    """Any text around a CPR number; a digit right next to it would make it part of a longer number, which
    is by design not CPR-shaped (order numbers, EANs), so the test keeps a non-digit boundary there."""
    if before[-1:].isascii() and before[-1:].isdigit():
        before += " "
    if after[:1].isascii() and after[:1].isdigit():
        after = " " + after
    cpr = make_cpr(random.Random(seed), birth, female)
    if not dash:
        cpr = cpr.replace("-", "")
    out = P.scrub(f"{before}{cpr}{after}")
    assert cpr not in out and cpr.replace("-", "") not in out
    assert not contains_cpr(P.scrub(f"x {cpr} y"))


def test_a_longer_digit_run_is_not_a_cpr():
    assert P.scrub("EAN 5701234567890 og 01019012345") == "EAN 5701234567890 og 01019012345"


def test_columns():
    s = pl.Series(["010190-1234", None, "0101901234", "311299-0001"])
    assert P.column(s).to_list() == [P.of("0101901234"), None, P.of("0101901234"), P.of("3112990001")]
    notes = pl.Series(["Status", None, "Borger 010190-1234 ringede", "Pas"])
    assert P.scrub_column(notes).to_list() == ["Status", None, f"Borger {P.of('0101901234')} ringede", "Pas"]


def test_key_from_env_or_file_and_clear_errors(tmp_path):
    assert load_key(env={KEY_ENV: KEY.hex()}) == KEY
    path = create_key_file(tmp_path / "keys" / "pseudonym.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(load_key(path, env={})) == 32
    with pytest.raises(FileExistsError):
        create_key_file(path)
    with pytest.raises(PseudonymKeyError, match=f"set {KEY_ENV} or name a key_file"):
        load_key(env={})
    with pytest.raises(PseudonymKeyError, match="does not exist"):
        load_key(tmp_path / "missing.key", env={})
    with pytest.raises(PseudonymKeyError, match="not hexadecimal"):
        load_key(env={KEY_ENV: "010190-1234"})
    with pytest.raises(PseudonymKeyError, match="has 4 bytes"):
        load_key(env={KEY_ENV: "00112233"})


@pytest.mark.parametrize(
    "text",
    [
        "111190–1212",
        "121290/1313",
        "250190 - 2626",
        "250190 / 2626",
        "250190  2626",
        "111190—1212",
        "111190\u00a01212",
        "1111901212",
    ],
)
def test_every_separator_is_scrubbed_and_gives_the_number_s_own_pseudonym(text):
    digits = "".join(ch for ch in text if ch.isdigit())
    assert P.scrub(f"ring {text} i dag") == f"ring {P.of_digits(digits)} i dag"
    assert P.of(text) == P.of_digits(digits)


def test_cpr_numbers_held_as_numbers_are_pseudonymised_and_the_column_becomes_text():
    column = pl.Series([1010901010, 101901234, 5, None, 12345678901, 3213991234])  # 0101901234 lost its zero
    assert P.scrub_numbers(column).to_list() == [
        P.of_digits("1010901010"),
        P.of_digits("0101901234"),
        "5",
        None,
        "12345678901",
        "3213991234",
    ]  # no 32nd day: not a CPR
    assert P.scrub_numbers(pl.Series([1010901010.0, 2.5])).to_list() == [P.of_digits("1010901010"), "2.5"]
    untouched = pl.Series([5, 6, 123456789012])
    assert P.scrub_numbers(untouched).dtype == pl.Int64  # a column without one keeps its type


def test_redact_marks_cpr_numbers_where_no_key_is_at_hand():
    from warehouse.pseudonym import redact

    assert (
        redact("eksport_070790-7777.csv: column 'note 111190–1212' failed")
        == "eksport_[CPR].csv: column 'note [CPR]' failed"
    )
    assert redact("ordre 12345678901, tlf 2512 9912 34") == "ordre 12345678901, tlf 2512 9912 34"


@pytest.mark.parametrize(
    "values, expected",
    [
        (["010190-1234", "0201901234", "ukendt", None, ""], True),  # two of three present values
        (["010190-1234", "Modtaget", "Afgjort"], False),  # a CPR number in one row of three: scrubbed, not whole
        (["010190 1234", "020190–1234", "030190/1234", "x", "y", "z"], True),  # every separator; half
        (["2025-01-06 10:00", "2025-01-07 10:00"], False),
        (["320190-1234", "321390-1234"], False),  # no such dates
        ([101901234, 201901234, 7], True),  # numbers that lost their leading zero
        ([101901234, 7, 8], False),
        ([None, None], False),
    ],
)
def test_a_column_mostly_of_cpr_numbers_is_told_from_one_with_a_few(values, expected):
    import polars as pl

    from warehouse.pseudonym import mostly_cpr

    assert mostly_cpr(pl.Series(values)) is expected
