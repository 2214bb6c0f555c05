"""The case systems' exports (sbsys, nexus, momentum, pladsanvisning), each in its own format and quirks (the table
in `simulator.exports`): rows of finished cases, buffered and written in chunks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.engine import DAY, Case, Event
from simulator.exports import TZ, CaseExport, FileInfo, cpr_digits, local_ts
from simulator.xlsx import EXCEL_EPOCH_DAYS, XlsxWriter

PHASES = {
    "Ansøgning indsendt": "Modtagelse",
    "Kvittering sendt": "Modtagelse",
    "Screening og fordeling": "Modtagelse",
    "Mangelbrev sendt": "Oplysning",
    "Supplerende oplysninger modtaget": "Oplysning",
    "Sag fuldt oplyst": "Oplysning",
    "Afgørelse meddelt": "Afgørelse",
    "Afgørelse truffet": "Afgørelse",
    "Sag henlagt": "Afgørelse",
    "Sag afvist": "Afgørelse",
    "Klage modtaget": "Klage",
    "Klage videresendt til Planklagenævnet": "Klage",
    "Færdigmelding modtaget": "Ibrugtagning",
    "Ibrugtagningstilladelse meddelt": "Ibrugtagning",
    "Koordinationsmøde": "Opfølgning",
    "Revurdering": "Opfølgning",
    "Afslutning": "Afslutning",
}


class SbsysCsv(CaseExport):
    """ESDH activity export: `;`, cp1252, CRLF, Danish headers, `dd-mm-yyyy HH:MM` local time."""

    COLUMNS = (
        "Sagsnummer",
        "Sagsmodel",
        "KLE-nummer",
        "Sagstitel",
        "Aktivitet",
        "Fase",
        "Udført",
        "Udført af",
        "Initialer",
        "Afdeling",
        "Ansvarlig sagsbehandler",
        "Frist",
        "Svar",
        "Forbrugt tid (timer)",
        "Part CPR",
    )

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.path = out / "sbsys" / "sagsaktiviteter.csv"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("sbsys/sagsaktiviteter.csv", "sbsys", "csv", "cp1252", ";", "%d-%m-%Y %H:%M", TZ)
        self.fh = self.path.open("wb")
        self.fh.write((";".join(self.COLUMNS) + "\r\n").encode("cp1252"))

    FIELDS = (
        "Sagsnummer",
        "Sagsmodel",
        "KLE-nummer",
        "Sagstitel",
        "Ansvarlig sagsbehandler",
        "Frist",
        "Part CPR",
        "Aktivitet",
        "Fase",
        "ts",
        "Udført af",
        "Initialer",
        "Afdeling",
        "Svar",
        "Forbrugt tid (timer)",
    )

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        model = "Byggesag" if case.process == "byggesag" else "Helhedsplan"
        kle = "02.34.02" if case.process == "byggesag" else "27.00.00"
        deadline = case.deadline_at // DAY if case.deadline_at is not None else None
        head = (case.case_id, model, kle, case.attrs["title"], case.owner.name, deadline, case.citizen.cpr)
        return [
            head
            + (
                e.activity,
                PHASES.get(e.activity, "Sagsbehandling"),
                e.ts,
                e.staff.name,
                e.staff.initials,
                e.staff.org_unit,
                e.note,
                e.minutes / 60 if e.minutes and e.staff.role != "System" else None,
            )
            for e in events
        ]

    def _write(self) -> None:
        b = self.buf
        df = pl.DataFrame(
            {
                **{k: b[k] for k in ("Sagsnummer", "Sagsmodel", "KLE-nummer", "Sagstitel", "Aktivitet", "Fase")},
                "Udført": pl.Series(b["ts"], dtype=pl.Int64),
                **{k: b[k] for k in ("Udført af", "Initialer", "Afdeling", "Ansvarlig sagsbehandler")},
                "Frist": pl.Series(b["Frist"], dtype=pl.Int32),
                "Svar": pl.Series(b["Svar"], dtype=pl.Utf8),
                "Forbrugt tid (timer)": pl.Series(b["Forbrugt tid (timer)"], dtype=pl.Float64),
                "Part CPR": b["Part CPR"],
            }
        ).with_columns(
            local_ts("Udført").dt.strftime("%d-%m-%Y %H:%M").alias("Udført"),
            pl.col("Frist").cast(pl.Date).dt.strftime("%d-%m-%Y"),
            pl.col("Forbrugt tid (timer)").round(2),
        )
        text = df.write_csv(separator=";", include_header=False, line_terminator="\r\n", decimal_comma=True)
        self.fh.write(text.encode("cp1252"))

    def close(self) -> None:
        super().close()
        self.fh.close()


class NexusJsonl(CaseExport):
    """Care-system event stream: JSON lines with nested objects and ISO 8601 offsets."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.path = out / "nexus" / "haendelser.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("nexus/haendelser.jsonl", "nexus", "jsonl", "utf-8", None, "ISO 8601 with offset", TZ)
        self.fh = self.path.open("wb")
        self.next_id = 1

    FIELDS = ("case", "subtype", "cpr", "ts", "activity", "status", "name", "role", "org", "note")

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        head = (case.case_id, case.attrs["subtype"], cpr_digits(case.citizen.cpr))
        return [
            head
            + (
                e.ts,
                e.activity,
                "STARTED" if e.lifecycle == "start" else "FINISHED",
                e.staff.name,
                e.staff.role,
                e.staff.org_unit,
                e.note,
            )
            for e in events
        ]

    def _write(self) -> None:
        b = self.buf
        n = len(b["ts"])
        df = pl.DataFrame(
            {
                "haendelsesId": pl.int_range(self.next_id, self.next_id + n, eager=True),
                "tidspunkt": pl.select(
                    local_ts(pl.Series(b["ts"], dtype=pl.Int64)).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
                ).to_series(),
                "forloeb": pl.DataFrame({"id": b["case"], "ydelse": b["subtype"]}).to_struct(),
                "borger": pl.DataFrame({"cpr": b["cpr"]}).to_struct(),
                "aktivitet": b["activity"],
                "status": b["status"],
                "medarbejder": pl.DataFrame(
                    {"navn": b["name"], "rolle": b["role"], "organisation": b["org"]}
                ).to_struct(),
                "bemaerkning": pl.Series(b["note"], dtype=pl.Utf8),
            }
        )
        self.next_id += n
        buf = df.write_ndjson()
        self.fh.write(buf.encode("utf-8"))

    def close(self) -> None:
        super().close()
        self.fh.close()


class MomentumParquet(CaseExport):
    """Job-centre extract: Parquet with UTC timestamps, one row group per chunk."""

    SCHEMA = pa.schema(
        [
            ("forloebsid", pa.string()),
            ("cpr", pa.string()),
            ("ydelse", pa.string()),
            ("kategori", pa.string()),
            ("aktivitet", pa.string()),
            ("livscyklus", pa.string()),
            ("tidspunkt", pa.timestamp("us", tz="UTC")),
            ("sagsbehandler", pa.string()),
            ("enhed", pa.string()),
            ("foerste_fravaersdag", pa.date32()),
            ("bemaerkning", pa.string()),
        ]
    )

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.path = out / "momentum" / "sygedagpenge.parquet"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo(
            "momentum/sygedagpenge.parquet", "momentum", "parquet", None, None, "timestamp[us, UTC]", "UTC"
        )
        self.writer = pq.ParquetWriter(self.path, self.SCHEMA, compression="zstd")

    FIELDS = (
        "forloebsid",
        "cpr",
        "ydelse",
        "kategori",
        "foerste_fravaersdag",
        "aktivitet",
        "livscyklus",
        "ts",
        "sagsbehandler",
        "enhed",
        "bemaerkning",
    )

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        a = case.attrs
        head = (case.case_id, case.citizen.cpr, a["subtype"], a.get("category"), a.get("first_sick_day"))
        return [head + (e.activity, e.lifecycle, e.ts, e.staff.name, e.staff.org_unit, e.note) for e in events]

    def _write(self) -> None:
        b = self.buf
        df = pl.DataFrame(
            {
                "forloebsid": b["forloebsid"],
                "cpr": b["cpr"],
                "ydelse": b["ydelse"],
                "kategori": pl.Series(b["kategori"], dtype=pl.Utf8),
                "aktivitet": b["aktivitet"],
                "livscyklus": b["livscyklus"],
                "tidspunkt": pl.select(
                    local_ts(pl.Series(b["ts"], dtype=pl.Int64)).dt.convert_time_zone("UTC")
                ).to_series(),
                "sagsbehandler": b["sagsbehandler"],
                "enhed": b["enhed"],
                "foerste_fravaersdag": pl.Series(b["foerste_fravaersdag"], dtype=pl.Int32).cast(pl.Date),
                "bemaerkning": pl.Series(b["bemaerkning"], dtype=pl.Utf8),
            }
        )
        self.writer.write_table(df.to_arrow().cast(self.SCHEMA))

    def close(self) -> None:
        super().close()
        self.writer.close()


class PladsanvisningXlsx(CaseExport):
    """Placement-system extract in Excel: real date cells, one sheet per 1,048,575 rows ('Hændelser', ...)."""

    FIELDS = (
        "Ansøgningsnr",
        "Pasningstype",
        "Barnets CPR",
        "Ansøgers CPR",
        "Garantidato",
        "Ønsket start",
        "Hændelse",
        "ts",
        "Institution",
        "Medarbejder",
        "Afdeling",
        "Bemærkning",
    )
    HEADER = (
        "Ansøgningsnr",
        "Pasningstype",
        "Barnets CPR",
        "Ansøgers CPR",
        "Hændelse",
        "Tidspunkt",
        "Institution",
        "Garantidato",
        "Ønsket start",
        "Medarbejder",
        "Afdeling",
        "Bemærkning",
    )
    KINDS = ("str", "str", "str", "str", "str", "datetime", "str", "date", "date", "str", "str", "str")

    def __init__(self, out: Path, created: dt.datetime, spill: Path) -> None:
        super().__init__(out)
        self.path = out / "pladsanvisning" / "pladsanvisning.xlsx"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo(
            "pladsanvisning/pladsanvisning.xlsx",
            "pladsanvisning",
            "xlsx",
            None,
            None,
            "Excel date cells (local time)",
            TZ,
        )
        self.book = XlsxWriter(
            self.path,
            "Hændelser",
            self.HEADER,
            self.KINDS,
            spill,
            title="Pladsanvisning: hændelser",
            author="Pladsanvisningen",
            created=created,
        )

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        a = case.attrs
        head = (case.case_id, a["subtype"], a["child_cpr"], case.citizen.cpr, a["guarantee"], a["desired_start"])
        return [
            head
            + (
                e.activity,
                e.ts,
                a["institution"] if e.staff.org_unit == "Dagtilbud" else None,
                e.staff.name,
                e.staff.org_unit,
                e.note,
            )
            for e in events
        ]

    def _write(self) -> None:
        b = self.buf
        df = pl.DataFrame(
            {
                "Ansøgningsnr": b["Ansøgningsnr"],
                "Pasningstype": b["Pasningstype"],
                "Barnets CPR": b["Barnets CPR"],
                "Ansøgers CPR": b["Ansøgers CPR"],
                "Hændelse": b["Hændelse"],
                "Tidspunkt": pl.Series(b["ts"], dtype=pl.Int64) / DAY + EXCEL_EPOCH_DAYS,
                "Institution": pl.Series(b["Institution"], dtype=pl.Utf8),
                "Garantidato": pl.Series(b["Garantidato"], dtype=pl.Date).cast(pl.Int32) + EXCEL_EPOCH_DAYS,
                "Ønsket start": pl.Series(b["Ønsket start"], dtype=pl.Date).cast(pl.Int32) + EXCEL_EPOCH_DAYS,
                "Medarbejder": b["Medarbejder"],
                "Afdeling": b["Afdeling"],
                "Bemærkning": pl.Series(b["Bemærkning"], dtype=pl.Utf8),
            }
        )
        self.book.write(df)

    def close(self) -> None:
        super().close()
        self.book.close()
