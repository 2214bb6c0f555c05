"""Off-system contacts: the calls, e-mails and front-desk visits a waiting case causes.

While a case waits for the municipality, the citizen contacts it as a Poisson
process (failure demand: status calls, chasing, unclear letters), faster once the
deadline has passed. Staff also contact citizens outside the case system
(overproduction) at a lower rate. Each contact lands in the log of the system that
carries its channel, with a case number and an identified CPR only sometimes, as
in real telephony, Digital Post and queue-system logs. Unrelated contacts (passports,
general questions) are mixed in, so attribution cannot assume every contact has a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.engine import DAY, DST_HOUR, HOUR, OFFICE_SECONDS, OFFICE_START, WEEK_SECONDS, Case, Env

# channel -> the system that logs it
SYSTEM_OF_CHANNEL = {
    "phone": "telefoni",
    "email": "digital_post",
    "digital_post": "digital_post",
    "visit": "borgerservice",
}

# How often a contact in each channel shows a case number / an identified CPR [E].
CASE_REF_SHOWN = {"phone": 0.10, "email": 0.45, "digital_post": 0.60, "visit": 0.05}
CPR_SHOWN_INBOUND = {"phone": 0.55, "email": 0.25, "digital_post": 1.0, "visit": 0.85}
CPR_SHOWN_OUTBOUND = 0.95
CPR_IN_NOTE = 0.05  # share of contacts whose free-text note carries the CPR [E]

INBOUND_REASONS = ("Status på sag", "Rykker for svar", "Uklart brev", "Manglende oplysninger")
REASON_LATE = "Klage over sagsbehandlingstid"
CITIZEN_SIDE_REASONS = ("Spørgsmål til brev", "Manglende oplysninger")
OUTBOUND_REASONS = ("Opfølgning pr. telefon", "Afklaring af oplysninger", "Påmindelse om møde")
NOISE_REASONS = {
    "phone": ("Generel forespørgsel", "Sundhedskort", "Flytning"),
    "email": ("Generel forespørgsel", "Nyhedsbrev-afmelding"),
    "digital_post": ("Generel forespørgsel",),
    "visit": ("Pas", "Kørekort", "Sundhedskort", "NemID/MitID"),
}


@dataclass(frozen=True)
class ContactParams:
    """Contact behaviour of one process (rates are per week a case waits) [E]."""

    inbound_per_week: float
    outbound_per_week: float
    after_deadline_factor: float = 2.5
    citizen_side_factor: float = 0.3  # while the municipality waits for the citizen
    channel_mix: tuple[tuple[str, float], ...] = (
        ("phone", 0.60),
        ("email", 0.15),
        ("digital_post", 0.15),
        ("visit", 0.10),
    )
    phone_queue: str = "Borgerservice"
    mailbox: str = "post@kommune.dk"
    desk_queue: str = "Borgerservice"
    noise_share: float = 0.35  # unrelated contacts per case-related contact, same channel


@dataclass(slots=True)
class Contact:
    """One simulated contact with its truth (the case it really belongs to)."""

    seq: int
    ts: int
    channel: str
    direction: str
    reason: str
    citizen_cpr: str | None
    cpr_shown: bool
    case_ref: str | None
    true_case_id: str | None
    process: str | None
    wait_from: str | None
    wait_to: str | None
    staff: str
    queue: str
    duration_s: int
    queue_wait_s: int
    answered: bool
    note: str | None

    @property
    def system(self) -> str:
        return SYSTEM_OF_CHANNEL[self.channel]


class ContactMaker:
    """Turns waits into contacts; keeps the running sequence number for a stable order."""

    def __init__(self, env: Env, new_cpr: Callable[[], str]) -> None:
        self.env = env
        self.seq = 0
        self._new_cpr = new_cpr  # a citizen with no case (unrelated contacts)

    def _office_time(self, t: int) -> int:
        """The first office-hours instant at or after `t` on a working day (random time of day)."""
        cal = self.env.calendar
        day, tod = divmod(t, DAY)
        if cal.is_working_day(day) and OFFICE_START <= tod < OFFICE_START + OFFICE_SECONDS:
            return t
        if cal.is_working_day(day) and tod < OFFICE_START:
            return day * DAY + OFFICE_START + int(self.env.rng.random() * OFFICE_SECONDS)
        nxt = cal.add_working_days(day, 1 if cal.is_working_day(day) else 0)
        return nxt * DAY + OFFICE_START + int(self.env.rng.random() * OFFICE_SECONDS)

    def _channel(self, p: ContactParams) -> str:
        x = self.env.rng.random()
        for ch, share in p.channel_mix:
            x -= share
            if x < 0:
                return ch
        return p.channel_mix[-1][0]

    def _place(self, channel: str, t: int) -> int:
        if channel in ("phone", "visit"):
            return self._office_time(t)
        if DST_HOUR <= t % DAY < DST_HOUR + HOUR:
            return t + HOUR
        return t

    def for_case(self, case: Case, p: ContactParams, out: list[Contact]) -> None:
        """Append the contacts `case` causes while it waits (only those inside the export period).

        Inbound and outbound contacts are one Poisson stream with the summed rate, each
        arrival then inbound with probability inbound_rate / total_rate (thinning).
        """
        end_of_period = self.env.period_end
        deadline = case.deadline_at
        for w in case.waits:
            lo, hi = w.start, min(w.end, end_of_period)
            if hi <= lo or w.citizen_waits is None:
                continue
            inbound = p.inbound_per_week if w.citizen_waits else p.inbound_per_week * p.citizen_side_factor
            self._arrivals(case, p, w, lo, hi, inbound, p.outbound_per_week, deadline, out)

    def _arrivals(
        self,
        case: Case,
        p: ContactParams,
        w,
        lo: int,
        hi: int,
        inbound: float,
        outbound: float,
        deadline: int | None,
        out: list[Contact],
    ) -> None:
        rng = self.env.rng
        late_in = inbound * p.after_deadline_factor
        t = lo
        late = deadline is not None and t >= deadline
        while True:
            rate_in = late_in if late else inbound
            total = rate_in + outbound
            if total <= 0:
                return
            t += int(rng.expovariate(total / WEEK_SECONDS))
            if not late and deadline is not None and t >= deadline:
                t = deadline  # memoryless: restart the clock at the deadline with the new rate
                late = True
                continue
            if t >= hi:
                return
            direction = "inbound" if rng.random() * total < rate_in else "outbound"
            channel = self._channel(p) if direction == "inbound" else ("phone" if rng.random() < 0.7 else "email")
            when = self._place(channel, t)
            if when >= hi:
                continue
            if direction == "inbound":
                if not w.citizen_waits:
                    reason = rng.choice(CITIZEN_SIDE_REASONS)
                elif late and rng.random() < 0.3:
                    reason = REASON_LATE
                else:
                    reason = rng.choice(INBOUND_REASONS)
            else:
                reason = rng.choice(OUTBOUND_REASONS)
            out.append(self._make(when, channel, direction, reason, case, p, w))
            if rng.random() < p.noise_share:
                out.append(self._noise(channel, p))

    def _make(self, when: int, channel: str, direction: str, reason: str, case: Case, p: ContactParams, w) -> Contact:
        rng = self.env.rng
        cpr = case.citizen.cpr
        if direction == "inbound":
            shown = rng.random() < CPR_SHOWN_INBOUND[channel]
            staff = case.owner.name if rng.random() < 0.5 else self.env.pick("borgerservice").name
        else:
            shown = rng.random() < CPR_SHOWN_OUTBOUND
            staff = case.owner.name
        case_ref = case.case_id if rng.random() < CASE_REF_SHOWN[channel] else None
        note = None
        if channel in ("phone", "visit"):
            note = reason
            if rng.random() < CPR_IN_NOTE:
                note = f"{reason}. Borger cpr {cpr} ringede" if channel == "phone" else f"{reason} ({cpr})"
            if case_ref and rng.random() < 0.5:
                note += f" - ref. {case_ref}"
        return self._contact(
            when,
            channel,
            direction,
            reason,
            cpr,
            shown,
            case_ref,
            case.case_id,
            case.process,
            w.frm,
            w.to,
            staff,
            p,
            note,
        )

    def _noise(self, channel: str, p: ContactParams) -> Contact:
        """An unrelated contact at a random time of the period (no case behind it)."""
        rng = self.env.rng
        lo, hi = self.env.period_start, self.env.period_end
        when = self._place(channel, lo + int(rng.random() * (hi - lo)))
        if when > hi:
            when = self._place(channel, lo)
        cpr = self._new_cpr()
        shown = rng.random() < CPR_SHOWN_INBOUND[channel]
        reason = rng.choice(NOISE_REASONS[channel])
        note = reason if channel in ("phone", "visit") else None
        c = self._contact(
            when,
            channel,
            "inbound",
            reason,
            cpr,
            shown,
            None,
            None,
            None,
            None,
            None,
            self.env.pick("borgerservice").name,
            p,
            note,
        )
        if channel == "visit":
            c.queue = reason
        return c

    def _contact(
        self,
        when: int,
        channel: str,
        direction: str,
        reason: str,
        cpr: str | None,
        shown: bool,
        case_ref: str | None,
        true_case: str | None,
        process: str | None,
        wait_from: str | None,
        wait_to: str | None,
        staff: str,
        p: ContactParams,
        note: str | None,
    ) -> Contact:
        rng = self.env.rng
        self.seq += 1
        if channel == "phone":
            queue = p.phone_queue if true_case else "Borgerservice"
            duration = int(self.env.gamma(240, 2.0)) + 20
            queue_wait = 0 if direction == "outbound" else int(self.env.gamma(150, 1.5))
            answered = direction == "outbound" or rng.random() < 0.92
            if not answered:
                duration = 0
        elif channel == "visit":
            queue = p.desk_queue if true_case else "Borgerservice"
            duration = int(self.env.gamma(8 * 60, 2.0)) + 60
            queue_wait = int(self.env.gamma(12 * 60, 2.0))
            answered = True
        else:
            queue = p.mailbox if true_case else "post@kommune.dk"
            duration = 0
            queue_wait = 0
            answered = True
        return Contact(
            self.seq,
            when,
            channel,
            direction,
            reason,
            cpr,
            shown,
            case_ref,
            true_case,
            process,
            wait_from,
            wait_to,
            staff,
            queue,
            duration,
            queue_wait,
            answered,
            note,
        )
