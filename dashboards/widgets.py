"""What every page shares on screen: the sidebar's filters, tables with their CSV download, the notice of what
was left out for counting fewer than K cases, the choice of one process, and a graph drawn anew.

The filters live in session state under the names of the URL's parameters (`process`, `period_from`,
`period_to`, `unit`, `variant`): `dashboards.app` seeds them from the address and writes them back to it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.cache import Context
from dashboards.format import cell, date_input_format, number
from dashboards.i18n import TEXT, t


def filters(ctx: Context, bad_dates: list[tuple[str, str]]) -> data.View:
    """The global filters in the sidebar (process, period, org unit, variant), as the view they choose; a choice
    that is no longer one (a process or unit the snapshot lacks, a period that ends before it starts) is let go
    and, for the period, said, as are the `bad_dates` ((parameter, text)) the address gave."""
    lang = ctx.lang
    st.sidebar.subheader(t("filters", lang))
    processes = ctx.processes()
    if st.session_state["process"] not in [""] + processes:
        st.session_state["process"] = ""
    process = _choose("process", t("process", lang), [""] + processes, lang, lambda p: p or t("all_processes", lang))
    first, last = ctx.date_range()
    period_from = st.sidebar.date_input(
        t("period_from", lang), key="period_from", min_value=first, max_value=last, format=date_input_format(lang)
    )
    period_to = st.sidebar.date_input(
        t("period_to", lang), key="period_to", min_value=first, max_value=last, format=date_input_format(lang)
    )
    units = ctx.org_units(process or None)
    if st.session_state["unit"] not in [""] + units:
        st.session_state["unit"] = ""
    unit = _choose("unit", t("org_unit", lang), [""] + units, lang, lambda u: u or t("all_units", lang))
    labels = _variants(ctx, process or None)
    variant = _choose("variant", t("variant", lang), list(labels), lang, labels.get, help=t("variant_help", lang))
    for name, value in bad_dates:
        st.sidebar.warning(
            t("bad_date", lang, name=t("period_from" if name == "from" else "period_to", lang).lower(), value=value)
        )
    if period_from and period_to and period_to < period_from:
        st.sidebar.error(t("period_backwards", lang))
        period_to = None
    return data.View(
        process=process or None,
        period_from=period_from or None,
        period_to=period_to or None,
        org_unit=unit or None,
        variant=variant or None,
    )


def _variants(ctx: Context, process: str | None) -> dict[str, str]:
    """'' (every variant), then the most common variants, each id with its label; an id (or the first characters
    of one) from the URL that is not among them stays a choice of its own."""
    lang = ctx.lang
    labels = {"": t("all_variants", lang)}
    for row in ctx.variants(process).itertuples():
        steps = list(row.activities)
        shown = " → ".join(steps if len(steps) <= 4 else steps[:2] + ["…"] + steps[-2:])
        label = t("variant_label", lang, n=number(row.n_cases, lang, 0), k=len(steps), steps=shown)
        labels[row.variant_id] = (f"{row.process}: " if process is None else "") + label
    chosen = st.session_state.get("variant") or ""
    if (
        chosen not in labels
        and process is not None
        and not ctx.has_variant(process, chosen)
        and ctx.has_variant(None, chosen)
    ):
        st.session_state["variant"] = chosen = ""  # a variant of another process (the one chosen before)
    labels.setdefault(chosen, chosen)
    return labels


def _choose(
    name: str, label: str, options: list[str], lang: str, format_func: Callable[[str], str], help: str | None = None
) -> str:
    """A sidebar choice among `options`, kept in session state as `name` (an option, never its label).

    The widget is keyed by the language and the options: the browser sends a choice back as the label it showed,
    so after a language switch (or new options) a widget of the old labels would hand back a label that is no
    option ('Alle varianter' as a variant); a new widget starts at the kept choice instead."""
    current = st.session_state.get(name) or ""
    options = options if current in options else options + [current]
    key = f"_{name}-{lang}-{zlib.crc32(repr(options).encode())}"
    chosen = st.sidebar.selectbox(
        label, options, index=options.index(current), key=key, format_func=format_func, help=help
    )
    st.session_state[name] = chosen
    return chosen


def table(
    ctx: Context,
    frame: pd.DataFrame,
    columns: list[tuple[str, str, str]],
    key: str,
    limit: int | None = None,
    csv: Callable[[], bytes] | None = None,
) -> pd.DataFrame:
    """Show `frame`'s `columns` ((column, label key or text, kind of `format.cell`)) formatted for the language,
    the first `limit` rows, with a CSV download of the unformatted rows (or of what `csv` gives); returns what
    was shown."""
    head = frame if limit is None else frame.head(limit)
    shown = pd.DataFrame(
        {
            ctx.t(label) if label in TEXT else label: [cell(v, kind, ctx.lang) for v in head[col]]
            for col, label, kind in columns
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    if csv is None:
        download(ctx, frame[[c for c, _, _ in columns]], key)
    else:
        st.download_button(
            ctx.t("download_csv"), csv, file_name=f"{key}.csv", mime="text/csv", key=f"csv-{key}", on_click="ignore"
        )
    return shown


def download(ctx: Context, frame: pd.DataFrame, key: str) -> None:
    """A CSV download of `frame`, written only when the button is clicked (a case list can be 800,000 rows)."""
    st.download_button(
        ctx.t("download_csv"),
        lambda: data.csv_bytes(frame),
        file_name=f"{key}.csv",
        mime="text/csv",
        key=f"csv-{key}",
        on_click="ignore",
    )


def suppressed(ctx: Context, frame: pd.DataFrame, column: str = "n_cases") -> pd.DataFrame:
    """`frame` without its aggregates over fewer than K cases, saying how many were left out."""
    kept, hidden = data.suppress(frame, column)
    if hidden:
        st.caption(ctx.t("suppressed", k=data.K) + f" ({hidden})")
    return kept


def one_process(ctx: Context) -> str | None:
    """The process a page about one process shows: the filter's, else a choice on the page."""
    if ctx.view.process:
        return ctx.view.process
    choices = ctx.processes()
    if not choices:
        return None
    return st.selectbox(ctx.t("process"), choices, key="page-process")


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
