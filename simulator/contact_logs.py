"""The contact logs a simulated municipality exports, in time order: telephony, Digital Post, the front desk.

Contacts are spilled to Parquet parts by week as they happen (`ContactSpill`), then each log is
written one sorted week at a time, so memory stays bounded by a week's contacts. Each log
writes its system's format and quirks (see `simulator.exports` for the table of all systems)
and the ground truth of every contact it holds.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path

import polars as pl

from simulator.contacts import Contact
from simulator.engine import DAY, WEEK_SECONDS
from simulator.exports import FLUSH_ROWS, TZ, FileInfo, local_ts, utc_iso

CONTACT_COLUMNS = {
    "seq": pl.Int64,
    "ts": pl.Int64,
    "channel": pl.Utf8,
    "direction": pl.Utf8,
    "reason": pl.Utf8,
    "citizen_cpr": pl.Utf8,
    "cpr_shown": pl.Boolean,
    "case_ref": pl.Utf8,
    "true_case_id": pl.Utf8,
    "process": pl.Utf8,
    "wait_from": pl.Utf8,
    "wait_to": pl.Utf8,
    "staff": pl.Utf8,
    "queue": pl.Utf8,
    "duration_s": pl.Int64,
    "queue_wait_s": pl.Int64,
    "answered": pl.Boolean,
    "note": pl.Utf8,
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
            "channel",
            "direction",
            "reason",
            "citizen_cpr",
            "cpr_shown",
            pl.col("case_ref").alias("case_ref_shown"),
            "true_case_id",
            "process",
            ((pl.col("direction") == "inbound") & pl.col("true_case_id").is_not_null()).alias("failure_demand"),
            (pl.col("direction") == "outbound").alias("overproduction"),
            (pl.col("case_ref").is_not_null() | pl.col("cpr_shown")).alias("attributable"),
            "wait_from",
            "wait_to",
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
        self.fh = open_bom_csv(
            path,
            ",",
            (
                "OpkaldsID",
                "Starttidspunkt",
                "Varighed (sek)",
                "Ventetid (sek)",
                "Kø",
                "Retning",
                "Besvaret",
                "CPR",
                "Medarbejder",
                "Sagsnummer",
                "Notat",
            ),
        )

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
        self.info = FileInfo(
            "digital_post/beskeder.jsonl", "digital_post", "jsonl", "utf-8", None, "ISO 8601 UTC (Z)", "UTC"
        )
        self.fh = path.open("wb")

    def _keys(self, df: pl.DataFrame) -> pl.Series:
        ids = pl.int_range(self.n + 1, self.n + 1 + df.height, eager=True)
        return pl.select(pl.lit("DP-") + ids.cast(pl.Utf8).str.zfill(8)).to_series()

    def _write(self, df: pl.DataFrame) -> None:
        subject = (
            pl.when(pl.col("case_ref").is_not_null())
            .then(pl.lit("Vedr. sag ") + pl.col("case_ref") + pl.lit(": ") + pl.col("reason"))
            .otherwise(pl.col("reason"))
        )
        cpr_in_subject = (
            (pl.col("seq") % 20 == 0) & pl.col("citizen_cpr").is_not_null() & (pl.col("channel") == "email")
        )
        out = df.select(
            pl.col("key").alias("beskedId"),
            utc_iso("ts").alias("tidspunkt"),
            pl.col("channel").replace_strict({"email": "E-mail", "digital_post": "Digital Post"}).alias("kanal"),
            pl.col("direction").replace_strict(DIRECTION_DA).alias("retning"),
            pl.col("queue").alias("postkasse"),
            pl.struct(shown_cpr(True).alias("cpr")).alias("afsender"),
            pl.when(cpr_in_subject)
            .then(subject + pl.lit(" (cpr ") + pl.col("citizen_cpr") + pl.lit(")"))
            .otherwise(subject)
            .alias("emne"),
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
        self.info = FileInfo(
            "borgerservice/koelog.csv", "borgerservice", "csv", "utf-8-sig", ";", "%d.%m.%Y %H:%M:%S", TZ
        )
        self.fh = open_bom_csv(
            path,
            ";",
            (
                "BesoegsID",
                "Billetnummer",
                "Kø",
                "Oprettet",
                "Kaldt",
                "Afsluttet",
                "Skranke",
                "Medarbejder",
                "CPR",
                "Sagsnummer",
                "Ventetid (min)",
                "Betjeningstid (min)",
                "Bemærkning",
            ),
        )
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
