"""T5 Cross-department complex citizen course (helhedsplan / "Én plan"), logged by the ESDH case system."""

from __future__ import annotations

from simulator.contacts import ContactParams
from simulator.engine import DAY, Case
from simulator.model import Loop, Opt, Seq, Task
from simulator.templates.common import Deadline, Param, Pool, ProcessTemplate, Values

SO, SM, KS = "Sag oprettet", "Samtykke modtaget", "Koordinerende sagsbehandler udpeget"
OI = "Oplysninger indhentet"
DEPARTMENTS = (
    ("Jobcenter", "t5_job"),
    ("Socialafdelingen", "t5_social"),
    ("Sundhed", "t5_health"),
    ("Ungdommens Uddannelsesvejledning", "t5_uu"),
)
AFD = {d: f"Afdækning - {d}" for d, _ in DEPARTMENTS}
IND = {d: f"Indsats startet - {d}" for d, _ in DEPARTMENTS[:3]}
LA, RL, LM = "Lægeattest anmodet", "Rykker for lægeattest", "Lægeattest modtaget"
FD, RT, AT, EP = (
    "Forberedende del udarbejdet",
    "Rehabiliteringsteam: møde og indstilling",
    "Afgørelse truffet",
    "Én plan udarbejdet",
)
KO, RV, AS = "Koordinationsmøde", "Revurdering", "Afslutning"
PP = "Parallel plan udarbejdet"  # not in the intended process: what one plan should replace (insert)

INTENDED = Seq(
    Task(SO),
    Task(SM),
    Task(KS),
    Task(OI),
    Task(AFD["Jobcenter"]),
    Opt(Task(OI)),
    Task(AFD["Socialafdelingen"]),
    Opt(Task(OI)),
    Task(AFD["Sundhed"]),
    Opt(Task(OI)),
    Opt(Seq(Task(AFD["Ungdommens Uddannelsesvejledning"]), Opt(Task(OI)))),
    Task(LA),
    Opt(Task(RL)),
    Task(LM),
    Task(FD),
    Task(RT),
    Task(AT),
    Task(EP),
    Opt(Task(IND["Jobcenter"])),
    Opt(Task(IND["Socialafdelingen"])),
    Opt(Task(IND["Sundhed"])),
    Opt(Loop(Task(KO))),
    Opt(Task(RV)),
    Task(AS),
)

PARAMS = {
    "consent_wd": Param(10.0, unit="wd", note="identification and consent"),
    "coordinator_wd": Param(5.0, unit="wd", note="coordinating caseworker appointed"),
    "mapping_wd": Param(7.0, unit="wd", note="mapping in each department (about 20 wd in all)"),
    "p_duplicate_request": Param(0.40, 0.15, note="duplicate information request per department handover"),
    "gp_wd": Param(15.0, unit="wd", note="medical certificate"),
    "p_gp_late": Param(0.30, note="medical certificate late"),
    "rehab_queue_wd": Param(20.0, 8.0, unit="wd", note="queue for the rehabilitation team"),
    "handover_wd": Param(10.0, 5.0, unit="wd", note="handover wait to each department's intervention"),
    "meeting_weeks": Param(6.0, unit="weeks", note="coordination meeting every 4-8 weeks"),
    "course_weeks": Param(52.0, unit="weeks", note="length of the coordinated course"),
    "p_skip_coordinator": Param(0.15, 0.02, note="deviation: no coordinating caseworker appointed (skip)"),
    "p_plan_before_decision": Param(0.05, note="deviation: the plan written before the decision (wrong order)"),
    "p_parallel_plan": Param(0.30, 0.05, note="deviation: a department writes its own parallel plan (insert)"),
}

CONTACTS = ContactParams(
    inbound_per_week=0.20,
    outbound_per_week=0.10,
    phone_queue="Jobcenter",
    mailbox="helhedsplan@kommune.dk",
    desk_queue="Jobcenter",
)
CONTACTS_IMPROVED = ContactParams(
    inbound_per_week=0.15,
    outbound_per_week=0.08,
    phone_queue="Jobcenter",
    mailbox="helhedsplan@kommune.dk",
    desk_queue="Jobcenter",
)


def run(c: Case, v: Values) -> None:
    """One coordinated course across job centre, social services, health and youth guidance."""
    env, rng = c.env, c.env.rng
    young = c.attrs.get("age", 40) < 30
    c.do(SO, c.owner, minutes=20)
    c.start_clock(126, working_days=False)
    c.wait_wd(v.consent_wd)
    c.do(SM, c.owner, minutes=10)
    if env.deviations and rng.random() < v.p_skip_coordinator:
        c.deviate("skip", KS)
    else:
        c.wait_wd(v.coordinator_wd)
        c.do(KS, env.pick("t5_coordinator"), minutes=15)
    c.wait_wd(2)
    c.do(OI, c.owner, minutes=30)
    for dept, pool in DEPARTMENTS:
        if dept.startswith("Ungdommens") and not young:
            continue
        staff = env.pick(pool)
        c.wait_wd(v.mapping_wd)
        c.do(AFD[dept], staff, minutes=60)
        if rng.random() < v.p_duplicate_request:
            c.wait_wd(2)
            c.do(OI, staff, minutes=30)
        if env.deviations and rng.random() < v.p_parallel_plan / 3:
            c.deviate("insert", PP)
            c.wait_wd(3)
            c.do(PP, staff, minutes=60)
    c.wait_wd(2)
    c.do(LA, c.owner, minutes=10)
    if rng.random() < v.p_gp_late:
        c.wait_wd(v.gp_wd + 2, 4.0, citizen_waits=True)
        c.do(RL, c.owner, minutes=5)
        c.wait_wd(8, citizen_waits=True)
    else:
        c.wait_wd(v.gp_wd * 0.8, 4.0, citizen_waits=True)
    c.do(LM, c.owner, minutes=5)
    c.wait_wd(5)
    c.do(FD, c.owner, minutes=120)
    c.wait_wd(v.rehab_queue_wd, 3.0)
    c.do(RT, env.pick("t5_rehab"), minutes=90)
    plan_early = env.deviations and rng.random() < v.p_plan_before_decision
    if plan_early:
        c.deviate("wrong_order", EP)
        c.wait_wd(3)
        c.do(EP, c.owner, minutes=90)
    c.wait_wd(5)
    c.do(AT, c.owner, minutes=45)
    c.stop_clock()
    if not plan_early:
        c.wait_wd(5)
        c.do(EP, c.owner, minutes=90)
    chosen = [d for d, _ in DEPARTMENTS[:3] if rng.random() < 0.75] or ["Jobcenter"]
    for dept in chosen:
        pool = dict(DEPARTMENTS)[dept]
        c.wait_wd(v.handover_wd)
        c.do(IND[dept], env.pick(pool), minutes=30)
    end = c.t + int(v.course_weeks * 7 * DAY * rng.uniform(0.5, 1.5))
    while c.t + v.meeting_weeks * 7 * DAY < end:
        c.wait_cd(v.meeting_weeks * 7, 6.0, office=True, planned=True)
        c.do(KO, c.owner, minutes=60)
    c.wait_wd(10, planned=True)
    c.do(RV, c.owner, minutes=60)
    c.wait_wd(10)
    c.do(AS, c.owner, minutes=30)
    c.finish()


TEMPLATE = ProcessTemplate(
    key="helhedsplan",
    code="T5",
    name_da="Helhedsorienteret forløb (Én plan)",
    name_en="Coordinated cross-department course (one plan)",
    system="sbsys",
    intended=INTENDED,
    params=PARAMS,
    contacts=CONTACTS,
    contacts_improved=CONTACTS_IMPROVED,
    deadline=Deadline(126, False, SO, AT, "Afgørelse inden 18 uger", "Decision within 18 weeks", source="E"),
    bottleneck=(FD, RT),
    pools={
        "t5_coordinator": Pool("Koordinerende sagsbehandler", "Tværgående enhed", 3.0, 2),
        "t5_job": Pool("Jobkonsulent", "Jobcenter", 2.0, 2),
        "t5_social": Pool("Socialrådgiver", "Socialafdelingen", 2.0, 2),
        "t5_health": Pool("Sundhedskoordinator", "Sundhed", 1.0, 2),
        "t5_uu": Pool("UU-vejleder", "Ungdommens Uddannelsesvejledning", 0.5, 1),
        "t5_rehab": Pool("Rehabiliteringsteam", "Jobcenter - Rehabiliteringsteam", 0.3, 2),
    },
    owner_pool="t5_coordinator",
    age_range=(18, 60),
    subtypes=(("Helhedsplan (Én plan)", 1.0),),
    run=run,
    planned_repeats=frozenset({KO}),
    case_id=lambda n, year: f"27.00.00-G01-{n}-{year % 100:02d}",
)
