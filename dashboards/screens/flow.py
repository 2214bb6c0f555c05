"""Procesflow: the process map with frequency or waiting times, sliders for how much of it is shown, and the
most common variants."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.cache import Context
from dashboards.process_map import process_map
from dashboards.widgets import draw_anew, one_process, suppressed, table


def render(ctx: Context) -> None:
    process = one_process(ctx)
    if process is None:
        return
    view = data.View(**{**ctx.view.__dict__, "process": process})
    left, middle, right = st.columns(3)
    activity_share = left.slider(ctx.t("activities_shown"), 5, 100, 100, 5, key="activities") / 100
    path_share = middle.slider(ctx.t("paths_shown"), 5, 100, 50, 5, key="paths") / 100
    performance = (
        right.radio(ctx.t("overlay"), ["frequency", "performance"], key="overlay", horizontal=True, format_func=ctx.t)
        == "performance"
    )
    dot, shown = process_map(
        ctx.mart("dfg", view), ctx.mart("dfg_endpoints", view), activity_share, path_share, performance, ctx.lang
    )
    draw_anew(dot, "process-map")
    table(
        ctx,
        shown,
        [
            ("source_activity", "from_activity", "text"),
            ("target_activity", "to_activity", "text"),
            ("n_transitions", "n_transitions", "int"),
            ("n_cases", "n_cases", "int"),
            ("median_wait_seconds", "median_wait_hours", "text"),
        ],
        "process-map",
    )
    variants = suppressed(ctx, ctx.mart("variants", view)).sort_values("n_cases", ascending=False)
    st.subheader(ctx.t("variants"))
    variants = variants.assign(
        steps=variants["activities"].map(lambda a: " → ".join(a)),
        median_days=variants["median_lead_time_seconds"] / 86400,
    )
    table(
        ctx,
        variants,
        [
            ("variant_id", "variant", "text"),
            ("n_cases", "n_cases", "int"),
            ("share_of_cases", "share_of_cases", "pct"),
            ("median_days", "median_lead_time_days", "days"),
            ("steps", "steps", "text"),
        ],
        "variants",
        limit=50,
    )
