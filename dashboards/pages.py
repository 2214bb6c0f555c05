"""The dashboard's pages: each a function of a `Context` (the snapshot, the language, the global filters).

Pages only read: every figure comes from a mart of the published snapshot, for the cases
the filters keep (`dashboards.data.mart`), cached per snapshot version. Aggregates over
fewer than `data.K` cases are left out and the page says how many. Tables show values
formatted for the language; every chart and table can be downloaded as CSV (Streamlit's
charts also save as PNG from their menu).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import altair as alt  # imported with the app, not on the first chart (0.25 s)
import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.i18n import date as fmt_date
from dashboards.i18n import TEXT, days, kroner, number, percent, t

__all__ = ["Context", "PAGES", "fmt_date"]


@st.cache_resource(max_entries=2, show_spinner=False)
def _reader(path: str, version: tuple) -> data.Reader:
    """The app's one connection to a snapshot version (a new night's snapshot gets a new one)."""
    return data.Reader(Path(path))


@st.cache_data(max_entries=512, show_spinner=False)
def _mart(path: str, version: tuple, name: str, view: data.View) -> pd.DataFrame:
    return _reader(path, version).mart(name, view)


@st.cache_data(max_entries=256, show_spinner=False)
def _over(path: str, version: tuple, name: str, view: data.View, text: str, params: tuple) -> pd.DataFrame:
    return _reader(path, version).over(name, view, text, dict(params))


@st.cache_data(max_entries=512, show_spinner=False)
def _sql(path: str, version: tuple, text: str, params: tuple) -> pd.DataFrame:
    return _reader(path, version).call("sql", text, list(params))


@st.cache_data(max_entries=64, show_spinner=False)
def _call(path: str, version: tuple, what: str, args: tuple = ()) -> object:
    return _reader(path, version).call(what, *args)


@dataclass(frozen=True)
class Context:
    """What a page reads and how it speaks."""

    path: Path
    version: tuple
    lang: str
    view: data.View

    def t(self, key: str, **values) -> str:
        return t(key, self.lang, **values)

    def mart(self, name: str, view: data.View | None = None) -> pd.DataFrame:
        return _mart(str(self.path), self.version, name, view or self.view)

    def over(self, name: str, text: str, **params) -> pd.DataFrame:
        """The query `text` over mart `name` for the view (`{mart}` in it names what to read), cached."""
        return _over(str(self.path), self.version, name, self.view, text, tuple(sorted(params.items())))

    def sql(self, text: str, *params) -> pd.DataFrame:
        return _sql(str(self.path), self.version, text, tuple(params))

    def processes(self) -> list[str]:
        return _call(str(self.path), self.version, "processes")

    def org_units(self, process: str | None) -> list[str]:
        return _call(str(self.path), self.version, "org_units", (process,))

    def variants(self, process: str | None) -> pd.DataFrame:
        return _call(str(self.path), self.version, "variants", (process,))

    def has_variant(self, process: str | None, prefix: str) -> bool:
        return _call(str(self.path), self.version, "has_variant", (process, prefix))

    def date_range(self) -> tuple[dt.date, dt.date]:
        return _call(str(self.path), self.version, "date_range")

    def last_run(self):
        return _call(str(self.path), self.version, "last_run")

    def n_kept(self) -> int:
        return _call(str(self.path), self.version, "kept_count", (self.view,))

    def call(self, what: str, *args):
        """`dashboards.data.<what>(connection, view, *args)`, cached per snapshot version."""
        return _call(str(self.path), self.version, what, (self.view, *args))


# ---- showing things ---------------------------------------------------------------------------------------------

def _format(value, kind: str, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "int":
        return number(value, lang, 0)
    if kind == "num":
        return number(value, lang, 1)
    if kind == "num2":
        return number(value, lang, 2)
    if kind == "pct":
        return percent(value, lang)
    if kind == "days":
        return number(value, lang, 1)
    if kind == "kr":
        return kroner(value, lang)
    if kind == "date":
        return fmt_date(value, lang)
    if kind == "datetime":
        return pd.Timestamp(value).strftime("%d.%m.%Y %H:%M" if lang == "da" else "%Y-%m-%d %H:%M")
    return str(value)


def table(ctx: Context, frame: pd.DataFrame, columns: list[tuple[str, str, str]], key: str,
          limit: int | None = None, csv: Callable[[], bytes] | None = None) -> pd.DataFrame:
    """Show `frame`'s `columns` ((column, label key or text, kind)) formatted for the language, the first `limit`
    rows, with a CSV download of the unformatted rows (or of what `csv` gives); returns what was shown."""
    head = frame if limit is None else frame.head(limit)
    shown = pd.DataFrame({ctx.t(label) if label in TEXT else label:
                          [_format(v, kind, ctx.lang) for v in head[col]] for col, label, kind in columns})
    st.dataframe(shown, hide_index=True, width="stretch")
    if csv is None:
        chart_download(ctx, frame[[c for c, _, _ in columns]], key)
    else:
        st.download_button(ctx.t("download_csv"), csv, file_name=f"{key}.csv", mime="text/csv", key=f"csv-{key}",
                           on_click="ignore")
    return shown


def suppressed(ctx: Context, frame: pd.DataFrame, column: str = "n_cases") -> pd.DataFrame:
    """`frame` without its aggregates over fewer than K cases, saying how many were left out."""
    kept, hidden = data.suppress(frame, column)
    if hidden:
        st.caption(ctx.t("suppressed", k=data.K) + f" ({hidden})")
    return kept


def chart_download(ctx: Context, frame: pd.DataFrame, key: str) -> None:
    """A CSV download of `frame`, written only when the button is clicked (a case list can be 800,000 rows)."""
    st.download_button(ctx.t("download_csv"), lambda: data.csv_bytes(frame), file_name=f"{key}.csv",
                       mime="text/csv", key=f"csv-{key}", on_click="ignore")


NUMBER_LOCALE = {"da": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " kr."]},
                 "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["DKK ", ""]}}
TIME_LOCALE = {  # month and day names on date axes (Vega's own default is English)
    "da": {"dateTime": "%A den %d. %B %Y %X", "date": "%d.%m.%Y", "time": "%H:%M:%S", "periods": ["AM", "PM"],
           "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
           "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
           "months": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
                      "oktober", "november", "december"],
           "shortMonths": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]},
    "en": {"dateTime": "%x, %X", "date": "%Y-%m-%d", "time": "%H:%M:%S", "periods": ["AM", "PM"],
           "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
           "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
           "months": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"],
           "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]}}


def _show(ctx: Context, chart: alt.Chart) -> None:
    """Draw an Altair chart in the language's number and date style (its menu saves it as PNG).

    Charts are plain Altair, not `st.line_chart`/`st.bar_chart`: those add hover selections that
    the browser spends 0.15-0.35 s drawing per chart (measured: three small line charts take the
    page's rerun from 0.25 s to 0.4-1.1 s; the same charts in plain Altair 0.26-0.5 s)."""
    st.altair_chart(chart.configure(locale={"number": NUMBER_LOCALE[ctx.lang], "time": TIME_LOCALE[ctx.lang]}),
                    width="stretch")


def line(ctx: Context, frame: pd.DataFrame, x: str, y: str, y_title: str, color: str | None = None,
         share: bool = False) -> None:
    """A line of `y` (a share, shown in per cent, when `share`) over the dates `x`, one per value of `color`,
    with a tooltip at each point."""
    tooltip = [alt.Tooltip(f"{x}:T", title=""), alt.Tooltip(f"{y}:Q", title=y_title,
                                                            format=".1%" if share else ",.2f")]
    encoding = dict(x=alt.X(f"{x}:T", title=None), y=alt.Y(f"{y}:Q", title=y_title,
                                                           axis=alt.Axis(format=".0%" if share else ",~r")))
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=""))
    _show(ctx, alt.Chart(frame).mark_line(point=len(frame) <= 60).encode(**encoding, tooltip=tooltip))


def bars(ctx: Context, frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str,
         color: str | None = None) -> None:
    """A bar of `y` for each value of `x` (in the frame's order), stacked by `color`, with tooltips."""
    tooltip = [alt.Tooltip(f"{x}:O", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.0f")]
    encoding = dict(x=alt.X(f"{x}:O", title=x_title, sort=None, axis=alt.Axis(labelAngle=0)),
                    y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",~r")))
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=None)
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=""))
    _show(ctx, alt.Chart(frame).mark_bar().encode(**encoding, tooltip=tooltip))


def hbar(ctx: Context, frame: pd.DataFrame, label: str, value: str, title: str) -> None:
    """A horizontal bar per row, longest first, numbers in the language's style (saves as PNG from its menu)."""
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=",.0f")),
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=",.1f", title=title)],
    )
    _show(ctx, chart)


def one_process(ctx: Context) -> str | None:
    """The process a page about one process shows: the filter's, else a choice on the page."""
    if ctx.view.process:
        return ctx.view.process
    choices = ctx.processes()
    if not choices:
        return None
    return st.selectbox(ctx.t("process"), choices, key="page-process")


# ---- the pages --------------------------------------------------------------------------------------------------

def overview(ctx: Context) -> None:
    """KPIs per process from both sides (citizen days and kroner), the trend night by night, and the biggest
    bottleneck, rework and contacts."""
    summary = suppressed(ctx, ctx.mart("value_stream_summary"))
    if summary.empty:
        return
    deadlines = ctx.mart("deadline_summary")
    within = (deadlines.groupby("process")[["n_met", "n_missed", "n_overdue"]].sum()
              .assign(share_within_deadline=lambda d: d.n_met / (d.n_met + d.n_missed + d.n_overdue)
                      .where(lambda x: x > 0))["share_within_deadline"] if not deadlines.empty
              else pd.Series(dtype=float, name="share_within_deadline"))
    contacts = ctx.mart("contact_summary")[["process", "contacts_per_case", "share_failure_demand",
                                            "contact_hours"]]
    rules = ctx.sql("select process, hourly_rate_dkk from marts.process_rules")
    kpis = (summary.merge(within.reset_index() if len(within) else
                          pd.DataFrame(columns=["process", "share_within_deadline"]), on="process", how="left")
            .merge(contacts, on="process", how="left").merge(rules, on="process", how="left"))
    kpis["contact_cost_dkk"] = kpis["contact_hours"] * kpis["hourly_rate_dkk"]
    if ctx.view.process and len(kpis):
        cards(ctx, kpis.iloc[0])
    st.subheader(ctx.t("citizen_side"))
    table(ctx, kpis, [("process", "process", "text"), ("n_cases", "n_cases", "int"),
                      ("median_lead_time_days", "median_lead_time_days", "days"),
                      ("p90_lead_time_days", "p90_lead_time_days", "days"),
                      ("mean_waiting_days", "mean_waiting_days", "days"),
                      ("share_within_deadline", "share_within_deadline", "pct"),
                      ("contacts_per_case", "contacts_per_case", "num2"),
                      ("share_failure_demand", "share_failure_demand", "pct")], "kpis-citizen")
    st.subheader(ctx.t("finance_side"))
    table(ctx, kpis, [("process", "process", "text"), ("mean_cost_dkk", "mean_cost_dkk", "kr"),
                      ("total_cost_dkk", "total_cost_dkk", "kr"), ("rework_cost_dkk", "rework_cost_dkk", "kr"),
                      ("contact_cost_dkk", "contact_cost_dkk", "kr"),
                      ("process_cycle_efficiency", "process_cycle_efficiency", "pct"),
                      ("first_time_right", "first_time_right", "pct")], "kpis-finance")
    history = ctx.sql("select night, process, median_lead_time_days, share_within_deadline, contacts_per_case "
                      "from meta.kpi_history where $1 is null or process = $1 order by night, process",
                      ctx.view.process)
    if len(history):
        st.subheader(ctx.t("trend"))
        left, right = st.columns(2)
        for column, where in (("median_lead_time_days", left), ("share_within_deadline", right)):
            with where:
                st.caption(ctx.t(column))
                line(ctx, history, "night", column, ctx.t(column), color="process",
                     share=column.startswith("share"))
        chart_download(ctx, history, "kpi-history")
    st.subheader(ctx.t("highlights"))
    waits = ctx.mart("bottlenecks")
    waits = suppressed(ctx, waits[~waits["is_planned"]])
    rework = ctx.mart("value_stream")
    calls = ctx.mart("contact_waits")
    cols = st.columns(3)
    if len(waits):
        worst = waits.sort_values("total_wait_days", ascending=False).iloc[0]
        cols[0].metric(ctx.t("biggest_bottleneck"), days(worst.total_wait_days, ctx.lang, 0),
                       help=f"{worst.process}: {worst.source_activity} → {worst.target_activity}")
        cols[0].caption(f"{worst.process}: {worst.source_activity} → {worst.target_activity}")
    rework = rework[rework["n_cases"] >= data.K]
    if len(rework) and rework["rework_cost_dkk"].fillna(0).max() > 0:
        most = rework.sort_values("rework_cost_dkk", ascending=False).iloc[0]
        cols[1].metric(ctx.t("most_rework"), kroner(most.rework_cost_dkk, ctx.lang))
        cols[1].caption(f"{most.process}: {most.activity} ({number(most.rework_hours, ctx.lang, 0)} "
                        f"{ctx.t('hours')})")
    calls = calls[calls["n_transitions"] >= data.K]
    if len(calls) and calls["n_inbound"].max() > 0:
        top = calls.sort_values("n_inbound", ascending=False).iloc[0]
        cols[2].metric(ctx.t("most_contacts"), number(top.n_inbound, ctx.lang, 0))
        cols[2].caption(f"{top.process}: {top.source_activity} → {top.target_activity}")


CARDS = [("n_cases", "int"), ("median_lead_time_days", "days"), ("share_within_deadline", "pct"),
         ("contacts_per_case", "num2"), ("mean_cost_dkk", "kr")]


def cards(ctx: Context, row: pd.Series) -> None:
    """One process's headline figures, against the night before (from the KPI history) when no filter narrows
    the cases."""
    before = ctx.sql("select * from meta.kpi_history where process = $1 order by night desc limit 2",
                     row["process"])
    previous = before.iloc[1] if len(before) == 2 and not ctx.view.selects_cases else None
    for column, (name, kind) in zip(st.columns(len(CARDS)), CARDS):
        delta = None
        if previous is not None and name in previous and not pd.isna(previous[name]) and not pd.isna(row[name]):
            change = row[name] - previous[name]
            delta = _format(change, kind, ctx.lang) if change else None
        column.metric(ctx.t(name), _format(row[name], kind, ctx.lang), delta, delta_color="off")


def _edge_colour(value: float, top: float) -> str:
    """Grey (no wait) to red (the longest wait shown)."""
    share = 0.0 if not top or value is None or math.isnan(value) else max(0.0, min(1.0, value / top))
    red, green, blue = int(150 + 105 * share), int(150 - 130 * share), int(150 - 130 * share)
    return f"#{red:02x}{green:02x}{blue:02x}"


def process_map(dfg: pd.DataFrame, ends: pd.DataFrame, activity_share: float, path_share: float,
                performance: bool, lang: str) -> tuple[str, pd.DataFrame]:
    """Graphviz DOT of the process map: the most frequent activities (`activity_share` of them) and paths
    (`path_share` of the edges between them, each kept activity keeping its busiest way in and out, as Disco
    does), edges coloured by their median wait; the edges shown."""
    dfg = dfg[dfg["n_cases"] >= data.K]
    starts = ends[ends["endpoint"] == "start"].set_index("activity")["n_cases"]
    freq = (dfg.groupby("target_activity")["n_transitions"].sum().add(starts, fill_value=0)
            .sort_values(ascending=False))
    keep = set(freq.index[:max(1, math.ceil(activity_share * len(freq)))])
    inner = dfg[dfg["source_activity"].isin(keep) & dfg["target_activity"].isin(keep)]
    inner = inner.sort_values("n_transitions", ascending=False)
    shown = inner.head(max(1, math.ceil(path_share * len(inner)))) if len(inner) else inner
    backbone = pd.concat([inner.groupby("source_activity").head(1), inner.groupby("target_activity").head(1)])
    shown = pd.concat([shown, backbone]).drop_duplicates(["source_activity", "target_activity"])
    top = shown["median_wait_seconds"].max() if len(shown) else 0
    lines = ["digraph {", 'rankdir="TB"', 'node [shape=box style="rounded,filled" fillcolor="#e8f0fb" '
             'fontname="Helvetica"]', 'edge [fontname="Helvetica" fontsize=10]']
    for activity in sorted(keep):
        label = f"{activity}\\n{number(freq[activity], lang, 0)}"
        lines.append(f'"{_dot(activity)}" [label="{_dot(label)}"]')
    max_n = shown["n_transitions"].max() if len(shown) else 1
    for row in shown.itertuples():
        label = (_duration(row.median_wait_seconds, lang) if performance else number(row.n_transitions, lang, 0))
        width = 1 + 4 * row.n_transitions / max_n
        lines.append(f'"{_dot(row.source_activity)}" -> "{_dot(row.target_activity)}" [label="{_dot(label)}" '
                     f'penwidth={width:.1f} color="{_edge_colour(row.median_wait_seconds, top)}"]')
    lines.append("}")
    return "\n".join(lines), shown


def draw_anew(dot: str, key: str) -> None:
    """Draw the graph `dot` in the browser, anew when it changed since the session's last run. The browser's
    graphviz updates a drawn graph about ten times slower than it draws one (2.5 s against 0.2 s for 60 edges, the
    process map's overlay switched), so a changed graph takes the other of two places in the page: an empty element
    before it or not, which makes the page drop the old graph and draw the new one."""
    last, flipped = st.session_state.get(f"_graph-{key}", (None, False))
    flipped = not flipped if last is not None and last != dot else flipped
    st.session_state[f"_graph-{key}"] = (dot, flipped)
    if flipped:
        st.empty()
    st.graphviz_chart(dot, width="stretch")


def _dot(text: str) -> str:
    return str(text).replace('"', '\\"')


def _duration(seconds: float, lang: str) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if seconds >= 86400:
        return days(seconds / 86400, lang)
    return f"{number(seconds / 3600, lang)} {t('hours', lang)}"


def flow(ctx: Context) -> None:
    """The process map with frequency or waiting times, sliders for how much of it is shown."""
    process = one_process(ctx)
    if process is None:
        return
    view = data.View(**{**ctx.view.__dict__, "process": process})
    left, middle, right = st.columns(3)
    activity_share = left.slider(ctx.t("activities_shown"), 5, 100, 100, 5, key="activities") / 100
    path_share = middle.slider(ctx.t("paths_shown"), 5, 100, 50, 5, key="paths") / 100
    performance = right.radio(ctx.t("overlay"), ["frequency", "performance"], key="overlay", horizontal=True,
                              format_func=ctx.t) == "performance"
    dot, shown = process_map(ctx.mart("dfg", view), ctx.mart("dfg_endpoints", view), activity_share, path_share,
                             performance, ctx.lang)
    draw_anew(dot, "process-map")
    table(ctx, shown, [("source_activity", "from_activity", "text"), ("target_activity", "to_activity", "text"),
                       ("n_transitions", "n_transitions", "int"), ("n_cases", "n_cases", "int"),
                       ("median_wait_seconds", "median_wait_hours", "text")], "process-map")
    variants = suppressed(ctx, ctx.mart("variants", view)).sort_values("n_cases", ascending=False)
    st.subheader(ctx.t("variants"))
    variants = variants.assign(steps=variants["activities"].map(lambda a: " → ".join(a)),
                               median_days=variants["median_lead_time_seconds"] / 86400)
    table(ctx, variants, [("variant_id", "variant", "text"), ("n_cases", "n_cases", "int"),
                          ("share_of_cases", "share_of_cases", "pct"), ("median_days", "median_lead_time_days",
                                                                        "days"), ("steps", "steps", "text")],
          "variants", limit=50)


def bottlenecks(ctx: Context) -> None:
    """Waits ranked by the citizen days they cost; one wait's distribution, org units, trend and cases."""
    waits = ctx.mart("bottlenecks")
    waits = suppressed(ctx, waits[~waits["is_planned"]]).sort_values("total_wait_days", ascending=False)
    if waits.empty:
        return
    waits = waits.assign(wait=waits["source_activity"] + " → " + waits["target_activity"])
    table(ctx, waits, [("process", "process", "text"), ("wait", "wait", "text"), ("n_cases", "n_cases", "int"),
                       ("total_wait_days", "total_wait_days", "days"),
                       ("median_case_wait_days", "median_case_wait_days", "days"),
                       ("p90_case_wait_days", "p90_case_wait_days", "days"),
                       ("share_of_waiting", "share_of_waiting", "pct")], "bottlenecks")
    top = waits.head(10).assign(name=lambda d: d.process + ": " + d.wait)
    hbar(ctx, top, "name", "total_wait_days", ctx.t("total_wait_days"))
    choice = st.selectbox(ctx.t("one_wait"), list(range(len(waits))), key="wait",
                          format_func=lambda i: f"{waits.iloc[i].process}: {waits.iloc[i].wait}")
    chosen = waits.iloc[choice]
    match = dict(process=chosen.process, source_activity=chosen.source_activity,
                 target_activity=chosen.target_activity)

    def of(frame: pd.DataFrame) -> pd.DataFrame:
        for column, value in match.items():
            frame = frame[frame[column] == value]
        return frame

    left, right = st.columns(2)
    with left:
        st.caption(ctx.t("distribution"))
        bins = ctx.call("wait_days", chosen.process, chosen.source_activity, chosen.target_activity)
        bins = bins[bins["n_waits"] >= data.K]
        bars(ctx, bins, "days", "n_waits", ctx.t("days"), ctx.t("n_waits"))
    with right:
        st.caption(ctx.t("trend_months"))
        months = ctx.call("mart_of_transition", "bottleneck_months", chosen.process, chosen.source_activity,
                          chosen.target_activity)
        months = months[months["n_waits"] >= data.K]
        line(ctx, months, "month", "median_wait_days", ctx.t("median_case_wait_days"))
        chart_download(ctx, months, "bottleneck-months")
    st.subheader(ctx.t("per_org_unit"))
    owners = ctx.call("mart_of_transition", "bottleneck_owners", chosen.process, chosen.source_activity,
                      chosen.target_activity)
    owners = owners[(owners["level"] == "org_unit") & (owners["n_waits"] >= data.K)]
    table(ctx, owners.sort_values("total_wait_days", ascending=False),
          [("owner", "org_unit", "text"), ("n_waits", "n_waits", "int"),
           ("total_wait_days", "total_wait_days", "days"), ("median_wait_days", "median_case_wait_days", "days"),
           ("p90_wait_days", "p90_case_wait_days", "days")], "bottleneck-owners")
    st.subheader(ctx.t("cases_waiting"))
    cases = of(ctx.mart("bottleneck_cases")).sort_values("wait_days", ascending=False)
    table(ctx, cases, [("case_id", "case", "text"), ("wait_days", "days_waited", "days"),
                       ("first_wait_started_at", "wait_started", "datetime")], "bottleneck-cases", limit=200)


def rework(ctx: Context) -> None:
    """Loops: where work is done again, repeat (same person) against redo (another), and what it costs."""
    loops = ctx.mart("rework")
    value = ctx.mart("value_stream")[["process", "activity", "rework_hours", "rework_cost_dkk",
                                      "first_time_right"]]
    both = suppressed(ctx, loops.merge(value, on=["process", "activity"], how="left"))
    both = suppressed(ctx, both[both["n_rework_events"] > 0], "n_cases_with_rework")  # the cases it is about
    both = both.sort_values(["rework_cost_dkk", "rework_hours"], ascending=False, na_position="last")
    total = both["rework_cost_dkk"].sum(min_count=1)  # no hourly rate configured: no kroner, not 0
    left, right = st.columns(2)
    left.metric(ctx.t("rework_cost_dkk"), kroner(total, ctx.lang))
    right.metric(ctx.t("rework_hours"), number(both["rework_hours"].sum(min_count=1), ctx.lang, 0))
    table(ctx, both, [("process", "process", "text"), ("activity", "activity", "text"),
                      ("n_cases_with_rework", "n_cases_with_rework", "int"), ("rework_rate", "rework_rate", "pct"),
                      ("n_repeat", "n_repeat", "int"), ("n_redo", "n_redo", "int"),
                      ("n_self_loop", "n_self_loop", "int"), ("n_loop_back", "n_loop_back", "int"),
                      ("rework_hours", "rework_hours", "num"), ("rework_cost_dkk", "rework_cost_dkk", "kr")],
          "rework")
    if len(both):
        hbar(ctx, both.head(10).assign(name=lambda d: d.process + ": " + d.activity), "name", "n_rework_events",
             ctx.t("n_rework_events"))


def contacts(ctx: Context) -> None:
    """Off-system contacts: how many per case, how many are failure demand, through which channels, and which
    waits make citizens call."""
    summary = suppressed(ctx, ctx.mart("contact_summary"))
    table(ctx, summary, [("process", "process", "text"), ("n_cases", "n_cases", "int"),
                         ("n_contacts", "n_contacts", "int"), ("contacts_per_case", "contacts_per_case", "num2"),
                         ("share_failure_demand", "share_failure_demand", "pct"),
                         ("n_phone", "n_phone", "int"), ("n_email", "n_email", "int"),
                         ("n_digital_post", "n_digital_post", "int"), ("n_visit", "n_visit", "int"),
                         ("contact_hours", "contact_hours", "num")], "contacts")
    if len(summary):
        channels = summary.melt(id_vars="process", value_vars=["n_phone", "n_email", "n_digital_post", "n_visit"],
                                var_name="channel", value_name="n")
        channels["channel"] = channels["channel"].map(ctx.t)
        bars(ctx, channels, "process", "n", ctx.t("process"), ctx.t("n_contacts"), color="channel")
    st.subheader(ctx.t("calls_per_wait"))
    waits = ctx.mart("contact_waits")
    waits = waits[(waits["n_transitions"] >= data.K) & (waits["n_inbound"] > 0)]
    waits = waits.sort_values("inbound_per_waiting_week", ascending=False)
    waits = waits.assign(wait=waits["source_activity"] + " → " + waits["target_activity"])
    table(ctx, waits, [("process", "process", "text"), ("wait", "wait", "text"),
                       ("n_transitions", "n_waits", "int"), ("n_inbound", "n_inbound", "int"),
                       ("waiting_weeks", "waiting_weeks", "num"),
                       ("inbound_per_waiting_week", "inbound_per_waiting_week", "num2")], "contact-waits", limit=50)


def journey(ctx: Context) -> None:
    """Citizens across departments: how many processes, units and handovers they meet; one citizen's journey
    (pseudonym only); the handover matrix between units."""
    of_process = "where $process is null or list_contains(processes, $process)"
    stats = ctx.over("citizen_journeys", "select count(*) as n, avg((n_processes > 1)::int) as several, "
                     "median(n_org_units) as units, avg(n_contacts) as contacts from {mart} " + of_process,
                     process=ctx.view.process).iloc[0]
    if not stats["n"]:
        return
    cols = st.columns(4)
    cols[0].metric(ctx.t("n_citizens"), number(stats["n"], ctx.lang, 0))
    cols[1].metric(ctx.t("share_several_processes"), percent(stats["several"], ctx.lang))
    cols[2].metric(ctx.t("median_units"), number(stats["units"], ctx.lang, 0))
    cols[3].metric(ctx.t("contacts_per_citizen"), number(stats["contacts"], ctx.lang, 2))
    left, right = st.columns(2)
    for column, where in (("n_org_units", left), ("n_handovers", right)):
        counts = ctx.over("citizen_journeys", f"select {column} as k, count(*) as n from {{mart}} {of_process} "
                          f"group by 1 having count(*) >= {data.K} order by 1", process=ctx.view.process)
        with where:
            st.caption(ctx.t(column))
            bars(ctx, counts.assign(k=counts["k"].astype(int)), "k", "n", ctx.t(column), ctx.t("n_citizens"))
    st.subheader(ctx.t("one_citizen"))
    busiest = ctx.over("citizen_journeys", f"select citizen_key from {{mart}} {of_process} order by n_processes "
                       "desc, n_handovers desc, n_contacts desc, citizen_key limit 200", process=ctx.view.process)
    citizen = st.selectbox(ctx.t("citizen_pseudonym"), busiest["citizen_key"].tolist(), key="citizen")
    events = ctx.sql("select process, case_id, activity, ts, org_unit, 'event' as kind from marts.event_sequence "
                     "where citizen_key = $1 union all select coalesce(process, '–'), case_id, channel || ' (' || "
                     "direction || ')', ts, org_unit, 'contact' from marts.contact_cases where citizen_key = $1 "
                     "order by ts", citizen)
    if len(events):
        chart = alt.Chart(events).mark_circle(size=90).encode(
            x=alt.X("ts:T", title=""), y=alt.Y("process:N", title=ctx.t("process")),
            color=alt.Color("kind:N", title=""), tooltip=["activity", "ts", "org_unit", "case_id"])
        _show(ctx, chart)
    table(ctx, events, [("ts", "time", "datetime"), ("process", "process", "text"), ("case_id", "case", "text"),
                        ("activity", "activity", "text"), ("org_unit", "org_unit", "text")], "journey")
    st.subheader(ctx.t("handovers"))
    handovers = ctx.mart("handovers")
    handovers = handovers[handovers["n_cases"] >= data.K]
    if len(handovers):
        matrix = handovers.pivot_table(index="from_org_unit", columns="to_org_unit", values="n_handovers",
                                       aggfunc="sum", fill_value=0)
        st.dataframe(matrix.map(lambda v: number(v, ctx.lang, 0)), width="stretch")
        chart_download(ctx, handovers, "handovers")


def deviations(ctx: Context) -> None:
    """Conformance against the intended BPMN, the deviations ranked by what they cost, and rule violations."""
    models = ctx.mart("conformance_processes")
    if models.empty:
        st.info(ctx.t("no_conformance"))
    else:
        table(ctx, models, [("process", "process", "text"), ("n_cases", "n_cases", "int"),
                            ("fitness", "fitness", "num2"), ("fitness_method", "fitness_method", "text"),
                            ("precision", "precision", "num2"), ("share_fitting", "share_fitting", "pct")],
              "conformance")
        ranked = suppressed(ctx, ctx.mart("deviations")).sort_values("rank_by_impact")
        st.subheader(ctx.t("deviations_ranked"))
        ranked = ranked.assign(kind=ranked["kind"].map(ctx.t))
        table(ctx, ranked, [("process", "process", "text"), ("kind", "kind", "text"),
                            ("activity", "activity", "text"), ("n_cases", "n_cases", "int"),
                            ("share_of_cases", "share_of_cases", "pct"),
                            ("extra_median_lead_time_days", "extra_median_lead_time_days", "days"),
                            ("mean_cost_dkk", "mean_cost_dkk", "kr"),
                            ("mean_cost_dkk_without", "mean_cost_dkk_without", "kr")], "deviations")
    st.subheader(ctx.t("rules"))
    rules = ctx.mart("rule_summary")
    if rules.empty:
        st.caption(ctx.t("no_rules"))
        return
    per_rule = rules.groupby(["process", "rule", "kind"], as_index=False)[
        ["n_cases", "n_kept", "n_violated", "n_pending"]].sum()
    per_rule["share_kept"] = per_rule["n_kept"] / (per_rule["n_kept"] + per_rule["n_violated"]).where(
        lambda x: x > 0)
    table(ctx, suppressed(ctx, per_rule), [("process", "process", "text"), ("rule", "rule", "text"),
                                           ("n_cases", "n_cases", "int"), ("n_kept", "n_kept", "int"),
                                           ("n_violated", "n_violated", "int"), ("n_pending", "n_pending", "int"),
                                           ("share_kept", "share_kept", "pct")], "rules")


COMPARED = [("n_cases", "int"), ("median_lead_time_days", "days"), ("p90_lead_time_days", "days"),
            ("mean_waiting_days", "days"), ("mean_process_hours", "num"), ("mean_cost_dkk", "kr"),
            ("process_cycle_efficiency", "pct"), ("first_time_right", "pct")]


def compare_views(ctx: Context, a: data.View, b: data.View, process: str) -> pd.DataFrame:
    """The value stream summary of `process` under two views, side by side, with B - A."""
    rows = []
    sides = [ctx.mart("value_stream_summary", v) for v in (a, b)]
    sides = [s[s["process"] == process] for s in sides]
    for column, kind in COMPARED:
        x = sides[0][column].iloc[0] if len(sides[0]) and sides[0]["n_cases"].iloc[0] >= data.K else None
        y = sides[1][column].iloc[0] if len(sides[1]) and sides[1]["n_cases"].iloc[0] >= data.K else None
        rows.append({"measure": column, "kind": kind, "a": x, "b": y,
                     "difference": None if x is None or y is None else y - x})
    return pd.DataFrame(rows)


def compare(ctx: Context) -> None:
    """Period against period (before and after an improvement), or org unit against org unit."""
    process = one_process(ctx)
    if process is None:
        return
    base = {**ctx.view.__dict__, "process": process}
    how = st.radio(ctx.t("compare_by"), ["period", "org_unit"], key="compare-by", horizontal=True,
                   format_func=ctx.t)
    first, last = ctx.date_range()
    middle = first + (last - first) / 2
    left, right = st.columns(2)
    if how == "period":
        a_from, a_to = left.date_input("A", (first, middle), min_value=first, max_value=last, key="a-period")
        b_from, b_to = right.date_input("B", (middle + dt.timedelta(days=1), last), min_value=first,
                                        max_value=last, key="b-period")
        a = data.View(**{**base, "period_from": a_from, "period_to": a_to})
        b = data.View(**{**base, "period_from": b_from, "period_to": b_to})
    else:
        units = ctx.org_units(process)
        if len(units) < 2:
            st.info(ctx.t("one_unit_only"))
            return
        a = data.View(**{**base, "org_unit": left.selectbox("A", units, index=0, key="a-unit")})
        b = data.View(**{**base, "org_unit": right.selectbox("B", units, index=1, key="b-unit")})
    side_by_side = compare_views(ctx, a, b, process)
    shown = pd.DataFrame({
        ctx.t("measure"): [ctx.t(m) for m in side_by_side["measure"]],
        "A": [_format(v, k, ctx.lang) for v, k in zip(side_by_side["a"], side_by_side["kind"])],
        "B": [_format(v, k, ctx.lang) for v, k in zip(side_by_side["b"], side_by_side["kind"])],
        "B − A": [_format(v, k, ctx.lang) for v, k in zip(side_by_side["difference"], side_by_side["kind"])]})
    st.dataframe(shown, hide_index=True, width="stretch")
    if side_by_side["a"].isna().any() or side_by_side["b"].isna().any():
        st.caption(ctx.t("suppressed", k=data.K))
    chart_download(ctx, side_by_side, "compare")


def cases(ctx: Context) -> None:
    """The cases the filters keep, longest first, and one case's timeline with its contacts."""
    total = ctx.n_kept()
    listed = ctx.call("case_list", 500)
    st.caption(ctx.t("n_cases_listed", n=number(total, ctx.lang, 0)))
    path, view = ctx.path, ctx.view

    def every_case() -> bytes:  # all the kept cases, read when the button is clicked
        with data.connect(path) as con:
            return data.csv_bytes(data.case_list(con, view, None))

    table(ctx, listed, [("process", "process", "text"), ("case_id", "case", "text"),
                        ("started_at", "started", "datetime"), ("lead_time_days", "lead_time_days", "days"),
                        ("waiting_days", "waiting_days", "days"), ("cost_dkk", "cost_dkk", "kr"),
                        ("n_events", "n_events", "int"), ("status", "deadline_status", "text"),
                        ("variant_id", "variant", "text")], "cases", csv=every_case)
    if listed.empty:
        return
    case = st.selectbox(ctx.t("one_case"), listed["case_id"].head(500).tolist(), key="case")
    process = listed[listed["case_id"] == case]["process"].iloc[0]
    events = ctx.sql("select activity, ts, lifecycle, resource, org_unit, wait_seconds / 86400 as wait_days "
                     "from marts.event_sequence where process = $1 and case_id = $2 order by position",
                     process, case)
    table(ctx, events, [("ts", "time", "datetime"), ("activity", "activity", "text"),
                        ("lifecycle", "lifecycle", "text"), ("resource", "resource", "text"),
                        ("org_unit", "org_unit", "text"), ("wait_days", "waiting_days", "days")], "case-events")
    calls = ctx.sql("select ts, channel, direction, rule, wait_from, wait_to from marts.contact_cases "
                    "where process = $1 and case_id = $2 order by ts", process, case)
    if len(calls):
        st.subheader(ctx.t("contacts_on_case"))
        table(ctx, calls, [("ts", "time", "datetime"), ("channel", "channel", "text"),
                           ("direction", "direction", "text"), ("wait_from", "from_activity", "text"),
                           ("wait_to", "to_activity", "text")], "case-contacts")


PAGES: dict[str, tuple[str, Callable[[Context], None]]] = {
    "overblik": ("page_overview", overview),
    "procesflow": ("page_flow", flow),
    "flaskehalse": ("page_bottlenecks", bottlenecks),
    "omarbejde": ("page_rework", rework),
    "henvendelser": ("page_contacts", contacts),
    "borgerrejse": ("page_journey", journey),
    "afvigelser": ("page_deviations", deviations),
    "sammenlign": ("page_compare", compare),
    "sager": ("page_cases", cases),
}
