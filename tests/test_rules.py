"""Rules a process's cases must keep: response in working days over Easter, precedence, must (not) happen."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from mining.engine import build, query
from mining.rules import write_rules
from warehouse.config import ConfigError, Process, Rule, load_config
from warehouse.migrations import connect

ZONE = ZoneInfo("Europe/Copenhagen")
RULES = [
    Rule(
        name="Kvittering inden 5 arbejdsdage",
        kind="response",
        activity="Henvendelse",
        response="Kvittering",
        days=5,
        working_days=True,
    ),
    Rule(name="Afgørelse før bestilling", kind="precedence", activity="Afgørelse", before="Bestilling"),
    Rule(name="Afgørelse træffes", kind="must_happen", activity="Afgørelse"),
    Rule(name="Ingen klage", kind="must_not_happen", activity="Klage"),
]
LOG = [  # (case, activity, local time)
    ("k1", "Henvendelse", "2025-04-15T10:00"),
    ("k1", "Kvittering", "2025-04-25T15:00"),
    ("k1", "Afgørelse", "2025-04-28T09:00"),
    ("k1", "Bestilling", "2025-04-29T09:00"),
    ("k2", "Henvendelse", "2025-04-15T10:00"),
    ("k2", "Kvittering", "2025-04-28T09:00"),
    ("k2", "Bestilling", "2025-04-29T09:00"),
    ("k2", "Afgørelse", "2025-04-30T09:00"),
    ("k2", "Klage", "2025-05-02T09:00"),
    ("k3", "Henvendelse", "2025-05-20T10:00"),  # the data's last event: its receipt is not due yet
]


@pytest.fixture(scope="module")
def golden():
    con = connect(":memory:")
    for i, (case, activity, local) in enumerate(LOG, start=1):
        ts = dt.datetime.fromisoformat(local).replace(tzinfo=ZONE)
        con.execute(
            "insert into staging.events (event_id, source, process, case_id, activity, ts, source_seq, "
            "batch_id) values (?, 's', 'p', ?, ?, ?, ?, 1)",
            [str(uuid.uuid4()), case, activity, ts, i],
        )
    write_rules(con, {"p": Process(name_da="p", name_en="p", rules=RULES)})
    build(con, ["rule_checks", "rule_summary"])
    return con


def test_each_rule_judged_per_case(golden):
    got = {(r["rule"], r["case_id"]): (r["status"], r["days_late"]) for r in query(golden, "rule_checks").to_pylist()}
    # Five working days after Tuesday 15 April 2025: 16, 22, 23, 24, 25 April (Easter: 17, 18, 21 April are off)
    assert got == {
        ("Kvittering inden 5 arbejdsdage", "k1"): ("kept", 0),  # on the last allowed day
        ("Kvittering inden 5 arbejdsdage", "k2"): ("violated", 3),  # Monday 28th, three days late
        ("Kvittering inden 5 arbejdsdage", "k3"): ("pending", 0),
        ("Afgørelse før bestilling", "k1"): ("kept", None),
        ("Afgørelse før bestilling", "k2"): ("violated", None),  # ordered before it was decided
        ("Afgørelse træffes", "k1"): ("kept", None),
        ("Afgørelse træffes", "k2"): ("kept", None),
        ("Afgørelse træffes", "k3"): ("violated", None),
        ("Ingen klage", "k1"): ("kept", None),
        ("Ingen klage", "k2"): ("violated", None),
        ("Ingen klage", "k3"): ("kept", None),
    }


def test_a_rule_naming_an_unknown_activity_is_reported(golden):
    from mining.engine import run_sql
    from mining.rules import unknown_rule_activities

    run_sql(golden, "event_sequence")
    write_rules(
        golden,
        {
            "p": Process(
                name_da="p",
                name_en="p",
                rules=[*RULES, Rule(name="stavefejl", kind="precedence", activity="Afgorelse", before="Bestiling")],
            )
        },
    )
    assert unknown_rule_activities(golden) == [("p", "stavefejl", "Afgorelse"), ("p", "stavefejl", "Bestiling")]
    write_rules(golden, {"p": Process(name_da="p", name_en="p", rules=RULES)})


def test_summary_per_rule_and_month(golden):
    rows = {(r["rule"], r["month"]): r for r in query(golden, "rule_summary").to_pylist()}
    april = rows[("Kvittering inden 5 arbejdsdage", dt.date(2025, 4, 1))]
    assert (april["n_cases"], april["n_kept"], april["n_violated"], april["n_pending"], april["share_kept"]) == (
        2,
        1,
        1,
        0,
        0.5,
    )
    may = rows[("Kvittering inden 5 arbejdsdage", dt.date(2025, 5, 1))]
    assert (may["n_pending"], may["share_kept"]) == (1, None)
    assert rows[("Afgørelse træffes", dt.date(2025, 4, 1))]["n_kept"] == 2


@pytest.mark.parametrize(
    "rule, message",
    [
        ('kind = "response"\nactivity = "A"', "a response rule needs response and days"),
        ('kind = "precedence"\nactivity = "A"', "a precedence rule needs before"),
        ('kind = "must_happen"\nactivity = "A"\nbefore = "B"', "before is for precedence rules"),
        ('kind = "sometimes"\nactivity = "A"', "processes.p.rules.0.kind"),
    ],
)
def test_a_bad_rule_names_its_key(tmp_path, rule, message):
    cfg = tmp_path / "vaerdistrom.toml"
    cfg.write_text(
        '[municipality]\nname = "K"\n[sources.s]\nkind = "csv"\npath = "x.csv"\nprocess = "p"\n'
        '[sources.s.mapping]\nts = "t"\nactivity = "a"\n[processes.p]\nname_da = "p"\nname_en = "p"\n'
        f'[[processes.p.rules]]\nname = "r"\n{rule}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="processes.p.rules.0") as e:
        load_config(cfg)
    assert message in str(e.value)


@pytest.mark.slow
def test_rules_find_the_simulators_deviations(baseline, baseline_warehouse, tmp_path):
    """Visitation's injected deviations found by rules: an order placed before the decision was sent (precedence),
    an extra home visit (must not happen), a skipped receipt (must happen: also the cases the export cut off
    before their receipt)."""
    import shutil

    import duckdb
    from support.exports import truth_cases

    db = tmp_path / "rules.duckdb"
    shutil.copy(baseline_warehouse, db)
    con = duckdb.connect(str(db))
    cfg, _ = load_config(baseline / "vaerdistrom.toml")
    rules = [
        Rule(name="order", kind="precedence", activity="Afgørelse sendt", before="Bestilling til leverandør"),
        Rule(name="extra", kind="must_not_happen", activity="Ekstra hjemmebesøg"),
        Rule(name="receipt", kind="must_happen", activity="Kvittering sendt"),
    ]
    processes = dict(cfg.processes) | {"visitation": cfg.processes["visitation"].model_copy(update={"rules": rules})}
    write_rules(con, processes)
    build(con, ["rule_checks"])
    violated = {
        rule: {
            c
            for (c,) in con.execute(
                "select case_id from marts.rule_checks where rule = ? and status = 'violated'", [rule]
            ).fetchall()
        }
        for rule in ("order", "extra", "receipt")
    }
    injected = {
        kind: {t["case_id"] for t in truth_cases(baseline) if t["process"] == "visitation" and kind in t["deviations"]}
        for kind in ("wrong_order:Bestilling til leverandør", "insert:Ekstra hjemmebesøg", "skip:Kvittering sendt")
    }

    def having(activity: str) -> set[str]:
        return {
            c
            for (c,) in con.execute(
                "select distinct case_id from marts.event_sequence where process = 'visitation' and activity = ?",
                [activity],
            ).fetchall()
        }

    assert violated["order"] == injected["wrong_order:Bestilling til leverandør"] & having("Bestilling til leverandør")
    assert violated["extra"] == injected["insert:Ekstra hjemmebesøg"] & having("Ekstra hjemmebesøg")
    assert len(violated["order"]) > 20 and len(violated["extra"]) > 20
    skipped = injected["skip:Kvittering sendt"]
    assert skipped <= violated["receipt"]
    cut_off = violated["receipt"] - skipped  # their export ended before a receipt was due to be sent
    last = dict(
        con.execute(
            "select case_id, max(ts) from marts.event_sequence where process = 'visitation' group by all"
        ).fetchall()
    )
    as_of = con.execute("select max(ts) from staging.events").fetchall()[0][0]
    assert all((as_of - last[c]).days < 30 for c in cut_off)
