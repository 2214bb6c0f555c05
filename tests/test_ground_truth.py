"""Rework and contact rates recovered from the simulated municipality's exports, against its recorded truth."""

import duckdb
import polars as pl
import pytest
from support.exports import truth, truth_contacts

from mining.engine import query

pytestmark = pytest.mark.slow


def test_rework_per_activity_equals_the_truth(baseline, baseline_warehouse):
    """Every injected rework is found with its cases, repeats, redos and self-loops; nothing else is rework but
    the repeats a process plans (follow-up meetings)."""
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    mine = {(r["process"], r["activity"]): r for r in query(con, "rework").to_pylist()}
    for process, t in truth(baseline)["processes"].items():
        for activity, r in t["rework"].items():
            m = mine[(process, activity)]
            assert (m["n_cases_with_rework"], m["n_repeat"], m["n_redo"], m["n_self_loop"]) == (
                r["cases_with_rework"],
                r["repeats"],
                r["redos"],
                r["self_loops"],
            ), (process, activity)
        reworked = {a for (p, a), m in mine.items() if p == process and m["n_cases_with_rework"]}
        assert reworked - set(t["planned_repeats"]) == set(t["rework"]), process


def test_contact_rates_within_two_percent_of_the_truth(baseline, baseline_warehouse):
    """Per process, the inbound (failure demand) and outbound (overproduction) contacts attributed to its cases
    are within 2% of the contacts the simulator made about its cases and let the citizen be identified by."""
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    mine = {r["process"]: r for r in query(con, "contact_summary").to_pylist()}
    identifiable = truth_contacts(baseline).filter(pl.col("attributable") & pl.col("true_case_id").is_not_null())
    expected = {
        r["process"]: r
        for r in identifiable.group_by("process")
        .agg(
            (pl.col("direction") == "inbound").sum().alias("inbound"),
            (pl.col("direction") == "outbound").sum().alias("outbound"),
        )
        .to_dicts()
    }
    for process, e in expected.items():
        m = mine[process]
        assert m["n_inbound"] == pytest.approx(e["inbound"], rel=0.02), process
        assert m["n_outbound"] == pytest.approx(e["outbound"], rel=0.02), process
        assert m["contacts_per_case"] == pytest.approx((e["inbound"] + e["outbound"]) / m["n_cases"], rel=0.02)
