"""The SQL path for Parquet gives exactly what the chunk path gives: rows, ids, cases, quarantine."""

import datetime as dt

import polars as pl

from warehouse import parquet_sql
from warehouse.config import Source, load_config
from warehouse.load import load_file
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser, contains_cpr

PSEUDO = Pseudonymiser(bytes(range(32)))


def _tables(con) -> dict[str, list]:
    return {
        "events": con.execute("select * exclude (batch_id) from staging.events order by event_id").fetchall(),
        "contacts": con.execute("select * exclude (batch_id) from staging.contacts order by contact_id").fetchall(),
        "cases": con.execute("select * exclude (batch_id) from staging.cases order by all").fetchall(),
        "quarantine": con.execute(
            "select row_number, field, reason, row_data from raw.quarantine order by 1"
        ).fetchall(),
        "batches": con.execute(
            "select rows_read, rows_loaded, rows_quarantined, watermark from meta.batches"
        ).fetchall(),
    }


def _both_ways(src: Source, name: str, path, monkeypatch) -> tuple[dict, dict]:
    assert parquet_sql.eligible(src, path)
    fast = connect(":memory:")
    load_file(fast, src, name, path, PSEUDO)
    monkeypatch.setattr(parquet_sql, "eligible", lambda *_: False)
    slow = connect(":memory:")
    load_file(slow, src, name, path, PSEUDO)
    monkeypatch.undo()
    return _tables(fast), _tables(slow)


def test_the_job_centre_export_loads_the_same_both_ways(baseline, monkeypatch):
    cfg, root = load_config(baseline / "vaerdistrom.toml")
    src = cfg.sources["momentum"]
    fast, slow = _both_ways(src, "momentum", root / src.path, monkeypatch)
    assert fast == slow
    assert len(fast["events"]) == pl.read_parquet(root / src.path).height > 10_000


def test_personal_fields_cpr_in_text_bad_rows_and_value_maps_match(tmp_path, monkeypatch):
    path = tmp_path / "x.parquet"
    ts = [
        dt.datetime(2025, 3, 1, 0, i, 0, i * 1000 * (i % 3) + (7 if i == 5 else 0), tzinfo=dt.UTC) for i in range(8)
    ]  # whole seconds, milliseconds and microseconds
    pl.DataFrame(
        {
            "sag": ["S1", "S1", " S2 ", "S2", "S3", "S3", "S4", "S4"],
            "trin": ["Start", "Slut", "Start", "", "Start", "Slut", "Start", "Start"],
            "tid": [*ts[:6], None, ts[7]],
            "type": ["A", "A", "B", "B", "C", "A", "B", "B"],
            "cpr": ["010190-1234", "010190-1234", None, "0202901234", "Åse", None, None, None],
            "note": ["ring 010190-1234 op", "ok", None, "ok", "ok", "bestilt 12345678901", "ok", "ok"],
            "n": [1, 2, 3, 4, 5, 6, 7, 7],
        }
    ).write_parquet(path)
    src = Source.model_validate(
        {
            "kind": "parquet",
            "path": "x.parquet",
            "timezone": "UTC",
            "personal": ["cpr"],
            "process_column": "type",
            "process_values": {"A": "alfa", "B": "beta"},
            "mapping": {"case_id": "sag", "activity": "trin", "ts": "tid", "citizen_key": "cpr"},
        }
    )
    fast, slow = _both_ways(src, "x", path, monkeypatch)
    assert fast == slow
    # 8 rows: one without an activity, one with an unknown process, one without a time
    assert fast["batches"][0][:3] == (8, 5, 3)
    assert [r[:3] for r in fast["quarantine"]] == [
        (4, "trin", "activity is empty"),
        (5, "type", "value not in process_values (alfa, beta)"),
        (7, "tid", "timestamp missing or not readable"),
    ]
    text = repr(fast)
    assert not contains_cpr(text) and "12345678901" in text  # an 11-digit number is not a CPR number
    assert {r[11] for r in fast["events"]} == {PSEUDO.of("0101901234"), None}


def test_files_the_sql_path_does_not_cover_take_the_chunk_path(tmp_path):
    naive = tmp_path / "naive.parquet"
    pl.DataFrame({"c": ["1"], "a": ["x"], "t": [dt.datetime(2025, 3, 30, 2, 30)]}).write_parquet(naive)
    nested = tmp_path / "nested.parquet"
    pl.DataFrame({"c": ["1"], "a": ["x"], "t": ["2025-03-30T02:30:00"], "s": [{"k": 1}]}).write_parquet(nested)
    mapping = {"case_id": "c", "activity": "a", "ts": "t"}
    local = Source.model_validate({"kind": "parquet", "path": "p", "process": "p", "mapping": mapping})
    assert not parquet_sql.eligible(local, naive)  # a naive Copenhagen time in the spring gap: the DST rule
    assert not parquet_sql.eligible(local, nested)
    con = connect(":memory:")
    r = load_file(con, local, "p", naive, PSEUDO)
    assert (r.rows_loaded, r.dst_nonexistent) == (1, 1)


def test_empty_case_ids_and_implausible_times_are_quarantined_the_same_both_ways(tmp_path, monkeypatch):
    """A row without its case would vanish from every mart; a year 0001 or 9999 is a placeholder, not a time."""
    utc = dt.UTC
    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {
            "case": ["C1", None, "", "C1", "C2", "C2"],
            "activity": ["Modtaget", "Modtaget", "Modtaget", "Afgjort", "Modtaget", "Afgjort"],
            "ts": [
                dt.datetime(2025, 1, 6, 9, tzinfo=utc),
                dt.datetime(2025, 1, 6, 10, tzinfo=utc),
                dt.datetime(2025, 1, 6, 11, tzinfo=utc),
                dt.datetime(2025, 1, 7, 9, tzinfo=utc),
                dt.datetime(1, 1, 1, tzinfo=utc),
                dt.datetime(9999, 12, 31, tzinfo=utc),
            ],
        }
    ).write_parquet(path)
    src = Source.model_validate(
        {
            "kind": "parquet",
            "path": "events.parquet",
            "process": "p",
            "mapping": {"case_id": "case", "activity": "activity", "ts": "ts"},
        }
    )
    fast, slow = _both_ways(src, "s", path, monkeypatch)
    assert fast == slow
    assert fast["batches"][0][:3] == (6, 2, 4)  # read = loaded + quarantined
    reasons = [(n, f, r.split(" (")[0]) for n, f, r, _ in fast["quarantine"]]
    latest = (dt.datetime.now(utc) + dt.timedelta(days=366)).date()
    assert reasons == [
        (2, "case", "case id is empty"),
        (3, "case", "case id is empty"),
        (5, "ts", f"timestamp outside 1900-01-01 to {latest:%Y-%m-%d}"),
        (6, "ts", f"timestamp outside 1900-01-01 to {latest:%Y-%m-%d}"),
    ]
