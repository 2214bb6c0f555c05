"""Readers of what a simulation exports, and of its ground truth.

They use polars and the standard library directly, with the formats the ground truth declares, so a test reads
the files the way an outside tool would, not through the simulator's own code.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl


def truth(out: Path) -> dict:
    return json.loads((out / "ground_truth" / "ground_truth.json").read_text(encoding="utf-8"))


def truth_cases(out: Path) -> list[dict]:
    with (out / "ground_truth" / "cases.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def truth_contacts(out: Path) -> pl.DataFrame:
    return pl.read_ndjson(out / "ground_truth" / "contacts.jsonl", infer_schema_length=None)


def read_sbsys(out: Path) -> pl.DataFrame:
    """The ESDH export as strings (cp1252, ';')."""
    return pl.read_csv(out / "sbsys" / "sagsaktiviteter.csv", separator=";", encoding="cp1252", infer_schema=False)


def read_nexus(out: Path) -> pl.DataFrame:
    return pl.read_ndjson(out / "nexus" / "haendelser.jsonl", infer_schema_length=None).select(
        pl.col("haendelsesId"),
        pl.col("tidspunkt"),
        pl.col("forloeb").struct.field("id").alias("case_id"),
        pl.col("forloeb").struct.field("ydelse").alias("ydelse"),
        pl.col("borger").struct.field("cpr").alias("cpr"),
        pl.col("aktivitet"),
        pl.col("status"),
        pl.col("medarbejder").struct.field("navn").alias("navn"),
        pl.col("medarbejder").struct.field("rolle").alias("rolle"),
        pl.col("medarbejder").struct.field("organisation").alias("organisation"),
    )


def read_momentum(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "momentum" / "sygedagpenge.parquet")


def read_telefoni(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "telefoni" / "opkald.csv", encoding="utf8", infer_schema=False)


def read_digital_post(out: Path) -> pl.DataFrame:
    return pl.read_ndjson(out / "digital_post" / "beskeder.jsonl", infer_schema_length=None)


def read_borgerservice(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "borgerservice" / "koelog.csv", separator=";", encoding="utf8", infer_schema=False)


def read_pladsanvisning(out: Path) -> pl.DataFrame:
    """Every sheet of the placement system's Excel export, read with openpyxl (real date cells)."""
    import openpyxl

    book = openpyxl.load_workbook(out / "pladsanvisning" / "pladsanvisning.xlsx", read_only=True)
    rows, header = [], None
    for sheet in book.worksheets:
        it = sheet.iter_rows(values_only=True)
        header = next(it)
        rows.extend(it)
    book.close()
    return pl.DataFrame(rows, schema=list(header), orient="row", infer_schema_length=None)
