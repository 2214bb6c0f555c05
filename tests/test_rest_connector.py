"""The REST connector against a local HTTP server shaped like a case system's API (tests/fake_api.py).

Every kind of paging reads every record once; the presets map their records; a second pull asks
modified-since the first pull's latest time less the lookback and stores only the new records;
429 and 5xx are retried with the waits the server asks for; refused credentials are one clear
error; records that are not objects, or lack what an event needs, go to quarantine.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from support.fake_api import FakeApi

from connectors.base import ReadError
from connectors.config import Api
from connectors.rest import RestPull
from warehouse.batch import LoadError
from warehouse.config import Source
from warehouse.load import load_pull
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser
from warehouse.pull import stored_watermark

PSEUDO = Pseudonymiser(b"r" * 32)
START = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
STATES = ("Modtaget", "Under behandling", "Afgjort")


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def case_records(n: int, first: int = 0) -> list[dict]:
    """n case-list records (the case_list preset's shape), one state change every 17 minutes."""
    out = []
    for i in range(first, first + n):
        t = START + dt.timedelta(minutes=17 * i)
        out.append(
            {
                "caseId": f"BYG-{i // 3:05d}",
                "caseDate": (START + dt.timedelta(days=i // 3)).date().isoformat(),
                "progressState": STATES[i % 3],
                "kleNumber": "02.34.02",
                "caseworker": f"Sagsbehandler {i % 4}",
                "department": ["Byg og Miljø", "Plan"][i % 2],
                "modified": iso(t),
                "party": {"cpr": f"{(i % 28) + 1:02d}0190-{1000 + i // 3:04d}"},
            }
        )
    return out


@pytest.fixture
def api():
    server = FakeApi(records=case_records(237))
    yield server
    server.close()


MAPPING = {
    "case_id": "caseId",
    "activity": "progressState",
    "ts": "modified",
    "resource": "caseworker",
    "org_unit": "department",
    "citizen_key": "party.cpr",
}


def rest_source(url: str, mapping: dict | None = None, **api) -> Source:
    return Source.model_validate(
        {
            "kind": "rest",
            "process": "byggesag",
            "channel": "case_system",
            "api": {"url": url, "backoff_seconds": 0, **api},
        }
        | ({"mapping": mapping, "personal": ["party.cpr"]} if mapping else {})
    )


def stored(con) -> list[tuple]:
    return con.execute("select case_id, activity, ts, resource, org_unit from staging.events order by all").fetchall()


def expected(records: list[dict]) -> list[tuple]:
    return sorted(
        (r["caseId"], r["progressState"], dt.datetime.fromisoformat(r["modified"]), r["caseworker"], r["department"])
        for r in records
    )


def data_requests(server: FakeApi) -> list[tuple]:
    return [r for r in server.log if r[1] != "/token"]


@pytest.mark.parametrize(
    "path, paging, pages",
    [
        ("/cases", {"preset": "case_list", "page_size": 50}, math.ceil(237 / 50)),
        ("/offset", {"items": "data", "paging": "offset", "page_size": 50, "total_path": "total"}, math.ceil(237 / 50)),
        ("/cursor", {"items": "data", "paging": "cursor", "cursor_path": "meta.next"}, math.ceil(237 / 40)),
        ("/link", {"items": "", "paging": "link"}, math.ceil(237 / 30)),
    ],
)
def test_every_kind_of_paging_reads_every_record_once(api, path, paging, pages):
    src = rest_source(api.url + path, None if "preset" in paging else MAPPING, **paging)
    con = connect(":memory:")
    report = load_pull(con, src, "sager", PSEUDO)
    assert (report.rows_read, report.rows_new, report.rows_quarantined) == (237, 237, 0)
    assert stored(con) == expected(api.records)
    assert len(data_requests(api)) == pages
    keys = con.execute(
        "select count(distinct citizen_key), count(*) filter (where citizen_key like '%-%') from staging.events"
    ).fetchall()
    assert keys == [(len({r["party"]["cpr"] for r in api.records}), 0)]  # pseudonymised, one per citizen
    kle = con.execute(
        "select distinct attributes->>'kleNumber', attributes->>'caseDate' from staging.events "
        "where case_id = 'BYG-00000'"
    ).fetchall()
    assert kle == [("02.34.02", "2025-03-01")]


def test_a_second_pull_asks_modified_since_and_stores_only_what_is_new(api):
    src = rest_source(api.url + "/cases", preset="case_list", lookback_seconds=600)
    con = connect(":memory:")
    assert load_pull(con, src, "sager", PSEUDO).rows_new == 237
    top = api.records[-1]["modified"]
    assert stored_watermark(con, "sager").value == dt.datetime.fromisoformat(top).isoformat()
    assert "modifiedSince" not in data_requests(api)[0][2]

    api.records += case_records(12, first=237)
    api.log.clear()
    report = load_pull(con, src, "sager", PSEUDO)
    asked = data_requests(api)[0][2]["modifiedSince"]
    assert asked == iso(dt.datetime.fromisoformat(top) - dt.timedelta(seconds=600))
    again = [r for r in api.records if r["modified"] >= asked]
    assert (report.rows_read, report.rows_new) == (len(again), 12)
    assert report.rows_read - report.rows_new == len(again) - 12 > 0  # the lookback's records, already there
    assert stored(con) == expected(api.records)
    back = dt.datetime.fromisoformat(top) - dt.timedelta(seconds=600)
    assert report.file.endswith(f"/cases modified since {back.isoformat()}")


def test_the_search_preset_pages_in_the_body_with_an_oauth2_token(api, monkeypatch):
    monkeypatch.setenv("SEARCH_ID", "vaerdistrom")
    monkeypatch.setenv("SEARCH_SECRET", "hemmelig")
    api.auth = "bearer"
    api.records = [
        {
            "caseNumber": r["caseId"],
            "title": "Byggetilladelse",
            "kle": r["kleNumber"],
            "state": r["progressState"],
            "stateChangedAt": r["modified"],
            "handler": {"name": r["caseworker"], "unit": r["department"]},
            "party": r["party"],
            "modified": r["modified"],
        }
        for r in api.records
    ]
    src = rest_source(
        api.url + "/search",
        preset="search",
        body={"kle": "02.34.02"},
        oauth2={"token_url": api.url + "/token", "client_id_env": "SEARCH_ID", "client_secret_env": "SEARCH_SECRET"},
    )
    con = connect(":memory:")
    assert load_pull(con, src, "esdh", PSEUDO).rows_new == 237
    bodies = [r[3] for r in data_requests(api)]
    assert [b["skip"] for b in bodies] == [0, 100, 200] and all(
        b["size"] == 100 and b["kle"] == "02.34.02" for b in bodies
    )
    assert api.tokens_issued == 1
    assert con.execute(
        "select count(*) from staging.events where org_unit = 'Plan' and resource like 'Sagsbehandler %'"
    ).fetchall() == [(sum(1 for r in api.records if r["handler"]["unit"] == "Plan"),)]


def test_429_and_5xx_are_retried_with_the_waits_the_server_asks_for(api):
    api.fail_next = [
        (429, {"Retry-After": "7"}, {"error": "slow down"}),
        (503, {}, {"error": "maintenance"}),
        (502, {}, "bad gateway"),
    ]
    waits: list[float] = []
    pull = RestPull(
        Api(url=api.url + "/cases", preset="case_list", backoff_seconds=0.5), since=None, where="s", sleep=waits.append
    )
    rows = sum(c.frame.height for c in pull)
    assert rows == 237
    assert waits == [7.0, 0.5 * 2, 0.5 * 4]  # Retry-After, then the backoff of the second and third attempt
    assert pull.requests == 3 + math.ceil(237 / 100)


def test_a_server_that_keeps_failing_keeps_nothing(api):
    api.fail_next = [(503, {}, {"error": "down"})] * 3
    con = connect(":memory:")
    with pytest.raises(
        LoadError,
        match=r"sources.sager: GET http://127.0.0.1:\d+/cases still answered 503 Service "
        r"Unavailable after 2 retries: down .*nothing kept",
    ):
        load_pull(con, rest_source(api.url + "/cases", preset="case_list", retries=2), "sager", PSEUDO)
    assert con.execute("select count(*) from staging.events").fetchall() == [(0,)]
    assert stored_watermark(con, "sager") is None
    api.fail_next = [(429, {"Retry-After": "3600"}, {})]
    with pytest.raises(LoadError, match=r"asked us to wait 3600 s \(Retry-After\), more than max_wait_seconds = 300"):
        load_pull(con, rest_source(api.url + "/cases", preset="case_list"), "sager", PSEUDO)


def test_our_pace_and_an_exhausted_rate_window_make_the_next_request_wait():
    server = FakeApi(records=case_records(350))
    try:
        server.headers_next = [{}, {"RateLimit-Remaining": "0", "RateLimit-Reset": "4"}]
        now = [1000.0]
        waits: list[float] = []

        def sleep(s: float) -> None:
            waits.append(s)
            now[0] += s

        pull = RestPull(
            Api(url=server.url + "/cases", preset="case_list", requests_per_second=2),
            since=None,
            where="s",
            sleep=sleep,
            clock=lambda: now[0],
        )
        assert sum(c.frame.height for c in pull) == 350
        # four pages, two requests a second; the second page said the window is spent for 4 s
        assert waits == [0.5, 4.0, 0.5]
    finally:
        server.close()


def test_refused_credentials_are_one_clear_error_and_never_retried(api, monkeypatch):
    monkeypatch.setenv("SEARCH_ID", "vaerdistrom")
    monkeypatch.setenv("SEARCH_SECRET", "forkert")
    api.auth = "bearer"
    src = rest_source(
        api.url + "/cases",
        preset="case_list",
        oauth2={"token_url": api.url + "/token", "client_id_env": "SEARCH_ID", "client_secret_env": "SEARCH_SECRET"},
    )
    con = connect(":memory:")
    with pytest.raises(LoadError) as e:
        load_pull(con, src, "sager", PSEUDO)
    assert (
        f"sources.sager: {api.url}/token refused the credentials (401 Unauthorized): check SEARCH_ID and "
        "SEARCH_SECRET: invalid_client (unknown client or secret)" in str(e.value)
    )
    assert "forkert" not in str(e.value) and len(api.log) == 1
    from warehouse.pull import check

    with pytest.raises(LoadError, match="refused the credentials"):
        check(src, "sager")

    api.auth, api.log[:] = "api_key", []
    monkeypatch.setenv("SAGER_KEY", "noegle-2")
    with pytest.raises(LoadError, match=r"/cases refused the credentials \(401 Unauthorized\): check SAGER_KEY"):
        load_pull(
            con, rest_source(api.url + "/cases", preset="case_list", api_key={"key_env": "SAGER_KEY"}), "sager", PSEUDO
        )
    assert len(api.log) == 1
    monkeypatch.setenv("SAGER_KEY", "noegle-1")
    assert (
        load_pull(
            con, rest_source(api.url + "/cases", preset="case_list", api_key={"key_env": "SAGER_KEY"}), "sager", PSEUDO
        ).rows_new
        == 237
    )
    monkeypatch.delenv("SAGER_KEY")
    with pytest.raises(LoadError, match="sources.sager: environment variable SAGER_KEY is not set"):
        load_pull(
            con, rest_source(api.url + "/cases", preset="case_list", api_key={"key_env": "SAGER_KEY"}), "sager", PSEUDO
        )


def test_a_token_that_runs_out_mid_pull_is_renewed_once(api, monkeypatch):
    monkeypatch.setenv("SEARCH_ID", "vaerdistrom")
    monkeypatch.setenv("SEARCH_SECRET", "hemmelig")
    api.auth, api.token_uses = "bearer", 2
    src = rest_source(
        api.url + "/cases",
        preset="case_list",
        page_size=50,
        oauth2={"token_url": api.url + "/token", "client_id_env": "SEARCH_ID", "client_secret_env": "SEARCH_SECRET"},
    )
    con = connect(":memory:")
    assert load_pull(con, src, "sager", PSEUDO).rows_new == 237
    assert api.tokens_issued == 3  # five pages, two per token


def test_records_that_cannot_be_events_go_to_quarantine_with_their_number(api):
    good = api.records[:5]
    api.records = (
        good[:2]
        + ["not a record", 42, None]
        + [good[2] | {"modified": "i går"}]
        + [{k: v for k, v in good[3].items() if k != "progressState"}]
        + good[4:]
    )
    con = connect(":memory:")
    report = load_pull(con, rest_source(api.url + "/cases", preset="case_list"), "sager", PSEUDO)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (8, 3, 5)
    q = con.execute("select row_number, field, reason from raw.quarantine order by row_number").fetchall()
    assert q == [
        (3, None, "record is not a JSON object"),
        (4, None, "record is not a JSON object"),
        (5, None, "record is not a JSON object"),
        (6, "modified", "timestamp missing or not readable"),
        (7, "progressState", "activity is empty"),
    ]
    assert stored(con) == expected([good[0], good[1], good[4]])


def test_a_page_that_is_not_json_or_has_no_records_says_where(api):
    con = connect(":memory:")
    with pytest.raises(LoadError, match=r"sources.sager: GET http://127.0.0.1:\d+/broken did not answer JSON"):
        load_pull(con, rest_source(api.url + "/broken", preset="case_list", paging="none"), "sager", PSEUDO)
    with pytest.raises(
        LoadError,
        match=r"a page of http://127.0.0.1:\d+/offset has no list at 'rows' "
        r"\(it has: data, total\)",
    ):
        load_pull(con, rest_source(api.url + "/offset", MAPPING, items="rows"), "sager", PSEUDO)
    with pytest.raises(ReadError, match="cursor paging needs the dotted path"):
        RestPull(Api(url=api.url, paging="cursor"), since=None, where="s")


def test_a_first_pull_from_a_given_start_asks_it_as_it_is(api):
    src = rest_source(api.url + "/cases", preset="case_list", start="2025-03-02T00:00:00Z", lookback_seconds=600)
    con = connect(":memory:")
    report = load_pull(con, src, "sager", PSEUDO)
    assert data_requests(api)[0][2]["modifiedSince"] == "2025-03-02T00:00:00Z"
    later = [r for r in api.records if r["modified"] >= "2025-03-02T00:00:00Z"]
    assert report.rows_new == len(later) < len(api.records)
    assert stored(con) == expected(later)
