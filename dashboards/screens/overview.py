"""Overblik: KPIs per process from both sides (citizen days and kroner), the trend night by night, and where to act
first (the biggest bottleneck, rework and contacts)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data
from dashboards.cache import Context
from dashboards.format import cell, days, kroner, number
from dashboards.widgets import download, suppressed, table

CARDS = [
    ("n_cases", "int"),
    ("median_lead_time_days", "days"),
    ("share_within_deadline", "pct"),
    ("contacts_per_case", "num2"),
    ("mean_cost_dkk", "kr"),
]


def render(ctx: Context) -> None:
    summary = suppressed(ctx, ctx.mart("value_stream_summary"))
    if summary.empty:
        return
    kpis = _kpis(ctx, summary)
    if ctx.view.process and len(kpis):
        _cards(ctx, kpis.iloc[0])
    st.subheader(ctx.t("citizen_side"))
    table(
        ctx,
        kpis,
        [
            ("process", "process", "text"),
            ("n_cases", "n_cases", "int"),
            ("median_lead_time_days", "median_lead_time_days", "days"),
            ("p90_lead_time_days", "p90_lead_time_days", "days"),
            ("mean_waiting_days", "mean_waiting_days", "days"),
            ("share_within_deadline", "share_within_deadline", "pct"),
            ("contacts_per_case", "contacts_per_case", "num2"),
            ("share_failure_demand", "share_failure_demand", "pct"),
        ],
        "kpis-citizen",
    )
    st.subheader(ctx.t("finance_side"))
    table(
        ctx,
        kpis,
        [
            ("process", "process", "text"),
            ("mean_cost_dkk", "mean_cost_dkk", "kr"),
            ("total_cost_dkk", "total_cost_dkk", "kr"),
            ("rework_cost_dkk", "rework_cost_dkk", "kr"),
            ("contact_cost_dkk", "contact_cost_dkk", "kr"),
            ("process_cycle_efficiency", "process_cycle_efficiency", "pct"),
            ("first_time_right", "first_time_right", "pct"),
        ],
        "kpis-finance",
    )
    _trend(ctx)
    _highlights(ctx)


def _kpis(ctx: Context, summary: pd.DataFrame) -> pd.DataFrame:
    """The value stream summary per process with its share within the deadline, contacts and their cost."""
    deadlines = ctx.mart("deadline_summary")
    within = (
        deadlines.groupby("process")[["n_met", "n_missed", "n_overdue"]]
        .sum()
        .assign(share_within_deadline=lambda d: d.n_met / (d.n_met + d.n_missed + d.n_overdue).where(lambda x: x > 0))[
            "share_within_deadline"
        ]
        if not deadlines.empty
        else pd.Series(dtype=float, name="share_within_deadline")
    )
    contacts = ctx.mart("contact_summary")[["process", "contacts_per_case", "share_failure_demand", "contact_hours"]]
    rules = ctx.sql("select process, hourly_rate_dkk from marts.process_rules")
    kpis = (
        summary.merge(
            within.reset_index() if len(within) else pd.DataFrame(columns=["process", "share_within_deadline"]),
            on="process",
            how="left",
        )
        .merge(contacts, on="process", how="left")
        .merge(rules, on="process", how="left")
    )
    kpis["contact_cost_dkk"] = kpis["contact_hours"] * kpis["hourly_rate_dkk"]
    return kpis


def _trend(ctx: Context) -> None:
    """The KPI history night by night: median lead time and the share within the deadline."""
    history = ctx.sql(
        "select night, process, median_lead_time_days, share_within_deadline, contacts_per_case "
        "from meta.kpi_history where $1 is null or process = $1 order by night, process",
        ctx.view.process,
    )
    if len(history):
        st.subheader(ctx.t("trend"))
        left, right = st.columns(2)
        for column, where in (("median_lead_time_days", left), ("share_within_deadline", right)):
            with where:
                st.caption(ctx.t(column))
                charts.line(
                    history, "night", column, ctx.t(column), ctx.lang, color="process", share=column.startswith("share")
                )
        download(ctx, history, "kpi-history")


def _highlights(ctx: Context) -> None:
    """Where to act: the biggest unplanned wait, the activity with the most rework cost, the wait with the most
    contacts."""
    st.subheader(ctx.t("highlights"))
    waits = ctx.mart("bottlenecks")
    waits = suppressed(ctx, waits[~waits["is_planned"]])
    rework = ctx.mart("value_stream")
    calls = ctx.mart("contact_waits")
    cols = st.columns(3)
    if len(waits):
        worst = waits.sort_values("total_wait_days", ascending=False).iloc[0]
        cols[0].metric(
            ctx.t("biggest_bottleneck"),
            days(worst.total_wait_days, ctx.lang, 0),
            help=f"{worst.process}: {worst.source_activity} → {worst.target_activity}",
        )
        cols[0].caption(f"{worst.process}: {worst.source_activity} → {worst.target_activity}")
    rework = rework[rework["n_cases"] >= data.K]
    if len(rework) and rework["rework_cost_dkk"].fillna(0).max() > 0:
        most = rework.sort_values("rework_cost_dkk", ascending=False).iloc[0]
        cols[1].metric(ctx.t("most_rework"), kroner(most.rework_cost_dkk, ctx.lang))
        cols[1].caption(f"{most.process}: {most.activity} ({number(most.rework_hours, ctx.lang, 0)} {ctx.t('hours')})")
    calls = calls[calls["n_transitions"] >= data.K]
    if len(calls) and calls["n_inbound"].max() > 0:
        top = calls.sort_values("n_inbound", ascending=False).iloc[0]
        cols[2].metric(ctx.t("most_contacts"), number(top.n_inbound, ctx.lang, 0))
        cols[2].caption(f"{top.process}: {top.source_activity} → {top.target_activity}")


def _cards(ctx: Context, row: pd.Series) -> None:
    """One process's headline figures, against the night before (from the KPI history) when no filter narrows
    the cases."""
    before = ctx.sql("select * from meta.kpi_history where process = $1 order by night desc limit 2", row["process"])
    previous = before.iloc[1] if len(before) == 2 and not ctx.view.selects_cases else None
    for column, (name, kind) in zip(st.columns(len(CARDS)), CARDS, strict=True):
        delta = None
        if previous is not None and name in previous and not pd.isna(previous[name]) and not pd.isna(row[name]):
            change = row[name] - previous[name]
            delta = cell(change, kind, ctx.lang) if change else None
        column.metric(ctx.t(name), cell(row[name], kind, ctx.lang), delta, delta_color="off")
