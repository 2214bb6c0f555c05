"""A 12-month run's statistics land near the configured values.

Tolerances are stated per test. They are set at about four standard errors for the
sample sizes here (6,000 citizens: about 2,000 visitation and sickness-benefit
cases, 1,500 building permits) plus the bias of cutting open cases off at the export
horizon, so they hold for any seed yet catch a parameter that is not applied.
"""

import datetime as dt
import random

import polars as pl
import pytest
from support.exports import truth, truth_cases, truth_contacts
from support.logs import process_frame

from simulator.contacts import ContactMaker, ContactParams
from simulator.engine import DAY, Case, Citizen, Env, Staff, Wait
from simulator.templates import byggesag, sygedagpenge, visitation
from vaerdistrom.calendar import WorkCalendar, day_number


def traces(out, process) -> dict[str, list[str]]:
    df = process_frame(out, process)
    return {k: v for k, v in df.group_by("case_id", maintain_order=True).agg("activity").iter_rows()}


@pytest.mark.parametrize(
    "process, configured_days, tolerance",
    [
        # working days -> calendar days: x 7/5, plus the holidays inside the wait (about 3 %)
        ("visitation", visitation.PARAMS["visit_queue_wd"].baseline * 7 / 5, 0.10),
        ("sygedagpenge", sygedagpenge.PARAMS["visitation_wd"].baseline * 7 / 5, 0.15),
        ("byggesag", byggesag.PARAMS["queue_cd"].baseline, 0.10),
    ],
)
def test_bottleneck_wait_near_configured_mean(baseline, process, configured_days, tolerance):
    bn = truth(baseline)["processes"][process]["bottleneck"]
    assert bn["rank_by_total_wait"] == 1
    assert abs(bn["mean_wait_days"] - configured_days) / configured_days < tolerance


def test_bottleneck_wait_measured_from_the_files(baseline):
    """The truth's mean wait is what the exported timestamps show (complete of 'from' to start of 'to')."""
    df = process_frame(baseline, "visitation", complete_only=False).with_columns(
        prev_act=pl.col("activity").shift(1).over("case_id"),
        prev_lc=pl.col("lifecycle").shift(1).over("case_id"),
        prev_ts=pl.col("ts").shift(1).over("case_id"),
    )
    waits = df.filter(
        (pl.col("prev_act") == "Visitationsbesøg booket")
        & (pl.col("prev_lc") == "complete")
        & (pl.col("activity") == "Visitationsbesøg og funktionsvurdering")
        & (pl.col("lifecycle") == "start")
    )
    days = (waits["ts"] - waits["prev_ts"]).dt.total_seconds() / 86400
    bn = truth(baseline)["processes"]["visitation"]["bottleneck"]
    assert waits.height == bn["n"]
    assert days.mean() == pytest.approx(bn["mean_wait_days"], abs=1e-3)


def test_information_requested_again_at_the_configured_rate(baseline):
    """T1: p = 0.25 of asking again (tolerance 0.04); the first repeat is done by another
    visitator (a redo) with p = 0.30 (tolerance 0.06); the truth's repeat and redo counts are
    what the exported resources show."""
    df = process_frame(baseline, "visitation").filter(pl.col("activity") == "Oplysninger indhentet")
    per_case = {k: v for k, v in df.group_by("case_id", maintain_order=True).agg("resource").iter_rows()}
    again = sum(len(r) > 1 for r in per_case.values()) / len(per_case)
    assert abs(again - 0.25) < 0.04
    first_repeats = [r for r in per_case.values() if len(r) > 1]
    assert abs(sum(r[1] != r[0] for r in first_repeats) / len(first_repeats) - 0.30) < 0.06
    repeats = sum(a == b for r in per_case.values() for a, b in zip(r, r[1:], strict=False))
    redos = sum(a != b for r in per_case.values() for a, b in zip(r, r[1:], strict=False))
    truth_rework = truth(baseline)["processes"]["visitation"]["rework"]["Oplysninger indhentet"]
    assert (truth_rework["repeats"], truth_rework["redos"]) == (repeats, redos)
    assert truth_rework["self_loops"] == repeats + redos  # asked again straight after


def test_missing_information_letters_at_the_configured_rate(baseline):
    """T4: half of the screened applications get a missing-information letter (tolerance 0.04)."""
    t = traces(baseline, "byggesag")
    past_screening = [a for a in t.values() if len(a) >= 4 or "Mangelbrev sendt" in a]
    share = sum("Mangelbrev sendt" in a for a in past_screening) / len(past_screening)
    assert abs(share - 0.50) < 0.04


def test_skipped_activity_at_the_configured_rate(baseline):
    """T1: 6 % of cases never get an acknowledgement (tolerance 0.02); the truth counts them exactly."""
    t = traces(baseline, "visitation")
    booked = [a for a in t.values() if "Visitationsbesøg booket" in a]
    skipped = sum("Kvittering sendt" not in a for a in booked)
    assert abs(skipped / len(booked) - 0.06) < 0.02
    dev = {(d["type"], d["activity"]): d["cases"] for d in truth(baseline)["processes"]["visitation"]["deviations"]}
    cases_with_skip = sum(
        1 for c in truth_cases(baseline) if c["process"] == "visitation" and "skip:Kvittering sendt" in c["deviations"]
    )
    assert dev[("skip", "Kvittering sendt")] == cases_with_skip
    assert skipped == sum(
        1
        for c in truth_cases(baseline)
        if c["process"] == "visitation"
        and "skip:Kvittering sendt" in c["deviations"]
        and c["case_id"] in {k for k, a in t.items() if "Visitationsbesøg booket" in a}
    )


def test_sickness_categories_and_permit_decisions(baseline):
    """T3 categories 0.55 / 0.35 / 0.10 and T4 decisions 85 % permits (tolerance 0.03)."""
    mo = pl.read_parquet(baseline / "momentum" / "sygedagpenge.parquet")
    per_case = mo.group_by("forloebsid").agg(pl.col("kategori").first())
    shares = per_case["kategori"].value_counts(normalize=True)
    share = dict(zip(shares["kategori"], shares["proportion"], strict=True))
    for cat, expected in (("1", 0.55), ("2", 0.35), ("3", 0.10)):
        assert abs(share[cat] - expected) < 0.03
    sb = pl.read_csv(baseline / "sbsys" / "sagsaktiviteter.csv", separator=";", encoding="cp1252", infer_schema=False)
    decisions = sb.filter(pl.col("Aktivitet") == "Afgørelse meddelt")["Svar"]
    henlagt = sb.filter(pl.col("Aktivitet") == "Sag henlagt").height
    permits = (decisions == "Tilladelse").sum() / (decisions.len() + henlagt)
    assert abs(permits - 0.85) < 0.03


def test_contact_channel_mix(baseline):
    """Inbound case contacts: phone 60 %, e-mail 15 %, Digital Post 15 %, front desk 10 % (tolerance 0.03)."""
    c = truth_contacts(baseline).filter(pl.col("true_case_id").is_not_null() & (pl.col("direction") == "inbound"))
    mix = dict(zip(*c["channel"].value_counts(normalize=True).to_dict(as_series=False).values(), strict=True))
    for channel, expected in (("phone", 0.60), ("email", 0.15), ("digital_post", 0.15), ("visit", 0.10)):
        assert abs(mix[channel] - expected) < 0.03, (channel, mix)


def _case(env: Env, start: int, end: int, deadline: int | None) -> Case:
    staff = env.staff["borgerservice"][0]
    case = Case(env, "visitation", "NX-1", Citizen(0, "010101-0000", 1950, True), start, staff)
    case.waits.append(Wait(start, end, "a", "b", True))
    case.deadline_at = deadline
    return case


def test_contacts_are_poisson_at_the_configured_rate_and_faster_after_the_deadline():
    """Unit check of the contact process on a synthetic wait from Monday 6 January 2025 to Friday
    14 March 15:30 (office close, so no call is pushed past the wait): 4 weeks before the deadline
    at 0.5/week and the rest at 0.5 x 2.5, plus 0.2/week outbound throughout. Over 4,000 cases the
    means are within 2 % of that."""
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2027, 12, 31))
    start = day_number(dt.date(2025, 1, 6)) * DAY
    end = day_number(dt.date(2025, 3, 14)) * DAY + 15 * 3600 + 1800
    weeks_before, weeks_after = 4.0, (end - start - 28 * DAY) / (7 * DAY)
    staff = {"borgerservice": [Staff("Anne Holm", "AH", "Borgerservicemedarbejder", "Borgerservice")]}
    env = Env(random.Random(1), cal, start - 400 * DAY, end + 400 * DAY, staff, "baseline")
    maker = ContactMaker(env, lambda: "020202-0000")
    p = ContactParams(inbound_per_week=0.5, outbound_per_week=0.2, after_deadline_factor=2.5, noise_share=0.0)
    inbound = outbound = late = 0
    n = 4000
    for _ in range(n):
        found = []
        maker.for_case(_case(env, start, end, start + 28 * DAY), p, found)
        inbound += sum(c.direction == "inbound" for c in found)
        outbound += sum(c.direction == "outbound" for c in found)
        late += sum(c.reason == "Klage over sagsbehandlingstid" for c in found)
    expected_in = weeks_before * 0.5 + weeks_after * 0.5 * 2.5
    expected_out = (weeks_before + weeks_after) * 0.2
    assert abs(inbound / n / expected_in - 1) < 0.02
    assert abs(outbound / n / expected_out - 1) < 0.02
    assert late > 0 and all(c.ts >= start for c in found)


def test_improved_scenario_is_the_after_picture(baseline, improved):
    b, i = truth(baseline)["processes"], truth(improved)["processes"]
    assert b["visitation"]["bottleneck"]["mean_wait_days"] > 45
    assert i["visitation"]["bottleneck"]["mean_wait_days"] < 6
    assert b["visitation"]["deadline"]["share_met"] < 0.1 < 0.7 < i["visitation"]["deadline"]["share_met"]
    assert i["visitation"]["contacts"]["per_case"] < 0.5 * b["visitation"]["contacts"]["per_case"]
    assert i["byggesag"]["bottleneck"]["mean_wait_days"] < 0.5 * b["byggesag"]["bottleneck"]["mean_wait_days"]
    assert (
        i["helhedsplan"]["rework"]["Oplysninger indhentet"]["case_share"]
        < b["helhedsplan"]["rework"]["Oplysninger indhentet"]["case_share"]
    )
    assert i["sygedagpenge"]["deadline"]["share_met"] > b["sygedagpenge"]["deadline"]["share_met"] + 0.15
