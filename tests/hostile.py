"""A CPR-salted corpus: exports with CPR numbers in every place a real one has turned up, and a scanner for them.

`write_corpus(folder)` writes the files (nothing binary is kept in the repository: the corpus is
made when a test runs) and returns the CPR numbers it planted, each a ten-digit string with a
valid birth date. `spellings(cpr)` are the ways one can be written; `find_cpr(text, planted)`
names the planted numbers a text still holds in any of them.

Where they are planted:
- CSV: a column's name, free text with an en dash, a slash and " - ", a bare ten-digit value, a
  value that fails as a time (so its row is quarantined), and the file's own name;
- JSON lines: a number (a JSON integer) and a key;
- Parquet: an int64 column;
- Excel: a number cell (its leading zero lost);
- XES: an attribute key and a trace attribute's value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PLANTED = {
    "file_name": "0707907777",
    "column_name": "0202902222",
    "en_dash": "1111901212",
    "slash": "1212901313",
    "spaced_dash": "2501902626",
    "bare": "0909909999",
    "failing_time": "0404904444",
    "json_int": "1010901010",
    "json_key": "0303903333",
    "parquet_int": "0808908888",
    "excel_number": "0606906666",
    "xes_key": "1501901515",
    "xes_value": "1601901616",
}


def _dashed(cpr: str, sep: str = "-") -> str:
    return cpr[:6] + sep + cpr[6:]


def write_corpus(folder: Path) -> dict[str, str]:
    """The corpus's files in `folder`; returns where -> planted CPR number."""
    import openpyxl
    import polars as pl

    p = PLANTED
    folder.mkdir(parents=True, exist_ok=True)
    csv_name = f"eksport_{_dashed(p['file_name'])}.csv"
    (folder / csv_name).write_text(
        f"sag;aktivitet;tid;note {_dashed(p['column_name'])}\n"
        f"S1;Modtaget;2025-01-06 10:00;ringede om {_dashed(p['en_dash'], '–')}\n"
        f"S1;Behandlet;2025-01-07 10:00;se {_dashed(p['slash'], '/')} og {_dashed(p['spaced_dash'], ' - ')}\n"
        f"S1;Afgjort;2025-01-08 10:00;{p['bare']}\n"
        f"S2;Modtaget;{_dashed(p['failing_time'])};tid mangler\n"
        f"S2;Afgjort;2025-01-09 10:00;\n", encoding="utf-8")
    (folder / "henvendelser.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"sag": "J1", "aktivitet": "Modtaget", "tid": "2025-02-03T09:00:00+01:00", "borger": int(p["json_int"])},
        {"sag": "J1", "aktivitet": "Afgjort", "tid": "2025-02-04T09:00:00+01:00",
         f"borger {_dashed(p['json_key'], ' ')}": "ja"},
    ]) + "\n", encoding="utf-8")
    pl.DataFrame({"sag": ["P1", "P1"], "aktivitet": ["Modtaget", "Afgjort"],
                  "tid": ["2025-03-03 09:00", "2025-03-04 09:00"],
                  "borgernummer": [int(p["parquet_int"]), 5]}).write_parquet(folder / "ydelser.parquet")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["sag", "aktivitet", "tid", "cpr"])
    sheet.append(["X1", "Modtaget", "2025-04-01 09:00", int(p["excel_number"])])
    sheet.append(["X1", "Afgjort", "2025-04-02 09:00", 7])
    book.save(folder / "pladser.xlsx")
    (folder / "forloeb.xes").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
        f'<trace><string key="concept:name" value="T1"/><string key="borger" value="{_dashed(p["xes_value"])}"/>\n'
        '<event><string key="concept:name" value="Modtaget"/><date key="time:timestamp" '
        f'value="2025-05-05T09:00:00+02:00"/><string key="note {p["xes_key"]}" value="x"/></event>\n'
        '<event><string key="concept:name" value="Afgjort"/><date key="time:timestamp" '
        'value="2025-05-06T09:00:00+02:00"/></event>\n</trace>\n</log>\n', encoding="utf-8")
    return dict(PLANTED)


def spellings(cpr: str) -> re.Pattern:
    """Every way the number can be written: its ten digits with any separator (or spaces, or none) after the
    sixth, or as a number that lost its leading zero."""
    head, tail = cpr[:6], cpr[6:]
    forms = [re.escape(head) + r"[\s\-\u2013\u2014/]*" + re.escape(tail)]
    if cpr.startswith("0"):
        forms.append(re.escape(cpr.lstrip("0")))
    return re.compile(r"(?<![0-9])(?:" + "|".join(forms) + r")(?![0-9])")


def find_cpr(text: str, planted: dict[str, str]) -> list[str]:
    """The places (keys of `planted`) whose number `text` still holds, in any spelling."""
    return [where for where, cpr in planted.items() if spellings(cpr).search(text)]
