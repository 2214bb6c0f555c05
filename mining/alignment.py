"""Optimal alignments of traces on a Petri net, with one stable answer where several cost the same.

pm4py's A* (`state_equation_a_star`, the default) finds an optimal alignment, but which one
of several equal-cost alignments it returns depends on the order it tries moves in, and that
order comes from Python sets of pm4py's places and transitions, which hash by memory address
(`PetriNet.Transition.__hash__` is `id(self)`): the same data in another process can explain
a deviation another way (byggesag: "Faglig behandling" or "Sag fuldt oplyst" out of order).

This is the same search (A* over the synchronous product of trace and net, pm4py's standard
costs: 10000 a move on log or model, 1 a silent move, 0 a synchronous move; pm4py's state
equation heuristic with pm4py's LP solver, by way of `mining.pm4py_adapter`), over nets
indexed in an order that does not depend on memory, and with one rule for ties, so that the
answer is a function of the data:

    Of the optimal alignments, the one whose visible moves come first, compared move by move:
    a synchronous move before a move on log only, before a move on model only; moves of the
    same kind by activity name. Silent moves are not compared (they explain no deviation).

So where trace and model part ways, an event the model has no room for yet is set aside
where it happened, rather than the model skipping ahead to meet it: in <a, c, b> against
a -> b -> c, c was done early (c is out of order), not b late. That is how the simulator
injects an order deviation (byggesag's "Faglig behandling" before "Sag fuldt oplyst"). Of
two branches of a choice skipped at equal cost, the one first by name is blamed. The heap
is ordered by (g + h, the visible moves so far); with pm4py's heuristic, which is consistent,
the first final state taken from it is the optimal alignment first in that order (the order
extends paths monotonically, as costs do). The LP value is rounded up to a whole cost (costs
are whole), so that ties are ties and not float noise.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mining.pm4py_adapter import state_equation

STD_COST = 10000  # pm4py's cost of a move on log or model
TAU_COST = 1  # pm4py's cost of a silent move
SYNC, LOG, MODEL = 0, 1, 2  # the order of kinds of move in the tie rule
SKIP = ">>"
TIE_RULE = "sync<log<model, by name; v1"  # stored with each alignment: rows chosen otherwise are aligned again
LP_TOLERANCE = 1e-6  # an LP optimum within this of a whole cost is that cost


@dataclass(slots=True)
class _Node:
    """A search state: marking of the net, position in the trace, and how it was reached."""

    g: int
    h: int
    marking: tuple[int, ...]
    at: int
    parent: _Node | None
    move: tuple[str | None, str | None] | None  # (log, model) as pm4py writes it; None at the start
    x: np.ndarray = field(repr=False)  # the LP solution the heuristic comes from (pm4py's `x`)
    trusted: bool  # h is the LP's own value for this state, not derived from the parent's


_Move = tuple[int, int, tuple[int, ...], int, tuple, int | None]
"""A move from a search state: cost, LP column, marking reached, trace position reached, the (log, model) move, and
its code in the tie rule (None for a silent move)."""
_Heuristic = Callable[[tuple[int, ...], int], tuple[int | None, np.ndarray]]
"""h at (marking, position in the trace), None where the final marking cannot be reached, and the LP's solution."""


class Aligner:
    """One net, indexed once in an order by name (BPMN ids and labels; pm4py's random silent names last), and
    its optimal alignments of traces under the stable tie rule."""

    def __init__(self, net, im, fm) -> None:
        places = sorted(net.places, key=lambda p: str(p.name))
        index = {p: i for i, p in enumerate(places)}

        def arcs(t, side: str) -> tuple[tuple[int, int], ...]:
            ends = [
                (index[a.source if side == "in" else a.target], a.weight)
                for a in (t.in_arcs if side == "in" else t.out_arcs)
            ]
            return tuple(sorted(ends))

        def order(t) -> tuple:
            pre, post = arcs(t, "in"), arcs(t, "out")
            return (t.label is None, t.label or "", pre, post, str(t.name))

        transitions = sorted(net.transitions, key=order)
        self.n_places = len(places)
        self.labels: list[str | None] = [t.label for t in transitions]
        self.pre = [arcs(t, "in") for t in transitions]
        self.delta: list[tuple[tuple[int, int], ...]] = []
        for t in transitions:
            change: dict[int, int] = {}
            for p, w in arcs(t, "in"):
                change[p] = change.get(p, 0) - w
            for p, w in arcs(t, "out"):
                change[p] = change.get(p, 0) + w
            self.delta.append(tuple(sorted((p, d) for p, d in change.items() if d)))
        consumers: list[list[int]] = [[] for _ in places]
        for j, pre in enumerate(self.pre):
            for p, _ in pre:
                consumers[p].append(j)
        self.consumers = [tuple(c) for c in consumers]
        self.always = tuple(j for j, pre in enumerate(self.pre) if not pre)
        self.im = tuple(im.get(p, 0) for p in places)
        self.fm = tuple(fm.get(p, 0) for p in places)
        self.incidence = np.zeros((len(places), len(transitions)), dtype=np.float64)
        for j, d in enumerate(self.delta):
            for p, c in d:
                self.incidence[p, j] = c

    def enabled(self, marking: tuple[int, ...]) -> list[int]:
        """The model's transitions enabled at `marking`, in index order."""
        found = set(self.always)
        for p, n in enumerate(marking):
            if n:
                found.update(j for j in self.consumers[p] if all(marking[q] >= w for q, w in self.pre[j]))
        return sorted(found)

    def align(self, trace: Sequence[str], max_seconds: float = math.inf) -> dict | None:
        """The optimal alignment of `trace` that the tie rule picks: pm4py's result keys `alignment` (a list of
        (log, model) pairs, ">>" for no move, None for a silent transition) and `cost`; None when
        `max_seconds` ran out first (or the final marking cannot be reached)."""
        deadline = time.perf_counter() + max_seconds
        length = len(trace)
        heuristic, sync_column = self._state_equation(trace)
        code = _move_codes(self.labels, trace)
        h, x = heuristic(self.im, 0)
        if h is None:
            return None
        start = _Node(0, h, self.im, 0, None, None, x, True)
        heap: list[tuple[int, tuple[int, ...], int, _Node]] = [(h, (), 0, start)]
        pushed = 1
        closed: set[tuple[tuple[int, ...], int]] = set()
        while heap:
            if time.perf_counter() > deadline:
                return None
            f, key, _, node = heapq.heappop(heap)
            state = (node.marking, node.at)
            if state in closed:
                continue
            if not node.trusted:  # pm4py's lazy heuristic: solve the LP when the state comes up, and queue it again
                h, x = heuristic(node.marking, node.at)
                if h is None:
                    continue
                node.h, node.x, node.trusted = h, x, True
                heapq.heappush(heap, (node.g + h, key, pushed, node))
                pushed += 1
                continue
            if node.at == length and node.marking == self.fm:
                return {"alignment": _moves(node), "cost": node.g}
            closed.add(state)
            for cost, column, to, at, move, step in self._moves_from(node, trace, sync_column, code):
                if (to, at) in closed:
                    continue
                x = node.x.copy()
                x[column] -= 1
                child = _Node(node.g + cost, max(0, node.h - cost), to, at, node, move, x, bool(x[column] >= -0.001))
                heapq.heappush(heap, (child.g + child.h, key if step is None else key + (step,), pushed, child))
                pushed += 1
        return None

    def _state_equation(self, trace: Sequence[str]) -> tuple[_Heuristic, dict[tuple[int, int], int]]:
        """pm4py's state equation heuristic for aligning `trace` (h rounded up to a whole cost, None where the final
        marking cannot be reached, and the LP's solution), and the LP column of each synchronous move (event,
        transition)."""
        n, t_count, length = self.n_places, len(self.labels), len(trace)
        # LP columns: moves on model (one per transition), moves on log (one per event), synchronous moves (one per
        # event and transition of its label); rows: the net's places, then the trace's places 0..length
        syncs = [(i, j) for i, a in enumerate(trace) for j in range(t_count) if self.labels[j] == a]
        sync_column = {s: t_count + length + k for k, s in enumerate(syncs)}
        columns = t_count + length + len(syncs)
        a = np.zeros((n + length + 1, columns))
        a[:n, :t_count] = self.incidence
        for i in range(length):
            a[n + i, t_count + i], a[n + i + 1, t_count + i] = -1, 1
        for (i, j), c in sync_column.items():
            a[:n, c] = self.incidence[:, j]
            a[n + i, c], a[n + i + 1, c] = -1, 1
        costs = (
            [TAU_COST if label is None else STD_COST for label in self.labels] + [STD_COST] * length + [0] * len(syncs)
        )
        solve = state_equation(a, costs)
        final = np.array(self.fm + (0,) * length + (1,), dtype=np.float64)

        def heuristic(marking: tuple[int, ...], at: int) -> tuple[int | None, np.ndarray]:
            here = np.array(marking + (0,) * (length + 1), dtype=np.float64)
            here[n + at] = 1
            value, x = solve(final - here)
            return (None if value is None else max(0, math.ceil(value - LP_TOLERANCE))), x

        return heuristic, sync_column

    def _moves_from(
        self,
        node: _Node,
        trace: Sequence[str],
        sync_column: dict[tuple[int, int], int],
        code: Callable[[int, str], int],
    ) -> list[_Move]:
        """The moves from `node`: the model's in index order, each followed by its synchronous move, then the move on
        log."""
        length = len(trace)
        moves: list[_Move] = []
        event = trace[node.at] if node.at < length else None
        for j in self.enabled(node.marking):
            after = list(node.marking)
            for p, d in self.delta[j]:
                after[p] += d
            to, label = tuple(after), self.labels[j]
            if label is None:
                moves.append((TAU_COST, j, to, node.at, (SKIP, None), None))
            else:
                moves.append((STD_COST, j, to, node.at, (SKIP, label), code(MODEL, label)))
                if label == event:
                    moves.append((0, sync_column[(node.at, j)], to, node.at + 1, (event, label), code(SYNC, label)))
        if event is not None:
            moves.append(
                (STD_COST, len(self.labels) + node.at, node.marking, node.at + 1, (event, SKIP), code(LOG, event))
            )
        return moves


def _move_codes(labels: list[str | None], trace: Sequence[str]) -> Callable[[int, str], int]:
    """A move's place in the tie rule's order: by kind (SYNC, LOG, MODEL), then by activity name."""
    names = sorted({label for label in labels if label is not None} | set(trace))
    rank = {label: k for k, label in enumerate(names)}

    def code(kind: int, label: str) -> int:
        return kind * len(names) + rank[label]

    return code


def _moves(node: _Node) -> list[tuple[str | None, str | None]]:
    """The (log, model) moves from the start to `node`."""
    out = []
    while node.move is not None:
        out.append(node.move)
        assert node.parent is not None  # only the start has no move, and only the start has no parent
        node = node.parent
    return out[::-1]
