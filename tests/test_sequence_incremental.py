"""The stored event sequence kept up to date batch by batch equals the events sorted once, whatever the batches and
the order they arrive in (late events of old cases, ties in time, start/complete pairs, cases in several processes)."""

import datetime as dt
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mining.engine import build
from warehouse.migrations import connect

MARTS = ["event_sequence", "case_variants", "activity_instances", "instance_case_variants"]
T0 = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)

event = st.tuples(
    st.sampled_from([("visitation", "A"), ("visitation", "B"), ("byggesag", "A"), ("byggesag", "C")]),
    st.sampled_from(["Ansøgning", "Vurdering", "Afgørelse", "Partshøring"]),
    st.integers(0, 6),  # hours after T0: few values, so ties in time are common
    st.sampled_from([None, "complete", "start"]),
    st.sampled_from([None, "kb", "mj"]),
)


def _insert(con, events: list[tuple], batch: int) -> None:
    con.execute(
        "insert into meta.batches (batch_id, source, started_at, status) values (?, 'test', now(), 'done')", [batch]
    )
    for (process, case_id), activity, hours, lifecycle, resource, seq in events:
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, lifecycle, resource, "
            "org_unit, citizen_key, source_seq, batch_id) values (?, 'test', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uuid.uuid5(uuid.NAMESPACE_OID, str(seq)),
                process,
                case_id,
                activity,
                T0 + dt.timedelta(hours=hours),
                lifecycle,
                resource,
                "Visitation" if resource == "kb" else "Byg",
                f"citizen-{case_id}",
                seq,
                batch,
            ],
        )


def _rows(con, mart: str) -> list[tuple]:
    return con.execute(f"select * from marts.{mart} order by all").fetchall()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(event, min_size=1, max_size=24),
    cuts=st.lists(st.integers(0, 24), max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_the_sequence_kept_batch_by_batch_equals_one_sort(events, cuts, order):
    numbered = [(*e, seq) for seq, e in enumerate(events, start=1)]
    bounds = sorted({0, len(numbered), *(c for c in cuts if c < len(numbered))})
    batches = [numbered[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    order.shuffle(batches)  # later exports may carry earlier events of cases already mined
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "w.duckdb")
        for i, batch in enumerate(batches, start=1):
            _insert(con, batch, i)
            build(con, MARTS)  # incremental: only the cases this batch touched are sorted again
        kept = {m: _rows(con, m) for m in MARTS}
        build(con, MARTS, incremental=False)
        for mart in MARTS:
            assert kept[mart] == _rows(con, mart), mart
        sequence = con.execute(
            "select s.case_id, s.position, e.source_seq from marts.event_sequence as s join staging.events as e "
            "using (event_id) order by s.process, s.case_id, s.position"
        ).fetchall()
        con.close()
    by_case: dict[tuple, list] = {}
    for (process, case_id), _, hours, _, _, seq in numbered:
        by_case.setdefault((process, case_id), []).append((hours, seq))
    expected = [
        (case_id, position, seq)
        for (process, case_id) in sorted(by_case)
        for position, (_, seq) in enumerate(sorted(by_case[(process, case_id)]), start=1)
    ]
    assert sequence == expected  # by hand: each case's events by time, ties by their order in the source


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cases=st.lists(st.lists(st.sampled_from("ABC"), min_size=1, max_size=6), min_size=1, max_size=12),
)
def test_variants_by_hash_are_the_cases_sequences(cases):
    """Variants are found by a hash of each case's (position, activity) pairs: cases with the same activities in
    another order (A B B A against B A A B) are other variants, and each variant's count is its cases, by hand."""
    events = [
        (("visitation", f"c{i}"), activity, position, None, None)
        for i, steps in enumerate(cases)
        for position, activity in enumerate(steps)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "w.duckdb")
        _insert(con, [(*e, seq) for seq, e in enumerate(events, start=1)], 1)
        build(con, ["variants", "case_variants"])
        variants = {tuple(a): n for a, n in con.execute("select activities, n_cases from marts.variants").fetchall()}
        per_case = dict(con.execute("select case_id, activities from marts.case_variants").fetchall())
        con.close()
    expected: dict[tuple, int] = {}
    for steps in cases:
        expected[tuple(steps)] = expected.get(tuple(steps), 0) + 1
    assert variants == expected
    assert per_case == {f"c{i}": steps for i, steps in enumerate(cases)}


# Two texts DuckDB's own hash() gives the same 64-bit value (its hash of text is linear in the text's bytes): at 2.7M
# case numbers of a municipality's shape, 5,360 such pairs stopped the mining of a 30M-event warehouse.
TWINS = ("27.00.00-G01-1005-25-100", "27.00.00-G01-1075-25-107")


def test_texts_that_share_duckdbs_hash_stay_two_cases_and_two_variants(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    assert con.execute("select hash(?) = hash(?)", list(TWINS)).fetchall() == [(True,)], "the twins still collide"
    # two cases numbered by the twins, and two whose steps differ only by the twins as activity names
    _insert(
        con,
        [
            (("byggesag", TWINS[0]), "Ansøgning", 0, None, "kb", 1),
            (("byggesag", TWINS[1]), "Ansøgning", 1, None, "kb", 2),
            (("byggesag", TWINS[1]), "Afgørelse", 2, None, "kb", 3),
            (("byggesag", "x"), TWINS[0], 0, None, "kb", 4),
            (("byggesag", "y"), TWINS[1], 0, None, "kb", 5),
        ],
        batch=1,
    )
    build(con, ["case_variants", "variants", "instance_variants"])
    assert con.execute("select case_id, n_events from marts.case_variants order by case_id").fetchall() == [
        (TWINS[0], 1),
        (TWINS[1], 2),
        ("x", 1),
        ("y", 1),
    ]
    assert con.execute("select count(distinct case_key) from marts.event_sequence").fetchall() == [(4,)]
    variants = con.execute("select activities, n_cases from marts.variants order by activities").fetchall()
    assert variants == [
        ([TWINS[0]], 1),
        ([TWINS[1]], 1),
        (["Ansøgning"], 1),
        (["Ansøgning", "Afgørelse"], 1),
    ]
    instance_variants = con.execute("select count(*), sum(n_cases) from marts.instance_variants").fetchall()
    assert instance_variants == [(4, 4)]
