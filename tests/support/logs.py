"""Each simulated process as a pm4py event log, read from its export (not from the simulator)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

from support.exports import read_momentum, read_nexus, read_pladsanvisning, read_sbsys


def process_frame(out: Path, process: str, *, complete_only: bool = True) -> pl.DataFrame:
    """case_id, activity, ts (UTC), lifecycle, resource, in export order."""
    if process == "visitation":
        df = read_nexus(out).select(
            "case_id",
            pl.col("aktivitet").alias("activity"),
            pl.col("tidspunkt").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%:z").alias("ts"),
            pl.col("status").replace_strict({"STARTED": "start", "FINISHED": "complete"}).alias("lifecycle"),
            pl.col("navn").alias("resource"),
        )
    elif process == "sygedagpenge":
        df = read_momentum(out).select(
            pl.col("forloebsid").alias("case_id"),
            pl.col("aktivitet").alias("activity"),
            pl.col("tidspunkt").alias("ts"),
            pl.col("livscyklus").alias("lifecycle"),
            pl.col("sagsbehandler").alias("resource"),
        )
    elif process == "pladsanvisning":
        df = read_pladsanvisning(out).select(
            pl.col("Ansøgningsnr").alias("case_id"),
            pl.col("Hændelse").alias("activity"),
            pl.col("Tidspunkt").dt.replace_time_zone("Europe/Copenhagen").dt.convert_time_zone("UTC").alias("ts"),
            pl.lit("complete").alias("lifecycle"),
            pl.col("Medarbejder").alias("resource"),
        )
    else:
        model = {"byggesag": "Byggesag", "helhedsplan": "Helhedsplan"}[process]
        df = (
            read_sbsys(out)
            .filter(pl.col("Sagsmodel") == model)
            .select(
                pl.col("Sagsnummer").alias("case_id"),
                pl.col("Aktivitet").alias("activity"),
                pl.col("Udført")
                .str.strptime(pl.Datetime("us"), "%d-%m-%Y %H:%M")
                .dt.replace_time_zone("Europe/Copenhagen")
                .dt.convert_time_zone("UTC")
                .alias("ts"),
                pl.lit("complete").alias("lifecycle"),
                pl.col("Udført af").alias("resource"),
            )
        )
    if complete_only:
        df = df.filter(pl.col("lifecycle") == "complete")
    return df


def pm4py_log(df: pl.DataFrame) -> pd.DataFrame:
    """The frame in pm4py's column names, UTC timestamps, export order kept for ties."""
    import pm4py

    pdf = df.to_pandas()
    pdf["ts"] = pd.to_datetime(pdf["ts"], utc=True)
    return pm4py.format_dataframe(pdf, case_id="case_id", activity_key="activity", timestamp_key="ts")
