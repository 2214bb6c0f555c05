"""The checks of one process's variants against its intended net, each pm4py's own: token replay, alignments,
precision, and the log fitness they give; `mining.conformance` runs them per process and writes the marts.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mining.alignment import Aligner
from mining.alignment_pool import align_in_pool, pool_size
from mining.replay import Replayer

PREFIX_CHUNK = 2000  # variants walked between two looks at the clock
STD_COST = 10000  # pm4py's cost of a move on log or model; a synchronous move costs 0 and a silent one 1


def deviations_of(alignment: list[tuple], modelled: set[str] | frozenset[str]) -> list[tuple[str, str]]:
    """(kind, activity) for each activity an alignment moved. inserted: done, and not in the model at all;
    wrong_order: done where the model has no room for it, though the model has it elsewhere; skipped: the
    model needed it and it was not done."""
    moved_in_log = {log for log, model in alignment if log != ">>" and model == ">>"}
    moved_in_model = {model for log, model in alignment if log == ">>" and model not in (None, ">>")}
    wrong = moved_in_log & (modelled | moved_in_model)
    return sorted(
        [("wrong_order", a) for a in wrong]
        + [("inserted", a) for a in moved_in_log - wrong]
        + [("skipped", a) for a in moved_in_model - wrong]
    )


def replay(keys: list[tuple], replayer: Replayer) -> list[dict]:
    """Token replay of each variant, as `pm4py.fitness_token_based_replay` replays a log's traces."""
    modelled = set(replayer.trans_map) - {None}
    out = []
    for variant in keys:
        r = replayer.fitness(variant)
        misplaced = set(r.pop("problems"))
        out.append(
            r
            | {
                "replay_deviations": sorted(
                    [("inserted", a) for a in set(variant) - modelled] + [("wrong_order", a) for a in misplaced]
                )
            }
        )
    return out


@dataclass(frozen=True)
class VariantCheck:
    """What aligning a variant needs besides the variant: the indexed net, the cost of the model's cheapest run and
    its activities. Built once per model; a worker process gets it at its fork (`mining.alignment_pool`)."""

    aligner: Aligner
    model_worst: int
    modelled: frozenset[str]

    def __call__(self, keys: Sequence[tuple], deadline: float) -> list[tuple[tuple, dict]]:
        """Each variant's cost, worst cost, fitness and deviations, in order, until `deadline` (`time.monotonic()`):
        a variant still searching then is left unaligned, as are those after it."""
        out = []
        for key in keys:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r = self.aligner.align(key, left)
            if r is None:  # out of time (or no alignment: a net whose final marking cannot be reached)
                break
            worst = STD_COST * len(key) + self.model_worst
            cost_moves, worst_moves = r["cost"] // STD_COST, worst // STD_COST  # pm4py's fitness: silent steps free
            result = {
                "cost": float(r["cost"]),
                "worst_cost": float(worst),
                "fitness": 1 - cost_moves / worst_moves if worst_moves > 0 else 0.0,
                "deviations": deviations_of(r["alignment"], self.modelled),
            }
            out.append((key, result))
        return out


def variant_check(net, im, fm, budget_seconds: float = float("inf")) -> VariantCheck | None:
    """The check of variants against `net`: its index and its cheapest run (the empty trace's alignment); None
    when that is not found within `budget_seconds` (or the final marking cannot be reached)."""
    aligner = Aligner(net, im, fm)
    cheapest_run = aligner.align((), budget_seconds)
    if cheapest_run is None:
        return None
    return VariantCheck(aligner, cheapest_run["cost"], frozenset(t.label for t in net.transitions if t.label))


def align(
    keys: list[tuple], net, im, fm, budget_seconds: float = float("inf"), *, workers: int | None = None
) -> dict[tuple, dict]:
    """An optimal alignment of each variant (pm4py's A* and standard costs, `mining.alignment`), in the order
    given, until `budget_seconds` are spent.

    Of equal-cost alignments the same one is chosen in every run (the rule in `mining.alignment`), so
    the same data give the same deviations. A variant still searching when the budget runs out
    is left unaligned, as are those not reached by then. Returns cost, worst cost (pm4py's `bwc`: the
    trace's log moves plus the model's cheapest run), fitness and deviations per aligned variant.
    The variants are shared among `workers` processes (default: one per usable core, and none
    besides this one for a small log; `mining.alignment_pool`); each one aligned is aligned the same.
    """
    if not keys or budget_seconds <= 0:
        return {}
    deadline = time.monotonic() + budget_seconds
    check = variant_check(net, im, fm, budget_seconds)
    if check is None:
        return {}
    n = pool_size(len(keys), workers)
    if n > 1:
        return align_in_pool(check, keys, deadline, n)
    return dict(check(keys, deadline))


def precision(counts: Counter, replayer: Replayer, budget_seconds: float = float("inf")) -> float | None:
    """pm4py's ETConformance precision (`pm4py.precision_token_based_replay`) from variant counts.

    Each distinct prefix of the variants is replayed (pm4py's replay stops at the first event
    without its tokens: such a prefix does not count); the activities the model enables after
    it but no case did next (escaping edges) count as often as cases share the prefix. None
    when the variants cannot all be walked within `budget_seconds`.
    """
    deadline = time.perf_counter() + budget_seconds
    counts = Counter({v: n for v, n in counts.items() if v})
    followers: dict[tuple, set] = {}
    weight: Counter = Counter()
    reached: dict[tuple, int | None] = {(): replayer.start}  # the marking after each prefix; None: it did not fit
    for done, (v, n) in enumerate(counts.items()):
        if done % PREFIX_CHUNK == 0 and time.perf_counter() > deadline:
            return None
        for i in range(1, len(v)):
            prefix = v[:i]
            followers.setdefault(prefix, set()).add(v[i])
            weight[prefix] += n
            if prefix not in reached:
                before = reached[v[: i - 1]]
                s = replayer.step(before, v[i - 1]) if before is not None else None
                reached[prefix] = s.to if s is not None and s.problem is None else None
    if time.perf_counter() > deadline:
        return None
    enabled_at_start = set(replayer.enabled_at(replayer.start))
    n_cases = sum(counts.values())
    activated = n_cases * len(enabled_at_start)
    escaping = n_cases * len(enabled_at_start - {v[0] for v in counts})
    for prefix, at in reached.items():
        if prefix and at is not None:
            labels = set(replayer.enabled_at(at))
            activated += len(labels) * weight[prefix]
            escaping += len(labels - followers[prefix]) * weight[prefix]
    return 1 - escaping / activated if activated > 0 else 1.0


def token_log_fitness(rows: list[dict]) -> float:
    """pm4py's token-based log fitness over variants weighted by their cases."""
    m, c, r, p = (
        sum(x["n_cases"] * x[k] for x in rows)
        for k in ("missing_tokens", "consumed_tokens", "remaining_tokens", "produced_tokens")
    )
    return 0.5 * (1 - m / c) + 0.5 * (1 - r / p) if c > 0 and p > 0 else 0.0


def alignment_log_fitness(rows: list[dict]) -> float | None:
    """pm4py's alignment-based log fitness (1 - costs / worst costs) over the aligned variants, by their cases."""
    aligned = [x for x in rows if x["method"] == "alignment"]
    worst = sum(x["n_cases"] * x["worst_cost"] for x in aligned)
    return 1.0 - sum(x["n_cases"] * x["cost"] for x in aligned) / worst if worst else None
