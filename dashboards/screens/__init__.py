"""The dashboard's nine pages, one module each, each a `render(ctx)` of a `dashboards.cache.Context`.

Pages only read: every figure comes from a mart of the published snapshot, for the cases
the filters keep, cached per snapshot version. Aggregates over fewer than `data.K` cases are
left out and the page says how many. Tables show values formatted for the language; every
chart and table can be downloaded as CSV (charts also save as PNG from their menu).

`PAGES` names each page by its address (a Danish word: `/flaskehalse`, or `?side=flaskehalse`
in an older link) with its title's text key; `dashboards.app` routes to them. (The folder is
not called `pages`: Streamlit runs a `pages/` folder beside the app's script as pages of
their own.)
"""

from __future__ import annotations

from collections.abc import Callable

from dashboards.cache import Context
from dashboards.screens import bottlenecks, cases, compare, contacts, deviations, flow, journey, overview, rework

PAGES: dict[str, tuple[str, Callable[[Context], None]]] = {
    "overblik": ("page_overview", overview.render),
    "procesflow": ("page_flow", flow.render),
    "flaskehalse": ("page_bottlenecks", bottlenecks.render),
    "omarbejde": ("page_rework", rework.render),
    "henvendelser": ("page_contacts", contacts.render),
    "borgerrejse": ("page_journey", journey.render),
    "afvigelser": ("page_deviations", deviations.render),
    "sammenlign": ("page_compare", compare.render),
    "sager": ("page_cases", cases.render),
}
