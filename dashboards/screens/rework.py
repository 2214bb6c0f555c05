"""Omarbejde: loops, where work is done again, repeat (same person) against redo (another), and what it costs."""

from __future__ import annotations

import streamlit as st

from dashboards import charts
from dashboards.cache import Context
from dashboards.format import kroner, number
from dashboards.widgets import suppressed, table


def render(ctx: Context) -> None:
    loops = ctx.mart("rework")
    value = ctx.mart("value_stream")[["process", "activity", "rework_hours", "rework_cost_dkk", "first_time_right"]]
    both = suppressed(ctx, loops.merge(value, on=["process", "activity"], how="left"))
    both = suppressed(ctx, both[both["n_rework_events"] > 0], "n_cases_with_rework")  # the cases it is about
    both = both.sort_values(["rework_cost_dkk", "rework_hours"], ascending=False, na_position="last")
    total = both["rework_cost_dkk"].sum(min_count=1)  # no hourly rate configured: no kroner, not 0
    left, right = st.columns(2)
    left.metric(ctx.t("rework_cost_dkk"), kroner(total, ctx.lang))
    right.metric(ctx.t("rework_hours"), number(both["rework_hours"].sum(min_count=1), ctx.lang, 0))
    table(
        ctx,
        both,
        [
            ("process", "process", "text"),
            ("activity", "activity", "text"),
            ("n_cases_with_rework", "n_cases_with_rework", "int"),
            ("rework_rate", "rework_rate", "pct"),
            ("n_repeat", "n_repeat", "int"),
            ("n_redo", "n_redo", "int"),
            ("n_self_loop", "n_self_loop", "int"),
            ("n_loop_back", "n_loop_back", "int"),
            ("rework_hours", "rework_hours", "num"),
            ("rework_cost_dkk", "rework_cost_dkk", "kr"),
        ],
        "rework",
    )
    if len(both):
        charts.hbar(
            both.head(10).assign(name=lambda d: d.process + ": " + d.activity),
            "name",
            "n_rework_events",
            ctx.t("n_rework_events"),
            ctx.lang,
        )
