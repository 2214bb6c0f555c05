"""The streaming XLSX writer, read back by openpyxl (an independent reader)."""

import datetime as dt
import hashlib

import openpyxl
import polars as pl

import simulator.xlsx as xlsx


def write(tmp_path, name, df, monkeypatch, max_rows):
    monkeypatch.setattr(xlsx, "MAX_ROWS", max_rows)
    w = xlsx.XlsxWriter(
        tmp_path / name,
        "Hændelser",
        ("Navn", "Tid", "Dag", "Antal"),
        ("str", "datetime", "date", "number"),
        tmp_path / f"spill-{name}",
        title="Test & <prøve>",
        author="Åse",
        created=dt.datetime(2026, 1, 1, 3, 0),
    )
    w.write(df.slice(0, 7))
    w.write(df.slice(7))
    w.close()
    return tmp_path / name


def test_rows_sheets_escaping_and_dates(tmp_path, monkeypatch):
    names = [f'Række {i} æøå & <b> "q"' if i % 4 else None for i in range(25)]
    df = pl.DataFrame(
        {
            "Navn": names,
            "Tid": [45_658.5 + i for i in range(25)],  # 2025-01-01 12:00 + i days
            "Dag": [45_658 + i for i in range(25)],
            "Antal": [i * 1.5 for i in range(25)],
        }
    )
    path = write(tmp_path, "a.xlsx", df, monkeypatch, max_rows=11)  # 10 data rows per sheet
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["Hændelser", "Hændelser (2)", "Hændelser (3)"]
    rows = []
    for ws in book.worksheets:
        it = ws.iter_rows(values_only=True)
        assert next(it) == ("Navn", "Tid", "Dag", "Antal")
        rows.extend(it)
    assert len(rows) == 25
    assert [r[0] for r in rows] == names
    assert rows[3][1] == dt.datetime(2025, 1, 4, 12, 0)
    assert rows[3][2] == dt.datetime(2025, 1, 4)
    assert rows[24][3] == 36.0
    assert book.properties.creator == "Åse" and book.properties.title == "Test & <prøve>"
    assert not (tmp_path / "spill-a.xlsx").exists()


def test_same_rows_same_bytes(tmp_path, monkeypatch):
    df = pl.DataFrame({"Navn": ["a", "b"] * 10, "Tid": [45_000.25] * 20, "Dag": [45_000] * 20, "Antal": [1.0] * 20})
    a = write(tmp_path, "a.xlsx", df, monkeypatch, max_rows=1_048_576)
    b = write(tmp_path, "b.xlsx", df, monkeypatch, max_rows=1_048_576)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
