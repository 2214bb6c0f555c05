"""The dashboard benchmark's browser sequence: what is clicked and opened, in order, and how each is timed.

`measure` drives Debian's chromium (Playwright) through the app; `bench_dashboard.py` serves the snapshot and
writes the figures.
"""

from __future__ import annotations

import datetime as dt
import time

from dashboards.screens import PAGES as APP_PAGES

PAGES = list(APP_PAGES)  # each page's address, the overview first


def measure(url: str, processes: list[str], first: dt.date, last: dt.date, by_path: bool = True) -> list[dict]:
    """Every interaction's seconds, from the browser's action to the page's run marker. In the app first, each on
    what nothing before computed (the dashboard caches what it computed for every session): the pages chosen in
    the sidebar, a filter set in the sidebar, the pages under that filter, in-page changes. Then the app opened
    by addresses (a full load of the app, as a shared link is), with a filter no interaction before computed: a
    page's own path (`/flaskehalse?lang=da`), or with `by_path` False, for a version before st.navigation, its
    `?side=` (`/?side=flaskehalse&lang=da`)."""
    from playwright.sync_api import sync_playwright

    from dashboards.i18n import TEXT

    titles = {side: TEXT[key] for side, (key, _) in APP_PAGES.items()}

    def address(side: str, query: str) -> str:
        if by_path:
            return f"{url}/{'' if side == 'overblik' else side}?{query}"
        return f"{url}/?side={side}&{query}"

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sidebar = page.locator("[data-testid='stSidebar']")
        run = 0

        def timed(kind: str, what: str, action, fresh: bool = False) -> None:
            nonlocal run
            run = 1 if fresh else run + 1
            start = time.perf_counter()
            action()
            page.wait_for_selector(f"#vaerdistrom-run-{run}", state="attached", timeout=600_000)
            seconds = time.perf_counter() - start
            errors = page.locator("[data-testid='stException']").count()  # a page that failed is not fast
            out.append({"kind": kind, "what": what, "seconds": seconds, "errors": errors})
            print(kind, what, round(seconds, 2), f"({errors} errors)" if errors else "", flush=True)

        def choose(label: str, index: int = 0):
            def action() -> None:
                sidebar.locator("[data-testid='stSelectbox']").nth(index).click()
                page.get_by_role("option", name=label, exact=True).click()

            return action

        def typed(label: str, day: dt.date):
            """Type `day` into the date field `label` (its segments take digits), then time leaving the field:
            Streamlit's date input sends its value when it loses focus."""
            sidebar.get_by_role("spinbutton", name=f"year, {label}").click()
            page.keyboard.type(day.strftime("%Y%m%d"))
            return lambda: page.locator("h1").first.click()

        timed("full load", "overblik (da)", lambda: page.goto(address("overblik", "lang=da")), fresh=True)
        middle = first + (last - first) / 2
        _in_app(timed, page, sidebar, titles, choose, typed, processes, middle, last)
        _by_address(timed, page, address, processes, first, middle)
        browser.close()
    return out


def _in_app(
    timed, page, sidebar, titles: dict, choose, typed, processes: list[str], middle: dt.date, last: dt.date
) -> None:
    """The interactions in the app: every page in Danish, the language switched, every page in English; a process
    and a period set in the sidebar and every page under them; the process map's overlay; other processes."""
    for lang, i in (("da", 0), ("en", 1)):
        if lang == "en":
            timed(
                "page chosen in the sidebar",
                "language switched to English",
                lambda: sidebar.get_by_text("English", exact=True).click(),
            )
        for side in PAGES[1:] + PAGES[:1]:
            timed(
                "page chosen in the sidebar",
                f"{side} ({lang})",
                lambda side=side, i=i: sidebar.get_by_text(titles[side][i], exact=True).click(),
            )
    later = middle + dt.timedelta(days=1)
    timed("filter set in the sidebar", f"process {processes[0]}", choose(processes[0]))
    timed("filter set in the sidebar", f"from {later}", typed("From", later))
    timed("filter set in the sidebar", f"to {last}", typed("To", last))
    for side in PAGES[1:]:
        timed(
            "page under the filter",
            f"{side}: {processes[0]}, {later}..{last}",
            lambda side=side: sidebar.get_by_text(titles[side][1], exact=True).click(),
        )
    timed("in the page", "to Process flow", lambda: sidebar.get_by_text("Process flow", exact=True).click())
    for label in ("Waiting time (median)", "Frequency", "Waiting time (median)"):
        timed(
            "in the page",
            f"process map: {label.lower()}",
            lambda label=label: page.get_by_text(label, exact=True).click(),
        )
    for process in processes[1:4]:
        timed("in the page", f"process {process} chosen in the sidebar", choose(process))


def _by_address(timed, page, address, processes: list[str], first: dt.date, middle: dt.date) -> None:
    """Full loads of the app by an address, as a shared link opens it: every page in both languages, then every
    page with a process and a period no interaction before computed."""
    for lang in ("da", "en"):
        for side in PAGES:
            timed(
                "full load",
                f"{side} ({lang})",
                lambda side=side, lang=lang: page.goto(address(side, f"lang={lang}")),
                fresh=True,
            )
    query = f"lang=da&process={processes[0]}&from={first}&to={middle}"
    for side in PAGES:
        timed(
            "full load with a filter",
            f"{side}: {processes[0]}, {first}..{middle}",
            lambda side=side: page.goto(address(side, query)),
            fresh=True,
        )
