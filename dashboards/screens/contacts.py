"""Henvendelser: off-system contacts, how many per case, how many are failure demand, through which channels, and
which waits make citizens get in touch."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, data
from dashboards.cache import Context
from dashboards.widgets import suppressed, table


def render(ctx: Context) -> None:
    summary = suppressed(ctx, ctx.mart("contact_summary"))
    table(
        ctx,
        summary,
        [
            ("process", "process", "text"),
            ("n_cases", "n_cases", "int"),
            ("n_contacts", "n_contacts", "int"),
            ("contacts_per_case", "contacts_per_case", "num2"),
            ("share_failure_demand", "share_failure_demand", "pct"),
            ("n_phone", "n_phone", "int"),
            ("n_email", "n_email", "int"),
            ("n_digital_post", "n_digital_post", "int"),
            ("n_visit", "n_visit", "int"),
            ("contact_hours", "contact_hours", "num"),
        ],
        "contacts",
    )
    if len(summary):
        channels = summary.melt(
            id_vars="process",
            value_vars=["n_phone", "n_email", "n_digital_post", "n_visit"],
            var_name="channel",
            value_name="n",
        )
        channels["channel"] = channels["channel"].map(ctx.t)
        charts.bars(channels, "process", "n", ctx.t("process"), ctx.t("n_contacts"), ctx.lang, color="channel")
    st.subheader(ctx.t("calls_per_wait"))
    waits = ctx.mart("contact_waits")
    waits = waits[(waits["n_transitions"] >= data.K) & (waits["n_inbound"] > 0)]
    waits = waits.sort_values("inbound_per_waiting_week", ascending=False)
    waits = waits.assign(wait=waits["source_activity"] + " → " + waits["target_activity"])
    table(
        ctx,
        waits,
        [
            ("process", "process", "text"),
            ("wait", "wait", "text"),
            ("n_transitions", "n_waits", "int"),
            ("n_inbound", "n_inbound", "int"),
            ("waiting_weeks", "waiting_weeks", "num"),
            ("inbound_per_waiting_week", "inbound_per_waiting_week", "num2"),
        ],
        "contact-waits",
        limit=50,
    )
