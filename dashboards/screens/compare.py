"""Sammenlign: one process's value stream under two views side by side, period against period (before and after
an improvement) or org unit against org unit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.cache import Context
from dashboards.format import cell
from dashboards.widgets import download, one_process

COMPARED = [
    ("n_cases", "int"),
    ("median_lead_time_days", "days"),
    ("p90_lead_time_days", "days"),
    ("mean_waiting_days", "days"),
    ("mean_process_hours", "num"),
    ("mean_cost_dkk", "kr"),
    ("process_cycle_efficiency", "pct"),
    ("first_time_right", "pct"),
]


def render(ctx: Context) -> None:
    process = one_process(ctx)
    if process is None:
        return
    views = _views(ctx, process)
    if views is None:
        return
    side_by_side = compare_views(ctx, *views, process)
    kinds = side_by_side["kind"]
    shown = pd.DataFrame(
        {
            ctx.t("measure"): [ctx.t(m) for m in side_by_side["measure"]],
            "A": [cell(v, k, ctx.lang) for v, k in zip(side_by_side["a"], kinds, strict=True)],
            "B": [cell(v, k, ctx.lang) for v, k in zip(side_by_side["b"], kinds, strict=True)],
            "B − A": [cell(v, k, ctx.lang) for v, k in zip(side_by_side["difference"], kinds, strict=True)],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    if side_by_side["a"].isna().any() or side_by_side["b"].isna().any():
        st.caption(ctx.t("suppressed", k=data.K))
    download(ctx, side_by_side, "compare")


def _views(ctx: Context, process: str) -> tuple[data.View, data.View] | None:
    """The two views the page compares, A and B, as chosen on it (two periods, or two of the process's org
    units); None when the process has one unit only (said on the page)."""
    base = {**ctx.view.__dict__, "process": process}
    how = st.radio(ctx.t("compare_by"), ["period", "org_unit"], key="compare-by", horizontal=True, format_func=ctx.t)
    first, last = ctx.date_range()
    middle = first + (last - first) / 2
    left, right = st.columns(2)
    if how == "period":
        a_from, a_to = left.date_input("A", (first, middle), min_value=first, max_value=last, key="a-period")
        b_from, b_to = right.date_input(
            "B", (middle + dt.timedelta(days=1), last), min_value=first, max_value=last, key="b-period"
        )
        return (
            data.View(**{**base, "period_from": a_from, "period_to": a_to}),
            data.View(**{**base, "period_from": b_from, "period_to": b_to}),
        )
    units = ctx.org_units(process)
    if len(units) < 2:
        st.info(ctx.t("one_unit_only"))
        return None
    return (
        data.View(**{**base, "org_unit": left.selectbox("A", units, index=0, key="a-unit")}),
        data.View(**{**base, "org_unit": right.selectbox("B", units, index=1, key="b-unit")}),
    )


def compare_views(ctx: Context, a: data.View, b: data.View, process: str) -> pd.DataFrame:
    """The value stream summary of `process` under two views, side by side, with B - A (a side over fewer than K
    cases is left out)."""
    rows = []
    sides = [ctx.mart("value_stream_summary", v) for v in (a, b)]
    sides = [s[s["process"] == process] for s in sides]
    for column, kind in COMPARED:
        x = sides[0][column].iloc[0] if len(sides[0]) and sides[0]["n_cases"].iloc[0] >= data.K else None
        y = sides[1][column].iloc[0] if len(sides[1]) and sides[1]["n_cases"].iloc[0] >= data.K else None
        rows.append(
            {"measure": column, "kind": kind, "a": x, "b": y, "difference": None if x is None or y is None else y - x}
        )
    return pd.DataFrame(rows)
