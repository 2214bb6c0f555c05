"""Ground truth: what the simulator injected and what it realised, for tests and benchmarks.

Per process it keeps the configured parameters next to what actually happened in the
exported data (only events up to the export horizon count): cases, events, waits per
transition, rework, deviations, deadlines and contacts. Per case a line goes to
`ground_truth/cases.jsonl`; per contact a line goes to `ground_truth/contacts.jsonl`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

from simulator.contacts import Contact
from simulator.engine import DAY, WEEK_SECONDS, Case, Event, rework_of
from simulator.templates.common import ProcessTemplate


@dataclass
class ProcessTruth:
    """Running totals of one process."""

    template: ProcessTemplate
    scenario: str
    cases: int = 0
    cases_closed: int = 0
    events: int = 0
    activities: Counter = field(default_factory=Counter)
    transitions: dict = field(default_factory=dict)  # (from, to) -> [n, seconds, configured_mean_days]
    rework: dict = field(default_factory=dict)  # activity -> Counter(repeat, redo, self_loop, cases)
    deviations: Counter = field(default_factory=Counter)  # (kind, activity) -> cases
    deadline_cases: int = 0
    deadline_decided: int = 0
    deadline_met: int = 0
    deadline_open_breached: int = 0
    waiting_seconds: int = 0  # citizen-side waiting inside the export period
    contacts: Counter = field(default_factory=Counter)

    def add_case(self, case: Case, visible: list[Event]) -> dict:
        """Account for one case; returns its cases.jsonl record."""
        self.cases += 1
        self.cases_closed += case.closed
        self.events += len(visible)
        end = case.env.period_end
        self.activities.update([e.activity for e in visible])
        last_visible = visible[-1].ts if visible else None
        for (frm, to, mean_days, seconds), w in zip(
            case.configured_waits, case.waits, strict=True
        ):  # appended together
            if w.end > end:
                break
            t = self.transitions.setdefault((frm, to), [0, 0, 0.0, 0])
            t[0] += 1
            t[1] += seconds
            t[2] += mean_days
            t[3] += w.citizen_waits is None
        for w in case.waits:
            if w.citizen_waits:
                self.waiting_seconds += max(0, min(w.end, end) - w.start)
        rework = rework_of(visible, self.template.planned_repeats)
        for activity, r in rework.items():
            acc = self.rework.setdefault(activity, Counter())
            acc.update(r)
            acc["cases"] += 1
        for kind, activity in set(case.deviations):
            self.deviations[(kind, activity)] += 1
        met = None
        days_over = None
        if case.deadline_at is not None:
            self.deadline_cases += 1
            if case.decided_at is not None and case.decided_at <= end:
                self.deadline_decided += 1
                met = case.decided_at <= case.deadline_at
                self.deadline_met += met
                days_over = round(max(0, case.decided_at - case.deadline_at) / DAY, 3)
            elif case.deadline_at < end:
                self.deadline_open_breached += 1
                met = False
        return {
            "case_id": case.case_id,
            "process": case.process,
            "system": self.template.system,
            "subtype": case.attrs.get("subtype"),
            "citizen": case.citizen.key,
            "cpr": case.citizen.cpr,
            "owner": case.owner.name,
            "org_unit": case.owner.org_unit,
            "opened_at": _iso(visible[0].ts) if visible else None,
            "last_event_at": _iso(last_visible) if last_visible is not None else None,
            "closed": case.closed,
            "n_events": len(visible),
            "deadline_at": _iso(case.deadline_at) if case.deadline_at is not None else None,
            "decided_at": _iso(case.decided_at) if case.decided_at is not None and case.decided_at <= end else None,
            "deadline_met": met,
            "days_over_deadline": days_over,
            "deviations": sorted({f"{k}:{a}" for k, a in case.deviations}),
            "rework": {a: dict(r) for a, r in sorted(rework.items())},
            **{k: v for k, v in case.attrs.items() if k in ("category", "first_sick_day_iso")},
        }

    def add_contact(self, c: Contact) -> None:
        self.contacts[("n", c.direction)] += 1
        self.contacts[("channel", c.channel)] += 1
        self.contacts[("reason", c.reason)] += 1

    def as_json(self) -> dict:
        t = self.template
        p = t.params
        transitions = []
        for (frm, to), (n, seconds, mean_sum, n_planned) in self.transitions.items():
            transitions.append(
                {
                    "from": frm,
                    "to": to,
                    "n": n,
                    "mean_wait_days": round(seconds / n / DAY, 4),
                    "total_wait_days": round(seconds / DAY, 2),
                    "configured_mean_wait_working_days": round(mean_sum / n, 4),
                    "planned": n_planned * 2 > n,
                }
            )
        transitions.sort(key=lambda x: (-x["total_wait_days"], x["from"], x["to"]))
        unplanned = [x for x in transitions if not x["planned"]]
        bn = next((x for x in unplanned if (x["from"], x["to"]) == t.bottleneck), None)
        weeks = self.waiting_seconds / WEEK_SECONDS
        cp = t.contact_params(self.scenario)
        inbound = self.contacts[("n", "inbound")]
        outbound = self.contacts[("n", "outbound")]
        return {
            "code": t.code,
            "name_da": t.name_da,
            "name_en": t.name_en,
            "system": t.system,
            "scenario": self.scenario,
            "cases": self.cases,
            "cases_closed": self.cases_closed,
            "events": self.events,
            "activities": dict(sorted(self.activities.items())),
            "bottleneck": {
                "from": t.bottleneck[0],
                "to": t.bottleneck[1],
                "mean_wait_days": bn["mean_wait_days"] if bn else None,
                "n": bn["n"] if bn else 0,
                "rank_by_total_wait": (unplanned.index(bn) + 1) if bn else None,
                "note": "rank among transitions that are not planned intervals (follow-ups, meeting cycles)",
            },
            "transitions": transitions,
            "rework": {
                a: {
                    "cases_with_rework": r["cases"],
                    "repeats": r["repeat"],
                    "redos": r["redo"],
                    "self_loops": r["self_loop"],
                    "case_share": round(r["cases"] / max(self.cases, 1), 4),
                }
                for a, r in sorted(self.rework.items())
            },
            "rework_probabilities": {
                k: v.value(self.scenario)
                for k, v in p.items()
                if k.startswith("p_") and ("again" in k or "second" in k or "reminder" in k or "duplicate" in k)
            },
            "planned_repeats": sorted(t.planned_repeats),
            "deviations": [
                {
                    "type": kind,
                    "activity": activity,
                    "cases": n,
                    "probability": _deviation_probability(t, kind, activity, self.scenario),
                }
                for (kind, activity), n in sorted(self.deviations.items())
            ],
            "deadline": {
                "days": t.deadline.days,
                "working_days": t.deadline.working_days,
                "from": t.deadline.from_activity,
                "to": t.deadline.to_activity,
                "label_da": t.deadline.label_da,
                "label_en": t.deadline.label_en,
                "cases": self.deadline_cases,
                "decided": self.deadline_decided,
                "met": self.deadline_met,
                "share_met": round(self.deadline_met / self.deadline_decided, 4) if self.deadline_decided else None,
                "open_past_deadline": self.deadline_open_breached,
            },
            "contacts": {
                "configured": {
                    "inbound_per_waiting_week": cp.inbound_per_week,
                    "outbound_per_waiting_week": cp.outbound_per_week,
                    "after_deadline_factor": cp.after_deadline_factor,
                    "citizen_side_factor": cp.citizen_side_factor,
                    "channel_mix": dict(cp.channel_mix),
                },
                "inbound": inbound,
                "outbound": outbound,
                "waiting_weeks": round(weeks, 2),
                "inbound_per_waiting_week": round(inbound / weeks, 4) if weeks else None,
                "per_case": round((inbound + outbound) / self.cases, 4) if self.cases else None,
                "by_channel": {k[1]: v for k, v in sorted(self.contacts.items()) if k[0] == "channel"},
                "by_reason": {k[1]: v for k, v in sorted(self.contacts.items()) if k[0] == "reason"},
            },
        }


def _deviation_probability(t: ProcessTemplate, kind: str, activity: str, scenario: str) -> float | None:
    for param in t.params.values():
        if param.note.startswith("deviation:") and f"({kind.replace('_', ' ')})" in param.note:
            return param.value(scenario)
    return None


_COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@cache
def _day_parts(half_day: int) -> tuple[str, str]:
    """(date, UTC offset) of a day before 03:00 (even) or from 03:00 (odd); nothing happens 02:00-03:00."""
    day, late = divmod(half_day, 2)
    naive = dt.datetime(1970, 1, 1) + dt.timedelta(days=day, hours=12 if late else 1)
    return naive.date().isoformat(), naive.replace(tzinfo=_COPENHAGEN).isoformat()[-6:]


def _iso(local_seconds: int) -> str:
    """Local wall-clock seconds as ISO 8601 with the Copenhagen offset (`2025-03-01T10:00:00+01:00`)."""
    day, tod = divmod(local_seconds, DAY)
    date, offset = _day_parts(day * 2 + (tod >= 3 * 3600))
    h, rest = divmod(tod, 3600)
    m, sec = divmod(rest, 60)
    return f"{date}T{h:02d}:{m:02d}:{sec:02d}{offset}"


def jsonl(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
