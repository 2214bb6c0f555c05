"""Sager: the cases the filters keep, longest first, and one case's timeline with its contacts."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.cache import Context
from dashboards.format import number
from dashboards.widgets import table

LISTED = 500  # the longest cases shown; the CSV download has them all


def render(ctx: Context) -> None:
    total = ctx.n_kept()
    listed = ctx.case_list(LISTED)
    st.caption(ctx.t("n_cases_listed", n=number(total, ctx.lang, 0)))
    path, view = ctx.path, ctx.view

    def every_case() -> bytes:  # all the kept cases, read when the button is clicked, on a connection of its own
        with data.connect(path) as con:
            return data.csv_bytes(data.case_list(con, view, None))

    table(
        ctx,
        listed,
        [
            ("process", "process", "text"),
            ("case_id", "case", "text"),
            ("started_at", "started", "datetime"),
            ("lead_time_days", "lead_time_days", "days"),
            ("waiting_days", "waiting_days", "days"),
            ("cost_dkk", "cost_dkk", "kr"),
            ("n_events", "n_events", "int"),
            ("status", "deadline_status", "text"),
            ("variant_id", "variant", "text"),
        ],
        "cases",
        csv=every_case,
    )
    if listed.empty:
        return
    case = st.selectbox(ctx.t("one_case"), listed["case_id"].head(LISTED).tolist(), key="case")
    _one_case(ctx, listed[listed["case_id"] == case]["process"].iloc[0], case)


def _one_case(ctx: Context, process: str, case: str) -> None:
    """One case's events in order, with the wait before each, and the contacts about it."""
    events = ctx.sql(
        "select activity, ts, lifecycle, resource, org_unit, wait_seconds / 86400 as wait_days "
        "from marts.event_sequence where process = $1 and case_id = $2 order by position",
        process,
        case,
    )
    table(
        ctx,
        events,
        [
            ("ts", "time", "datetime"),
            ("activity", "activity", "text"),
            ("lifecycle", "lifecycle", "text"),
            ("resource", "resource", "text"),
            ("org_unit", "org_unit", "text"),
            ("wait_days", "waiting_days", "days"),
        ],
        "case-events",
    )
    calls = ctx.sql(
        "select ts, channel, direction, rule, wait_from, wait_to from marts.contact_cases "
        "where process = $1 and case_id = $2 order by ts",
        process,
        case,
    )
    if len(calls):
        st.subheader(ctx.t("contacts_on_case"))
        table(
            ctx,
            calls,
            [
                ("ts", "time", "datetime"),
                ("channel", "channel", "text"),
                ("direction", "direction", "text"),
                ("wait_from", "from_activity", "text"),
                ("wait_to", "to_activity", "text"),
            ],
            "case-contacts",
        )
