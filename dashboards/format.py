"""Values shown in the language's style: numbers, shares, kroner, days, dates, times and durations.

Formatted with Babel's CLDR data for da_DK and en_GB (shipped in the package: nothing is
downloaded), so Danish shows `1.234,5` and English `1,234.5`. A missing value shows as '–'.
The charts get the same style as a Vega-Lite locale (`vega_locale`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from dashboards.i18n import t

LOCALES = {"da": "da_DK", "en": "en_GB"}
MISSING = "–"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: float | int | None, lang: str, decimals: int = 1) -> str:
    """`x` with thousands separators and `decimals` decimals in the language's style; '–' when missing."""
    if _missing(x):
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(x, format=pattern, locale=LOCALES[lang])


def percent(x: float | None, lang: str, decimals: int = 1) -> str:
    """A share (0.25) as a percentage in the language's style ('25,0 %' in Danish, '25.0%' in English)."""
    if _missing(x):
        return MISSING
    pattern = Locale.parse(LOCALES[lang]).percent_formats[None].pattern  # '#,##0 %' in Danish, '#,##0%' in English
    if decimals > 0:
        pattern = re.sub(r"0(?!.*0)", "0." + "0" * decimals, pattern)
    return format_percent(x, format=pattern, locale=LOCALES[lang])


def kroner(x: float | None, lang: str) -> str:
    """An amount in Danish kroner, without øre ('12.345 kr.' / 'DKK 12,345')."""
    if _missing(x):
        return MISSING
    value = number(x, lang, 0)
    return f"{value} kr." if lang == "da" else f"DKK {value}"


def days(x: float | None, lang: str, decimals: int = 1) -> str:
    """A number of days with its unit."""
    return MISSING if _missing(x) else f"{number(x, lang, decimals)} {t('days', lang)}"


def date(x: dt.date | dt.datetime | None, lang: str) -> str:
    """A date in the language's medium style ('23. nov. 2026' / '23 Nov 2026')."""
    if x is None:
        return MISSING
    return format_date(x, format="medium", locale=LOCALES[lang])


def timestamp(x: Any, lang: str) -> str:
    """A date and time to the minute ('23.11.2026 14:05' / '2026-11-23 14:05')."""
    return pd.Timestamp(x).strftime("%d.%m.%Y %H:%M" if lang == "da" else "%Y-%m-%d %H:%M")


def duration(seconds: float | None, lang: str) -> str:
    """A wait in days from a day on, else in hours, with its unit."""
    if _missing(seconds):
        return MISSING
    if seconds >= 86400:
        return days(seconds / 86400, lang)
    return f"{number(seconds / 3600, lang)} {t('hours', lang)}"


def cell(value: Any, kind: str, lang: str) -> str:
    """A table cell of `kind` (int, num, num2, pct, days, kr, date, datetime; anything else is text)."""
    if _missing(value):
        return MISSING
    if kind == "int":
        return number(value, lang, 0)
    if kind in ("num", "days"):
        return number(value, lang, 1)
    if kind == "num2":
        return number(value, lang, 2)
    if kind == "pct":
        return percent(value, lang)
    if kind == "kr":
        return kroner(value, lang)
    if kind == "date":
        return date(value, lang)
    if kind == "datetime":
        return timestamp(value, lang)
    return str(value)


def date_input_format(lang: str) -> str:
    """How a date field shows its date (Streamlit's date input takes one of a few patterns)."""
    return "DD.MM.YYYY" if lang == "da" else "YYYY-MM-DD"


NUMBER_LOCALE = {
    "da": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " kr."]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["DKK ", ""]},
}
TIME_LOCALE = {  # month and day names on date axes (Vega's own default is English)
    "da": {
        "dateTime": "%A den %d. %B %Y %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
        "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
        "months": [
            "januar",
            "februar",
            "marts",
            "april",
            "maj",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "december",
        ],
        "shortMonths": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    },
    "en": {
        "dateTime": "%x, %X",
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        "months": [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    },
}


def vega_locale(lang: str) -> dict:
    """The language's number and date style for a Vega-Lite chart's `config.locale`."""
    return {"number": NUMBER_LOCALE[lang], "time": TIME_LOCALE[lang]}
