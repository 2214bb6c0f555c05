"""What each simulated system exports, in that system's own format and quirks.

| system | file | format |
|---|---|---|
| sbsys (ESDH case system) | `sbsys/sagsaktiviteter.csv` | `;`, cp1252, CRLF, Danish headers, `dd-mm-yyyy HH:MM` local, decimal comma |
| nexus (care system) | `nexus/haendelser.jsonl` | JSON lines, nested objects, ISO 8601 with offset |
| momentum (job centre) | `momentum/sygedagpenge.parquet` | Parquet, `timestamp[us, UTC]`, date column |
| telefoni (telephony) | `telefoni/opkald.csv` | `,`, UTF-8 with BOM, `yyyy-mm-dd HH:MM:SS` local |
| digital_post (e-mail, Digital Post) | `digital_post/beskeder.jsonl` | JSON lines, UTC with `Z` |
| borgerservice (front-desk queue) | `borgerservice/koelog.csv` | `;`, UTF-8 with BOM, `dd.mm.yyyy HH:MM:SS` local, decimal comma |

Case systems write in case order as cases finish; contact logs are written in time
order (spilled in weekly parts, then sorted one week at a time: bounded memory).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.contacts import Contact
from simulator.engine import DAY, WEEK_SECONDS, Case, Event
from simulator.xlsx import EXCEL_EPOCH_DAYS, XlsxWriter

TZ = "Europe/Copenhagen"
FLUSH_ROWS = 25_000


def local_ts(col: str | pl.Expr) -> pl.Expr:
    """Local wall-clock seconds -> timezone-aware Europe/Copenhagen datetimes."""
    expr = pl.col(col) if isinstance(col, str) else col
    return (expr.cast(pl.Int64) * 1_000_000).cast(pl.Datetime("us")).dt.replace_time_zone(
        TZ, ambiguous="earliest", non_existent="raise")


def utc_iso(col: str | pl.Expr) -> pl.Expr:
    """Local wall-clock seconds -> `2025-01-02T08:15:00Z`."""
    return local_ts(col).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def cpr_digits(cpr: str) -> str:
    return cpr.replace("-", "")


@dataclass
class FileInfo:
    """What the ground truth says about one exported file."""

    path: str
    system: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    timestamp_format: str | None = None
    timezone: str | None = None
    rows: int = 0
    events: int = 0
    contacts: int = 0
    cases: int = 0  # every case is written once, whole, so counting is enough

    def as_json(self) -> dict:
        return {
            "path": self.path, "system": self.system, "format": self.format, "encoding": self.encoding,
            "delimiter": self.delimiter, "timestamp_format": self.timestamp_format, "timezone": self.timezone,
            "rows": self.rows, "events": self.events, "contacts": self.contacts, "cases": self.cases,
        }


class CaseExport:
    """Base for a case system's export: buffer rows of finished cases, flush in chunks."""

    info: FileInfo

    FIELDS: tuple[str, ...]

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[tuple] = []
        self.buf: dict[str, list] = {}

    def add(self, case: Case, events: list[Event]) -> None:
        if not events:
            return
        self.info.cases += 1
        self.info.rows += len(events)
        self.info.events += len(events)
        self.rows.extend(self._rows(case, events))
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        raise NotImplementedError

    def flush(self) -> None:
        if self.rows:
            self.buf = dict(zip(self.FIELDS, map(list, zip(*self.rows, strict=True)), strict=False))  # no rows: {}
            self._write()
        self.rows = []
        self.buf = {}

    def close(self) -> None:
        self.flush()


PHASES = {
    "Ansøgning indsendt": "Modtagelse", "Kvittering sendt": "Modtagelse", "Screening og fordeling": "Modtagelse",
    "Mangelbrev sendt": "Oplysning", "Supplerende oplysninger modtaget": "Oplysning", "Sag fuldt oplyst": "Oplysning",
    "Afgørelse meddelt": "Afgørelse", "Afgørelse truffet": "Afgørelse", "Sag henlagt": "Afgørelse",
    "Sag afvist": "Afgørelse", "Klage modtaget": "Klage", "Klage videresendt til Planklagenævnet": "Klage",
    "Færdigmelding modtaget": "Ibrugtagning", "Ibrugtagningstilladelse meddelt": "Ibrugtagning",
    "Koordinationsmøde": "Opfølgning", "Revurdering": "Opfølgning", "Afslutning": "Afslutning",
}
STREETS = ("Åbakken", "Ærøvej", "Østergade", "Møllevej", "Skovbrynet", "Kirkestræde", "Søndergade",
           "Bøgevænget", "Højvangen", "Strandvejen", "Kærgårdsvej", "Lærkevej")


class SbsysCsv(CaseExport):
    """ESDH activity export: `;`, cp1252, CRLF, Danish headers, `dd-mm-yyyy HH:MM` local time."""

    COLUMNS = ("Sagsnummer", "Sagsmodel", "KLE-nummer", "Sagstitel", "Aktivitet", "Fase", "Udført", "Udført af",
               "Initialer", "Afdeling", "Ansvarlig sagsbehandler", "Frist", "Svar", "Forbrugt tid (timer)", "Part CPR")

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.path = out / "sbsys" / "sagsaktiviteter.csv"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("sbsys/sagsaktiviteter.csv", "sbsys", "csv", "cp1252", ";", "%d-%m-%Y %H:%M", TZ)
        self.fh = self.path.open("wb")
        self.fh.write((";".join(self.COLUMNS) + "\r\n").encode("cp1252"))

    FIELDS = ("Sagsnummer", "Sagsmodel", "KLE-nummer", "Sagstitel", "Ansvarlig sagsbehandler", "Frist",
              "Part CPR", "Aktivitet", "Fase", "ts", "Udført af", "Initialer", "Afdeling", "Svar",
              "Forbrugt tid (timer)")

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        model = "Byggesag" if case.process == "byggesag" else "Helhedsplan"
        kle = "02.34.02" if case.process == "byggesag" else "27.00.00"
        deadline = case.deadline_at // DAY if case.deadline_at is not None else None
        head = (case.case_id, model, kle, case.attrs["title"], case.owner.name, deadline, case.citizen.cpr)
        return [head + (e.activity, PHASES.get(e.activity, "Sagsbehandling"), e.ts, e.staff.name,
                        e.staff.initials, e.staff.org_unit, e.note,
                        e.minutes / 60 if e.minutes and e.staff.role != "System" else None)
                for e in events]

    def _write(self) -> None:
        b = self.buf
        df = pl.DataFrame({
            **{k: b[k] for k in ("Sagsnummer", "Sagsmodel", "KLE-nummer", "Sagstitel", "Aktivitet", "Fase")},
            "Udført": pl.Series(b["ts"], dtype=pl.Int64),
            **{k: b[k] for k in ("Udført af", "Initialer", "Afdeling", "Ansvarlig sagsbehandler")},
            "Frist": pl.Series(b["Frist"], dtype=pl.Int32),
            "Svar": pl.Series(b["Svar"], dtype=pl.Utf8),
            "Forbrugt tid (timer)": pl.Series(b["Forbrugt tid (timer)"], dtype=pl.Float64),
            "Part CPR": b["Part CPR"],
        }).with_columns(
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
        return [head + (e.ts, e.activity, "STARTED" if e.lifecycle == "start" else "FINISHED", e.staff.name,
                        e.staff.role, e.staff.org_unit, e.note) for e in events]

    def _write(self) -> None:
        b = self.buf
        n = len(b["ts"])
        df = pl.DataFrame({
            "haendelsesId": pl.int_range(self.next_id, self.next_id + n, eager=True),
            "tidspunkt": pl.select(local_ts(pl.Series(b["ts"], dtype=pl.Int64)).dt.strftime(
                "%Y-%m-%dT%H:%M:%S%:z")).to_series(),
            "forloeb": pl.DataFrame({"id": b["case"], "ydelse": b["subtype"]}).to_struct(),
            "borger": pl.DataFrame({"cpr": b["cpr"]}).to_struct(),
            "aktivitet": b["activity"],
            "status": b["status"],
            "medarbejder": pl.DataFrame({"navn": b["name"], "rolle": b["role"], "organisation": b["org"]}).to_struct(),
            "bemaerkning": pl.Series(b["note"], dtype=pl.Utf8),
        })
        self.next_id += n
        buf = df.write_ndjson()
        self.fh.write(buf.encode("utf-8"))

    def close(self) -> None:
        super().close()
        self.fh.close()


class MomentumParquet(CaseExport):
    """Job-centre extract: Parquet with UTC timestamps, one row group per chunk."""

    SCHEMA = pa.schema([
        ("forloebsid", pa.string()), ("cpr", pa.string()), ("ydelse", pa.string()), ("kategori", pa.string()),
        ("aktivitet", pa.string()), ("livscyklus", pa.string()), ("tidspunkt", pa.timestamp("us", tz="UTC")),
        ("sagsbehandler", pa.string()), ("enhed", pa.string()), ("foerste_fravaersdag", pa.date32()),
        ("bemaerkning", pa.string()),
    ])

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.path = out / "momentum" / "sygedagpenge.parquet"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("momentum/sygedagpenge.parquet", "momentum", "parquet", None, None,
                             "timestamp[us, UTC]", "UTC")
        self.writer = pq.ParquetWriter(self.path, self.SCHEMA, compression="zstd")

    FIELDS = ("forloebsid", "cpr", "ydelse", "kategori", "foerste_fravaersdag", "aktivitet", "livscyklus", "ts",
              "sagsbehandler", "enhed", "bemaerkning")

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        a = case.attrs
        head = (case.case_id, case.citizen.cpr, a["subtype"], a.get("category"), a.get("first_sick_day"))
        return [head + (e.activity, e.lifecycle, e.ts, e.staff.name, e.staff.org_unit, e.note) for e in events]

    def _write(self) -> None:
        b = self.buf
        df = pl.DataFrame({
            "forloebsid": b["forloebsid"], "cpr": b["cpr"], "ydelse": b["ydelse"],
            "kategori": pl.Series(b["kategori"], dtype=pl.Utf8), "aktivitet": b["aktivitet"],
            "livscyklus": b["livscyklus"],
            "tidspunkt": pl.select(local_ts(pl.Series(b["ts"], dtype=pl.Int64)).dt.convert_time_zone("UTC")).to_series(),
            "sagsbehandler": b["sagsbehandler"], "enhed": b["enhed"],
            "foerste_fravaersdag": pl.Series(b["foerste_fravaersdag"], dtype=pl.Int32).cast(pl.Date),
            "bemaerkning": pl.Series(b["bemaerkning"], dtype=pl.Utf8),
        })
        self.writer.write_table(df.to_arrow().cast(self.SCHEMA))

    def close(self) -> None:
        super().close()
        self.writer.close()


class PladsanvisningXlsx(CaseExport):
    """Placement-system extract in Excel: real date cells, one sheet per 1,048,575 rows ('Hændelser', ...)."""

    FIELDS = ("Ansøgningsnr", "Pasningstype", "Barnets CPR", "Ansøgers CPR", "Garantidato", "Ønsket start",
              "Hændelse", "ts", "Institution", "Medarbejder", "Afdeling", "Bemærkning")
    HEADER = ("Ansøgningsnr", "Pasningstype", "Barnets CPR", "Ansøgers CPR", "Hændelse", "Tidspunkt",
              "Institution", "Garantidato", "Ønsket start", "Medarbejder", "Afdeling", "Bemærkning")
    KINDS = ("str", "str", "str", "str", "str", "datetime", "str", "date", "date", "str", "str", "str")

    def __init__(self, out: Path, created: dt.datetime, spill: Path) -> None:
        super().__init__(out)
        self.path = out / "pladsanvisning" / "pladsanvisning.xlsx"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("pladsanvisning/pladsanvisning.xlsx", "pladsanvisning", "xlsx", None, None,
                             "Excel date cells (local time)", TZ)
        self.book = XlsxWriter(self.path, "Hændelser", self.HEADER, self.KINDS, spill,
                               title="Pladsanvisning: hændelser", author="Pladsanvisningen", created=created)

    def _rows(self, case: Case, events: list[Event]) -> list[tuple]:
        a = case.attrs
        head = (case.case_id, a["subtype"], a["child_cpr"], case.citizen.cpr, a["guarantee"], a["desired_start"])
        return [head + (e.activity, e.ts, a["institution"] if e.staff.org_unit == "Dagtilbud" else None,
                        e.staff.name, e.staff.org_unit, e.note) for e in events]

    def _write(self) -> None:
        b = self.buf
        df = pl.DataFrame({
            "Ansøgningsnr": b["Ansøgningsnr"], "Pasningstype": b["Pasningstype"],
            "Barnets CPR": b["Barnets CPR"], "Ansøgers CPR": b["Ansøgers CPR"], "Hændelse": b["Hændelse"],
            "Tidspunkt": pl.Series(b["ts"], dtype=pl.Int64) / DAY + EXCEL_EPOCH_DAYS,
            "Institution": pl.Series(b["Institution"], dtype=pl.Utf8),
            "Garantidato": pl.Series(b["Garantidato"], dtype=pl.Date).cast(pl.Int32) + EXCEL_EPOCH_DAYS,
            "Ønsket start": pl.Series(b["Ønsket start"], dtype=pl.Date).cast(pl.Int32) + EXCEL_EPOCH_DAYS,
            "Medarbejder": b["Medarbejder"], "Afdeling": b["Afdeling"],
            "Bemærkning": pl.Series(b["Bemærkning"], dtype=pl.Utf8),
        })
        self.book.write(df)

    def close(self) -> None:
        super().close()
        self.book.close()


CONTACT_COLUMNS = {
    "seq": pl.Int64, "ts": pl.Int64, "channel": pl.Utf8, "direction": pl.Utf8, "reason": pl.Utf8,
    "citizen_cpr": pl.Utf8, "cpr_shown": pl.Boolean, "case_ref": pl.Utf8, "true_case_id": pl.Utf8,
    "process": pl.Utf8, "wait_from": pl.Utf8, "wait_to": pl.Utf8, "staff": pl.Utf8, "queue": pl.Utf8,
    "duration_s": pl.Int64, "queue_wait_s": pl.Int64, "answered": pl.Boolean, "note": pl.Utf8,
}


_CONTACT_FIELDS = attrgetter(*CONTACT_COLUMNS)


class ContactSpill:
    """Contacts of one system, spilled to Parquet parts by week until they can be written in time order.

    Sorting one week at a time keeps memory bounded by a week's contacts, however long the
    period or large the municipality.
    """

    def __init__(self, tmp: Path, system: str) -> None:
        self.dir = tmp / system
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rows: list[Contact] = []
        self.parts = 0
        self.weeks: set[int] = set()

    def add(self, c: Contact) -> None:
        self.rows.append(c)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        cols = dict(zip(CONTACT_COLUMNS, map(list, zip(*map(_CONTACT_FIELDS, self.rows), strict=True)), strict=False))
        df = pl.DataFrame(cols, schema=CONTACT_COLUMNS).with_columns(week=pl.col("ts") // WEEK_SECONDS)
        for (w,), part in df.partition_by("week", as_dict=True, include_key=False).items():
            folder = self.dir / f"w{w}"
            folder.mkdir(exist_ok=True)
            part.write_parquet(folder / f"part-{self.parts:05d}.parquet")
            self.weeks.add(w)
        self.parts += 1
        self.rows = []

    def sorted_batches(self, batch_rows: int = FLUSH_ROWS):
        """The spilled contacts in time order (ties by creation order), as polars frames."""
        self.flush()
        for w in sorted(self.weeks):
            week = pl.read_parquet(self.dir / f"w{w}" / "*.parquet").sort("ts", "seq")
            for offset in range(0, week.height, batch_rows):
                yield week.slice(offset, batch_rows)


class ContactExport:
    """Base for a contact log: writes sorted batches and the truth line of every contact."""

    info: FileInfo
    key_name: str

    def __init__(self, out: Path, truth_fh) -> None:
        self.out = out
        self.truth_fh = truth_fh
        self.n = 0

    def write_batches(self, batches) -> None:
        for df in batches:
            df = df.with_columns(key=self._keys(df))
            self._write(df)
            self.info.rows += df.height
            self.info.contacts += df.height
            self._truth(df)
            self.n += df.height

    def _truth(self, df: pl.DataFrame) -> None:
        truth = df.select(
            pl.lit(self.info.system).alias("system"),
            pl.lit(self.key_name).alias("key_field"),
            pl.col("key").cast(pl.Utf8),
            utc_iso("ts").alias("ts_utc"),
            "channel", "direction", "reason", "citizen_cpr", "cpr_shown",
            pl.col("case_ref").alias("case_ref_shown"),
            "true_case_id", "process",
            ((pl.col("direction") == "inbound") & pl.col("true_case_id").is_not_null()).alias("failure_demand"),
            (pl.col("direction") == "outbound").alias("overproduction"),
            (pl.col("case_ref").is_not_null() | pl.col("cpr_shown")).alias("attributable"),
            "wait_from", "wait_to",
        )
        self.truth_fh.write(truth.write_ndjson().encode("utf-8"))

    def close(self) -> None:
        self.fh.close()


def open_bom_csv(path: Path, sep: str, header: tuple[str, ...]):
    """A new UTF-8 CSV file with a byte-order mark and its header line, open for appending rows."""
    fh = path.open("wb")
    fh.write(("\ufeff" + sep.join(header) + "\n").encode("utf-8"))
    return fh


DIRECTION_DA = {"inbound": "Indgående", "outbound": "Udgående"}


def shown_cpr(digits_only: bool) -> pl.Expr:
    """The CPR where the system identified the citizen, else null."""
    cpr = pl.col("citizen_cpr").str.replace("-", "") if digits_only else pl.col("citizen_cpr")
    return pl.when(pl.col("cpr_shown")).then(cpr).otherwise(None)


class TelefoniCsv(ContactExport):
    """Telephony call log: `,`, UTF-8 with BOM, naive local `yyyy-mm-dd HH:MM:SS`."""

    key_name = "OpkaldsID"

    def __init__(self, out: Path, truth_fh) -> None:
        super().__init__(out, truth_fh)
        path = out / "telefoni" / "opkald.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("telefoni/opkald.csv", "telefoni", "csv", "utf-8-sig", ",", "%Y-%m-%d %H:%M:%S", TZ)
        self.fh = open_bom_csv(path, ",", ("OpkaldsID", "Starttidspunkt", "Varighed (sek)", "Ventetid (sek)", "Kø",
                                           "Retning", "Besvaret", "CPR", "Medarbejder", "Sagsnummer", "Notat"))

    def _keys(self, df: pl.DataFrame) -> pl.Series:
        return pl.int_range(700_001 + self.n, 700_001 + self.n + df.height, eager=True)

    def _write(self, df: pl.DataFrame) -> None:
        out = df.select(
            pl.col("key").alias("OpkaldsID"),
            local_ts("ts").dt.strftime("%Y-%m-%d %H:%M:%S").alias("Starttidspunkt"),
            pl.col("duration_s").alias("Varighed (sek)"),
            pl.col("queue_wait_s").alias("Ventetid (sek)"),
            pl.col("queue").alias("Kø"),
            pl.col("direction").replace_strict(DIRECTION_DA).alias("Retning"),
            pl.when(pl.col("answered")).then(pl.lit("Ja")).otherwise(pl.lit("Nej")).alias("Besvaret"),
            shown_cpr(True).alias("CPR"),
            pl.when(pl.col("answered")).then(pl.col("staff")).otherwise(None).alias("Medarbejder"),
            pl.col("case_ref").alias("Sagsnummer"),
            pl.col("note").alias("Notat"),
        )
        self.fh.write(out.write_csv(include_header=False).encode("utf-8"))


class DigitalPostJsonl(ContactExport):
    """E-mail and Digital Post log: JSON lines, UTC timestamps with `Z`."""

    key_name = "beskedId"

    def __init__(self, out: Path, truth_fh) -> None:
        super().__init__(out, truth_fh)
        path = out / "digital_post" / "beskeder.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("digital_post/beskeder.jsonl", "digital_post", "jsonl", "utf-8", None,
                             "ISO 8601 UTC (Z)", "UTC")
        self.fh = path.open("wb")

    def _keys(self, df: pl.DataFrame) -> pl.Series:
        ids = pl.int_range(self.n + 1, self.n + 1 + df.height, eager=True)
        return pl.select(pl.lit("DP-") + ids.cast(pl.Utf8).str.zfill(8)).to_series()

    def _write(self, df: pl.DataFrame) -> None:
        subject = pl.when(pl.col("case_ref").is_not_null()).then(
            pl.lit("Vedr. sag ") + pl.col("case_ref") + pl.lit(": ") + pl.col("reason")).otherwise(pl.col("reason"))
        cpr_in_subject = (pl.col("seq") % 20 == 0) & pl.col("citizen_cpr").is_not_null() & (
            pl.col("channel") == "email")
        out = df.select(
            pl.col("key").alias("beskedId"),
            utc_iso("ts").alias("tidspunkt"),
            pl.col("channel").replace_strict({"email": "E-mail", "digital_post": "Digital Post"}).alias("kanal"),
            pl.col("direction").replace_strict(DIRECTION_DA).alias("retning"),
            pl.col("queue").alias("postkasse"),
            pl.struct(shown_cpr(True).alias("cpr")).alias("afsender"),
            pl.when(cpr_in_subject).then(subject + pl.lit(" (cpr ") + pl.col("citizen_cpr") + pl.lit(")"))
            .otherwise(subject).alias("emne"),
            pl.col("case_ref").alias("sagsreference"),
        )
        self.fh.write(out.write_ndjson().encode("utf-8"))


class BorgerserviceCsv(ContactExport):
    """Front-desk queue log: `;`, UTF-8 with BOM, `dd.mm.yyyy HH:MM:SS` local, minutes with decimal comma.

    `BesoegsID` is the visit's unique key; `Billetnummer` is the ticket the citizen
    holds (queue letter and the day's running number), unique only within a day.
    """

    key_name = "BesoegsID"

    def __init__(self, out: Path, truth_fh) -> None:
        super().__init__(out, truth_fh)
        path = out / "borgerservice" / "koelog.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.info = FileInfo("borgerservice/koelog.csv", "borgerservice", "csv", "utf-8-sig", ";",
                             "%d.%m.%Y %H:%M:%S", TZ)
        self.fh = open_bom_csv(path, ";", ("BesoegsID", "Billetnummer", "Kø", "Oprettet", "Kaldt", "Afsluttet",
                                           "Skranke", "Medarbejder", "CPR", "Sagsnummer", "Ventetid (min)",
                                           "Betjeningstid (min)", "Bemærkning"))
        self._day = -1
        self._count = 0

    def _keys(self, df: pl.DataFrame) -> pl.Series:
        return pl.int_range(900_001 + self.n, 900_001 + self.n + df.height, eager=True)

    def _tickets(self, df: pl.DataFrame) -> list[str]:
        out = []
        for ts, queue in zip(df["ts"].to_list(), df["queue"].to_list(), strict=True):
            day = ts // DAY
            if day != self._day:
                self._day, self._count = day, 0
            self._count += 1
            out.append(f"{queue[:1].upper()}{self._count:03d}")
        return out

    def _write(self, df: pl.DataFrame) -> None:
        fmt = "%d.%m.%Y %H:%M:%S"
        called = pl.col("ts") + pl.col("queue_wait_s")
        out = df.select(
            pl.col("key").alias("BesoegsID"),
            pl.Series("Billetnummer", self._tickets(df)),
            pl.col("queue").alias("Kø"),
            local_ts("ts").dt.strftime(fmt).alias("Oprettet"),
            local_ts(called).dt.strftime(fmt).alias("Kaldt"),
            local_ts(called + pl.col("duration_s")).dt.strftime(fmt).alias("Afsluttet"),
            (pl.lit("Skranke ") + (pl.col("seq") % 6 + 1).cast(pl.Utf8)).alias("Skranke"),
            pl.col("staff").alias("Medarbejder"),
            shown_cpr(False).alias("CPR"),
            pl.col("case_ref").alias("Sagsnummer"),
            (pl.col("queue_wait_s") / 60).round(1).alias("Ventetid (min)"),
            (pl.col("duration_s") / 60).round(1).alias("Betjeningstid (min)"),
            pl.col("note").alias("Bemærkning"),
        )
        self.fh.write(out.write_csv(include_header=False, separator=";", decimal_comma=True).encode("utf-8"))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def dump_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
