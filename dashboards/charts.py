"""The dashboard's charts: plain Altair in the language's number and date style.

Charts are plain Altair, not `st.line_chart`/`st.bar_chart`: those add hover selections that
the browser spends 0.15-0.35 s drawing per chart (measured: three small line charts take the
page's rerun from 0.25 s to 0.4-1.1 s; the same charts in plain Altair 0.26-0.5 s). Each
chart's menu saves it as PNG.
"""

from __future__ import annotations

import altair as alt  # imported with the app, not on the first chart (0.25 s)
import pandas as pd
import streamlit as st

from dashboards.format import vega_locale


def show(chart: alt.Chart, lang: str) -> None:
    """Draw an Altair chart in the language's number and date style."""
    st.altair_chart(chart.configure(locale=vega_locale(lang)), width="stretch")


def line(
    frame: pd.DataFrame, x: str, y: str, y_title: str, lang: str, color: str | None = None, share: bool = False
) -> None:
    """A line of `y` (a share, shown in per cent, when `share`) over the dates `x`, one per value of `color`,
    with a tooltip at each point."""
    tooltip = [alt.Tooltip(f"{x}:T", title=""), alt.Tooltip(f"{y}:Q", title=y_title, format=".1%" if share else ",.2f")]
    encoding = dict(
        x=alt.X(f"{x}:T", title=None), y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=".0%" if share else ",~r"))
    )
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=""))
    show(alt.Chart(frame).mark_line(point=len(frame) <= 60).encode(**encoding, tooltip=tooltip), lang)


def bars(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, lang: str, color: str | None = None) -> None:
    """A bar of `y` for each value of `x` (in the frame's order), stacked by `color`, with tooltips."""
    tooltip = [alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.0f")]
    encoding = dict(
        x=alt.X(f"{x}:O", title=x_title, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",~r")),
    )
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=""))
    show(alt.Chart(frame).mark_bar().encode(**encoding, tooltip=tooltip), lang)


def hbar(frame: pd.DataFrame, label: str, value: str, title: str, lang: str) -> None:
    """A horizontal bar per row, longest first."""
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=",.0f")),
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
            tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=",.1f", title=title)],
        )
    )
    show(chart, lang)


def timeline(frame: pd.DataFrame, y_title: str, lang: str) -> None:
    """A dot per event or contact (`ts`, `process`, coloured by `kind`) on a time axis, with its activity, org unit
    and case in the tooltip."""
    chart = (
        alt.Chart(frame)
        .mark_circle(size=90)
        .encode(
            x=alt.X("ts:T", title=""),
            y=alt.Y("process:N", title=y_title),
            color=alt.Color("kind:N", title=""),
            tooltip=["activity", "ts", "org_unit", "case_id"],
        )
    )
    show(chart, lang)
