"""T1 Visitation: practical help and aids (SEL § 83 / § 112), logged by the care system (Nexus)."""

from __future__ import annotations

from simulator.contacts import ContactParams
from simulator.engine import Case
from simulator.model import Loop, Opt, Seq, Task, Xor
from simulator.templates.common import Deadline, Param, Pool, ProcessTemplate, Values, complaint

H, K, VB, VF = (
    "Henvendelse modtaget",
    "Kvittering sendt",
    "Visitationsbesøg booket",
    "Visitationsbesøg og funktionsvurdering",
)
OI, AT, AS = "Oplysninger indhentet", "Afgørelse truffet", "Afgørelse sendt"
BL, LO, OR = "Bestilling til leverandør", "Levering / opstart", "Opfølgning / revisitation"
KM, GV, SA, AA = "Klage modtaget", "Genvurdering", "Sendt til Ankestyrelsen", "Ankestyrelsens afgørelse modtaget"
EXTRA = "Ekstra hjemmebesøg"  # not in the intended process: an inserted activity

INTENDED = Seq(
    Task(H),
    Task(K),
    Task(VB),
    Task(VF),
    Loop(Task(OI)),
    Task(AT),
    Task(AS),
    Opt(Seq(Task(KM), Task(GV), Xor(Seq(Task(AT), Task(AS)), Seq(Task(SA), Task(AA), Opt(Seq(Task(AT), Task(AS))))))),
    Opt(Seq(Task(BL), Task(LO), Opt(Task(OR)))),
)

PARAMS = {
    "kvittering_wd": Param(2.0, source="S", unit="wd", note="acknowledgement typically within 5-8 days"),
    "booking_wd": Param(3.0, unit="wd", note="wait until the visit is booked"),
    "visit_queue_wd": Param(
        40.0,
        3.0,
        unit="wd",
        note="queue before the home visit: 6-10 weeks before (p95 about 14 weeks), "
        "about 1 week p95 after (Lejre removed its waiting lists 2014-2016)",
    ),
    "info_wd": Param(7.0, unit="wd", note="information gathered"),
    "p_info_again": Param(0.25, note="information requested again (rework loop)"),
    "info_again_wd": Param(5.0, unit="wd", note="wait for each repeated information request"),
    "p_redo_other": Param(0.30, note="a repeated step done by another visitator (redo, not repeat)"),
    "decision_wd": Param(2.0, unit="wd", note="from information to decision"),
    "p_refusal": Param(0.20, note="refusal or partial grant"),
    "p_partial": Param(0.40, note="share of refusals that are partial grants (still ordered)"),
    "p_complaint": Param(0.10, note="complaint after a refusal"),
    "p_changed": Param(0.20, note="decision changed at reconsideration"),
    "reconsider_wd": Param(15.0, source="S", unit="wd", note="reconsideration within 4 weeks"),
    "ankestyrelsen_cd": Param(90.0, unit="cd", note="Ankestyrelsen's processing time"),
    "order_wd": Param(1.0, unit="wd", note="order to the provider (Bestiller)"),
    "delivery_wd": Param(8.0, source="S", unit="wd", note="delivery or start within 5-12 wd"),
    "p_complex_aid": Param(0.10, note="complex aids, delivered in 10-16 weeks"),
    "delivery_complex_wd": Param(65.0, source="S", unit="wd", note="complex aids: 10-16 weeks"),
    "followup_wd": Param(150.0, unit="wd", note="follow-up after 3-12 months"),
    "p_skip_kvittering": Param(0.06, note="deviation: acknowledgement never sent (skip)"),
    "p_order_before_sent": Param(0.04, note="deviation: order placed before the decision is sent (wrong order)"),
    "p_extra_visit": Param(0.05, note="deviation: an extra home visit outside the intended process (insert)"),
}

CONTACTS = ContactParams(
    inbound_per_week=0.15,
    outbound_per_week=0.05,
    phone_queue="Visitation",
    mailbox="visitation@kommune.dk",
    desk_queue="Ældre og sundhed",
)
CONTACTS_IMPROVED = ContactParams(
    inbound_per_week=0.10,
    outbound_per_week=0.04,
    phone_queue="Visitation",
    mailbox="visitation@kommune.dk",
    desk_queue="Ældre og sundhed",
)


def run(c: Case, v: Values) -> None:
    """One visitation case, from request to follow-up."""
    env, rng = c.env, c.env.rng
    system = env.pick("t1_system")
    c.do(H, env.pick("t1_intake"), minutes=10)
    c.start_clock(28, working_days=False)
    if env.deviations and rng.random() < v.p_skip_kvittering:
        c.deviate("skip", K)
    else:
        c.wait_wd(v.kvittering_wd)
        c.do(K, system, minutes=2)
    c.wait_wd(v.booking_wd)
    c.do(VB, c.owner, minutes=10)
    c.wait_wd(v.visit_queue_wd, 6.0)
    assessor = c.owner if rng.random() < 0.7 else env.pick("t1_ot")
    c.do(VF, assessor, minutes=90, lifecycle=True)
    if env.deviations and rng.random() < v.p_extra_visit:
        c.deviate("insert", EXTRA)
        c.wait_wd(5)
        c.do(EXTRA, assessor, minutes=60, lifecycle=True)
    c.wait_wd(v.info_wd)
    c.do(OI, c.owner, minutes=30, lifecycle=True)
    while rng.random() < v.p_info_again:
        c.wait_wd(v.info_again_wd)
        who = env.other("t1_visitator", c.owner) if rng.random() < v.p_redo_other else c.owner
        c.do(OI, who, minutes=30, lifecycle=True)
    c.wait_wd(v.decision_wd)
    refused = rng.random() < v.p_refusal
    partial = refused and rng.random() < v.p_partial
    c.do(
        AT,
        c.owner,
        minutes=45,
        lifecycle=True,
        note="Delvis bevilget" if partial else ("Afslag" if refused else "Bevilget"),
    )
    c.stop_clock()
    granted = not refused or partial
    early_order = granted and env.deviations and rng.random() < v.p_order_before_sent
    if early_order:
        c.deviate("wrong_order", BL)
        c.do(BL, env.pick("t1_bestiller"), minutes=15)
    c.do(AS, system, minutes=1)
    if refused and rng.random() < v.p_complaint:
        granted = (
            complaint(
                c,
                "t1_visitator",
                p_changed=v.p_changed,
                reconsider_wd=v.reconsider_wd,
                ankestyrelsen_cd=v.ankestyrelsen_cd,
                system=system,
            )
            or partial
        )
    if granted:
        if not early_order:
            c.wait_wd(v.order_wd)
            c.do(BL, env.pick("t1_bestiller"), minutes=15)
        complex_aid = c.attrs["subtype"].startswith("Hjælpemidler") and rng.random() < v.p_complex_aid
        c.wait_wd(v.delivery_complex_wd if complex_aid else v.delivery_wd, 3.0)
        c.do(LO, env.pick("t1_provider"), minutes=30)
        c.wait_wd(v.followup_wd, 4.0, planned=True)
        c.do(OR, c.owner, minutes=45, lifecycle=True)
    c.finish()


TEMPLATE = ProcessTemplate(
    key="visitation",
    code="T1",
    name_da="Visitation til praktisk hjælp og hjælpemidler",
    name_en="Assessment for practical help and aids",
    system="nexus",
    intended=INTENDED,
    params=PARAMS,
    contacts=CONTACTS,
    contacts_improved=CONTACTS_IMPROVED,
    deadline=Deadline(28, False, H, AT, "Afgørelse inden 4 uger", "Decision within 4 weeks"),
    bottleneck=(VB, VF),
    pools={
        "t1_intake": Pool("Visitationssekretær", "Visitation og Bestiller", 1.0, 2),
        "t1_visitator": Pool("Visitator", "Visitation og Bestiller", 3.0, 3),
        "t1_ot": Pool("Ergoterapeut", "Hjælpemiddelcentret", 1.0, 2),
        "t1_bestiller": Pool("Bestiller", "Visitation og Bestiller", 1.0, 2),
        "t1_provider": Pool("Leverandør", "Hjemmeplejen og Hjælpemiddeldepotet", 1.5, 2),
        "t1_system": Pool("System", "Nexus", 0.0, 1),
    },
    owner_pool="t1_visitator",
    age_range=(62, 97),
    subtypes=(("Praktisk hjælp (SEL § 83)", 0.6), ("Hjælpemidler (SEL § 112)", 0.4)),
    run=run,
    case_id=lambda n, year: f"NX-{year}-{n:06d}",
    rules=(
        {
            "name": "Kvittering inden 5 arbejdsdage",
            "kind": "response",
            "activity": H,
            "response": K,
            "days": 5,
            "working_days": True,
        },
        {"name": "Afgørelse sendt før bestilling", "kind": "precedence", "activity": AS, "before": BL},
    ),
)
