"""T2 Childcare placement (pladsanvisning), logged by the placement system and exported to Excel."""

from __future__ import annotations

import datetime as dt

from simulator.contacts import ContactParams
from simulator.engine import DAY, OFFICE_START, Case
from simulator.model import Loop, Opt, Seq, Task, Xor
from simulator.templates.common import Deadline, Param, Pool, ProcessTemplate, Values
from vaerdistrom.calendar import day_date, day_number

OP, KG, VL = "Opskrivning modtaget", "Kvittering med garantidato", "Optaget på venteliste"
PT, TA, TU, TT = "Pladstilbud sendt", "Tilbud afslået", "Tilbud udløbet", "Tilbud accepteret"
IM, OS, OF, UM = "Indmeldelse", "Opstart", "Overflytningsønske modtaget", "Udmeldelse"
TP = "Telefonisk pladstilbud"  # not in the intended process: an offer made by phone outside the system

INTENDED = Seq(
    Task(OP),
    Task(KG),
    Task(VL),
    Loop(Task(PT), Seq(Xor(Task(TA), Task(TU)), Task(VL))),
    Task(TT),
    Task(IM),
    Task(OS),
    Opt(Task(OF)),
    Opt(Task(UM)),
)

INSTITUTIONS = (
    "Vuggestuen Solsikken",
    "Børnehuset Mælkebøtten",
    "Dagtilbud Østerbo",
    "Vuggestuen Myretuen",
    "Børnehuset Åkanden",
    "Dagplejen Nord",
    "Dagplejen Syd",
    "Børnehuset Kærlighedsstien",
)

PARAMS = {
    "age_at_application_days": Param(120.0, unit="cd", note="child's age when the parents apply (2-6 months)"),
    "desired_start_months": Param(10.0, unit="months", note="child's age at the start the parents ask for (8-12)"),
    "guarantee_weeks": Param(26.0, source="S", unit="weeks", note="place guarantee from 26 weeks of age"),
    "guarantee_months_after_application": Param(
        3.0, source="S", unit="months", note="and at the earliest 3 months after applying"
    ),
    "offer_lead_days": Param(61.0, source="S", unit="cd", note="offer at least 2 months before the start"),
    "planned_lead_days": Param(91.0, unit="cd", note="offers are planned about 3 months before the start"),
    "shortage_cd": Param(20.0, 4.0, unit="cd", note="capacity shortage delaying the offer beyond its planned date"),
    "answer_cd": Param(4.0, source="S", unit="cd", note="parents answer an offer within 5-8 days"),
    "p_refuse": Param(0.10, source="S", note="offer refused (back on the waiting list)"),
    "p_no_answer": Param(0.05, note="no answer: the offer expires (back on the waiting list)"),
    "reoffer_cd": Param(30.0, unit="cd", note="wait for a new offer after a refusal or expiry"),
    "p_transfer": Param(0.25, note="transfer wish after the start"),
    "leave_age_months": Param(34.0, unit="months", note="child leaves the nursery for kindergarten"),
    "p_skip_receipt": Param(0.04, note="deviation: no receipt with guarantee date sent (skip)"),
    "p_start_before_enrolment": Param(0.03, note="deviation: start registered before enrolment (wrong order)"),
    "p_phone_offer": Param(0.05, note="deviation: an offer made by phone outside the system (insert)"),
}

CONTACTS = ContactParams(
    inbound_per_week=0.10,
    outbound_per_week=0.03,
    phone_queue="Pladsanvisningen",
    mailbox="pladsanvisning@kommune.dk",
    desk_queue="Borgerservice",
)
CONTACTS_IMPROVED = ContactParams(
    inbound_per_week=0.07,
    outbound_per_week=0.03,
    phone_queue="Pladsanvisningen",
    mailbox="pladsanvisning@kommune.dk",
    desk_queue="Borgerservice",
)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (the month's last day where it is shorter)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _first_of_month_on_or_after(day: dt.date) -> dt.date:
    return day if day.day == 1 else _add_months(day.replace(day=1), 1)


def run(c: Case, v: Values) -> None:
    """One application for a nursery place, from the parents' application to the child leaving."""
    env, rng = c.env, c.env.rng
    system = env.pick("t2_system")
    applied = day_date(c.t // DAY)
    birth = applied - dt.timedelta(days=int(rng.uniform(0.5, 1.5) * v.age_at_application_days))
    desired = _first_of_month_on_or_after(_add_months(birth, int(v.desired_start_months) + rng.randint(-2, 2)))
    # the place is guaranteed from 26 weeks of age and 3 months after applying, and from the start asked for
    guarantee = _first_of_month_on_or_after(
        max(
            birth + dt.timedelta(weeks=v.guarantee_weeks),
            _add_months(applied, int(v.guarantee_months_after_application)),
            desired,
        )
    )
    guarantee = desired = day_date(env.calendar.add_working_days(day_number(guarantee), 0))  # first working day
    c.attrs.update(
        child_cpr=env.newborn(birth).cpr,
        guarantee=guarantee,
        desired_start=desired,
        institution=rng.choice(INSTITUTIONS),
    )
    c.do(OP, system, note=f"Ønsket start {desired:%d-%m-%Y}")
    c.deadline_at = day_number(guarantee) * DAY + DAY - 1
    c.clock_started_at = c.t
    if env.deviations and rng.random() < v.p_skip_receipt:
        c.deviate("skip", KG)
    else:
        c.do(KG, system, minutes=1, note=f"Garantidato {guarantee:%d-%m-%Y}")
    c.wait_wd(1)
    c.do(VL, env.pick("t2_placement"), minutes=5)
    planned_offer = day_number(desired) * DAY - int(v.planned_lead_days * DAY)
    offer_at = max(c.t + DAY, planned_offer + int(env.gamma(v.shortage_cd, 2.0) * DAY))
    phone_offer = env.deviations and rng.random() < v.p_phone_offer
    while True:
        c.at_least(offer_at, planned=False)
        c.wait_wd(0.3)
        if phone_offer:
            c.deviate("insert", TP)
            c.do(TP, env.pick("t2_placement"), minutes=10)
            phone_offer = False
            c.wait_wd(1)
        c.do(PT, env.pick("t2_placement"), minutes=10, note=c.attrs["institution"])
        c.wait_cd(v.answer_cd, 3.0, citizen_waits=False)
        u = rng.random()
        if u < v.p_refuse:
            c.do(TA, system)
        elif u < v.p_refuse + v.p_no_answer:
            c.wait_cd(8 - v.answer_cd + 1, 20.0, citizen_waits=False)
            c.do(TU, system)
        else:
            c.do(TT, system)
            break
        c.wait_wd(1)
        c.do(VL, env.pick("t2_placement"), minutes=5)
        c.attrs["institution"] = rng.choice(INSTITUTIONS)
        offer_at = c.t + int(env.gamma(v.reoffer_cd, 2.0) * DAY)
    earliest = day_date(c.t // DAY + int(v.offer_lead_days))  # at least 2 months after the offer
    start = desired if earliest <= desired else _first_of_month_on_or_after(earliest)
    start_t = env.calendar.add_working_days(day_number(start), 0) * DAY + OFFICE_START  # first working day
    leader = env.pick("t2_institution")
    if env.deviations and rng.random() < v.p_start_before_enrolment:
        c.deviate("wrong_order", OS)
        c.at_least(start_t)
        c.do(OS, leader, minutes=30, note=c.attrs["institution"])
        c.stop_clock()
        c.wait_wd(1)
        c.do(IM, env.pick("t2_placement"), minutes=10)
    else:
        c.wait_wd(1)
        c.do(IM, env.pick("t2_placement"), minutes=10)
        c.at_least(start_t)
        c.do(OS, leader, minutes=30, note=c.attrs["institution"])
        c.stop_clock()
    if rng.random() < v.p_transfer:
        c.wait_cd(rng.uniform(60, 300), 50.0, planned=True)
        c.do(OF, system)
    leave = _add_months(birth, int(v.leave_age_months))
    c.at_least(max(c.t + DAY, day_number(leave) * DAY + OFFICE_START))
    c.do(UM, leader, minutes=10)
    c.finish()


TEMPLATE = ProcessTemplate(
    key="pladsanvisning",
    code="T2",
    name_da="Pladsanvisning til dagtilbud",
    name_en="Childcare placement",
    system="pladsanvisning",
    intended=INTENDED,
    params=PARAMS,
    contacts=CONTACTS,
    contacts_improved=CONTACTS_IMPROVED,
    deadline=Deadline(
        0,
        False,
        "Garantidato",
        OS,
        "Opstart senest på garantidatoen (pasningsgaranti)",
        "Start no later than the guarantee date (childcare guarantee)",
        from_column=True,
    ),
    bottleneck=(VL, PT),
    pools={
        "t2_placement": Pool("Pladsanviser", "Pladsanvisningen", 0.8, 2),
        "t2_institution": Pool("Institutionsleder", "Dagtilbud", 1.0, 4),
        "t2_system": Pool("System", "Pladsanvisning (selvbetjening)", 0.0, 1),
    },
    owner_pool="t2_placement",
    age_range=(22, 45),
    subtypes=(("Vuggestue", 0.7), ("Dagpleje", 0.3)),
    run=run,
    case_id=lambda n, year: f"PA-{year}-{n:05d}",
)
