"""The vaerdistrom dashboard: `vaerdistrom dashboard` runs this file with Streamlit.

It reads the published snapshot only (the folder named by VAERDISTROM_PUBLISHED, which the
command sets from the config), in Danish by default or English. The page, the language and
the global filters (process, period, org unit, variant) live in the URL, so a view can be
shared by its address. Each page is a function of `dashboards.pages`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zlib
from pathlib import Path

import duckdb
import streamlit as st

from dashboards import data, pages
from dashboards.i18n import LANGS, number, t
from mining.catalogue import MARTS

PARAMS = ("lang", "side", "process", "from", "to", "unit", "variant")
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _seed_from_url() -> None:
    """On a session's first run, the widgets start from the URL's values (a date that is not one is named once
    in the sidebar, and not used)."""
    if st.session_state.get("_seeded"):
        return
    qp = st.query_params
    st.session_state["_bad_dates"] = [(name, qp.get(name)) for name in ("from", "to")
                                      if qp.get(name) and _date(qp.get(name)) is None]
    st.session_state["lang"] = qp.get("lang") if qp.get("lang") in LANGS else "da"
    st.session_state["side"] = qp.get("side") if qp.get("side") in pages.PAGES else "overblik"
    st.session_state["process"] = qp.get("process") or ""
    st.session_state["period_from"] = _date(qp.get("from"))
    st.session_state["period_to"] = _date(qp.get("to"))
    st.session_state["unit"] = qp.get("unit") or ""
    st.session_state["variant"] = qp.get("variant") or ""
    st.session_state["_seeded"] = True


def _variants(ctx: pages.Context, process: str | None, lang: str) -> dict[str, str]:
    """'' (every variant), then the most common variants, each id with its label; an id (or the first characters
    of one) from the URL that is not among them stays a choice of its own."""
    labels = {"": t("all_variants", lang)}
    for row in ctx.variants(process).itertuples():
        steps = list(row.activities)
        shown = " → ".join(steps if len(steps) <= 4 else steps[:2] + ["…"] + steps[-2:])
        label = t("variant_label", lang, n=number(row.n_cases, lang, 0), k=len(steps), steps=shown)
        labels[row.variant_id] = (f"{row.process}: " if process is None else "") + label
    chosen = st.session_state.get("variant") or ""
    if (chosen not in labels and process is not None and not ctx.has_variant(process, chosen)
            and ctx.has_variant(None, chosen)):
        st.session_state["variant"] = chosen = ""  # a variant of another process (the one chosen before)
    labels.setdefault(chosen, chosen)
    return labels


def _choose(name: str, label: str, options: list[str], lang: str, format_func, help: str | None = None) -> str:
    """A sidebar choice among `options`, kept in session state as `name` (an option, never its label).

    The widget is keyed by the language and the options: the browser sends a choice back as the label it showed,
    so after a language switch (or new options) a widget of the old labels would hand back a label that is no
    option ('Alle varianter' as a variant); a new widget starts at the kept choice instead."""
    current = st.session_state.get(name) or ""
    options = options if current in options else options + [current]
    key = f"_{name}-{lang}-{zlib.crc32(repr(options).encode())}"
    chosen = st.sidebar.selectbox(label, options, index=options.index(current), key=key, format_func=format_func,
                                  help=help)
    st.session_state[name] = chosen
    return chosen


def _to_url(view: data.View, lang: str, side: str) -> None:
    values = {"lang": lang, "side": side, "process": view.process, "from": view.period_from,
              "to": view.period_to, "unit": view.org_unit, "variant": view.variant}
    wanted = {k: str(v) for k, v in values.items() if v not in (None, "")}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def _done() -> None:
    """Mark the end of this run in the page (an empty element whose id counts the session's runs): the browser
    tests and the benchmark wait for it to know a page is complete."""
    runs = st.session_state["_runs"] = st.session_state.get("_runs", 0) + 1
    st.markdown(f'<span id="vaerdistrom-run-{runs}"></span>', unsafe_allow_html=True)


def main() -> None:
    st.set_page_config(page_title="vaerdistrom", layout="wide")
    try:
        _page()
    finally:
        _done()


def _page() -> None:
    _seed_from_url()
    lang = st.sidebar.radio(t("language", st.session_state["lang"]), LANGS, key="lang",
                            format_func=LANGUAGE_NAMES.get, horizontal=True)
    published = Path(os.environ.get(data.PUBLISHED_ENV, "published"))
    path = data.published_file(published)
    if path is None:
        st.title(t("app_title", lang))
        st.info(t("no_snapshot", lang))
        return
    side = st.sidebar.radio(t("page", lang), list(pages.PAGES), key="side",
                            format_func=lambda p: t(pages.PAGES[p][0], lang))
    ctx = pages.Context(path=path, version=data.version(path), lang=lang, view=data.View())
    processes = ctx.processes()
    st.sidebar.subheader(t("filters", lang))
    if st.session_state["process"] not in [""] + processes:
        st.session_state["process"] = ""
    process = _choose("process", t("process", lang), [""] + processes, lang,
                      lambda p: p or t("all_processes", lang))
    first, last = ctx.date_range()
    period_from = st.sidebar.date_input(t("period_from", lang), key="period_from", min_value=first,
                                        max_value=last, format="DD.MM.YYYY" if lang == "da" else "YYYY-MM-DD")
    period_to = st.sidebar.date_input(t("period_to", lang), key="period_to", min_value=first, max_value=last,
                                      format="DD.MM.YYYY" if lang == "da" else "YYYY-MM-DD")
    units = ctx.org_units(process or None)
    if st.session_state["unit"] not in [""] + units:
        st.session_state["unit"] = ""
    unit = _choose("unit", t("org_unit", lang), [""] + units, lang, lambda u: u or t("all_units", lang))
    labels = _variants(ctx, process or None, lang)
    variant = _choose("variant", t("variant", lang), list(labels), lang, labels.get, help=t("variant_help", lang))
    for name, value in st.session_state.pop("_bad_dates", []):
        st.sidebar.warning(t("bad_date", lang, name=t("period_from" if name == "from" else "period_to", lang).lower(),
                             value=value))
    if period_from and period_to and period_to < period_from:
        st.sidebar.error(t("period_backwards", lang))
        period_to = None
    view = data.View(process=process or None, period_from=period_from or None, period_to=period_to or None,
                     org_unit=unit or None, variant=variant or None)
    _to_url(view, lang, side)
    ctx = pages.Context(path=path, version=ctx.version, lang=lang, view=view)
    night = ctx.last_run()
    if night:
        st.sidebar.caption(t("published_at", lang, night=pages.fmt_date(night[0], lang), status=night[1]))
    st.title(t(pages.PAGES[side][0], lang))
    if view.selects_cases and ctx.n_kept() == 0:
        st.warning(t("nothing_selected", lang))
        return
    try:
        pages.PAGES[side][1](ctx)
    except duckdb.CatalogException as error:
        missing = re.search(r'Table with name "?(?:marts\.)?(\w+)"? does not exist', str(error))
        if not missing or missing.group(1) not in MARTS:
            raise
        st.warning(t("snapshot_outdated", lang, mart=f"marts.{missing.group(1)}"))


main()
