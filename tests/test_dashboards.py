"""The dashboard: Danish and English formats, filtered figures equal to the CLI's filtered marts, every page in both
languages through Streamlit's AppTest with the numbers on screen equal to the marts, the filters in the URL, and
the real server answering."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from support.served import free_port, wait_healthy

from dashboards import data
from dashboards.format import date, days, kroner, number, percent
from mining import engine
from mining.engine import query
from mining.filters import Filters

APP = str(Path(__file__).resolve().parents[1] / "dashboards" / "app.py")
PAGES = [
    "overblik",
    "procesflow",
    "flaskehalse",
    "omarbejde",
    "henvendelser",
    "borgerrejse",
    "afvigelser",
    "sammenlign",
    "sager",
]


def test_numbers_dates_and_shares_in_danish_and_english():
    assert (number(1234.5, "da"), number(1234.5, "en")) == ("1.234,5", "1,234.5")
    assert (number(1234567, "da", 0), number(1234567, "en", 0)) == ("1.234.567", "1,234,567")
    assert (percent(0.256, "da"), percent(0.256, "en")) == ("25,6\xa0%", "25.6%")
    assert (kroner(12345.4, "da"), kroner(12345.4, "en")) == ("12.345 kr.", "DKK 12,345")
    assert days(2.5, "da") == "2,5 dage" and days(2.5, "en") == "2.5 days"
    assert (date(dt.date(2026, 11, 23), "da"), date(dt.date(2026, 11, 23), "en")) == ("23. nov. 2026", "23 Nov 2026")
    assert number(None, "da") == percent(float("nan"), "en") == kroner(None, "da") == "–"


def test_aggregates_over_fewer_than_five_cases_are_left_out():
    frame = pd.DataFrame({"x": ["a", "b", "c", "d"], "n_cases": [4, 5, None, 100]})
    kept, hidden = data.suppress(frame)
    assert kept["x"].tolist() == ["b", "d"] and hidden == 2


@pytest.fixture()
def municipality(dashboard_municipality) -> Path:
    return dashboard_municipality


@pytest.fixture()
def snapshot(municipality) -> Path:
    return municipality / "published" / "vaerdistrom.duckdb"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["value_stream_summary", "bottlenecks", "rework", "dfg", "variants", "handovers", "value_stream"]
)
def test_a_filtered_mart_equals_the_clis_filtered_query_on_the_warehouse(municipality, snapshot, name):
    """The dashboard computes a filtered aggregate from the snapshot's case rows; the CLI (`vaerdistrom query`)
    from the live warehouse's events: the same rows."""
    live = duckdb.connect(str(municipality / "vaerdistrom.duckdb"), read_only=True)
    con = data.connect(snapshot)
    try:
        process = "visitation"
        unit = con.execute(
            "select org_unit from marts.event_sequence where process = ? and org_unit is not null "
            "group by 1 order by count(*) desc limit 1",
            [process],
        ).fetchall()[0][0]
        views = [
            data.View(process=process, period_from=dt.date(2025, 3, 1), period_to=dt.date(2025, 6, 30)),
            data.View(org_unit=unit),
            data.View(process=process, period_from=dt.date(2025, 5, 1)),
        ]
        for view in views:
            ours = data.mart(con, name, view)
            theirs = query(live, name, view.filters("Europe/Copenhagen")).to_pandas()
            if view.process is not None and "process" in theirs:
                theirs = theirs[theirs["process"] == view.process]
            assert len(ours) == len(theirs) > 0, (name, view)
            key = [
                c for c in ours.columns if ours[c].dtype == object and c not in ("activities", "org_units", "resources")
            ]
            ours = ours.sort_values(key).reset_index(drop=True)
            theirs = theirs[ours.columns].sort_values(key).reset_index(drop=True)
            pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9)
    finally:
        con.close()
        live.close()


def _app(published: Path, monkeypatch, **params):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(data.PUBLISHED_ENV, str(published))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_a_snapshot_the_app_says_how_to_make_one(tmp_path, monkeypatch):
    at = _app(tmp_path / "nothing", monkeypatch)
    assert "vaerdistrom run" in at.info[0].value and at.info[0].value.startswith("Der er ikke publiceret data")
    at = _app(tmp_path / "nothing", monkeypatch, lang="en")
    assert at.info[0].value.startswith("No data has been published yet")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("side", PAGES)
def test_every_page_renders_in_both_languages(municipality, monkeypatch, side, lang):
    at = _app(municipality / "published", monkeypatch, side=side, lang=lang)
    titles = {
        "da": [
            "Overblik",
            "Procesflow",
            "Flaskehalse",
            "Omarbejde",
            "Henvendelser",
            "Borgerrejse",
            "Afvigelser",
            "Sammenlign",
            "Sager",
        ],
        "en": [
            "Overview",
            "Process flow",
            "Bottlenecks",
            "Rework",
            "Contacts",
            "Citizen journey",
            "Deviations",
            "Compare",
            "Cases",
        ],
    }
    assert at.title[0].value == titles[lang][PAGES.index(side)]
    # the language stays in the URL; the page is the address's path (`/flaskehalse`, as the browser tests check): an
    # older link's `side` opens its page once and leaves the URL, and the page stays on the next run
    assert at.query_params["lang"] == lang and "side" not in at.query_params
    assert at.run().title[0].value == titles[lang][PAGES.index(side)]


@pytest.mark.slow
def test_the_overview_shows_the_marts_numbers_formatted_for_the_language(municipality, snapshot, monkeypatch):
    con = data.connect(snapshot)
    try:
        summary = con.execute(
            "select process, n_cases, median_lead_time_days, mean_cost_dkk from "
            "marts.value_stream_summary order by process"
        ).df()
        kpis = con.execute(
            "select process, share_within_deadline from meta.kpi_history where night = "
            "(select max(night) from meta.kpi_history) order by process"
        ).df()
    finally:
        con.close()
    for lang in ("da", "en"):
        at = _app(municipality / "published", monkeypatch, side="overblik", lang=lang)
        citizen, finance = at.dataframe[0].value, at.dataframe[1].value
        assert citizen.iloc[:, 0].tolist() == summary["process"].tolist()
        assert citizen.iloc[:, 1].tolist() == [number(n, lang, 0) for n in summary["n_cases"]]
        assert citizen.iloc[:, 2].tolist() == [number(x, lang, 1) for x in summary["median_lead_time_days"]]
        # the deadline share equals the KPI history's (the same definition, computed apart)
        assert citizen.iloc[:, 5].tolist() == [percent(x, lang) for x in kpis["share_within_deadline"]]
        assert finance.iloc[:, 1].tolist() == [kroner(x, lang) for x in summary["mean_cost_dkk"]]


@pytest.mark.slow
def test_filters_come_from_the_url_and_give_the_filtered_marts(municipality, snapshot, monkeypatch):
    at = _app(
        municipality / "published",
        monkeypatch,
        side="flaskehalse",
        lang="en",
        process="visitation",
        **{"from": "2025-03-01", "to": "2025-06-30"},
    )
    live = duckdb.connect(str(municipality / "vaerdistrom.duckdb"), read_only=True)
    try:
        expected = query(
            live,
            "bottlenecks",
            Filters(process="visitation", period_from=dt.date(2025, 3, 1), period_to=dt.date(2025, 6, 30)),
        ).to_pandas()
    finally:
        live.close()
    expected = expected[~expected["is_planned"] & (expected["n_cases"] >= data.K)].sort_values(
        "total_wait_days", ascending=False
    )
    shown = at.dataframe[0].value
    assert shown["Wait"].tolist() == (expected["source_activity"] + " → " + expected["target_activity"]).tolist()
    assert shown["Total waiting (days)"].tolist() == [number(x, "en") for x in expected["total_wait_days"]]
    assert at.sidebar.selectbox[0].value == "visitation" and at.query_params["process"] == "visitation"
    # a filter that keeps no case says so
    at = _app(municipality / "published", monkeypatch, side="overblik", variant="no-such-variant")
    assert at.warning[0].value.startswith("Filtrene udvælger ingen sager")


@pytest.mark.slow
def test_variants_are_chosen_by_their_steps_most_common_first(municipality, snapshot, monkeypatch):
    ranked = _frame(
        snapshot,
        "select variant_id, n_cases, activities from marts.variants "
        "where process = 'visitation' order by n_cases desc, variant_id",
    )
    at = _app(municipality / "published", monkeypatch, side="overblik", lang="en", process="visitation")
    picker = _sidebar_choice(at, "Variant")
    assert picker.options[0] == "All variants" and len(picker.options) == 1 + min(200, len(ranked))
    top = ranked.iloc[0]
    steps = list(top.activities)
    assert picker.options[1] == (
        f"{number(top.n_cases, 'en', 0)} cases · {len(steps)} steps: "
        + " → ".join(steps[:2] + ["…"] + steps[-2:] if len(steps) > 4 else steps)
    )
    picker.select(top.variant_id).run()
    assert at.query_params["variant"] == top.variant_id
    assert at.metric[0].value == number(top.n_cases, "en", 0)  # the cards count that variant's cases
    # another process: the variant of the one before is let go
    _sidebar_choice(at, "Process").select("byggesag").run()
    assert _sidebar_choice(at, "Variant").value == "" and "variant" not in at.query_params
    # the first characters of an id in the address keep the cases of the variants they start
    at = _app(
        municipality / "published",
        monkeypatch,
        side="overblik",
        lang="en",
        process="visitation",
        variant=top.variant_id[:6],
    )
    prefixed = ranked[ranked.variant_id.str.startswith(top.variant_id[:6])]
    assert at.metric[0].value == number(prefixed.n_cases.sum(), "en", 0)


@pytest.mark.slow
def test_a_date_in_the_address_that_is_not_one_is_named_and_not_used(municipality, snapshot, monkeypatch):
    at = _app(
        municipality / "published",
        monkeypatch,
        side="overblik",
        lang="en",
        process="visitation",
        **{"from": "2025-13-45", "to": "2025-06-30"},
    )
    assert [w.value for w in at.sidebar.warning] == [
        "The address's from (2025-13-45) is not a date like 2025-03-31: it is not used."
    ]
    assert at.sidebar.date_input[0].value is None and at.sidebar.date_input[1].value == dt.date(2025, 6, 30)
    con = data.connect(snapshot)
    try:  # the figures are those of the period's end alone
        cases = data.mart(con, "value_stream_summary", data.View(process="visitation", period_to=dt.date(2025, 6, 30)))[
            "n_cases"
        ].iloc[0]
    finally:
        con.close()
    assert at.metric[0].value == number(cases, "en", 0)


@pytest.mark.slow
def test_a_snapshot_without_a_pages_mart_says_so(municipality, tmp_path, monkeypatch):
    import shutil

    published = tmp_path / "published"
    published.mkdir()
    shutil.copy(municipality / "published" / "vaerdistrom.duckdb", published / "vaerdistrom.duckdb")
    con = duckdb.connect(str(published / "vaerdistrom.duckdb"))
    con.execute("drop table marts.rework")
    con.close()
    at = _app(published, monkeypatch, side="omarbejde", lang="en")
    assert at.warning[0].value == (
        "The published file lacks marts.rework, which this page shows: an older version "
        "wrote it. Run `vaerdistrom run` again."
    )
    _app(published, monkeypatch, side="overblik", lang="en")  # a page that does not read it still works


@pytest.mark.slow
def test_the_dashboard_command_serves_the_app(municipality):
    port = free_port()
    exe = Path(sys.executable).with_name("vaerdistrom")
    proc = subprocess.Popen(
        [str(exe), "dashboard", "--config", str(municipality / "vaerdistrom.toml"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert b"<script" in r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # stopping the command stops the server (no server left behind on the port)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)


@pytest.mark.slow
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "en"])
def test_charts_speak_the_language_draw_no_hover_selections_and_show_the_marts(
    municipality, snapshot, monkeypatch, lang
):
    """Flaskehalse's three charts are plain Altair: the language's numbers and month names, no selection
    parameters (Streamlit's own charts add them, and the browser spends 0.15-0.35 s a chart on them), and the
    distribution's bars are the waits of the wait ranked first."""
    import pyarrow as pa

    at = _app(municipality / "published", monkeypatch, side="flaskehalse", lang=lang)
    charts = at.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    assert len(specs) == 3
    for spec in specs:
        assert spec["config"]["locale"]["number"]["decimal"] == ("," if lang == "da" else ".")
        assert spec["config"]["locale"]["time"]["months"][2] == ("marts" if lang == "da" else "March")
        assert "params" not in spec and all("params" not in layer for layer in spec.get("layer", []))
    bars = next(i for i, spec in enumerate(specs) if spec["encoding"]["x"]["field"] == "days")
    assert specs[bars]["encoding"]["x"]["title"] == ("dage" if lang == "da" else "days")
    shown = pa.ipc.open_stream(charts[bars].proto.datasets[0].data.data).read_all().to_pandas()
    waits = _frame(
        snapshot,
        "select * from marts.bottlenecks where not is_planned and n_cases >= 5 order by total_wait_days desc limit 1",
    ).iloc[0]
    every = _frame(
        snapshot,
        "select wait_seconds from marts.bottleneck_waits where process = '{}' and "
        "source_activity = '{}' and target_activity = '{}'".format(
            waits.process, waits.source_activity.replace("'", "''"), waits.target_activity.replace("'", "''")
        ),
    )
    days = np.floor(every["wait_seconds"] / 86400 + 0.5).clip(lower=0).astype(int).value_counts()  # SQL's round
    expected = days[days >= 5].sort_index()
    assert shown["days"].tolist() == expected.index.tolist()
    assert shown["n_waits"].tolist() == expected.tolist()


def test_case_lists_counts_and_wait_days_are_read_in_sql(snapshot):
    con = data.connect(snapshot)
    try:
        view = data.View(process="visitation", period_from=dt.date(2025, 3, 1), period_to=dt.date(2025, 6, 30))
        kept = data.mart(con, "value_stream_cases", view)
        assert data.kept_count(con, view) == len(kept) > 0
        listed = data.case_list(con, view, 20)
        top = kept.sort_values(["lead_time_days", "case_id"], ascending=[False, True]).head(20)
        assert listed["case_id"].tolist() == top["case_id"].tolist()
        variants = data.mart(con, "case_variants", view).set_index("case_id")
        deadlines = data.mart(con, "deadlines", view).set_index("case_id")
        assert listed["variant_id"].tolist() == variants.loc[listed["case_id"], "variant_id"].tolist()
        assert listed["n_events"].tolist() == variants.loc[listed["case_id"], "n_events"].tolist()
        assert listed["status"].tolist() == deadlines.loc[listed["case_id"], "status"].tolist()
        assert len(data.case_list(con, view, None)) == len(kept)
        waits = data.mart(con, "bottleneck_waits", view)
        first = waits.iloc[0]
        days = data.wait_days(con, view, first.process, first.source_activity, first.target_activity)
        same = waits[
            (waits.source_activity == first.source_activity) & (waits.target_activity == first.target_activity)
        ]
        assert days["n_waits"].sum() == len(same)
        assert (days["days"] * days["n_waits"]).sum() == pytest.approx(
            (same.wait_seconds / 86400).clip(lower=0).sum(), abs=0.5 * len(same)
        )
    finally:
        con.close()


def _sidebar_choice(at, label: str):
    """The sidebar's select box labelled `label`."""
    return next(box for box in at.sidebar.selectbox if box.label == label)


def _frame(snapshot: Path, text: str) -> pd.DataFrame:
    """The rows of one query of the snapshot."""
    con = data.connect(snapshot)
    try:
        return con.execute(text).df()
    finally:
        con.close()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` in the order of its columns' values (ties a mart leaves in any order), list columns left out."""
    plain = [
        c for c in frame.columns if not frame[c].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any()
    ]
    return frame.sort_values(plain).reset_index(drop=True)


@pytest.mark.slow
def test_every_aggregate_mart_is_computed_again_from_the_snapshot_alone_and_a_reader_reuses_what_it_made(snapshot):
    """Under a filter, every mart the night aggregates is computed from the snapshot's case rows (the snapshot has
    no staging tables); a Reader, which keeps each view's tables for the next mart, gives the rows of a fresh
    computation, also for a view it dropped and made again."""
    from mining.catalogue import CATALOGUE

    con = data.connect(snapshot)
    reader = data.Reader(snapshot, keep=1)
    try:
        assert not con.execute("select 1 from information_schema.schemata where schema_name = 'staging'").fetchall()
        a = data.View(process="visitation", period_from=dt.date(2025, 3, 1), period_to=dt.date(2025, 6, 30))
        b = data.View(period_from=dt.date(2025, 5, 1))
        aggregates = CATALOGUE.of_rows("aggregate")
        for view in (a, b, a):
            for name in aggregates:
                fresh, shared = data.mart(con, name, view), reader.mart(name, view)
                assert len(fresh) > 0 or name in ("rule_summary",), (name, view)
                pd.testing.assert_frame_equal(_sorted(shared), _sorted(fresh), check_dtype=False)
            assert len(reader._views) == 1  # the view before was dropped, its tables with it
        # a mart of waits computed for one transition alone gives that transition's rows of the whole mart; the
        # transition's waits are taken once per view for all its marts
        for view in (a, b, data.View(process="visitation")):
            top = data.mart(con, "bottleneck_months", view).sort_values("n_waits", ascending=False).iloc[0]
            for name in [m for m, x in CATALOGUE.marts.items() if x.by_transition]:
                whole = data.mart(con, name, view)
                one = reader.mart_of_transition(view, name, top.process, top.source_activity, top.target_activity)
                expected = whole[
                    (whole.process == top.process)
                    & (whole.source_activity == top.source_activity)
                    & (whole.target_activity == top.target_activity)
                ]
                assert len(one) > 1 and len(one) < len(whole), name
                pd.testing.assert_frame_equal(_sorted(one), _sorted(expected), check_dtype=False)
            taken = (
                [t for t in reader._views[view].relations if t.startswith("_transition_")] if view.selects_cases else []
            )
            assert len(taken) == (1 if view.selects_cases else 0)
        # one process's wait days asked first under a view of every process: the view's kept cases stay every
        # process's (the next mart of the view reads them)
        first = data.mart(con, "bottlenecks", b).iloc[0]
        fresh = data.Reader(snapshot)
        try:
            days = fresh.wait_days(b, first.process, first.source_activity, first.target_activity)
            waits = data.mart(con, "bottleneck_waits", b)
            assert (
                days["n_waits"].sum()
                == (
                    (waits.process == first.process)
                    & (waits.source_activity == first.source_activity)
                    & (waits.target_activity == first.target_activity)
                ).sum()
                > 0
            )
            summary = fresh.mart("value_stream_summary", b)
            assert len(summary) > 1
            pd.testing.assert_frame_equal(_sorted(summary), _sorted(data.mart(con, "value_stream_summary", b)))
        finally:
            fresh.close()
        kept = data.kept_count(con, a)
        assert reader.kept_count(a) == kept
        assert data.mart(con, "value_stream_summary", a)["n_cases"].tolist() == [kept]
        # a citizen's journey is kept whole (across processes) when one of the citizen's cases is kept
        citizens = set(data.mart(con, "case_variants", a)["citizen_key"].dropna())
        every = con.execute("select * from marts.citizen_journeys").df()
        journeys = reader.mart("citizen_journeys", a)
        assert 0 < len(journeys) == len(citizens) < len(every)
        assert set(journeys["citizen_key"]) == citizens
        assert journeys["n_processes"].max() > 1  # the other processes of those citizens stay in their journeys
        pd.testing.assert_frame_equal(_sorted(journeys), _sorted(every[every["citizen_key"].isin(citizens)]))
        assert data.mart(con, "contact_summary", a)["n_cases"].tolist() == [kept]
        made = {t for (t,) in reader.con.execute("select table_name from duckdb_tables() where temporary").fetchall()}
        assert made and all(t.startswith(reader._views[a].prefix) for t in made)
    finally:
        reader.close()
        con.close()


@pytest.mark.slow
def test_a_period_keeps_the_same_rows_by_the_case_period_on_each_row_as_by_the_kept_cases(snapshot):
    """A view that selects cases by period alone keeps a big mart's rows by the case period each row carries; the
    rows are those of a semi join with the filter's kept cases (`Filters.cases_sql`), at the period's edges too."""
    con = data.connect(snapshot)
    try:
        zone = data.timezone(con)
        carried = [
            n
            for (n,) in con.execute(
                "select table_name from duckdb_columns() where schema_name = 'marts' and column_name = $c "
                "intersect select table_name from duckdb_columns() where schema_name = 'marts' and column_name = $d "
                "order by 1",
                {"c": "case_started_at", "d": "case_ended_at"},
            ).fetchall()
        ]
        assert carried == [
            "activity_instances",
            "bottleneck_waits",
            "event_sequence",
            "instance_case_variants",
            "value_stream_cases",
        ]
        # a day on which cases end and others start: its edges cut through the cases
        day = con.execute(
            "select timezone($z, ended_at)::date from marts.case_variants where process = 'visitation' "
            "order by ended_at limit 1 offset 40",
            {"z": zone},
        ).fetchall()[0][0]
        views = [
            data.View(period_from=day),
            data.View(period_to=day),
            data.View(process="visitation", period_from=day, period_to=day + dt.timedelta(days=30)),
            data.View(process="byggesag", period_to=day),
        ]
        for view in views:
            assert engine.by_period(con, view.filters(zone), "event_sequence") is not None
            kept, params = view.filters(zone).cases_sql()
            assert data.kept_count(con, view) == con.execute(f"select count(*) from ({kept})", params).fetchall()[0][0]
            for name in carried + ["case_variants"]:
                shown = data.mart(con, name, view)
                where = " where x.process = $process" if view.process else ""
                expected = con.execute(
                    f"select x.* from marts.{name} as x semi join ({kept}) as k on k.process = "
                    f"x.process and k.case_id = x.case_id{where}",
                    params,
                ).df()
                assert 0 < len(shown) < con.execute(f"select count(*) from marts.{name}").fetchall()[0][0], name
                pd.testing.assert_frame_equal(_sorted(shown), _sorted(expected), check_dtype=False)
        # the bounds by hand, in local days: a case is kept when it ends on or after the first day and starts on or
        # before the last (pandas on the whole mart, not the SQL the filter shares with the kept cases)
        every = con.execute("select process, started_at, ended_at from marts.case_variants").df()
        started = every["started_at"].dt.tz_convert(zone).dt.date
        ended = every["ended_at"].dt.tz_convert(zone).dt.date
        for view in views:
            expected = (
                ((ended >= view.period_from) if view.period_from else True)
                & ((started <= view.period_to) if view.period_to else True)
                & ((every["process"] == view.process) if view.process else True)
            )
            assert data.kept_count(con, view) == int(expected.sum()) > 0, view
        # a case that ended on the first day kept is kept, and none that ended before it
        edge = data.View(period_from=day)
        ends = data.mart(con, "case_variants", edge)["ended_at"]
        assert ends.min().tz_convert(zone).date() == day
        # an org unit or a variant still keeps rows by the kept cases
        assert engine.by_period(con, data.View(period_from=day, org_unit="x").filters(zone), "event_sequence") is None
        assert engine.by_period(con, data.View(period_from=day).filters(zone), "deadlines") is None
        assert "_kept" not in (made := data.Made("_t")).relations
        data.mart(con, "dfg", edge, made)  # from the case rows of a period alone: no table of kept cases is made
        assert "_kept" not in made.relations and made.relations["event_sequence"] == "_t_event_sequence"
    finally:
        con.close()


@pytest.mark.slow
def test_the_journey_page_counts_citizens_of_the_process_in_sql(municipality, snapshot, monkeypatch):
    journeys = _frame(snapshot, "select * from marts.citizen_journeys")
    of = journeys[journeys["processes"].map(lambda p: "visitation" in list(p))]
    at = _app(municipality / "published", monkeypatch, side="borgerrejse", lang="en", process="visitation")
    shown = {m.label: m.value for m in at.metric}
    assert 0 < len(of) < len(journeys)
    assert shown["Citizens"] == number(len(of), "en", 0)
    assert shown["Citizens in several processes"] == percent((of["n_processes"] > 1).mean(), "en")
    assert shown["Contacts per citizen"] == number(of["n_contacts"].mean(), "en", 2)
    busiest = (
        of.sort_values(
            ["n_processes", "n_handovers", "n_contacts", "citizen_key"], ascending=[False, False, False, True]
        )["citizen_key"]
        .head(200)
        .tolist()
    )
    assert at.selectbox(key="citizen").options == busiest
