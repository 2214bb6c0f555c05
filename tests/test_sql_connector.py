"""The SQL connector against the machine's real PostgreSQL and MariaDB servers.

A table shaped like a case system's event table is filled with the simulator's sickness-benefit
events, read incrementally (only the new rows arrive), read again after late rows, and read
through a proxy that drops the connection mid-read (nothing kept; the next run completes it).
The expected rows are counted with polars on the simulator's own file, not through the loader.
Without a reachable server these tests skip with the reason; under CI=true they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

import polars as pl
import pytest
from support.netcut import CuttingProxy

from warehouse.batch import LoadError
from warehouse.config import Source
from warehouse.load import load_pull
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser
from warehouse.pull import stored_watermark

PSEUDO = Pseudonymiser(b"k" * 32)
SERVERS = {  # kind -> (environment variable that may point elsewhere, the machine's own server)
    "postgresql": ("VAERDISTROM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("VAERDISTROM_TEST_MARIADB", "mysql://root@127.0.0.1:3306/test"),
}
COLUMNS = (
    "haendelse_id",
    "forloebsid",
    "cpr",
    "ydelse",
    "aktivitet",
    "livscyklus",
    "tidspunkt",
    "sagsbehandler",
    "enhed",
    "foerste_fravaersdag",
    "bemaerkning",
    "beloeb",
    "opdateret",
)


@dataclass
class Server:
    kind: str
    dsn: str
    host: str
    port: int

    def connect(self):
        if self.kind == "postgresql":
            import psycopg

            return psycopg.connect(self.dsn, autocommit=True)
        from urllib.parse import urlsplit

        import pymysql

        u = urlsplit(self.dsn)
        return pymysql.connect(
            host=u.hostname,
            port=u.port or 3306,
            user=u.username or "root",
            password=u.password or "",
            database=u.path.lstrip("/"),
            autocommit=True,
        )

    def create(self, table: str) -> None:
        ts = "timestamptz" if self.kind == "postgresql" else "datetime(6)"
        with self.connect() as c, c.cursor() as cur:
            cur.execute(
                f"create table {table} (haendelse_id bigint primary key, forloebsid varchar(40), "
                f"cpr varchar(20), ydelse varchar(40), aktivitet varchar(200), livscyklus varchar(20), "
                f"tidspunkt {ts}, sagsbehandler varchar(100), enhed varchar(100), foerste_fravaersdag date, "
                f"bemaerkning varchar(200), beloeb numeric(10, 2), opdateret {ts} not null)"
            )

    def insert(self, table: str, rows: list[tuple]) -> None:
        marks = ", ".join(["%s"] * len(COLUMNS))
        with self.connect() as c, c.cursor() as cur:
            cur.executemany(f"insert into {table} ({', '.join(COLUMNS)}) values ({marks})", rows)

    def drop(self, table: str) -> None:
        with self.connect() as c, c.cursor() as cur:
            cur.execute(f"drop table if exists {table}")


def _server(kind: str) -> Server:
    from urllib.parse import urlsplit

    variable, default = SERVERS[kind]
    dsn = os.environ.get(variable, default)
    u = urlsplit(dsn)
    server = Server(kind, dsn, u.hostname, u.port)
    try:
        socket.create_connection((server.host, server.port), timeout=3).close()
        server.connect().close()
    except Exception as e:  # noqa: BLE001 - any reason the server cannot be used
        reason = (
            f"no {kind} server to test against at {server.host}:{server.port} ({type(e).__name__}: {e}); "
            f"set {variable} to a DSN of one"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the database connector tests: {reason}")
        pytest.skip(reason)
    return server


@pytest.fixture(params=["postgresql", "mysql"])
def server(request) -> Server:
    return _server(request.param)


@pytest.fixture
def table(server):
    name = f"sagshaendelser_{uuid.uuid4().hex[:10]}"
    server.create(name)
    yield name
    server.drop(name)


@pytest.fixture(scope="session")
def events(sim_root) -> pl.DataFrame:
    """The simulator's sickness-benefit events (about 2,600), numbered, with an updated_at and an amount."""
    from simulator.run import simulate
    from simulator.spec import SimulationSpec

    out = sim_root / "sql-connector"
    simulate(SimulationSpec(out=out, citizens=300, months=6, seed=3, processes=("sygedagpenge",)))
    frame = pl.read_parquet(out / "momentum" / "sygedagpenge.parquet").sort(
        "tidspunkt", "forloebsid", maintain_order=True
    )
    return frame.with_row_index("haendelse_id", offset=1).with_columns(
        pl.col("haendelse_id").cast(pl.Int64),
        # the row is written to the database a few minutes after the event happened
        opdateret=pl.col("tidspunkt") + pl.duration(minutes=5),
        beloeb=(pl.col("haendelse_id") % 997 * 1.25).round(2),
    )


def rows_of(frame: pl.DataFrame, kind: str) -> list[tuple]:
    """The frame's rows as the database takes them (MariaDB's datetime is naive: the UTC time)."""

    def t(v):
        return v.replace(tzinfo=None) if kind == "mysql" and v is not None else v

    return [
        (
            r["haendelse_id"],
            r["forloebsid"],
            r["cpr"],
            r["ydelse"],
            r["aktivitet"],
            r["livscyklus"],
            t(r["tidspunkt"]),
            r["sagsbehandler"],
            r["enhed"],
            r["foerste_fravaersdag"],
            r["bemaerkning"],
            r["beloeb"],
            t(r["opdateret"]),
        )
        for r in frame.iter_rows(named=True)
    ]


def source(table: str, env: str, **database) -> Source:
    return Source.model_validate(
        {
            "kind": "sql",
            "process": "sygedagpenge",
            "channel": "case_system",
            "personal": ["cpr"],
            "timezone": "UTC",  # MariaDB's naive datetimes hold UTC times here
            "database": {"dsn_env": env, "table": table, "batch_rows": 500, **database},
            "mapping": {
                "case_id": "forloebsid",
                "activity": "aktivitet",
                "ts": "tidspunkt",
                "lifecycle": "livscyklus",
                "resource": "sagsbehandler",
                "org_unit": "enhed",
                "citizen_key": "cpr",
                "source_key": "haendelse_id",
            },
        }
    )


def stored(con) -> list[tuple]:
    return con.execute(
        "select case_id, activity, epoch_us(ts), lifecycle, resource, org_unit from staging.events order by all"
    ).fetchall()


def expected(frame: pl.DataFrame) -> list[tuple]:
    return sorted(
        (
            r["forloebsid"],
            r["aktivitet"],
            int(r["tidspunkt"].timestamp() * 1_000_000),
            r["livscyklus"],
            r["sagsbehandler"],
            r["enhed"],
        )
        for r in frame.iter_rows(named=True)
    )


def same_mark(value: str, top) -> bool:
    """A stored watermark equals the frame's top value (MariaDB's datetimes come back naive)."""
    if isinstance(top, int):
        return value == str(top)
    return dt.datetime.fromisoformat(value).replace(tzinfo=None) == top.replace(tzinfo=None)


@pytest.mark.parametrize(
    "watermark, lookback", [("opdateret", {"lookback_seconds": 3600}), ("haendelse_id", {"lookback_ids": 25})]
)
def test_pulls_read_only_what_is_new_and_late_rows_within_the_lookback(
    server, table, events, monkeypatch, watermark, lookback
):
    monkeypatch.setenv("TEST_DSN", server.dsn)
    src = source(table, "TEST_DSN", watermark=watermark, **lookback)
    first, rest = events.head(1800), events.slice(1800)
    if watermark == "haendelse_id":  # an id handed out before the first pull's top, committed after the pull
        late = first.filter(pl.col("haendelse_id") == 1790)
        first = first.filter(pl.col("haendelse_id") != 1790)
    else:  # a row whose updated_at is half an hour before the first pull's top, committed after the pull
        late = rest.head(1).with_columns(
            haendelse_id=pl.lit(1_000_000, dtype=pl.Int64),
            aktivitet=pl.lit("Sen"),
            opdateret=pl.lit(first["opdateret"].max() - dt.timedelta(minutes=30)),
        )
    server.insert(table, rows_of(first, server.kind))
    con = connect(":memory:")

    one = load_pull(con, src, "momentum_db", PSEUDO)
    assert (one.rows_read, one.rows_new, one.rows_quarantined) == (first.height, first.height, 0)
    assert stored(con) == expected(first)
    top = first[watermark].max()
    assert same_mark(stored_watermark(con, "momentum_db").value, top)

    server.insert(table, rows_of(pl.concat([rest, late]), server.kind))
    everything = pl.concat([first, rest, late])
    back = dt.timedelta(seconds=3600) if watermark == "opdateret" else 25
    two = load_pull(con, src, "momentum_db", PSEUDO)
    assert two.rows_read == everything.filter(pl.col(watermark) >= top - back).height  # new, and the lookback's
    assert two.rows_new == rest.height + 1  # ... of which only the new ones are stored, the late one among them
    assert two.rows_read == two.rows_loaded + two.rows_quarantined
    assert stored(con) == expected(everything)
    top = everything[watermark].max()
    assert same_mark(stored_watermark(con, "momentum_db").value, top)

    three = load_pull(con, src, "momentum_db", PSEUDO)  # nothing new
    assert three.rows_new == 0
    assert three.rows_read == everything.filter(pl.col(watermark) >= top - back).height > 0
    assert con.execute("select count(*) from staging.events").fetchall() == [(everything.height,)]
    assert con.execute("select count(distinct citizen_key) from staging.events").fetchall() == [
        (everything["cpr"].n_unique(),)
    ]
    cpr = everything["cpr"][0]
    assert con.execute(
        "select count(*) from staging.events where citizen_key = ? or attributes like ?", [cpr, f"%{cpr}%"]
    ).fetchall() == [(0,)]


def test_types_arrive_as_the_load_path_reads_them(server, table, events, monkeypatch):
    """A date, a decimal and the updated_at land in the attributes with their values; times are UTC instants."""
    monkeypatch.setenv("TEST_DSN", server.dsn)
    server.insert(table, rows_of(events.head(50), server.kind))
    con = connect(":memory:")
    load_pull(con, source(table, "TEST_DSN", watermark="opdateret"), "momentum_db", PSEUDO)
    row = events.row(0, named=True)
    got = con.execute(
        "select ts, attributes->>'foerste_fravaersdag', (attributes->>'beloeb')::double, "
        "attributes->>'ydelse' from staging.events where attributes->>'haendelse_id' = '1'"
    ).fetchall()
    assert got == [(row["tidspunkt"], row["foerste_fravaersdag"].isoformat(), row["beloeb"], row["ydelse"])]


def test_a_query_source_reads_its_own_select(server, table, events, monkeypatch):
    monkeypatch.setenv("TEST_DSN", server.dsn)
    server.insert(table, rows_of(events, server.kind))
    src = Source.model_validate(
        source(table, "TEST_DSN").model_dump()
        | {
            "database": {
                "dsn_env": "TEST_DSN",
                "query": f"select * from {table} where livscyklus = 'complete';",
                "watermark": "haendelse_id",
            }
        }
    )
    con = connect(":memory:")
    report = load_pull(con, src, "momentum_db", PSEUDO)
    done = events.filter(pl.col("livscyklus") == "complete")
    assert report.rows_new == done.height > 0
    assert stored(con) == expected(done)


def test_bad_rows_are_quarantined_with_their_field(server, table, events, monkeypatch):
    monkeypatch.setenv("TEST_DSN", server.dsn)
    bad = events.head(10).with_columns(
        tidspunkt=pl.when(pl.col("haendelse_id") == 3).then(None).otherwise(pl.col("tidspunkt")),
        aktivitet=pl.when(pl.col("haendelse_id") == 7).then(pl.lit("")).otherwise(pl.col("aktivitet")),
    )
    server.insert(table, rows_of(bad, server.kind))
    con = connect(":memory:")
    report = load_pull(con, source(table, "TEST_DSN", watermark="haendelse_id"), "momentum_db", PSEUDO)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (10, 8, 2)
    q = con.execute("select row_number, field, reason, file from raw.quarantine order by row_number").fetchall()
    assert [(r[0], r[1]) for r in q] == [(3, "tidspunkt"), (7, "aktivitet")]
    assert q[0][3].startswith(f"sources.momentum_db: {server.dsn.split('://')[0]}://") and table in q[0][3]


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_connection_dropped_mid_read_keeps_nothing_and_the_next_run_completes_it(kind, events, monkeypatch, tmp_path):
    server = _server(kind)
    table = f"sagshaendelser_{uuid.uuid4().hex[:10]}"
    server.create(table)
    try:
        server.insert(table, rows_of(events, server.kind))
        proxy = CuttingProxy((server.host, server.port), cut_after=120_000, flag=tmp_path / "cut")
        try:
            # (MariaDB's driver moves to the server's local socket unless told not to: it would go round the proxy)
            cut_dsn = server.dsn.replace(f":{server.port}/", f":{proxy.port}/")
            monkeypatch.setenv("CUT_DSN", cut_dsn + ("?prefer_socket=false" if kind == "mysql" else ""))
            monkeypatch.setenv("TEST_DSN", server.dsn)
            con = connect(":memory:")
            with pytest.raises(
                LoadError,
                match=r"sources\.momentum_db: reading .* failed after [\d,]+ rows.*"
                r"nothing kept",
            ):
                load_pull(con, source(table, "CUT_DSN", watermark="opdateret"), "momentum_db", PSEUDO)
            assert proxy.cut
        finally:
            proxy.close()
        assert con.execute("select count(*) from staging.events").fetchall() == [(0,)]
        assert con.execute("select count(*) from meta.batches where status = 'done'").fetchall() == [(0,)]
        assert stored_watermark(con, "momentum_db") is None
        report = load_pull(con, source(table, "TEST_DSN", watermark="opdateret"), "momentum_db", PSEUDO)
        assert report.rows_new == events.height
        assert stored(con) == expected(events)
    finally:
        server.drop(table)


def test_a_database_that_cannot_be_reached_or_a_missing_dsn_says_so(monkeypatch):
    con = connect(":memory:")
    src = source("t", "NO_SUCH_DSN_VARIABLE")
    monkeypatch.delenv("NO_SUCH_DSN_VARIABLE", raising=False)
    with pytest.raises(
        LoadError, match="sources.x.database.dsn_env: environment variable NO_SUCH_DSN_VARIABLE is not set"
    ):
        load_pull(con, src, "x", PSEUDO)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    monkeypatch.setenv("NO_SUCH_DSN_VARIABLE", f"postgresql://sager:hemmeligt@127.0.0.1:{port}/sager")
    with pytest.raises(LoadError) as e:
        load_pull(con, src, "x", PSEUDO)
    assert (
        f"sources.x: cannot connect to postgresql://sager:***@127.0.0.1:{port}/sager: Connection refused "
        f"(127.0.0.1:{port})" in str(e.value)
    )
    assert "hemmeligt" not in str(e.value)
    from warehouse.pull import check

    with pytest.raises(LoadError, match=rf"sources.x: cannot connect to postgresql://sager:\*\*\*@127.0.0.1:{port}"):
        check(src, "x")
    monkeypatch.setenv("NO_SUCH_DSN_VARIABLE", "oracle://a@b/c")
    with pytest.raises(LoadError, match=r"the DSN's scheme oracle:// is not a database vaerdistrom reads"):
        load_pull(con, src, "x", PSEUDO)


def test_a_sql_source_runs_in_the_night_and_the_next_night_brings_only_the_new_rows(tmp_path, events, monkeypatch):
    """The nightly steps (without Prefect) with a database source: extract checks it, load pulls it."""
    from flows.pipeline import run_night
    from warehouse.config import load_config

    server = _server("postgresql")
    table = f"sagshaendelser_{uuid.uuid4().hex[:10]}"
    server.create(table)
    try:
        server.insert(table, rows_of(events.head(2000), server.kind))
        monkeypatch.setenv("MOMENTUM_DSN", server.dsn)
        monkeypatch.setenv("VAERDISTROM_PSEUDONYM_KEY", "cd" * 32)
        (tmp_path / "vaerdistrom.toml").write_text(
            f"""
[municipality]
name = "Testkommune"

[sources.momentum]
kind = "sql"
process = "sygedagpenge"
channel = "case_system"
personal = ["cpr"]

[sources.momentum.database]
dsn_env = "MOMENTUM_DSN"
table = "{table}"
watermark = "opdateret"
lookback_seconds = 600

[sources.momentum.mapping]
case_id = "forloebsid"
activity = "aktivitet"
ts = "tidspunkt"
lifecycle = "livscyklus"
resource = "sagsbehandler"
org_unit = "enhed"
citizen_key = "cpr"
source_key = "haendelse_id"
""",
            encoding="utf-8",
        )
        cfg, root = load_config(tmp_path / "vaerdistrom.toml")
        night1 = run_night(cfg, root, dt.datetime(2026, 1, 10, 1, tzinfo=dt.UTC))
        assert night1.status == "completed", night1.message
        assert night1.sources[0].rows["rows_new"] == 2000
        server.insert(table, rows_of(events.slice(2000), server.kind))
        night2 = run_night(cfg, root, dt.datetime(2026, 1, 11, 1, tzinfo=dt.UTC))
        assert night2.status == "completed", night2.message
        assert night2.sources[0].rows["rows_new"] == events.height - 2000
        assert "| momentum | 1 |" in night2.summary_md
        con = connect(root / cfg.warehouse)
        assert con.execute("select count(*) from staging.events").fetchall() == [(events.height,)]
        assert con.execute("select count(*) from staging.cases").fetchall() == [(events["forloebsid"].n_unique(),)]
        con.close()
        monkeypatch.setenv("MOMENTUM_DSN", "postgresql://postgres@127.0.0.1:1/test")
        night3 = run_night(cfg, root, dt.datetime(2026, 1, 12, 1, tzinfo=dt.UTC))
        assert (
            night3.status == "failed"
            and "cannot connect to postgresql://postgres@127.0.0.1:1/test" in night3.sources[0].error
        )
    finally:
        server.drop(table)


def test_a_first_pull_from_a_given_start_reads_from_it(server, table, events, monkeypatch):
    monkeypatch.setenv("TEST_DSN", server.dsn)
    server.insert(table, rows_of(events, server.kind))
    con = connect(":memory:")
    report = load_pull(
        con, source(table, "TEST_DSN", watermark="haendelse_id", start="2000", lookback_ids=50), "momentum_db", PSEUDO
    )
    assert report.rows_new == events.filter(pl.col("haendelse_id") >= 2000).height == events.height - 1999
    assert stored(con) == expected(events.filter(pl.col("haendelse_id") >= 2000))
