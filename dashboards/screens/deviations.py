"""Afvigelser: conformance against the intended BPMN, the deviations ranked by what they cost, and the rules kept
and broken."""

from __future__ import annotations

import streamlit as st

from dashboards.cache import Context
from dashboards.widgets import suppressed, table


def render(ctx: Context) -> None:
    models = ctx.mart("conformance_processes")
    if models.empty:
        st.info(ctx.t("no_conformance"))
    else:
        table(
            ctx,
            models,
            [
                ("process", "process", "text"),
                ("n_cases", "n_cases", "int"),
                ("fitness", "fitness", "num2"),
                ("fitness_method", "fitness_method", "text"),
                ("precision", "precision", "num2"),
                ("share_fitting", "share_fitting", "pct"),
            ],
            "conformance",
        )
        ranked = suppressed(ctx, ctx.mart("deviations")).sort_values("rank_by_impact")
        st.subheader(ctx.t("deviations_ranked"))
        ranked = ranked.assign(kind=ranked["kind"].map(ctx.t))
        table(
            ctx,
            ranked,
            [
                ("process", "process", "text"),
                ("kind", "kind", "text"),
                ("activity", "activity", "text"),
                ("n_cases", "n_cases", "int"),
                ("share_of_cases", "share_of_cases", "pct"),
                ("extra_median_lead_time_days", "extra_median_lead_time_days", "days"),
                ("mean_cost_dkk", "mean_cost_dkk", "kr"),
                ("mean_cost_dkk_without", "mean_cost_dkk_without", "kr"),
            ],
            "deviations",
        )
    _rules(ctx)


def _rules(ctx: Context) -> None:
    """Each rule's cases kept, violated and pending, and the share kept."""
    st.subheader(ctx.t("rules"))
    rules = ctx.mart("rule_summary")
    if rules.empty:
        st.caption(ctx.t("no_rules"))
        return
    per_rule = rules.groupby(["process", "rule", "kind"], as_index=False)[
        ["n_cases", "n_kept", "n_violated", "n_pending"]
    ].sum()
    per_rule["share_kept"] = per_rule["n_kept"] / (per_rule["n_kept"] + per_rule["n_violated"]).where(lambda x: x > 0)
    table(
        ctx,
        suppressed(ctx, per_rule),
        [
            ("process", "process", "text"),
            ("rule", "rule", "text"),
            ("n_cases", "n_cases", "int"),
            ("n_kept", "n_kept", "int"),
            ("n_violated", "n_violated", "int"),
            ("n_pending", "n_pending", "int"),
            ("share_kept", "share_kept", "pct"),
        ],
        "rules",
    )
