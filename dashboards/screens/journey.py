"""Borgerrejse: citizens across departments, how many processes, units and handovers they meet; one citizen's
journey (by pseudonym only); the handover matrix between units."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, data
from dashboards.cache import Context
from dashboards.format import number, percent
from dashboards.widgets import download, table

OF_PROCESS = "where $process is null or list_contains(processes, $process)"  # the journeys that meet the process


def render(ctx: Context) -> None:
    stats = ctx.over(
        "citizen_journeys",
        "select count(*) as n, avg((n_processes > 1)::int) as several, "
        "median(n_org_units) as units, avg(n_contacts) as contacts from {mart} " + OF_PROCESS,
        process=ctx.view.process,
    ).iloc[0]
    if not stats["n"]:
        return
    cols = st.columns(4)
    cols[0].metric(ctx.t("n_citizens"), number(stats["n"], ctx.lang, 0))
    cols[1].metric(ctx.t("share_several_processes"), percent(stats["several"], ctx.lang))
    cols[2].metric(ctx.t("median_units"), number(stats["units"], ctx.lang, 0))
    cols[3].metric(ctx.t("contacts_per_citizen"), number(stats["contacts"], ctx.lang, 2))
    left, right = st.columns(2)
    for column, where in (("n_org_units", left), ("n_handovers", right)):
        counts = ctx.over(
            "citizen_journeys",
            f"select {column} as k, count(*) as n from {{mart}} {OF_PROCESS} "
            f"group by 1 having count(*) >= {data.K} order by 1",
            process=ctx.view.process,
        )
        with where:
            st.caption(ctx.t(column))
            charts.bars(
                counts.assign(k=counts["k"].astype(int)), "k", "n", ctx.t(column), ctx.t("n_citizens"), ctx.lang
            )
    _one_citizen(ctx)
    st.subheader(ctx.t("handovers"))
    handovers = ctx.mart("handovers")
    handovers = handovers[handovers["n_cases"] >= data.K]
    if len(handovers):
        matrix = handovers.pivot_table(
            index="from_org_unit", columns="to_org_unit", values="n_handovers", aggfunc="sum", fill_value=0
        )
        st.dataframe(matrix.map(lambda v: number(v, ctx.lang, 0)), width="stretch")
        download(ctx, handovers, "handovers")


def _one_citizen(ctx: Context) -> None:
    """One of the 200 busiest citizens, chosen by pseudonym: the events of their cases and their contacts, in
    time."""
    st.subheader(ctx.t("one_citizen"))
    busiest = ctx.over(
        "citizen_journeys",
        f"select citizen_key from {{mart}} {OF_PROCESS} order by n_processes "
        "desc, n_handovers desc, n_contacts desc, citizen_key limit 200",
        process=ctx.view.process,
    )
    citizen = st.selectbox(ctx.t("citizen_pseudonym"), busiest["citizen_key"].tolist(), key="citizen")
    events = ctx.sql(
        "select process, case_id, activity, ts, org_unit, 'event' as kind from marts.event_sequence "
        "where citizen_key = $1 union all select coalesce(process, '–'), case_id, channel || ' (' || "
        "direction || ')', ts, org_unit, 'contact' from marts.contact_cases where citizen_key = $1 "
        "order by ts",
        citizen,
    )
    if len(events):
        charts.timeline(events, ctx.t("process"), ctx.lang)
    table(
        ctx,
        events,
        [
            ("ts", "time", "datetime"),
            ("process", "process", "text"),
            ("case_id", "case", "text"),
            ("activity", "activity", "text"),
            ("org_unit", "org_unit", "text"),
        ],
        "journey",
    )
