"""T3 Sickness benefit follow-up (sygedagpenge), logged by the job centre system (Momentum)."""

from __future__ import annotations

import math

from simulator.contacts import ContactParams
from simulator.engine import DAY, Case
from simulator.model import Loop, Opt, Seq, Task, Xor
from simulator.templates.common import Deadline, Param, Pool, ProcessTemplate, Values, complaint, pick_weighted

AN, OS, RO, OM = (
    "Anmeldelse modtaget",
    "Oplysningsskema sendt",
    "Rykker for oplysningsskema",
    "Oplysningsskema modtaget",
)
VI, LA, RL, LM = "Visitation", "Lægeattest anmodet", "Rykker for lægeattest", "Lægeattest modtaget"
SF, UD, O1, PL = "Samtale flyttet", "Udeblivelse registreret", "1. opfølgningssamtale", "Opfølgningsplan udarbejdet"
OP, RT, RV = "Opfølgningssamtale", "Rehabiliteringsteam", "Revurdering uge 22"
RA, OH = "Raskmelding", "Ophør af sygedagpenge"
KM, GV, SA, AA = "Klage modtaget", "Genvurdering", "Sendt til Ankestyrelsen", "Ankestyrelsens afgørelse modtaget"
AT, AS = "Afgørelse truffet", "Afgørelse sendt"

INTENDED = Seq(
    Task(AN),
    Task(OS),
    Opt(Loop(Task(RO))),
    Task(OM),
    Task(VI),
    Opt(Seq(Task(LA), Opt(Task(RL)), Task(LM))),
    Opt(Task(SF)),
    Opt(Loop(Task(UD))),
    Task(O1),
    Opt(Seq(Task(PL), Opt(Loop(Xor(Task(OP), Task(RT), Task(RV)))))),
    Xor(
        Task(RA),
        Seq(
            Task(OH),
            Opt(
                Seq(
                    Task(KM),
                    Task(GV),
                    Xor(Seq(Task(AT), Task(AS)), Seq(Task(SA), Task(AA), Opt(Seq(Task(AT), Task(AS))))),
                )
            ),
        ),
    ),
)

CATEGORIES = (("1", 0.55), ("2", 0.35), ("3", 0.10))
# median weeks of sickness per category [E]
SICK_WEEKS = {"1": 6.0, "2": 16.0, "3": 34.0}

PARAMS = {
    "notice_delay_cd": Param(
        24.0,
        source="S",
        unit="cd",
        note="first sick day to the employer's notification (employer pays the first 30 days)",
    ),
    "form_cd": Param(8.0, source="S", unit="cd", note="the citizen returns the information form"),
    "p_form_late": Param(0.15, note="information form late: reminder loop"),
    "p_reminder_again": Param(0.30, note="another reminder after the first"),
    "visitation_wd": Param(
        8.0, 3.0, unit="wd", note="queue until visitation into category 1/2/3 (cat. 1 about 0.55, cat. 3 about 0.10)"
    ),
    "gp_cd": Param(14.0, source="S", unit="cd", note="GP deadline for LÆ 285: 14 days, at least 8"),
    "p_gp_late": Param(0.25, note="medical certificate late: meeting moved"),
    "p_attest_cat1": Param(0.30, note="share of category 1 cases where a certificate is asked for"),
    "p_no_show": Param(0.10, note="citizen does not show up to a meeting"),
    "first_meeting_week": Param(
        7.0, 6.0, source="S", unit="weeks", note="1st follow-up meeting before the end of week 8 of sickness"
    ),
    "followup_weeks": Param(4.0, source="S", unit="weeks", note="follow-up every 4 weeks"),
    "rehab_week": Param(14.0, unit="weeks", note="category 3: rehabilitation team"),
    "p_stop_week22": Param(0.30, note="benefit stopped at the week-22 reassessment"),
    "p_complaint": Param(0.15, note="complaint when the benefit is stopped"),
    "p_changed": Param(0.20, note="decision changed at reconsideration"),
    "reconsider_wd": Param(15.0, source="S", unit="wd", note="reconsideration within 4 weeks"),
    "ankestyrelsen_cd": Param(90.0, unit="cd", note="Ankestyrelsen's processing time"),
    "p_skip_visitation": Param(0.04, note="deviation: visitation never registered (skip)"),
    "p_plan_before_meeting": Param(0.05, note="deviation: plan written before the first meeting (wrong order)"),
}

CONTACTS = ContactParams(
    inbound_per_week=0.15,
    outbound_per_week=0.08,
    phone_queue="Jobcenter",
    mailbox="jobcenter@kommune.dk",
    desk_queue="Jobcenter",
)


def run(c: Case, v: Values) -> None:
    """One sickness-benefit course, from the employer's notification to return to work or stop."""
    env, rng = c.env, c.env.rng
    system = env.pick("t3_system")
    first_sick = c.t - int(rng.uniform(0.75, 1.25) * v.notice_delay_cd * DAY)
    c.attrs["first_sick_day"] = first_sick // DAY
    cat = c.attrs["category"] = pick_weighted(rng, CATEGORIES)
    sick_until = first_sick + int(SICK_WEEKS[cat] * 7 * DAY * math.exp(rng.gauss(0, 0.5)))
    _notification(c, v, system, first_sick, cat)
    late_gp = _medical_statement(c, v, system, cat)
    plan_early = env.deviations and rng.random() < v.p_plan_before_meeting
    if plan_early:
        c.deviate("wrong_order", PL)
        c.wait_wd(1)
        c.do(PL, c.owner, minutes=40)
    target = first_sick + int(v.first_meeting_week * 7 * DAY)
    if late_gp:
        c.wait_wd(1)
        c.do(SF, c.owner, minutes=5)
        target += 5 * DAY
    c.wait_wd(2)
    c.at_least(target)
    c.wait_wd(0.5, planned=True)
    while rng.random() < v.p_no_show:
        c.do(UD, c.owner, minutes=5)
        c.wait_wd(5)
    c.do(O1, c.owner, minutes=45, lifecycle=True)
    c.stop_clock()
    if c.t >= sick_until:
        c.wait_wd(1)
        c.do(RA, c.owner, minutes=10)
        c.finish()
        return
    if not plan_early:
        c.wait_wd(5)
        c.do(PL, c.owner, minutes=40)
    _follow_up(c, v, system, cat, first_sick, sick_until)
    c.finish()


def _notification(c: Case, v: Values, system: str, first_sick: int, cat: str) -> None:
    """From the employer's notification to the visitation: the form, its reminders, the category."""
    env, rng = c.env, c.env.rng
    c.do(AN, system)
    c.start_clock(56, working_days=False, at=first_sick)
    c.wait_wd(1)
    c.do(OS, system)
    if rng.random() < v.p_form_late:
        c.wait_cd(v.form_cd + 4, citizen_waits=False, office=True)
        c.do(RO, system)
        while rng.random() < v.p_reminder_again:
            c.wait_cd(7, 4.0, citizen_waits=False, office=True)
            c.do(RO, system)
    c.wait_cd(v.form_cd, citizen_waits=False)
    c.do(OM, system)
    c.wait_wd(v.visitation_wd)
    if env.deviations and rng.random() < v.p_skip_visitation:
        c.deviate("skip", VI)
    else:
        c.do(VI, c.owner, minutes=30, note=f"Kategori {cat}")


def _medical_statement(c: Case, v: Values, system: str, cat: str) -> bool:
    """The GP's statement (LÆ 285) where the category asks for one; True when the GP answered late."""
    rng = c.env.rng
    late_gp = False
    if cat != "1" or rng.random() < v.p_attest_cat1:
        c.wait_wd(2)
        c.do(LA, c.owner, minutes=10)
        late_gp = rng.random() < v.p_gp_late
        if late_gp:
            c.wait_cd(v.gp_cd + 1, 4.0, citizen_waits=False, office=True)
            c.do(RL, system)
            c.wait_cd(10, citizen_waits=False, office=True)
        else:
            c.wait_cd(v.gp_cd * 0.5, 4.0, citizen_waits=False, office=True)
        c.do(LM, system)
    return late_gp


def _follow_up(c: Case, v: Values, system: str, cat: str, first_sick: int, sick_until: int) -> None:
    """The follow-up meetings every few weeks until the citizen is back, stopped at week 22, or at week 52."""
    env, rng = c.env, c.env.rng
    rehab_at = first_sick + int(v.rehab_week * 7 * DAY) if cat == "3" else None
    week22 = first_sick + 22 * 7 * DAY
    limit = first_sick + 52 * 7 * DAY
    while True:
        nxt = c.t + int(v.followup_weeks * 7 * DAY)
        if sick_until <= nxt:
            c.wait_cd((max(sick_until, c.t) - c.t) / DAY + 1, 50.0, office=True, planned=True)
            c.do(RA, c.owner, minutes=10)
            return
        if rehab_at is not None and rehab_at <= nxt:
            c.at_least(rehab_at)
            c.wait_wd(1, planned=True)
            c.do(RT, env.pick("t3_rehab"), minutes=90, lifecycle=True)
            rehab_at = None
            continue
        if week22 <= nxt:
            c.at_least(week22)
            c.wait_wd(1, planned=True)
            c.do(RV, c.owner, minutes=30)
            week22 = limit * 2
            if rng.random() < v.p_stop_week22:
                c.wait_wd(3)
                c.do(OH, c.owner, minutes=20)
                c.stop_clock()
                if rng.random() < v.p_complaint:
                    complaint(
                        c,
                        "t3_caseworker",
                        p_changed=v.p_changed,
                        reconsider_wd=v.reconsider_wd,
                        ankestyrelsen_cd=v.ankestyrelsen_cd,
                        system=system,
                    )
                return
            continue
        if nxt >= limit:
            c.at_least(limit)
            c.wait_wd(1)
            c.do(OH, c.owner, minutes=20)
            return
        c.at_least(nxt)
        c.wait_wd(0.5, planned=True)
        c.do(OP, c.owner, minutes=30, lifecycle=True)


TEMPLATE = ProcessTemplate(
    key="sygedagpenge",
    code="T3",
    name_da="Opfølgning på sygedagpenge",
    name_en="Sickness benefit follow-up",
    system="momentum",
    intended=INTENDED,
    params=PARAMS,
    contacts=CONTACTS,
    contacts_improved=CONTACTS,
    deadline=Deadline(
        56,
        False,
        "foerste_fravaersdag",
        O1,
        "1. opfølgningssamtale senest i uge 8",
        "First follow-up meeting by the end of week 8",
        from_column=True,
    ),
    bottleneck=(OM, VI),
    pools={
        "t3_caseworker": Pool("Sagsbehandler", "Jobcenter - Sygedagpenge", 4.0, 3),
        "t3_rehab": Pool("Rehabiliteringsteam", "Jobcenter - Rehabiliteringsteam", 0.3, 2),
        "t3_system": Pool("System", "Momentum", 0.0, 1),
    },
    owner_pool="t3_caseworker",
    age_range=(20, 66),
    subtypes=(("Sygedagpenge", 1.0),),
    run=run,
    planned_repeats=frozenset({OP, UD}),
    case_id=lambda n, year: f"SDP-{year}-{n:06d}",
)
