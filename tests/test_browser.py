"""The dashboard in a real browser: Playwright drives Debian's chromium (never a downloaded one) against
`vaerdistrom dashboard` on a published municipality: every page in both languages, numbers on screen equal to the
marts, a filter changed in the sidebar reaching the URL and the figures. With VAERDISTROM_SCREENSHOTS=1 the pages
are saved to docs/screenshots/ (what the README shows)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboards import data
from dashboards.format import days, kroner, number, percent

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PAGES = {
    "overblik": ("Overblik", "Overview"),
    "procesflow": ("Procesflow", "Process flow"),
    "flaskehalse": ("Flaskehalse", "Bottlenecks"),
    "omarbejde": ("Omarbejde", "Rework"),
    "henvendelser": ("Henvendelser", "Contacts"),
    "borgerrejse": ("Borgerrejse", "Citizen journey"),
    "afvigelser": ("Afvigelser", "Deviations"),
    "sammenlign": ("Sammenlign", "Compare"),
    "sager": ("Sager", "Cases"),
}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have Debian's chromium at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"no chromium at {CHROMIUM}: `apt-get install chromium` to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server(dashboard_municipality):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("vaerdistrom")
    proc = subprocess.Popen(
        [str(exe), "dashboard", "--config", str(dashboard_municipality / "vaerdistrom.toml"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _open(page, url: str, title: str) -> None:
    page.goto(url)
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has=page.get_by_text(label, exact=True))
    return box.locator("[data-testid='stMetricValue']").inner_text(timeout=30_000).strip()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_page_opens_in_the_browser(browser, server, lang):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for side, titles in PAGES.items():
        _open(page, f"{server}/?side={side}&lang={lang}", titles[lang == "en"])
        assert page.locator("[data-testid='stException']").count() == 0, side
        # a link that names its page by `side` (as the app's addresses did before st.navigation) ends at the page's
        # own address: its Danish name, the overview at the app's address
        path = "/" if side == "overblik" else f"/{side}"
        page.wait_for_url(re.compile(re.escape(f"{server}{path}?lang={lang}") + "$"), timeout=30_000)
        if os.environ.get("VAERDISTROM_SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{side}-{lang}.png"), full_page=True)
    page.close()


@pytest.mark.slow
def test_numbers_on_screen_equal_the_marts_and_follow_a_filter(browser, server, dashboard_municipality):
    snapshot = dashboard_municipality / "published" / "vaerdistrom.duckdb"
    con = data.connect(snapshot)
    try:
        row = con.execute(
            "select n_cases, median_lead_time_days, mean_cost_dkk from marts.value_stream_summary "
            "where process = 'visitation'"
        ).fetchall()[0]
        share = con.execute(
            "select share_within_deadline from meta.kpi_history where process = 'visitation' "
            "order by night desc limit 1"
        ).fetchall()[0][0]
        journeys = con.execute("select count(*) from marts.citizen_journeys").fetchall()[0][0]
    finally:
        con.close()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _open(page, f"{server}/?side=overblik&lang=da&process=visitation", "Overblik")
    assert _metric(page, "Sager") == number(row[0], "da", 0)
    assert _metric(page, "Median gennemløbstid (dage)") == days(row[1], "da").removesuffix(" dage")
    assert _metric(page, "Inden for frist") == percent(share, "da")
    assert _metric(page, "Gns. omkostning pr. sag (kr.)") == kroner(row[2], "da")
    _open(page, f"{server}/borgerrejse?lang=en", "Citizen journey")  # a page by its address
    assert _metric(page, "Citizens") == number(journeys, "en", 0)
    # a process chosen in the sidebar reaches the URL (to share the view) and the figures
    _open(page, f"{server}/?side=overblik&lang=en", "Overview")
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="visitation").click()
    page.wait_for_url(re.compile(r"process=visitation"), timeout=30_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    assert _metric(page, "Cases") == number(row[0], "en", 0)
    page.close()


@pytest.mark.slow
def test_switching_the_language_keeps_every_filter(browser, server, dashboard_municipality):
    """The sidebar's choices survive a language switch: a choice shown by a translated label (every process, unit
    or variant; a variant's cases and steps) stays the same choice, and the figures stay those of the filter."""
    con = data.connect(dashboard_municipality / "published" / "vaerdistrom.duckdb")
    try:
        top = con.execute(
            "select variant_id, n_cases from marts.variants where process = 'visitation' "
            "order by n_cases desc, variant_id limit 1"
        ).fetchall()[0]
    finally:
        con.close()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sidebar = page.locator("[data-testid='stSidebar']")
    _open(page, f"{server}/?side=overblik&lang=da", "Overblik")
    sidebar.get_by_text("English", exact=True).click()
    page.wait_for_selector("h1:has-text('Overview')", timeout=30_000)
    sidebar.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="visitation", exact=True).click()
    page.wait_for_url(re.compile(r"process=visitation"), timeout=30_000)
    sidebar.get_by_role("spinbutton", name="year, From").click()
    page.keyboard.type("20250301")
    page.locator("h1").first.click()
    page.wait_for_url(re.compile(r"from=2025-03-01"), timeout=30_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    assert "variant=" not in page.url and "unit=" not in page.url
    # a variant chosen in English, then Danish: the same variant, its cases on the cards
    _open(page, f"{server}/?side=overblik&lang=en&process=visitation&variant={top[0]}", "Overview")
    assert _metric(page, "Cases") == number(top[1], "en", 0)
    sidebar.get_by_text("Dansk", exact=True).click()
    page.wait_for_selector("h1:has-text('Overblik')", timeout=30_000)
    sidebar.get_by_text("Procesflow", exact=True).click()  # a rerun after the switch sends every widget's value
    page.wait_for_selector("h1:has-text('Procesflow')", timeout=30_000)
    sidebar.get_by_text("Overblik", exact=True).click()
    page.wait_for_selector("h1:has-text('Overblik')", timeout=30_000)
    page.wait_for_selector("[data-testid='stMetric']", timeout=30_000)
    assert _metric(page, "Sager") == number(top[1], "da", 0)
    assert f"variant={top[0]}" in page.url
    page.close()
