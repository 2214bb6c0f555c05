"""A CPR-salted corpus: exports with CPR numbers in every place a real one has turned up, and a scanner for them.

`write_corpus(folder)` writes the files (nothing binary is kept in the repository: the corpus is
made when a test runs) and returns the CPR numbers it planted, each a ten-digit string with a
valid birth date. `spellings(cpr)` are the ways one can be written; `find_cpr(text, planted)`
names the planted numbers a text still holds in any of them.

Where they are planted:
- CSV: a column's name, free text with an en dash, a slash, " - ", an underscore, a tab, a narrow
  no-break space, a minus sign and dots inside the date, a bare ten-digit value, a value that fails
  as a time (so its row is quarantined), and the file's own name;
- JSON lines: a number (a JSON integer), a key, a value in a list, and a number that lost its
  leading zero in a column that also holds text;
- Parquet: an int64 column;
- Excel: a number cell (its leading zero lost);
- XES: an attribute key, a trace attribute's value, and a date attribute rustxes cannot parse
  (it writes the value to stderr from Rust).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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
    "underscore": "1701901717",
    "tab": "1801901818",
    "narrow_space": "1901901919",
    "dotted_date": "2001902020",
    "minus_sign": "2101902121",
    "json_list": "2201902222",
    "json_nine_digits": "0301903030",
    "xes_date_value": "2301902323",
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
        f"S1;Noteret;2025-01-08 11:00;a {_dashed(p['underscore'], '_')} b {_dashed(p['tab'], chr(9))}\n"
        f"S1;Noteret;2025-01-08 12:00;{_dashed(p['narrow_space'], chr(0x202F))} og {p['dotted_date'][:2]}."
        f"{p['dotted_date'][2:4]}.{p['dotted_date'][4:6]}-{p['dotted_date'][6:]}\n"
        f"S1;Noteret;2025-01-08 13:00;{_dashed(p['minus_sign'], chr(0x2212))}\n"
        f"S2;Modtaget;{_dashed(p['failing_time'])};tid mangler\n"
        f"S2;Afgjort;2025-01-09 10:00;\n",
        encoding="utf-8",
    )
    (folder / "henvendelser.jsonl").write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "sag": "J1",
                    "aktivitet": "Modtaget",
                    "tid": "2025-02-03T09:00:00+01:00",
                    "borger": int(p["json_int"]),
                },
                {
                    "sag": "J1",
                    "aktivitet": "Afgjort",
                    "tid": "2025-02-04T09:00:00+01:00",
                    f"borger {_dashed(p['json_key'], ' ')}": "ja",
                },
                {
                    "sag": "J2",
                    "aktivitet": "Modtaget",
                    "tid": "2025-02-05T09:00:00+01:00",
                    "parter": [_dashed(p["json_list"])],
                    "nr": int(p["json_nine_digits"]),
                },
                {"sag": "J2", "aktivitet": "Afgjort", "tid": "2025-02-06T09:00:00+01:00", "nr": "ukendt"},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    pl.DataFrame(
        {
            "sag": ["P1", "P1"],
            "aktivitet": ["Modtaget", "Afgjort"],
            "tid": ["2025-03-03 09:00", "2025-03-04 09:00"],
            "borgernummer": [int(p["parquet_int"]), 5],
        }
    ).write_parquet(folder / "ydelser.parquet")
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
        'value="2025-05-06T09:00:00+02:00"/>'
        f'<date key="foedt" value="{_dashed(p["xes_date_value"])}"/></event>\n</trace>\n</log>\n',
        encoding="utf-8",
    )
    return dict(PLANTED)


def spellings(cpr: str) -> re.Pattern:
    """Every way the number can be written: its ten digits with any run of white space, dashes, slashes,
    underscores or dots after the sixth (a dot, dash, slash or space between day, month and year too), or as a
    number that lost its leading zero."""
    dd, mm, yy, tail = cpr[:2], cpr[2:4], cpr[4:6], cpr[6:]
    gap = r"[\s\-\u00ad\u200b-\u200d\u2060\ufeff\u2010-\u2015\u2212\ufe63\uff0d/_.+]*"
    forms = [re.escape(dd) + r"[ ./\-]?" + re.escape(mm) + r"[ ./\-]?" + re.escape(yy) + gap + re.escape(tail)]
    if cpr.startswith("0"):
        forms.append(re.escape(cpr.lstrip("0")))
    return re.compile(r"(?<![0-9])(?:" + "|".join(forms) + r")(?![0-9])")


def find_cpr(text: str, planted: dict[str, str]) -> list[str]:
    """The places (keys of `planted`) whose number `text` still holds, in any spelling."""
    return [where for where, cpr in planted.items() if spellings(cpr).search(text)]


# ---------------------------------------------------------------------------------------------------------------
# The hostile corpus: one case per way an export has been seen to go wrong, each with what `vaerdistrom load` must
# do with it. Every file is made here, when a test runs.

HEADER = "case,activity,timestamp\n"


def _rows(n: int, first: int = 0) -> str:
    """`n` well-formed rows: case C<i>, activity Modtaget, a time on 2025-01-06."""
    return "".join(f"C{i},Modtaget,2025-01-06 10:{i % 60:02d}\n" for i in range(first, first + n))


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


@dataclass(frozen=True)
class Case:
    """One hostile export: its files, the source's extra config (TOML lines), and what a load must say and keep.

    `said`: a fragment of stdout, stderr or a quarantined row's reason. `rows`: (read, loaded, quarantined) over
    the source's batches. `sql`/`expected`: a query of the warehouse and its rows, where the values matter."""

    name: str
    files: dict[str, str | bytes]
    exit_code: int
    said: str
    rows: tuple[int, int, int]
    config: str = ""
    kind: str = "csv"
    sql: str | None = None
    expected: list[tuple] | None = None


CASES: list[Case] = [
    Case(
        "ragged_row",
        {"x.csv": HEADER + _rows(3) + "C9,Afgjort\n" + _rows(2, 3)},
        0,
        "row has 2 fields, the header 3",
        (6, 5, 1),
        sql="select row_number, reason from raw.quarantine",
        expected=[(4, "row has 2 fields, the header 3 (cut off, or a delimiter or quote out of place)")],
    ),
    Case(
        "extra_field",
        {"x.csv": HEADER + _rows(2) + "C9,Afgjort,2025-01-07 10:00,ekstra\n"},
        0,
        "row has 4 fields, the header 3",
        (3, 2, 1),
    ),
    Case("cut_last_line", {"x.csv": HEADER + _rows(4) + 'C9,"Afg'}, 0, "row has 2 fields", (5, 4, 1)),
    Case(
        "cut_in_its_time",
        {"x.csv": HEADER + _rows(4) + "C9,Afgjort,2025-01-07 10:1"},
        0,
        "the last line has no line ending: cut off mid-write?",
        (5, 4, 1),
        sql="select row_number, record from raw.quarantine",
        expected=[(5, "row")],
    ),
    Case(
        "unterminated_by_habit",
        {"x.csv": HEADER + _rows(4) + "C9,Afgjort,2025-01-07 10:15"},
        0,
        "read         5",
        (5, 5, 0),
        config='unterminated_last_line = "load"',
    ),
    Case(
        "oversized_field",
        {"x.csv": HEADER + _rows(2) + "C9," + "x" * 5000 + ",2025-01-07 10:00\n"},
        0,
        "longer than 1,000 bytes (max_field_bytes)",
        (3, 2, 1),
        config="max_field_bytes = 1000",
    ),
    Case(
        "field_over_arrow_block",
        {"x.csv": HEADER + _rows(2) + "C9," + "x" * (5 << 20) + ",2025-01-07 10:00\n" + _rows(2, 2)},
        0,
        "longer than 1,048,576 bytes",
        (5, 4, 1),
    ),
    Case("binary", {"x.csv": bytes(range(256)) * 64}, 1, "a binary file, not delimited text", (0, 0, 0)),
    Case("broken_gzip", {"x.csv.gz": _gzip((HEADER + _rows(5000)).encode())[:-300]}, 1, "not readable", (0, 0, 0)),
    Case("gzip", {"x.csv.gz": _gzip((HEADER + _rows(7)).encode())}, 0, "read         7", (7, 7, 0)),
    Case("empty_file", {"x.csv": ""}, 0, "read         0", (0, 0, 0)),
    Case("header_only", {"x.csv": HEADER}, 0, "read         0", (0, 0, 0)),
    Case("quoted_header", {"x.csv": '"case","activity","timestamp"\n' + _rows(3)}, 0, "read         3", (3, 3, 0)),
    Case(
        "epoch_seconds",
        {"x.csv": HEADER + "C1,Modtaget,1736157600\nC1,Afgjort,1736161200.5\nC1,Slut,i går\n"},
        0,
        "timestamp missing or not readable as epoch_seconds",
        (3, 2, 1),
        config='timestamp_format = "epoch_seconds"',
        sql="select activity, strftime(ts at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%g') from staging.events order by ts",
        expected=[("Modtaget", "2025-01-06 10:00:00.000"), ("Afgjort", "2025-01-06 11:00:00.500")],
    ),
    Case(
        "strptime_epoch",
        {"x.csv": HEADER + "C1,Modtaget,1736157600\n"},
        0,
        "read         1",
        (1, 1, 0),
        config='timestamp_format = "%s"',
        sql="select strftime(ts at time zone 'UTC', '%Y-%m-%d %H:%M') from staging.events",
        expected=[("2025-01-06 10:00",)],
    ),
    Case(
        "epoch_milliseconds",
        {"x.csv": HEADER + "C1,Modtaget,1736157600000\nC1,Afgjort,1736157600123\n"},
        0,
        "read         2",
        (2, 2, 0),
        config='timestamp_format = "epoch_milliseconds"',
        sql="select strftime(ts at time zone 'UTC', '%H:%M:%S.%g') from staging.events order by ts",
        expected=[("10:00:00.000",), ("10:00:00.123",)],
    ),
    Case(
        "zoned_and_naive",
        {"x.csv": HEADER + "C1,A,2025-01-06T10:00:00+01:00\nC1,B,2025-01-06T10:00:00Z\nC1,C,2025-01-06 12:00\n"},
        0,
        "read         3",
        (3, 3, 0),
        sql="select activity, strftime(ts at time zone 'UTC', '%H:%M') from staging.events order by activity",
        expected=[("A", "09:00"), ("B", "10:00"), ("C", "11:00")],
    ),  # a naive time in Copenhagen's zone
    Case(
        "utf16_bom",
        {"x.csv": ("case;activity;timestamp\nC1;Ærø;2025-01-06 10:00\n").encode("utf-16")},
        0,
        "read         1",
        (1, 1, 0),
        config='encoding = "utf-16"',
        sql="select activity from staging.events",
        expected=[("Ærø",)],
    ),
    Case(
        "utf16_no_bom",
        {"x.csv": ("case;activity;timestamp\nC1;Øst;2025-01-06 10:00\n").encode("utf-16-le")},
        0,
        "read         1",
        (1, 1, 0),
        config='encoding = "utf-16-le"',
        sql="select activity from staging.events",
        expected=[("Øst",)],
    ),
    Case(
        "latin1_late",
        {"x.csv": (HEADER + _rows(40_000) + "Z9,Søg om hjælp,2025-01-07 10:00\n").encode("latin-1")},
        0,
        "read    40,001",
        (40_001, 40_001, 0),
        config='encoding = "latin-1"',
        sql="select activity from staging.events where case_id = 'Z9'",
        expected=[("Søg om hjælp",)],
    ),
    Case(
        "latin1_detected",
        {"x.csv": (HEADER + _rows(40_000) + "Z9,Søg,2025-01-07 10:00\n").encode("latin-1")},
        0,
        "read    40,001",
        (40_001, 40_001, 0),
        sql="select activity from staging.events where case_id = 'Z9'",
        expected=[("Søg",)],
    ),
    Case(
        "empty_case_ids",
        {"x.csv": HEADER + ",Modtaget,2025-01-06 10:00\n  ,Modtaget,2025-01-06 10:00\n" + _rows(2)},
        0,
        "case id is empty",
        (4, 2, 2),
    ),
    Case(
        "implausible_years",
        {"x.csv": HEADER + "C1,A,0001-01-01 00:00\nC1,B,9999-12-31 00:00\n" + _rows(1)},
        0,
        "timestamp outside 1900-01-01",
        (3, 1, 2),
    ),
    Case(
        "unreadable_time",
        {"x.csv": HEADER + "C1,A,31-31-2025\n" + _rows(1)},
        0,
        "timestamp missing or not readable",
        (2, 1, 1),
    ),
    Case(
        "missing_column",
        {"x.csv": "sag,activity,timestamp\n" + _rows(1)},
        1,
        "column 'case' named in sources.s is not in the file",
        (0, 0, 0),
    ),
    Case(
        "jsonl_bad_line",
        {
            "x.jsonl": '{"case": "C1", "activity": "A", "timestamp": "2025-01-06T10:00:00Z"}\n'
            '{"case": "C1", "activity": \n[1, 2]\n'
        },
        0,
        "not JSON",
        (3, 1, 2),
        kind="jsonl",
    ),
    Case(
        "jsonl_integer_python_cannot_read",
        {
            "x.jsonl": '{"case": "C1", "activity": "A", "timestamp": "2025-01-06T10:00:00Z"}\n'
            '{"case": "C1", "activity": "B", "timestamp": "2025-01-06T11:00:00Z", "n": ' + "9" * 5000 + "}\n"
            '{"case": "C1", "activity": "C", "timestamp": "2025-01-06T12:00:00Z"}\n'
        },
        0,
        "not readable JSON: Exceeds the limit (4300 digits)",
        (3, 2, 1),
        kind="jsonl",
    ),
    Case(
        "cpr_column_not_declared",
        {
            "x.csv": "case,activity,timestamp,borger\n"
            "C1,A,2025-01-06 10:00,010190-1234\nC1,B,2025-01-06 11:00,0201901234\n"
            "C2,A,2025-01-06 12:00,0301901-234\n"
        },
        0,
        "'borger' held CPR numbers in most rows and was pseudonymised whole",
        (3, 3, 0),
        sql="select count(*) from staging.events where attributes->>'borger' like 'cz_%'",
        expected=[(3,)],
    ),
]
CASES.append(
    Case(
        "ocel_dangling_and_duplicates",
        {
            "x.jsonocel": json.dumps(
                {
                    "objectTypes": [{"name": "sag", "attributes": []}],
                    "eventTypes": [],
                    "objects": [{"id": "s1", "type": "sag"}],
                    "events": [
                        {
                            "id": e,
                            "type": a,
                            "time": f"2025-01-0{i + 2}T09:00:00Z",
                            "relationships": [{"objectId": o, "qualifier": ""}],
                        }
                        for i, (e, a, o) in enumerate(
                            [("a", "Start", "s1"), ("a", "Falsk", "s1"), ("b", "Slut", "spøgelse")]
                        )
                    ],
                }
            )
        },
        0,
        "duplicate event id a",
        (3, 1, 2),
        kind="ocel",
        config='object_type = "sag"',
    )
)


def _xlsx(rows: list[list]) -> bytes:
    """An Excel workbook of one sheet holding `rows` (the first the header), as bytes."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parquet(columns: dict) -> bytes:
    """A Parquet file of the given Arrow arrays, as bytes."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def _odd_parquet(naive: bool) -> bytes:
    """Parquet whose CPR numbers sit in a dictionary column, a decimal and bytes."""
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa

    times = [dt.datetime(2025, 1, 6, 10), dt.datetime(2025, 1, 6, 11)]
    return _parquet(
        {
            "case": pa.array(["C1", "C1"]),
            "activity": pa.array(["A", "B"]),
            "timestamp": pa.array(times, pa.timestamp("us", None if naive else "UTC")),
            "note": pa.array(["ring 010490-1111", "x"]).dictionary_encode(),
            "nr": pa.array([Decimal("0204902222"), Decimal("7")], pa.decimal128(12, 0)),
            "raw": pa.array([b"note 030490-3333", b"y"], pa.binary()),
        }
    )


NO_SIX_DIGITS = "select count(*) from staging.events where regexp_matches(attributes, '[0-9]{6}')"
CASES += [
    Case(
        "utf8_stray_byte",
        {
            "x.csv": (HEADER + _rows(3000)).replace("Modtaget", "Søg").encode()
            + b"Z2,Afgj\xf8rt,2025-01-07 10:00\n"
            + _rows(1, 5000).encode()
        },
        0,
        "not utf-8 text (byte 0xf8 in field 'activity'",
        (3002, 3001, 1),
        sql="select count(*) from staging.events where activity = 'Søg'",
        expected=[(3000,)],
    ),
    Case(
        "utf8_stray_byte_configured",
        {"x.csv": HEADER.encode() + b"Z2,Afgj\xf8rt,2025-01-07 10:00\n" + _rows(2).encode()},
        0,
        "not utf-8 text",
        (3, 2, 1),
        config='encoding = "utf-8"',
    ),
    Case(
        "jsonl_nan_and_changing_shape",
        {
            "x.jsonl": '{"case": "C1", "activity": "A", "timestamp": '
            '"2025-01-06T10:00:00Z", "v": NaN}\n{"case": "C1", "activity": "B", '
            '"timestamp": "2025-01-06T11:00:00Z", "v": 1}\n{"case": "C1", "activity": '
            '"C", "timestamp": "2025-01-06T12:00:00Z", "v": {"a": 1}}\n'
        },
        0,
        "read         3",
        (3, 3, 0),
        kind="jsonl",
    ),
    Case(
        "jsonl_nested_cpr",
        {
            "x.jsonl": json.dumps(
                {
                    "case": "C1",
                    "activity": "A",
                    "timestamp": "2025-01-06T10:00:00Z",
                    "parter": ["010390-1111"],
                    "ids": [203902222],
                    "personer": [{"cpr": "0303903333"}],
                }
            )
            + "\n"
        },
        0,
        "read         1",
        (1, 1, 0),
        kind="jsonl",
        sql=NO_SIX_DIGITS,
        expected=[(0,)],
    ),
    Case(
        "excel_text_in_a_date_column",
        {
            "x.xlsx": _xlsx(
                [["case", "activity", "timestamp"]]
                + [[f"C{i}", "A", __import__("datetime").datetime(2025, 1, 6, 10, i)] for i in range(5)]
                + [["C9", "B", "ukendt"]]
            )
        },
        0,
        "timestamp missing or not readable",
        (6, 5, 1),
        kind="excel",
    ),
    Case(
        "excel_repeated_header",
        {
            "x.xlsx": _xlsx(
                [["case", "activity", "timestamp", "note", "note"], ["C1", "A", "2025-01-06 10:00", "a", "b"]]
            )
        },
        0,
        "read         1",
        (1, 1, 0),
        kind="excel",
        sql="select attributes from staging.events",
        expected=[('{"note":"a","note_2":"b"}',)],
    ),
    Case(
        "mixed_time_shapes",
        {
            "x.csv": HEADER + "C1,A,2025-01-06 10:00\nC1,B,2025-01-06T11:00:00+01:00\n"
            "C1,C,2025-01-06T12:00:00\nC1,D,06-01-2025 13:00\n"
        },
        0,
        "read         4",
        (4, 4, 0),
        sql="select activity, strftime(ts at time zone 'UTC', '%H:%M') from staging.events order by activity",
        expected=[("A", "09:00"), ("B", "10:00"), ("C", "11:00"), ("D", "12:00")],
    ),
    Case(
        "no_time_readable",
        {"x.csv": HEADER + "C1,A,ukendt\nC1,B,i går\n"},
        0,
        "timestamp missing or not readable",
        (2, 0, 2),
    ),
    Case(
        "ocel_records_not_objects",
        {
            "x.jsonocel": '{"objects": [{"id": "s1", "type": "sag"}, 7], "events": [1, null, '
            '{"id": "a", "type": "A", "time": "2025-01-02T09:00:00Z", "relationships": '
            '[{"objectId": "s1"}]}]}'
        },
        0,
        "timestamp missing or not readable",
        (3, 1, 2),
        kind="ocel",
        config='object_type = "sag"',
    ),
    Case(
        "trailing_header_column_with_values",
        {"x.csv": "case,activity,timestamp,\nC1,A,2025-01-06 10:00,x\n"},
        0,
        "read         1",
        (1, 1, 0),
        sql="select attributes from staging.events",
        expected=[('{"column_4":"x"}',)],
    ),
    Case(
        "parquet_odd_types",
        {"x.parquet": _odd_parquet(naive=False)},
        0,
        "read         2",
        (2, 2, 0),
        kind="parquet",
        sql=NO_SIX_DIGITS,
        expected=[(0,)],
    ),
    Case(
        "parquet_odd_types_naive_time",
        {"x.parquet": _odd_parquet(naive=True)},
        0,
        "read         2",
        (2, 2, 0),
        kind="parquet",
        sql=NO_SIX_DIGITS,
        expected=[(0,)],
    ),
]


CASES += [
    Case(
        "cpr_behind_invisible_separators",
        {
            "x.csv": "case,activity,timestamp,note\n"
            "C1,A,2025-01-06 10:00,fra 010190\u20031234\n"
            "C1,B,2025-01-06 11:00,til 020290\u00ad2345 og 030390\u200b3456\n"
            "C1,C,2025-01-06 12:00,080890+8901\n"
            "C1,D,2025-01-06 13:00,101901234.0\n"
        },
        0,  # a float's text, alone
        "read         4",
        (4, 4, 0),
        sql=NO_SIX_DIGITS,
        expected=[(0,)],
    ),
    Case(
        "jsonl_stray_byte",
        {
            "x.jsonl": b'{"case": "C1", "activity": "A", "timestamp": "2025-01-06T10:00:00Z"}\n'
            b'{"case": "C1", "activity": "S\xf8g", "timestamp": "2025-01-06T11:00:00Z"}\n'
        },
        0,
        "not UTF-8 text (byte 0xf8",
        (2, 1, 1),
        kind="jsonl",
    ),
    Case(
        "jsonl_gzip",
        {"x.jsonl.gz": _gzip(b'{"case": "C1", "activity": "A", "timestamp": "2025-01-06T10:00:00Z"}\n')},
        0,
        "read         1",
        (1, 1, 0),
        kind="jsonl",
    ),
    Case(
        "repeated_key",
        {
            "x.csv": "id,case,activity,timestamp\n1,C1,Modtaget,2025-01-06 10:00\n"
            "1,C1,Afgjort,2025-01-06 11:00\n2,C1,Lukket,2025-01-06 12:00\n"
        },
        0,
        "duplicate key 1: row 1 has it",
        (3, 2, 1),
        config='[sources.s.mapping]\nsource_key = "id"',
        sql="select activity from staging.events order by ts",
        expected=[("Modtaget",), ("Lukket",)],
    ),
    Case(
        "postgres_offsets",
        {"x.csv": HEADER + "C1,A,2025-01-06 10:00:00+01\nC1,B,2025-07-07 10:00:00+02\nC1,C,2025-01-06 10:00:00-05\n"},
        0,
        "read         3",
        (3, 3, 0),
        sql="select activity, strftime(ts at time zone 'UTC', '%m-%d %H:%M') from staging.events order by activity",
        expected=[("A", "01-06 09:00"), ("B", "07-07 08:00"), ("C", "01-06 15:00")],
    ),
    Case(
        "compact_time_is_no_epoch",
        {"x.csv": HEADER + "C1,A,202501061000\n"},
        0,
        "timestamp missing or not readable",
        (1, 0, 1),
    ),
    Case(
        "epoch_seconds_and_milliseconds_mixed",
        {"x.csv": HEADER + "C1,A,1736157600\nC1,B,1736161200000\n"},
        0,
        "read         2",
        (2, 2, 0),
        sql="select activity, strftime(ts at time zone 'UTC', '%Y-%m-%d %H:%M') from staging.events order by ts",
        expected=[("A", "2025-01-06 10:00"), ("B", "2025-01-06 11:00")],
    ),
]


CASES += [
    Case(
        "excel_sep_line",
        {"x.csv": "sep=;\ncase;activity;timestamp\nC1;A;2025-01-06 10:00\nC1;B;2025-01-06 11:00\n"},
        0,
        "read         2",
        (2, 2, 0),
        sql="select activity from staging.events order by ts",
        expected=[("A",), ("B",)],
    ),
    Case(
        "two_exports_joined_with_a_bom",
        {"x.csv": HEADER + "C1,A,2025-01-06 10:00\n\ufeffC1,B,2025-01-06 11:00\n"},
        0,
        "read         2",
        (2, 2, 0),
        sql="select distinct case_id from staging.events",
        expected=[("C1",)],
    ),
    Case("empty_gzip", {"x.csv.gz": b""}, 1, "an empty file, not gzip", (0, 0, 0)),
]


def case_config(case: Case) -> str:
    """The [sources.s] table of a case (TOML), its file found by a pattern."""
    name = next(iter(case.files))
    mapping = (
        ""
        if case.kind == "ocel"
        else ('[sources.s.mapping]\ncase_id = "case"\nactivity = "activity"\nts = "timestamp"\n')
    )
    own, _, more = case.config.partition("[sources.s.mapping]\n")  # a case may add mapping lines
    return f'[sources.s]\nkind = "{case.kind}"\npath = "{name}"\nprocess = "p"\n{own}\n{mapping}{more}\n'
