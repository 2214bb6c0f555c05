"""Flaskehalse: waits ranked by the citizen days they cost; one wait's distribution, trend, org units and cases."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data
from dashboards.cache import Context
from dashboards.widgets import download, suppressed, table


def render(ctx: Context) -> None:
    waits = ctx.mart("bottlenecks")
    waits = suppressed(ctx, waits[~waits["is_planned"]]).sort_values("total_wait_days", ascending=False)
    if waits.empty:
        return
    waits = waits.assign(wait=waits["source_activity"] + " → " + waits["target_activity"])
    table(
        ctx,
        waits,
        [
            ("process", "process", "text"),
            ("wait", "wait", "text"),
            ("n_cases", "n_cases", "int"),
            ("total_wait_days", "total_wait_days", "days"),
            ("median_case_wait_days", "median_case_wait_days", "days"),
            ("p90_case_wait_days", "p90_case_wait_days", "days"),
            ("share_of_waiting", "share_of_waiting", "pct"),
        ],
        "bottlenecks",
    )
    top = waits.head(10).assign(name=lambda d: d.process + ": " + d.wait)
    charts.hbar(top, "name", "total_wait_days", ctx.t("total_wait_days"), ctx.lang)
    choice = st.selectbox(
        ctx.t("one_wait"),
        list(range(len(waits))),
        key="wait",
        format_func=lambda i: f"{waits.iloc[i].process}: {waits.iloc[i].wait}",
    )
    _one_wait(ctx, waits.iloc[choice])


def _one_wait(ctx: Context, chosen: pd.Series) -> None:
    """One wait (a row of `marts.bottlenecks`): how long its waits lasted, its median month by month, the org
    units that did the next step, and the cases that waited longest."""
    transition = (chosen.process, chosen.source_activity, chosen.target_activity)
    left, right = st.columns(2)
    with left:
        st.caption(ctx.t("distribution"))
        bins = ctx.wait_days(*transition)
        bins = bins[bins["n_waits"] >= data.K]
        charts.bars(bins, "days", "n_waits", ctx.t("days"), ctx.t("n_waits"), ctx.lang)
    with right:
        st.caption(ctx.t("trend_months"))
        months = ctx.mart_of_transition("bottleneck_months", *transition)
        months = months[months["n_waits"] >= data.K]
        charts.line(months, "month", "median_wait_days", ctx.t("median_case_wait_days"), ctx.lang)
        download(ctx, months, "bottleneck-months")
    st.subheader(ctx.t("per_org_unit"))
    owners = ctx.mart_of_transition("bottleneck_owners", *transition)
    owners = owners[(owners["level"] == "org_unit") & (owners["n_waits"] >= data.K)]
    table(
        ctx,
        owners.sort_values("total_wait_days", ascending=False),
        [
            ("owner", "org_unit", "text"),
            ("n_waits", "n_waits", "int"),
            ("total_wait_days", "total_wait_days", "days"),
            ("median_wait_days", "median_case_wait_days", "days"),
            ("p90_wait_days", "p90_case_wait_days", "days"),
        ],
        "bottleneck-owners",
    )
    st.subheader(ctx.t("cases_waiting"))
    cases = ctx.mart("bottleneck_cases")
    cases = cases[
        (cases["process"] == chosen.process)
        & (cases["source_activity"] == chosen.source_activity)
        & (cases["target_activity"] == chosen.target_activity)
    ].sort_values("wait_days", ascending=False)
    table(
        ctx,
        cases,
        [
            ("case_id", "case", "text"),
            ("wait_days", "days_waited", "days"),
            ("first_wait_started_at", "wait_started", "datetime"),
        ],
        "bottleneck-cases",
        limit=200,
    )
