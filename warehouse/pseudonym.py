"""Pseudonymisation of CPR numbers at ingest: a keyed HMAC-SHA256, never the number itself.

CPR numbers may be used by public authorities only for identification and must not be
published (databeskyttelsesloven § 11). The warehouse therefore stores `citizen_key`, a
keyed hash of the normalised ten digits: the same citizen gets the same pseudonym in
every system and every night (for the same key), and nobody without the key can go
back from pseudonym to number. CPR-shaped strings inside free text (notes, case titles,
e-mail subjects) are replaced by the same pseudonym. CPR-shaped means ddmmyy (a dot, dash,
slash or space may stand between day, month and year: 01.01.90), then either nothing or a
separator (one or two dashes of any kind, a slash, an underscore or a dot, with or without white
space around it, or white space alone: spaces, tabs, line breaks, no-break, thin and narrow
spaces), then four digits, with a real birth date in 19yy or 20yy, and not part of a longer run
of digits (an 11- or 13-digit number is an order number or an EAN, not a CPR number). A CPR
number held as a number (a JSON or Parquet integer, an Excel number cell, a decimal) has lost its
leading zero when the day is 01-09: a whole number of nine or ten digits that is CPR-shaped once
written with ten is one too, and so is such a number that became text (nine digits alone in a
value). Lists and structs are scrubbed inside (values, keys, numbers). A column not declared
personal whose values are mostly CPR numbers is pseudonymised whole (`mostly_cpr`).

False positives are accepted, since a missed CPR number is the worse error: any ten-digit number
that starts with a valid ddmmyy date is taken for one (a phone number such as 2512 991234 is not,
as no month 99 exists; an account or order number such as 0101011234 is), and so is a date written
ddmmyy next to a four-digit number ("311224 1530"). Such a value is replaced by a pseudonym, never
lost: its row is kept.

Outside the warehouse, where no key is at hand (messages, file names in the load's records,
names taken from file names), `redact` replaces a CPR-shaped string by a fixed mark instead.

The key is 32 random bytes, hex-encoded, from the environment variable
`VAERDISTROM_PSEUDONYM_KEY` or from a key file. Nothing here ever puts a CPR number
into an exception message or a log line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import overload

import polars as pl

from vaerdistrom.errors import UsageError

KEY_ENV = "VAERDISTROM_PSEUDONYM_KEY"
KEY_BYTES = 32
PREFIX = "cz_"  # a pseudonym is recognisable as one, and never CPR-shaped
# what may stand between the date and the last four digits: nothing, one or two dashes (hyphen, non-breaking
# hyphen, figure dash, en dash, em dash, minus sign), a slash, an underscore or a dot, with or without white space
# around (space, tab, line break, no-break, thin and narrow spaces), or white space alone
# (and the invisible ones: soft hyphen, zero-width space and joiner, byte order mark)
SPACES = (
    " \t\r\n\u00a0\u00ad\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u200b\u200c\u200d\u202f\u205f\u2060\u3000\ufeff"
)
DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d/_.+"
SEPARATOR = f"(?:[{SPACES}]*[{DASHES}]{{1,2}}[{SPACES}]*|[{SPACES}]+)?"  # the characters, not \\u escapes: RE2 (DuckDB)
# reads none
DATE_SEPARATOR = "[ ./\\-]?"  # within the date: 01.01.90-1234, 0101 90 1234
# ddmmyy, a separator, four digits; not part of a longer number
_CPR = r"([0-3][0-9])" + DATE_SEPARATOR + r"([01][0-9])" + DATE_SEPARATOR + r"([0-9]{2})" + SEPARATOR + r"([0-9]{4})"
CPR_PATTERN = re.compile(r"(?<![0-9])" + _CPR + r"(?![0-9])")
CPR_PATTERN_POLARS = (
    r"(^|[^0-9])[0-3][0-9]"
    + DATE_SEPARATOR
    + "[01][0-9]"
    + DATE_SEPARATOR
    + "[0-9]{2}"
    + SEPARATOR
    + r"[0-9]{4}([^0-9]|$)"
)
WHOLE_CPR = re.compile(r"^" + _CPR + r"$")
MARK = "[CPR]"  # what `redact` puts where a CPR number stood


_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def letters(hex_digest: str) -> str:
    """A hex digest spelt with the letters a-p: no digits, so it can never look like a CPR number."""
    return hex_digest.translate(_LETTERS)


class PseudonymKeyError(UsageError, RuntimeError):
    """No usable pseudonymisation key."""


def _valid_date(dd: str, mm: str, yy: str) -> bool:
    """A real day in 19yy or 20yy (29 February counts when either century's year is a leap year)."""
    for century in (2000, 1900):
        try:
            dt.date(century + int(yy), int(mm), int(dd))
            return True
        except ValueError:
            continue
    return False


def load_key(key_file: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> bytes:
    """The key from `VAERDISTROM_PSEUDONYM_KEY`, else from `key_file`; a clear error when neither works."""
    env = os.environ if env is None else env
    text, where = env.get(KEY_ENV), f"the environment variable {KEY_ENV}"
    if not text and key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise PseudonymKeyError(
                f"no pseudonymisation key: {KEY_ENV} is not set and the key file {path} does "
                "not exist (`vaerdistrom init` creates one)"
            )
        text, where = path.read_text(encoding="ascii", errors="replace").strip(), f"the key file {path}"
    if not text:
        raise PseudonymKeyError(
            f"no pseudonymisation key: set {KEY_ENV} or name a key_file in vaerdistrom.toml "
            "(`vaerdistrom init` creates one)"
        )
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise PseudonymKeyError(f"the pseudonymisation key in {where} is not hexadecimal") from None
    if len(key) < KEY_BYTES:
        raise PseudonymKeyError(
            f"the pseudonymisation key in {where} has {len(key)} bytes; it needs at least {KEY_BYTES} (64 hex digits)"
        )
    return key


def create_key_file(path: str | Path) -> Path:
    """Write a new random key (readable by the owner only); refuses to overwrite an existing one."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; a new key would change every pseudonym")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


class Pseudonymiser:
    """Keyed pseudonyms of CPR numbers, for single values, free text and polars columns."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise PseudonymKeyError(f"a pseudonymisation key needs at least {KEY_BYTES} bytes")
        block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
        # HMAC-SHA256 (RFC 2104) with the keyed inner and outer states computed once and copied per
        # value: the same digest as hmac.new(key, msg, sha256), at less than half the cost
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._cache: dict[str, str] = {}
        self._values: dict[str, str] = {}  # `of`'s results: a file's values repeat from chunk to chunk

    def _hmac_hex(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def of_digits(self, digits: str) -> str:
        """The pseudonym of ten CPR digits."""
        p = self._cache.get(digits)
        if p is None:
            p = PREFIX + letters(self._hmac_hex(digits.encode("ascii"))[:32])
            if len(self._cache) < 1_000_000:
                self._cache[digits] = p
        return p

    def of(self, value: str | None) -> str | None:
        """The pseudonym of a personal field (a CPR with or without dash); None stays None.

        A value that is not a CPR number (an empty string, a name) is pseudonymised whole,
        so no personal value ever reaches the warehouse in clear.
        """
        if value is None:
            return None
        known = self._values.get(value)
        if known is not None:
            return known
        p = self._of(value)
        if p is not None and len(self._values) < 200_000:
            self._values[value] = p
        return p

    def _of(self, value: str) -> str | None:
        text = value.strip()
        if not text:
            return None
        m = WHOLE_CPR.match(text)
        if m:
            return self.of_digits("".join(m.groups()))
        if len(text) in (9, 10) and text.isdigit():  # ten digits, or nine that lost a leading zero
            return self.of_digits(text.zfill(10))
        return PREFIX + letters(self._hmac_hex(b"value:" + text.encode("utf-8"))[:32])

    @overload
    def scrub(self, text: str) -> str: ...
    @overload
    def scrub(self, text: None) -> None: ...
    def scrub(self, text: str | None) -> str | None:
        """`text` with every CPR-shaped string (ddmmyy-xxxx with a valid date) replaced by its pseudonym."""
        if text is None:
            return None

        def repl(m: re.Match) -> str:
            dd, mm, yy, tail = m.groups()
            return self.of_digits(dd + mm + yy + tail) if _valid_date(dd, mm, yy) else m.group(0)

        lost = _nine(text)
        return self.of_digits(lost) if lost else CPR_PATTERN.sub(repl, text)

    def column(self, s: pl.Series) -> pl.Series:
        """A personal column, pseudonymised (each distinct value hashed once)."""
        s = s.cast(pl.Utf8)
        distinct = s.drop_nulls().unique().to_list()
        return s.replace_strict(distinct, [self.of(v) for v in distinct], default=None, return_dtype=pl.Utf8)

    def scrub_column(self, s: pl.Series) -> pl.Series:
        """A free-text column with CPR-shaped strings replaced, and a value of nine digits alone that is a CPR number
        once its lost leading zero is put back (a number that became text: a JSON, Excel or XES number in a column
        that also holds text); rows without such digits are not touched."""
        s = s.cast(pl.Utf8)
        hit = s.str.contains(CPR_PATTERN_POLARS).fill_null(False)
        # NINE in a value with white space around it (\s and strip_chars() are both Unicode's White_Space), without
        # stripping every value first
        nine = s.str.contains(NINE_SPACED).fill_null(False) & ~hit
        if nine.any():
            lost = nine.arg_true()
            padded = [v.strip().split(".")[0].zfill(10) for v in s.gather(lost).to_list()]
            keep = [i for i, d in zip(lost.to_list(), padded, strict=True) if cpr_digits(d)]
            if keep:
                s = s.scatter(keep, [self.of_digits(d) for d in padded if cpr_digits(d)])
        if not hit.any():
            return s
        scrubbed = s.filter(hit).map_elements(self.scrub, return_dtype=pl.Utf8)
        return s.scatter(hit.arg_true(), scrubbed)

    def scrub_numbers(self, s: pl.Series) -> pl.Series:
        """A number column with CPR numbers held as numbers replaced by their pseudonyms (the column becomes text);
        unchanged when it holds none."""
        whole = s.cast(pl.Int64, strict=False)
        if s.dtype.is_float():  # an Excel number cell: only whole numbers
            whole = pl.select(pl.when(s == whole.cast(pl.Float64)).then(whole)).to_series()
        candidates = (whole >= 100_000_000) & (whole < 10_000_000_000)  # nine digits: a day 01-09 lost its zero
        if not candidates.fill_null(False).any():
            return s
        padded = whole.cast(pl.Utf8).str.zfill(10)
        hit = candidates.fill_null(False) & padded.map_elements(cpr_digits, return_dtype=pl.Boolean).fill_null(False)
        if not hit.any():
            return s
        text = s.cast(pl.Utf8)
        return text.scatter(hit.arg_true(), [self.of_digits(d) for d in padded.filter(hit).to_list()])


NINE = r"^[0-9]{9}(\.0+)?$"  # a number alone that lost its leading zero (as a float's text too: 101901234.0)
NINE_SPACED = r"^\s*[0-9]{9}(\.0+)?\s*$"
MOSTLY = 0.5  # a column at least this share of whose values are CPR numbers is a CPR column


def mostly_cpr(s: pl.Series, *, sample: int = 1000) -> bool:
    """True when at least half of the column's first `sample` values (nulls and blanks aside) are each a CPR
    number, whole, in any spelling or as a number: a column of CPR numbers not declared personal. Such a column is
    pseudonymised whole, so a value the pattern misses there (a typo, a number with one digit too few) is not kept
    in clear either."""
    if s.dtype.is_integer() or s.dtype.is_float():
        whole = s.drop_nulls().head(sample).cast(pl.Int64, strict=False).drop_nulls()
        values = [str(v).zfill(10) for v in whole.to_list() if 100_000_000 <= v < 10_000_000_000]
        present = s.drop_nulls().head(sample).len()
        return present > 0 and sum(cpr_digits(v) for v in values) >= MOSTLY * present
    if s.dtype != pl.Utf8:
        return False
    text = _first_present(s, sample)
    if text.is_empty():
        return False
    hits = 0
    # a CPR number, in either spelling below, has at least nine digits: other values need no look in Python
    candidates = text.filter(text.str.contains(r"^[0-9]") & (text.str.count_matches(r"\d") >= 9))
    for value in candidates.to_list():
        m = WHOLE_CPR.match(value)
        hits += bool(m and _valid_date(*m.groups()[:3])) or cpr_digits(value.split(".")[0].zfill(10))
    return hits >= MOSTLY * text.len()


def _first_present(s: pl.Series, sample: int) -> pl.Series:
    """The first `sample` values of a text column that are not null or blank, stripped: read from as short a
    start of the column as holds them (stripping a whole chunk's column to look at its first thousand values
    cost more than the look)."""
    n = sample
    while True:
        text = s.head(n).drop_nulls().str.strip_chars()
        text = text.filter(text != "")
        if text.len() >= sample or n >= s.len():
            return text.head(sample)
        n *= 4


def cpr_digits(digits: str) -> bool:
    """Ten digits that are CPR-shaped: a valid ddmmyy date first."""
    return len(digits) == 10 and digits.isdigit() and _valid_date(digits[:2], digits[2:4], digits[4:6])


@overload
def redact(text: str) -> str: ...
@overload
def redact(text: None) -> None: ...
def redact(text: str | None) -> str | None:
    """`text` with every CPR-shaped string replaced by a fixed mark: for messages and names, where no key is at hand
    and a pseudonym is not needed."""
    if text is None:
        return None
    text = CPR_PATTERN.sub(lambda m: MARK if _valid_date(*m.groups()[:3]) else m.group(0), text)
    return NINE_IN_TEXT.sub(lambda m: MARK if cpr_digits(m.group(0).zfill(10)) else m.group(0), text)


NINE_IN_TEXT = re.compile(r"(?<![0-9.,])[0-9]{9}(?![0-9])")  # in a message: a number that lost its leading zero


def _nine(text: str) -> str | None:
    """The ten CPR digits of a text that is nine digits alone (a number that lost its leading zero), else None."""
    value = text.strip()
    if re.fullmatch(NINE, value):
        digits = value.split(".")[0].zfill(10)
        return digits if cpr_digits(digits) else None
    return None


def contains_cpr(text: str | None) -> bool:
    """True when `text` holds a CPR-shaped string with a valid birth date (for scans and tests)."""
    if not text:
        return False
    return any(_valid_date(*m.groups()[:3]) for m in CPR_PATTERN.finditer(text)) or redact(text) != text
