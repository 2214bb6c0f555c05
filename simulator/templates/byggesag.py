"""T4 Building permit (byggesag), applications through Byg og Miljø, logged by the ESDH case system."""

from __future__ import annotations

import math

from simulator.contacts import ContactParams
from simulator.engine import Case
from simulator.model import Loop, Opt, Seq, Task, Xor
from simulator.templates.common import Deadline, Param, Pool, ProcessTemplate, Values, pick_weighted

AI, KV, SC = "Ansøgning indsendt", "Kvittering sendt", "Screening og fordeling"
MB, SO, AF = "Mangelbrev sendt", "Supplerende oplysninger modtaget", "Sag afvist"
FO, FB = "Sag fuldt oplyst", "Faglig behandling"
NS, NA = "Nabohøring sendt", "Nabohøring afsluttet"
UA, UM = "Udtalelse anmodet", "Udtalelse modtaget"
IP, PB = "Indstilling til politisk behandling", "Politisk behandling"
AM, SH = "Afgørelse meddelt", "Sag henlagt"
KM, KP = "Klage modtaget", "Klage videresendt til Planklagenævnet"
FM, IT = "Færdigmelding modtaget", "Ibrugtagningstilladelse meddelt"
PH = "Partshøring"  # not in the intended process: an inserted activity

MAIN = Seq(
    Task(FO),
    Task(FB),
    Opt(Seq(Task(NS), Task(NA))),
    Opt(Seq(Task(UA), Task(UM))),
    Opt(Seq(Task(IP), Task(PB))),
    Xor(Seq(Task(AM), Opt(Seq(Task(KM), Task(KP))), Opt(Seq(Task(FM), Task(IT)))), Task(SH)),
)
INTENDED = Seq(
    Task(AI),
    Task(KV),
    Task(SC),
    Xor(
        Seq(Opt(Seq(Loop(Task(MB), Task(SO)), Task(SO))), MAIN),
        Seq(Loop(Task(MB), Task(SO)), Task(AF)),
    ),
)

# (subtype, share, service target in net calendar days from 'fully informed' to decision) [S for targets]
SUBTYPES = (
    ("Enfamiliehus / simpelt byggeri", 0.60, 40),
    ("Industri og lager", 0.15, 50),
    ("Etageerhverv", 0.10, 55),
    ("Etageboliger", 0.15, 60),
)
TARGET_DAYS = {name: days for name, _, days in SUBTYPES}
DECISIONS = (("Tilladelse", 0.85), ("Afslag", 0.05), ("Ikke tilladelsespligtigt", 0.05), ("Henlagt", 0.05))

PARAMS = {
    "screening_wd": Param(5.0, unit="wd", note="screening and allocation"),
    "p_missing_info": Param(0.50, note="missing-information letter"),
    "reply_cd": Param(10.0, unit="cd", note="the applicant's reply to a missing-information letter"),
    "p_second_letter": Param(0.25, note="another missing-information letter (rework loop)"),
    "p_dismissed": Param(0.05, note="dismissed for no reply"),
    "queue_cd": Param(25.0, 8.0, unit="cd", note="queue from 'fully informed' to review"),
    "review_hours": Param(6.0, unit="h", note="professional review, 4-8 hours"),
    "p_neighbours": Param(0.25, source="S", note="neighbour hearing in dispensation cases, 14 + 14 days"),
    "neighbours_cd": Param(14.0, source="S", unit="cd", note="neighbour hearing"),
    "p_other_authority": Param(0.15, note="opinion from another authority, 20 days"),
    "other_authority_cd": Param(20.0, unit="cd", note="opinion from another authority"),
    "p_political": Param(0.05, note="political handling, 30 days"),
    "political_cd": Param(30.0, unit="cd", note="political handling"),
    "p_complaint": Param(0.03, note="complaint in the 4-week complaint period"),
    "completion_cd": Param(150.0, unit="cd", note="from permit to the notice of completion (median)"),
    "p_skip_screening": Param(0.05, note="deviation: no screening registered (skip)"),
    "p_review_before_informed": Param(0.05, note="deviation: review before the case is fully informed (wrong order)"),
    "p_hearing_of_parties": Param(0.04, note="deviation: a hearing of parties outside the intended process (insert)"),
}

CONTACTS = ContactParams(
    inbound_per_week=0.20,
    outbound_per_week=0.06,
    phone_queue="Byggesag",
    mailbox="byggesag@kommune.dk",
    desk_queue="Byggeri",
)
CONTACTS_IMPROVED = ContactParams(
    inbound_per_week=0.15,
    outbound_per_week=0.05,
    phone_queue="Byggesag",
    mailbox="byggesag@kommune.dk",
    desk_queue="Byggeri",
)


def run(c: Case, v: Values) -> None:
    """One building-permit case, from application to the permit to use the building."""
    env, rng = c.env, c.env.rng
    system = env.pick("t4_system")
    c.do(AI, system)
    c.do(KV, system, minutes=1)
    if env.deviations and rng.random() < v.p_skip_screening:
        c.deviate("skip", SC)
    else:
        c.wait_wd(v.screening_wd)
        c.do(SC, env.pick("t4_screening"), minutes=20)
    if rng.random() < v.p_missing_info and _dismissed_for_missing_information(c, v, system):
        c.finish()
        return
    early_review = env.deviations and rng.random() < v.p_review_before_informed
    if early_review:
        c.deviate("wrong_order", FB)
        c.wait_cd(v.queue_cd, 3.0, office=True)
        c.do(FB, c.owner, minutes=v.review_hours * 60)
        c.wait_wd(1)
        c.do(FO, c.owner, minutes=5)
        c.start_clock(TARGET_DAYS[c.attrs["subtype"]], working_days=False)
    else:
        c.wait_wd(1)
        c.do(FO, c.owner, minutes=5)
        c.start_clock(TARGET_DAYS[c.attrs["subtype"]], working_days=False)
        c.wait_cd(v.queue_cd, 3.0, office=True)
        c.do(FB, c.owner, minutes=v.review_hours * 60 * rng.uniform(0.67, 1.33))
    _hearings(c, v, system)
    decision = pick_weighted(rng, DECISIONS)
    c.wait_wd(2)
    if decision == "Henlagt":
        c.do(SH, c.owner, minutes=10)
        c.stop_clock()
        c.finish()
        return
    c.do(AM, c.owner, minutes=45, note=decision)
    c.stop_clock()
    if rng.random() < v.p_complaint:
        c.wait_cd(rng.uniform(3, 27), citizen_waits=False)
        c.do(KM, system)
        c.wait_wd(5)
        c.do(KP, c.owner, minutes=30)
    if decision == "Tilladelse":
        c.wait_cd(min(v.completion_cd * math.exp(rng.gauss(0, 0.6)), 1500.0), 50.0, planned=True)
        c.do(FM, system)
        c.wait_wd(10)
        c.do(IT, c.owner, minutes=30)
    c.finish()


def _dismissed_for_missing_information(c: Case, v: Values, system: str) -> bool:
    """Letters asking for missing information, answered or not; True when the case was dismissed for want of it."""
    env, rng = c.env, c.env.rng
    while True:
        c.wait_wd(1)
        who = c.owner if rng.random() < 0.8 else env.other("t4_caseworker", c.owner)
        c.do(MB, who, minutes=30)
        if rng.random() < v.p_dismissed:
            c.wait_cd(28, 6.0, citizen_waits=False, office=True)
            c.do(AF, c.owner, minutes=15)
            return True
        c.wait_cd(v.reply_cd, citizen_waits=False)
        c.do(SO, system)
        if rng.random() >= v.p_second_letter:
            return False


def _hearings(c: Case, v: Values, system: str) -> None:
    """The hearings a case may need before its decision: neighbours, another authority, the committee, and a
    hearing of parties outside the intended process."""
    env, rng = c.env, c.env.rng
    if rng.random() < v.p_neighbours:
        c.wait_wd(2)
        c.do(NS, c.owner, minutes=30)
        c.wait_cd(v.neighbours_cd * 2, 8.0, office=True)
        c.do(NA, c.owner, minutes=30)
    if rng.random() < v.p_other_authority:
        c.wait_wd(1)
        c.do(UA, c.owner, minutes=20)
        c.wait_cd(v.other_authority_cd, 3.0, office=True)
        c.do(UM, system)
    if rng.random() < v.p_political:
        c.wait_wd(3)
        c.do(IP, c.owner, minutes=120)
        c.wait_cd(v.political_cd, 4.0, office=True)
        c.do(PB, env.pick("t4_committee"), minutes=15)
    if env.deviations and rng.random() < v.p_hearing_of_parties:
        c.deviate("insert", PH)
        c.wait_wd(1)
        c.do(PH, c.owner, minutes=30)
        c.wait_cd(14, 6.0, office=True)


TEMPLATE = ProcessTemplate(
    key="byggesag",
    code="T4",
    name_da="Byggesagsbehandling",
    name_en="Building permit",
    system="sbsys",
    intended=INTENDED,
    params=PARAMS,
    contacts=CONTACTS,
    contacts_improved=CONTACTS_IMPROVED,
    deadline=Deadline(
        40,
        False,
        FO,
        AM,
        "Servicemål fra fuldt oplyst til afgørelse (40-60 dage efter type)",
        "Service target from fully informed to decision (40-60 days by type)",
    ),
    bottleneck=(FO, FB),
    pools={
        "t4_screening": Pool("Byggesagsbehandler (screening)", "Byg - Modtagelse", 0.5, 2),
        "t4_caseworker": Pool("Byggesagsbehandler", "Byggeri og Miljø", 3.0, 3),
        "t4_committee": Pool("Udvalg", "Teknik- og Miljøudvalget", 0.0, 1),
        "t4_system": Pool("System", "Byg og Miljø", 0.0, 1),
    },
    owner_pool="t4_caseworker",
    age_range=(25, 80),
    subtypes=tuple((name, share) for name, share, _ in SUBTYPES),
    run=run,
    case_id=lambda n, year: f"02.34.02-P19-{n}-{year % 100:02d}",
)
