"""Hypothesis round-trips through the CSV path: any text, nulls and local times come back as written.

The two things a CSV cannot say are stated, not hidden: an empty field and the words NULL
or null are read as missing values, and CPR-shaped strings come back pseudonymised.
"""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.config import Source
from warehouse.load import load_file
from warehouse.migrations import connect
from warehouse.pseudonym import Pseudonymiser

PSEUDO = Pseudonymiser(bytes(range(32)))
NOT_WHITE_SPACE = "\x1c\x1d\x1e\x1f"  # Python's isspace() says yes; Unicode's White_Space property says no


def strip_white_space(s: str) -> str:
    """Strip Unicode White_Space at both ends (what the loader does to mapped fields)."""
    is_ws = lambda c: c.isspace() and c not in NOT_WHITE_SPACE  # noqa: E731
    start, end = 0, len(s)
    while start < end and is_ws(s[start]):
        start += 1
    while end > start and is_ws(s[end - 1]):
        end -= 1
    return s[start:end]


ZONE = ZoneInfo("Europe/Copenhagen")
SOURCE = Source.model_validate(
    {
        "kind": "csv",
        "path": "x.csv",
        "delimiter": ";",
        "encoding": "utf-8",
        "process": "p",
        "timestamp_format": "%Y-%m-%d %H:%M:%S",
        "mapping": {"case_id": "Sag", "activity": "Aktivitet", "ts": "Tid"},
    }
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
activity = text.filter(lambda s: strip_white_space(s) not in ("", "NULL", "null"))
note = st.one_of(st.none(), text.filter(lambda s: s not in ("", "NULL", "null")))
# times a source may hold: from 1971 (epoch seconds would be read as such) to within a year from now (later ones are
# quarantined as implausible)
when = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime.now() + dt.timedelta(days=300)).map(
    lambda d: d.replace(microsecond=0)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(activity, note, when), min_size=1, max_size=15))
def test_csv_round_trip(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("rt") / "x.csv"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Sag", "Aktivitet", "Tid", "Notat"])
    for i, (act, nt, t) in enumerate(rows):
        w.writerow([f"S-{i}", act, t.strftime("%Y-%m-%d %H:%M:%S"), nt if nt is not None else ""])
    path.write_text(buf.getvalue(), encoding="utf-8")
    con = connect(":memory:")
    r = load_file(con, SOURCE, "rt", path, PSEUDO)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (len(rows), len(rows), 0)
    got = con.execute(
        "select activity, attributes->>'Notat', epoch_us(ts) from staging.events order by source_seq"
    ).fetchall()
    for (act, nt, t), (g_act, g_note, g_us) in zip(rows, got, strict=True):
        assert g_act == strip_white_space(PSEUDO.scrub(act))
        assert g_note == (PSEUDO.scrub(nt) if nt is not None else None)
        expected = t.replace(tzinfo=ZONE, fold=0).astimezone(dt.UTC)  # the offset before a DST change
        assert g_us == int(expected.timestamp()) * 1_000_000
