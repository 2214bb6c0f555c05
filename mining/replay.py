"""pm4py's token replay, taken apart into steps that are each computed once per marking.

pm4py's token replay (`token_replay.apply_trace`, as `pm4py.fitness_token_based_replay`
and `pm4py.precision_token_based_replay` call it) walks a trace event by event. What one
event does (which transition fires, which hidden transitions are walked to enable it, how
many tokens are missing, consumed and produced) depends only on the marking it meets and
the event's activity; what the end does (walking hidden transitions towards the final
marking, counting the tokens left) depends only on the marking reached. So each (marking,
activity) step and each end is computed once here, with pm4py's own functions (by way of
`mining.pm4py_adapter`) in pm4py's order, and every variant and every prefix is replayed as
a walk through these memos. The counts, and so the fitness, are pm4py's: `tests/test_replay.py`
compares every variant's result with pm4py's own replay of the same log.

A variant of a few thousand cases costs microseconds once its steps are known; pm4py
replays each variant from scratch, about a millisecond each. Not covered (pm4py's defaults
for both calls): token-flood cleaning, exhaustive invisible exploration, place/transition
fitness, and the replay caches pm4py uses only when reducing nets.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass

from mining.pm4py_adapter import (
    add_missing_tokens,
    consumed_tokens,
    enabled_transitions,
    fire,
    is_enabled,
    produced_tokens,
    reached_final_marking,
    shortest_paths_by_hidden,
    transitions_towards_final_marking,
    visible_eventually_enabled,
    walk_hidden_to_enable,
)

MAX_REC_DEPTH = 50  # pm4py's TechnicalParameters.MAX_REC_DEPTH, for the shortest paths through hidden transitions
MAX_IT_FINAL = 5  # pm4py's MAX_IT_FINAL1 and MAX_IT_FINAL2: rounds of hidden moves towards the final marking


@dataclass(frozen=True, slots=True)
class Step:
    """What one event does from one marking."""

    to: int  # the marking reached (an index into `Replayer.markings`)
    missing: int
    consumed: int
    produced: int
    problem: str | None  # label of the transition that fired without its tokens (pm4py's transitions_with_problems)


@dataclass(frozen=True, slots=True)
class End:
    """What the end of a trace does from the marking its last event reached."""

    consumed: int  # by hidden moves towards the final marking, and the final marking's own tokens
    produced: int
    missing: int  # tokens of the final marking that are not there
    remaining: int  # tokens left over


class _HiddenMoves:
    """The hidden transitions fired at the end of a trace, with the tokens they consumed and produced."""

    def __init__(self, net) -> None:
        self.net = net
        self.consumed = self.produced = 0

    def fire(self, t, marking):
        self.consumed += consumed_tokens(t)
        self.produced += produced_tokens(t)
        return fire(t, self.net, marking)


class Replayer:
    """pm4py's token replay of one net, with every step and end remembered; `fitness` for
    `pm4py.fitness_token_based_replay`'s parameters, `enabled` for the prefix replays behind
    `pm4py.precision_token_based_replay`."""

    def __init__(self, net, im, fm) -> None:
        self.net, self.im, self.fm = net, im, fm
        self.trans_map = {t.label: t for t in sorted(net.transitions, key=lambda x: x.name)}  # as pm4py: last wins
        self.paths = shortest_paths_by_hidden(net, MAX_REC_DEPTH)
        self.markings: list = []
        self._ids: dict[tuple, int] = {}
        self._steps: dict[tuple[int, str], Step] = {}
        self._ends: dict[int, End] = {}
        self._enabled: dict[int, tuple[str, ...]] = {}
        self.start = self._id(copy(im))
        self.im_tokens = sum(im.values())
        self.fm_tokens = sum(fm.values())

    def _id(self, marking) -> int:
        """The index of `marking`; the key keeps the places' order, which pm4py's end walk can depend on."""
        key = tuple(marking.items())
        known = self._ids.get(key)
        if known is None:
            known = self._ids[key] = len(self.markings)
            self.markings.append(marking)
        return known

    def step(self, at: int, activity: str) -> Step:
        """The event `activity` replayed from marking `at` (pm4py's loop body in `apply_trace`)."""
        known = self._steps.get((at, activity))
        if known is None:
            known = self._steps[(at, activity)] = self._replay_event(at, activity)
        return known

    def _replay_event(self, at: int, activity: str) -> Step:
        if activity not in self.trans_map:  # not in the model: pm4py skips the event
            return Step(at, 0, 0, 0, None)
        net, marking = self.net, copy(self.markings[at])
        enabled = [x for x in enabled_transitions(net, marking) if x.label == activity]
        t = enabled[0] if enabled else self.trans_map[activity]
        missing = consumed = produced = 0
        if not is_enabled(t, net, marking):
            marking, walked = walk_hidden_to_enable(t, net, marking, self.paths)
            for hidden in walked:
                consumed += consumed_tokens(hidden)
                produced += produced_tokens(hidden)
            marking = copy(marking)  # add_missing_tokens changes it in place
        problem = None
        if not is_enabled(t, net, marking):
            problem = t.label
            missing += add_missing_tokens(t, marking)
        consumed += consumed_tokens(t)
        produced += produced_tokens(t)
        if is_enabled(t, net, marking):
            marking = fire(t, net, marking)
        return Step(self._id(marking), missing, consumed, produced, problem)

    def end(self, at: int) -> End:
        """The end of a trace at marking `at`, with pm4py's walk towards the final marking."""
        known = self._ends.get(at)
        if known is None:
            known = self._ends[at] = self._replay_end(copy(self.markings[at]))
        return known

    def _replay_end(self, marking) -> End:
        fm = self.fm
        hidden = _HiddenMoves(self.net)
        marking = self._walk_towards_final(marking, hidden)
        if not reached_final_marking(marking, fm) and len(fm) == 1:
            marking = self._walk_to_sink(marking, hidden)
        missing = sum(max(0, fm[p] - marking[p]) for p in fm)
        remaining = sum(max(0, n - fm[p]) if p in fm else n for p, n in marking.items())
        return End(hidden.consumed + self.fm_tokens, hidden.produced, missing, remaining)

    def _walk_towards_final(self, marking, hidden: _HiddenMoves):
        """pm4py's rounds of enabled hidden moves towards the final marking, until it is reached."""
        net, fm = self.net, self.fm
        for _ in range(MAX_IT_FINAL):
            if reached_final_marking(marking, fm):
                break
            for group in transitions_towards_final_marking(marking, fm, self.paths):
                for t in group:
                    if is_enabled(t, net, marking):
                        marking = hidden.fire(t, marking)
                if reached_final_marking(marking, fm):
                    break
        return marking

    def _walk_to_sink(self, marking, hidden: _HiddenMoves):
        """pm4py's last try for a final marking of one place: each marked place's shortest hidden path to it,
        shortest first, walked as far as it is enabled, in rounds."""
        net, paths = self.net, self.paths
        sink = list(self.fm)[0]
        connections = sorted(
            [[p, paths[p][sink]] for p in marking if p in paths and sink in paths[p]], key=lambda x: len(x[1])
        )
        for _ in range(MAX_IT_FINAL):
            for _, path in connections:
                for t in path:
                    if not is_enabled(t, net, marking):
                        break
                    marking = hidden.fire(t, marking)
        return marking

    def fitness(self, activities: tuple[str, ...]) -> dict:
        """One trace replayed as `pm4py.fitness_token_based_replay` replays it (remaining tokens count):
        pm4py's trace fitness, whether it fits, its four token counts, and the activities that fired
        without their tokens."""
        at, missing, consumed, produced, problems = self.start, 0, 0, self.im_tokens, []
        known = self._steps
        for activity in activities:
            s = known.get((at, activity)) or self.step(at, activity)
            at, missing, consumed, produced = s.to, missing + s.missing, consumed + s.consumed, produced + s.produced
            if s.problem is not None:
                problems.append(s.problem)
        e = self.end(at)
        fit = missing == 0 and e.remaining == 0  # pm4py decides before adding the final marking's missing tokens
        missing, consumed, produced = missing + e.missing, consumed + e.consumed, produced + e.produced
        value = (
            0.5 * (1 - missing / consumed) + 0.5 * (1 - e.remaining / produced)
            if consumed > 0 and produced > 0
            else 1.0
        )
        return {
            "token_fitness": value,
            "token_fit": fit,
            "missing_tokens": missing,
            "consumed_tokens": consumed,
            "remaining_tokens": e.remaining,
            "produced_tokens": produced,
            "problems": problems,
        }

    def enabled(self, activities: tuple[str, ...]) -> tuple[str, ...] | None:
        """The visible activities the model enables after `activities`, as pm4py's precision replay finds
        them (it stops at the first event without its tokens: then None)."""
        at = self.start
        for activity in activities:
            s = self.step(at, activity)
            if s.problem is not None:
                return None
            at = s.to
        return self.enabled_at(at)

    def enabled_at(self, at: int) -> tuple[str, ...]:
        """The visible labels eventually enabled at marking `at` (through hidden transitions), sorted."""
        known = self._enabled.get(at)
        if known is None:
            known = self._enabled[at] = tuple(
                sorted(
                    {t.label for t in visible_eventually_enabled(self.net, self.markings[at]) if t.label is not None}
                )
            )
        return known
