"""The vaerdistrom dashboard: `vaerdistrom dashboard` runs this file with Streamlit. It draws what every page
shares and routes to the pages.

It reads the published snapshot only (the folder named by VAERDISTROM_PUBLISHED, which the
command sets from the config), in Danish by default or English. `st.navigation` is the router:
each page is a module of `dashboards.screens`, at an address of its Danish name (`/flaskehalse`;
the overview at `/`), and an older link that names its page as `?side=flaskehalse` opens that
page. The language and the global filters (process, period, org unit, variant) live in the
URL's query, so a view can be shared by its address.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import replace
from functools import partial
from pathlib import Path

import duckdb
import streamlit as st

from dashboards import data, widgets
from dashboards.cache import Context
from dashboards.format import date
from dashboards.i18n import LANGS, LANGUAGE_NAMES, t
from dashboards.screens import PAGES
from mining.catalogue import MARTS

HOME = "overblik"  # the page at the app's own address


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _seed_from_url() -> None:
    """On a session's first run, the language and the filters start from the URL's values (a date that is not one
    is named once in the sidebar, and not used), and an older link's `side` is kept to open its page."""
    if st.session_state.get("_seeded"):
        return
    qp = st.query_params
    st.session_state["_bad_dates"] = [
        (name, qp.get(name)) for name in ("from", "to") if qp.get(name) and _date(qp.get(name)) is None
    ]
    st.session_state["lang"] = qp.get("lang") if qp.get("lang") in LANGS else "da"
    st.session_state["_side"] = qp.get("side") if qp.get("side") in PAGES else None
    st.session_state["process"] = qp.get("process") or ""
    st.session_state["period_from"] = _date(qp.get("from"))
    st.session_state["period_to"] = _date(qp.get("to"))
    st.session_state["unit"] = qp.get("unit") or ""
    st.session_state["variant"] = qp.get("variant") or ""
    st.session_state["_seeded"] = True


def _query(view: data.View, lang: str) -> dict[str, str]:
    """The URL's query for the language and the view."""
    values = {
        "lang": lang,
        "process": view.process,
        "from": view.period_from,
        "to": view.period_to,
        "unit": view.org_unit,
        "variant": view.variant,
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _done() -> None:
    """Mark the end of this run in the page (an empty element whose id counts the session's runs): the browser
    tests and the benchmark wait for it to know a page is complete."""
    runs = st.session_state["_runs"] = st.session_state.get("_runs", 0) + 1
    st.markdown(f'<span id="vaerdistrom-run-{runs}"></span>', unsafe_allow_html=True)


def main() -> None:
    st.set_page_config(page_title="vaerdistrom", layout="wide")
    try:
        _app()
    except Exception:  # a page that failed is complete too; a rerun (opening another page) is no end of a run
        _done()
        raise
    _done()


def _app() -> None:
    _seed_from_url()
    lang = st.sidebar.radio(
        t("language", st.session_state["lang"]), LANGS, key="lang", format_func=LANGUAGE_NAMES.get, horizontal=True
    )
    path = data.published_file(Path(os.environ.get(data.PUBLISHED_ENV, "published")))
    if path is None:
        st.title(t("app_title", lang))
        st.info(t("no_snapshot", lang))
        return
    ctx = Context(path=path, version=data.version(path), lang=lang, view=data.View())
    ctx = replace(ctx, view=widgets.filters(ctx, st.session_state.get("_bad_dates", [])))
    pages = {
        key: st.Page(partial(render, ctx), title=t(title, lang), url_path=key, default=key == HOME)
        for key, (title, render) in PAGES.items()
    }
    page = st.navigation({t("page", lang): list(pages.values())}, expanded=True)
    side = st.session_state.pop("_side", None)
    if side is not None and pages[side] is not page:  # an older link's page, named by `?side=`
        st.switch_page(pages[side], query_params=_query(ctx.view, lang))
    st.session_state.pop("_bad_dates", None)
    if dict(st.query_params) != (query := _query(ctx.view, lang)):
        st.query_params.from_dict(query)
    night = ctx.last_run()
    if night:
        st.sidebar.caption(t("published_at", lang, night=date(night[0], lang), status=night[1]))
    st.title(page.title)
    if ctx.view.selects_cases and ctx.n_kept() == 0:
        st.warning(t("nothing_selected", lang))
        return
    try:
        page.run()
    except duckdb.CatalogException as error:
        missing = re.search(r'Table with name "?(?:marts\.)?(\w+)"? does not exist', str(error))
        if not missing or missing.group(1) not in MARTS:
            raise
        st.warning(t("snapshot_outdated", lang, mart=f"marts.{missing.group(1)}"))


main()
