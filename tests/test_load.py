"""Loading exports into the warehouse: nothing lost, nothing doubled, no CPR stored."""

import json

import pytest
from support.exports import truth, truth_cases

from warehouse.batch import LoadError
from warehouse.config import ConfigError, load_config
from warehouse.load import load_file, load_source
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser, contains_cpr

PSEUDO = Pseudonymiser(bytes(range(32)))


@pytest.fixture(scope="module")
def loaded(baseline):
    cfg, root = load_config(baseline / "vaerdistrom.toml")
    con = connect(":memory:")
    reports = {name: load_source(con, src, name, root, PSEUDO) for name, src in cfg.sources.items()}
    return con, cfg, reports


def test_every_row_of_every_export_arrives(loaded, baseline):
    con, cfg, reports = loaded
    rows = {f["path"]: f["rows"] for f in truth(baseline)["files"]}
    for name, src in cfg.sources.items():
        (r,) = reports[name]
        assert r.rows_read == rows[src.path] == r.rows_loaded + r.rows_quarantined
        assert r.rows_quarantined == 0 and r.rows_new == r.rows_loaded
    batches = con.execute(
        "select count(*), sum(rows_read), sum(rows_loaded + rows_quarantined) from meta.batches where status = 'done'"
    ).fetchall()[0]
    assert batches[0] == len(cfg.sources) and batches[1] == batches[2] == sum(rows.values())


def test_events_and_cases_per_process_equal_the_truth(loaded, baseline):
    con, _, _ = loaded
    got = {
        p: (n, c)
        for p, n, c in con.execute(
            "select process, count(*), count(distinct case_id) from staging.events group by process"
        ).fetchall()
    }
    cases_with_events = {}
    for c in truth_cases(baseline):
        if c["n_events"]:
            cases_with_events[c["process"]] = cases_with_events.get(c["process"], 0) + 1
    for process, p in truth(baseline)["processes"].items():
        assert got[process] == (p["events"], cases_with_events[process])
    contacts = con.execute("select count(*) from staging.contacts").fetchall()[0][0]
    assert contacts == truth(baseline)["totals"]["contacts"]


def test_every_case_gets_one_row_spanning_its_events_with_its_citizen(loaded, baseline):
    con, _, _ = loaded
    cases = {
        c: (p, k, o, cl)
        for c, p, k, o, cl in con.execute(
            "select case_id, process, citizen_key, opened_at, closed_at from staging.cases"
        ).fetchall()
    }
    spans = dict(
        ((c,), (lo, hi))
        for c, lo, hi in con.execute(
            "select case_id, min(ts), max(ts) from staging.events where case_id is not null group by case_id"
        ).fetchall()
    )
    with_events = [c for c in truth_cases(baseline) if c["n_events"]]
    assert len(cases) == len(with_events) == len(spans)
    for c in with_events:
        process, key, opened, closed = cases[c["case_id"]]
        assert (process, key) == (c["process"], PSEUDO.of(c["cpr"])), c["case_id"]
        assert (opened, closed) == spans[(c["case_id"],)]


def test_each_batch_records_its_watermark(loaded):
    con, _, _ = loaded
    for source, watermark in con.execute("select source, watermark from meta.batches").fetchall():
        table = (
            "staging.contacts"
            if con.execute("select count(*) from staging.contacts where source = ?", [source]).fetchall()[0][0]
            else "staging.events"
        )
        latest = con.execute(f"select max(ts) from {table} where source = ?", [source]).fetchall()[0][0]
        assert watermark == latest.isoformat(), source


def test_contact_durations_are_read_with_their_unit_and_decimal_mark(loaded, baseline):
    """Phone calls in whole seconds; front-desk service time in minutes with a decimal comma ('3,3')."""
    import polars as pl

    con, _, _ = loaded
    calls = pl.read_csv(baseline / "telefoni" / "opkald.csv", infer_schema=False)
    visits = pl.read_csv(baseline / "borgerservice" / "koelog.csv", separator=";", infer_schema=False)
    got = dict(con.execute("select source, sum(duration_seconds) from staging.contacts group by source").fetchall())
    assert got["telefoni"] == calls["Varighed (sek)"].cast(pl.Int64).sum()
    minutes = visits["Betjeningstid (min)"].str.replace(",", ".").cast(pl.Float64)
    assert got["borgerservice"] == pytest.approx(float((minutes * 60).sum()), rel=1e-12)
    assert got.get("digital_post") is None  # e-mails have no duration


def test_timestamps_are_the_same_instants_in_every_format(loaded, baseline):
    """The ESDH's 'dd-mm-yyyy HH:MM' local time and the truth's first event agree for every case."""
    con, _, _ = loaded
    first = dict(
        con.execute(
            "select case_id, strftime(min(ts) at time zone 'Europe/Copenhagen', '%Y-%m-%dT%H:%M') "
            "from staging.events group by case_id"
        ).fetchall()
    )
    for c in truth_cases(baseline):
        if c["opened_at"]:
            assert first[c["case_id"]] == c["opened_at"][:16], c["case_id"]


def test_no_cpr_shaped_string_survives_anywhere(loaded):
    con, _, _ = loaded
    pattern = r"[0-3][0-9][01][0-9][0-9]{2}[- ]?[0-9]{4}"
    for schema, table, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type in ('VARCHAR', 'JSON') and table_schema in ('raw', 'staging', 'marts', 'meta')"
    ).fetchall():
        hits = con.execute(
            f'select "{column}"::varchar from {schema}.{table} where regexp_matches("{column}"::varchar, \'{pattern}\')'
        ).fetchall()
        assert not [h for (h,) in hits if contains_cpr(h)], f"{schema}.{table}.{column}"


def test_a_citizen_has_one_pseudonym_across_systems(loaded, baseline):
    con, _, _ = loaded
    t5 = next(c for c in truth_cases(baseline) if c["process"] == "helhedsplan")
    t3 = next(c for c in truth_cases(baseline) if c["process"] == "sygedagpenge" and c["cpr"] == t5["cpr"])
    keys = dict(
        con.execute(
            "select case_id, any_value(citizen_key) from staging.events where case_id in (?, ?) group by case_id",
            [t5["case_id"], t3["case_id"]],
        ).fetchall()
    )
    assert keys[t5["case_id"]] == keys[t3["case_id"]] == PSEUDO.of(t5["cpr"])


def test_loading_the_same_file_again_adds_nothing(baseline, fresh_warehouse):
    cfg, root = load_config(baseline / "vaerdistrom.toml")
    con = fresh_warehouse
    first = load_source(con, cfg.sources["nexus"], "nexus", root, PSEUDO)
    again = load_source(con, cfg.sources["nexus"], "nexus", root, PSEUDO)
    assert again[0].skipped and again[0].batch_id == first[0].batch_id
    assert con.execute("select count(*) from staging.events").fetchall()[0][0] == first[0].rows_loaded


def test_a_re_export_with_more_rows_adds_only_the_new_ones(baseline, tmp_path):
    cfg, _ = load_config(baseline / "vaerdistrom.toml")
    src = cfg.sources["telefoni"]
    full = (baseline / "telefoni" / "opkald.csv").read_bytes().splitlines(keepends=True)
    (tmp_path / "telefoni").mkdir()
    target = tmp_path / "telefoni" / "opkald.csv"
    target.write_bytes(b"".join(full[:1001]))  # header + 1,000 calls
    con = connect(":memory:")
    r1 = load_file(con, src, "telefoni", target, PSEUDO)
    target.write_bytes(b"".join(full))
    r2 = load_file(con, src, "telefoni", target, PSEUDO)
    assert (r1.rows_new, r2.rows_read, r2.rows_new) == (1000, len(full) - 1, len(full) - 1001)
    assert con.execute("select rows_already_loaded from meta.batches where batch_id = ?", [r2.batch_id]).fetchall() == [
        (1000,)
    ]
    assert con.execute("select count(*) from staging.contacts").fetchall()[0][0] == len(full) - 1


def test_a_re_export_moves_a_case_on(baseline, tmp_path):
    """The first half of the care system's stream, then all of it: open cases get their later events and end."""
    cfg, _ = load_config(baseline / "vaerdistrom.toml")
    src = cfg.sources["nexus"]
    lines = (baseline / src.path).read_bytes().splitlines(keepends=True)
    target = tmp_path / "nexus.jsonl"
    target.write_bytes(b"".join(lines[: len(lines) // 2]))
    con = connect(":memory:")
    load_file(con, src, "nexus", target, PSEUDO)
    before = dict(con.execute("select case_id, closed_at from staging.cases").fetchall())
    target.write_bytes(b"".join(lines))
    load_file(con, src, "nexus", target, PSEUDO)
    after = dict(con.execute("select case_id, closed_at from staging.cases").fetchall())
    truth_ = dict(con.execute("select case_id, max(ts) from staging.events group by case_id").fetchall())
    assert after == truth_ and set(before) < set(after)
    assert sum(after[c] > before[c] for c in before) > 0


BAD_CSV = (
    "Sagsnummer;Sagsmodel;Aktivitet;Udført;Part CPR;Notat\r\n"
    "S-1;Byggesag;Ansøgning indsendt;01-02-2025 09:00;010190-1234;ok\r\n"
    "S-1;Byggesag;Kvittering sendt;31-02-2025 09:00;010190-1234;forkert dato\r\n"
    "S-2;Byggesag;;02-02-2025 10:00;020290-1234;ingen aktivitet, cpr 020290-1234\r\n"
    "S-3;Parkering;Ansøgning indsendt;03-02-2025 10:00;;ukendt sagsmodel\r\n"
    "S-4;Byggesag;Afgørelse meddelt;30-03-2025 02:30;;sommertid\r\n"
)


def bad_source():
    from warehouse.config import Source

    return Source.model_validate(
        {
            "kind": "csv",
            "path": "bad.csv",
            "encoding": "cp1252",
            "delimiter": ";",
            "timestamp_format": "%d-%m-%Y %H:%M",
            "process_column": "Sagsmodel",
            "process_values": {"Byggesag": "byggesag"},
            "personal": ["Part CPR"],
            "mapping": {"case_id": "Sagsnummer", "activity": "Aktivitet", "ts": "Udført", "citizen_key": "Part CPR"},
        }
    )


def test_bad_rows_go_to_quarantine_with_row_field_and_reason(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_CSV.encode("cp1252"))
    con = connect(":memory:")
    r = load_file(con, bad_source(), "esdh", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.dst_nonexistent) == (5, 2, 3, 1)
    q = con.execute("select row_number, field, reason, row_data from raw.quarantine order by row_number").fetchall()
    assert [(n, f) for n, f, _, _ in q] == [(2, "Udført"), (3, "Aktivitet"), (4, "Sagsmodel")]
    assert q[0][2] == "timestamp missing or not readable as %d-%m-%Y %H:%M"
    assert q[1][2] == "activity is empty" and "value not in process_values" in q[2][2]
    assert not any(contains_cpr(d) for *_, d in q)
    assert json.loads(q[0][3])["Part CPR"] == PSEUDO.of("010190-1234")
    # the DST gap time is read with the offset before the change: 02:30 +01:00 = 01:30 UTC
    assert con.execute(
        "select strftime(ts at time zone 'UTC', '%H:%M') from staging.events where case_id = 'S-4'"
    ).fetchall() == [("01:30",)]


def test_a_malformed_json_line_is_quarantined_not_fatal(tmp_path):
    from warehouse.config import Source

    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": 1, "t": "2025-01-02T10:00:00+01:00", "a": "X", "c": "C1"}\n'
        '{"id": 2, "t": "2025-01-02T11:00:00+01:00", "a": "Y", "c": "C1"\n'
        "[1, 2]\n"
        '{"id": 3, "t": "2025-01-02T12:00:00Z", "a": "Z", "c": "C1"}\n',
        encoding="utf-8",
    )
    src = Source.model_validate(
        {
            "kind": "jsonl",
            "path": "e.jsonl",
            "process": "p",
            "mapping": {"ts": "t", "activity": "a", "case_id": "c", "source_key": "id"},
        }
    )
    con = connect(":memory:")
    r = load_file(con, src, "j", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (4, 2, 2)
    assert [n for (n,) in con.execute("select row_number from raw.quarantine order by 1").fetchall()] == [2, 3]
    assert con.execute(
        "select activity, strftime(ts at time zone 'UTC', '%H:%M') from staging.events order by ts"
    ).fetchall() == [("X", "09:00"), ("Z", "12:00")]


def test_a_crash_in_the_middle_of_a_batch_leaves_nothing(baseline, fresh_warehouse, monkeypatch):
    import warehouse.stage as stage

    cfg, root = load_config(baseline / "vaerdistrom.toml")
    con = fresh_warehouse
    real, calls = stage.to_canonical, []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk gone")
        return real(*args, **kw)

    monkeypatch.setattr(stage, "to_canonical", flaky)
    path = root / cfg.sources["sbsys"].path
    with pytest.raises(LoadError, match="load failed, nothing kept: OSError: disk gone"):
        load_file(con, cfg.sources["sbsys"], "sbsys", path, PSEUDO, chunk_rows=1000)
    assert con.execute("select count(*) from staging.events").fetchall() == [(0,)]
    # no batch of rows; the failed load keeps a row of its own, with its error
    assert con.execute(
        "select status, rows_loaded, error like '%load failed, nothing kept: OSError: disk gone%' from meta.batches"
    ).fetchall() == [("failed", 0, True)]
    # the stage tables the file was read into (outside the batch's transaction) are gone too
    assert con.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall() == []
    monkeypatch.setattr(stage, "to_canonical", real)
    r = load_file(con, cfg.sources["sbsys"], "sbsys", path, PSEUDO, chunk_rows=1000)
    assert r.rows_loaded == con.execute("select count(*) from staging.events").fetchall()[0][0] > 3000


def test_rows_lost_while_staging_refuse_the_batch(baseline, fresh_warehouse, monkeypatch):
    """The loader counts what it staged before storing it (DuckDB 2.0 can lose a big append)."""
    from warehouse import stage

    cfg, root = load_config(baseline / "vaerdistrom.toml")
    original = stage.Stager.insert

    def lossy(self, target, rows):
        original(self, target, rows.slice(0, len(rows) - 1))

    monkeypatch.setattr(stage.Stager, "insert", lossy)
    con = fresh_warehouse
    with pytest.raises(LoadError, match=r"rows were lost while staging; nothing kept"):
        load_source(con, cfg.sources["sbsys"], "sbsys", root, PSEUDO)
    assert con.execute("select count(*) from staging.events").fetchall() == [(0,)]
    assert con.execute("select status, rows_loaded from meta.batches").fetchall() == [("failed", 0)]


def test_a_missing_column_names_itself_and_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_CSV.replace("Udført", "Dato").encode("cp1252"))
    with pytest.raises(LoadError, match=r"bad.csv: column 'Udført' named in sources.esdh is not in the file"):
        load_file(connect(":memory:"), bad_source(), "esdh", path, PSEUDO)


@pytest.mark.parametrize(
    "toml, message",
    [
        (
            "[municipality]\nname='X'\n[sources.tel]\nkind='csv'\npath='a.csv'\nrecords='contacts'\nchannel='phone'\n"
            "[sources.tel.mapping]\ncase_id='x'\n",
            "sources.tel.mapping.ts: Field required",
        ),
        (
            "[municipality]\nname='X'\n[sources.tel]\nkind='cvs'\npath='a.csv'\n[sources.tel.mapping]\nts='t'\n",
            "sources.tel.kind: Input should be 'csv', 'parquet', 'jsonl', 'excel', 'xes', 'ocel', 'sql' or 'rest'",
        ),
        (
            "[municipality]\nname='X'\n[sources.e]\nkind='csv'\npath='a.csv'\nprocess='p'\n[sources.e.mapping]\nts='t'\n",
            "sources.e: an event source needs mapping.activity or a fixed activity",
        ),
        ("municipality = [", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path, toml, message):
    path = tmp_path / "vaerdistrom.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_identical_rows_across_chunks_are_all_kept_and_a_re_export_adds_just_the_extra_one(tmp_path):
    """Three identical rows read one per chunk are three events; a re-export with a fourth adds one."""
    from warehouse.config import Source

    src = Source.model_validate(
        {
            "kind": "csv",
            "path": "d.csv",
            "process": "p",
            "timestamp_format": "%d-%m-%Y %H:%M",
            "mapping": {"case_id": "Sag", "activity": "Aktivitet", "ts": "Tid"},
        }
    )
    row = "S-1;Opkald;01-02-2025 09:00\n"
    path = tmp_path / "d.csv"
    path.write_text("Sag;Aktivitet;Tid\n" + row * 3, encoding="utf-8")
    con = connect(":memory:")
    r1 = load_file(con, src, "d", path, PSEUDO, chunk_rows=1)
    path.write_text("Sag;Aktivitet;Tid\n" + row * 4, encoding="utf-8")
    r2 = load_file(con, src, "d", path, PSEUDO, chunk_rows=1)
    assert (r1.rows_loaded, r1.rows_new, r2.rows_loaded, r2.rows_new) == (3, 3, 4, 1)
    assert con.execute("select count(*), count(distinct event_id) from staging.events").fetchall() == [(4, 4)]


def test_a_cut_last_line_is_quarantined_a_cut_xes_refused_whole_and_no_cpr_is_kept(baseline, tmp_path):
    """A CSV whose last line is cut off mid-row: that row goes to quarantine (its CPR as a pseudonym), the other
    199 load. A truncated .xes.gz cannot be read past its break: one clear error, nothing kept."""
    import gzip

    from warehouse.config import Source

    cfg, _ = load_config(baseline / "vaerdistrom.toml")
    lines = (baseline / "telefoni" / "opkald.csv").read_bytes().splitlines(keepends=True)
    cut = tmp_path / "opkald.csv"
    cut.write_bytes(
        b"".join(lines[:200]) + b"700999,2025-01-27 14:26:15,95,71,Borgerservice,Indg\xc3\xa5ende,Ja,0101901234"
    )
    con = connect(":memory:")
    r = load_file(con, cfg.sources["telefoni"], "telefoni", cut, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (200, 199, 1)
    [(row, field, reason, data)] = con.execute(
        "select row_number, field, reason, row_data from raw.quarantine"
    ).fetchall()
    assert (row, field, reason) == (
        200,
        None,
        "row has 8 fields, the header 11 (cut off, or a delimiter or quote out of place)",
    )
    assert "0101901234" not in data and PSEUDO.of("0101901234") in data
    con.execute("delete from staging.contacts; delete from raw.quarantine; delete from meta.batches")
    xes = tmp_path / "cut.xes.gz"
    xes.write_bytes(
        gzip.compress(
            b'<log><trace><string key="concept:name" value="1"/><event><string key="concept:name" value="A"/>'
        )
    )
    src = Source.model_validate(
        {
            "kind": "xes",
            "path": "cut.xes.gz",
            "process": "p",
            "mapping": {"ts": "time:timestamp", "activity": "concept:name"},
        }
    )
    with pytest.raises(LoadError, match=r"cut.xes.gz: .*cannot read as XES after event 0"):
        load_file(con, src, "x", xes, PSEUDO)
    assert con.execute(
        "select (select count(*) from staging.contacts) + (select count(*) from staging.events) "
        "+ (select count(*) from meta.batches where status = 'done')"
    ).fetchall() == [(0,)]
    assert {s for (s,) in con.execute("select status from meta.batches").fetchall()} == {"failed"}
