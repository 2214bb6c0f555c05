"""The one module that imports pm4py (AGPL-3.0): every call the mining code makes into it goes through here.

pm4py is imported inside each function, never when this module is imported: the import takes about 1.5 s, which a
command that does not mine should not pay (`warm_up` starts it in the background during a night). Where pm4py's
simplified interface (`pm4py.discover_*`, `pm4py.convert_*`, `pm4py.read_*`, `pm4py.write_*`) has the call, it is
used. Three kinds of work go deeper, each for the reason given where it does:

- the inductive miner on variant counts (`discover_tree`): the simplified interface takes only a log;
- the steps of pm4py's token replay (`mining.replay` computes each step once per marking, with pm4py's own
  functions in pm4py's order, so its counts stay pm4py's);
- the state-equation LP behind the alignments' heuristic (`mining.alignment` runs pm4py's A* with a stable tie
  rule, and its heuristic must be pm4py's, solved by pm4py's LP solver).

Timestamps never reach pm4py: it sees variants (activity sequences with their case counts) and models only.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from copy import copy
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pm4py's own classes, for the signatures only: pm4py is imported when a function runs
    from pm4py import BPMN, Marking, PetriNet, ProcessTree


def warm_up() -> threading.Thread:
    """Import pm4py in a background thread (about 1.5 s of a night), so that it is ready when the sources are
    loaded; the import system makes a later `import pm4py` wait for it. A failed import here is left to that
    later import to report."""

    def load() -> None:
        with contextlib.suppress(Exception):  # the conformance step imports it again and says what went wrong
            import pm4py  # noqa: F401

    thread = threading.Thread(target=load, name="vaerdistrom-import-pm4py", daemon=True)
    thread.start()
    return thread


# -- discovery and models: the simplified interface, but for the miner's input --------------------------------------


def discover_tree(counts: Counter, noise_threshold: float) -> ProcessTree:
    """pm4py's inductive miner on variant counts: IMf when there is a noise threshold, else IM.

    The same as `pm4py.discover_process_tree_inductive` on the whole log, which turns the log into exactly these
    counts and runs the miner on them, then folds and sorts the tree, as here. The simplified interface takes no
    counts, a log rebuilt from them would cost one trace per case, and the algorithm's entry point
    (`inductive.algorithm.apply`) recognises counts by a type check no object passes (its `UVCL` is a typing
    alias): so this runs the miner's own classes, as that entry point does.
    """
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util

    parameters = {"noise_threshold": noise_threshold, "multiprocessing": False, "disable_fallthroughs": False}
    miner = IMFUVCL(parameters) if noise_threshold > 0 else IMUVCL(parameters)
    tree = pt_util.fold(miner.apply(IMDataStructureUVCL(counts), parameters))
    pt_util.tree_sort(tree)
    return tree


def tree_to_net(tree: ProcessTree) -> tuple[PetriNet, Marking, Marking]:
    """A process tree as a Petri net with its initial and final markings."""
    import pm4py

    return pm4py.convert_to_petri_net(tree)


def tree_to_bpmn(tree: ProcessTree) -> BPMN:
    """A process tree as a BPMN model."""
    import pm4py

    return pm4py.convert_to_bpmn(tree)


def read_bpmn_net(path: Path) -> tuple[PetriNet, Marking, Marking]:
    """The BPMN file at `path` as a Petri net with its markings; raises whatever pm4py's XML parser or converter
    raises for a file it cannot use."""
    import pm4py

    return pm4py.convert_to_petri_net(pm4py.read_bpmn(str(path)))


def write_bpmn(bpmn: BPMN, path: Path) -> None:
    """A BPMN model to `path` as laid out already (pm4py's own layout needs the Graphviz program)."""
    import pm4py

    pm4py.write_bpmn(bpmn, str(path), auto_layout=False)


def write_pnml(net: PetriNet, initial_marking: Marking, final_marking: Marking, path: Path) -> None:
    """A Petri net with its markings to `path` as PNML."""
    import pm4py

    pm4py.write_pnml(net, initial_marking, final_marking, str(path))


def is_bpmn_start_event(node: object) -> bool:
    """Whether a node of a pm4py BPMN is a start event."""
    import pm4py

    return isinstance(node, pm4py.BPMN.StartEvent)


def is_bpmn_task(node: object) -> bool:
    """Whether a node of a pm4py BPMN is a task."""
    import pm4py

    return isinstance(node, pm4py.BPMN.Task)


# -- token replay, step by step --------------------------------------------------------------------------------------
# pm4py's simplified interface replays whole logs only (`pm4py.fitness_token_based_replay`,
# `pm4py.precision_token_based_replay`); `mining.replay` needs the steps of its `token_replay.apply_trace` one at a
# time, to compute each (marking, activity) step once. These are the functions `apply_trace` itself calls; their
# modules are looked up once (a step is computed thousands of times on a large net).


@functools.cache
def _semantics() -> ModuleType:
    """pm4py's Petri net semantics (enabled transitions, firing)."""
    from pm4py.objects.petri_net import semantics

    return semantics


@functools.cache
def _token_replay() -> ModuleType:
    """pm4py's token replay (`apply_trace` and the functions it calls)."""
    from pm4py.algo.conformance.tokenreplay.variants import token_replay

    return token_replay


def enabled_transitions(net: PetriNet, marking: Marking) -> set[PetriNet.Transition]:
    """The transitions enabled at `marking` (pm4py's Petri net semantics)."""
    return _semantics().enabled_transitions(net, marking)


def is_enabled(t: PetriNet.Transition, net: PetriNet, marking: Marking) -> bool:
    """Whether `t` is enabled at `marking`."""
    return _semantics().is_enabled(t, net, marking)


def fire(t: PetriNet.Transition, net: PetriNet, marking: Marking) -> Marking:
    """The marking after `t` fires at `marking` (a new marking)."""
    return _semantics().execute(t, net, marking)


def shortest_paths_by_hidden(net: PetriNet, max_depth: int) -> dict:
    """pm4py's shortest paths between places through hidden transitions, as token replay uses them."""
    from pm4py.objects.petri_net.utils.petri_utils import get_places_shortest_path_by_hidden

    return get_places_shortest_path_by_hidden(net, max_depth)


def walk_hidden_to_enable(
    t: PetriNet.Transition, net: PetriNet, marking: Marking, paths: dict
) -> tuple[Marking, list[PetriNet.Transition]]:
    """The marking reached by the hidden transitions token replay fires to enable `t`, and those transitions
    (`apply_hidden_trans` as `apply_trace` calls it: no exhaustive invisible exploration); `marking` is copied."""
    _, reached, walked, _ = _token_replay().apply_hidden_trans(
        t, net, copy(marking), paths, [], 0, set(), [copy(marking)], False
    )
    return reached, walked


def add_missing_tokens(t: PetriNet.Transition, marking: Marking) -> int:
    """Adds to `marking`, in place, the tokens `t` lacks; returns how many."""
    return _token_replay().add_missing_tokens(t, marking)[0]


def consumed_tokens(t: PetriNet.Transition) -> int:
    """The tokens `t` consumes when it fires."""
    return _token_replay().get_consumed_tokens(t)[0]


def produced_tokens(t: PetriNet.Transition) -> int:
    """The tokens `t` produces when it fires."""
    return _token_replay().get_produced_tokens(t)[0]


def reached_final_marking(marking: Marking, final_marking: Marking) -> bool:
    """Token replay's test that the walk towards the final marking may stop."""
    return _token_replay().break_condition_final_marking(marking, final_marking)


def transitions_towards_final_marking(
    marking: Marking, final_marking: Marking, paths: dict
) -> Iterable[Iterable[PetriNet.Transition]]:
    """The groups of hidden transitions token replay tries, in its order, to reach the final marking."""
    return _token_replay().get_req_transitions_for_final_marking(marking, final_marking, paths)


def visible_eventually_enabled(net: PetriNet, marking: Marking) -> set[PetriNet.Transition]:
    """The visible transitions enabled at `marking` through hidden transitions, as pm4py's precision replay finds
    them (the simplified `pm4py.precision_token_based_replay` does not return them per prefix)."""
    from pm4py.objects.petri_net.utils.align_utils import get_visible_transitions_eventually_enabled_by_marking

    return get_visible_transitions_eventually_enabled_by_marking(net, marking)


# -- the alignments' state-equation LP -------------------------------------------------------------------------------


def state_equation(a: np.ndarray, costs: list[int]) -> Callable[[np.ndarray], tuple[float | None, np.ndarray]]:
    """pm4py's state-equation LP (minimise costs · x with a · x = b, x >= 0) with pm4py's default solver, as a
    function of b: the optimum and its x, or None (and zeros) when b cannot be reached.

    `mining.alignment` runs pm4py's A* itself (pm4py's `conformance_diagnostics_alignments` breaks ties between
    equal-cost alignments by memory addresses) and needs pm4py's heuristic, solved as pm4py solves it: so this
    calls pm4py's LP solver (`pm4py.util.lp.solver`) in the form its `state_equation_a_star` does.
    """
    from pm4py.util.lp import solver

    variant = solver.DEFAULT_LP_SOLVER_VARIANT
    columns = a.shape[1]
    g, h = -np.eye(columns), np.zeros((columns, 1))
    c = [float(v) for v in costs]
    cvxopt = variant in (solver.CVXOPT_SOLVER_CUSTOM_ALIGN, solver.CVXOPT_SOLVER_CUSTOM_ALIGN_ILP)
    if cvxopt:
        from cvxopt import matrix

        a_, g_, h_, c_ = matrix(a), matrix(g), matrix(h), matrix(c)
    else:
        a_, g_, h_, c_ = np.asmatrix(a), g, np.asmatrix(h), c

    def solve(b: np.ndarray) -> tuple[float | None, np.ndarray]:
        b_ = matrix(b.reshape(-1, 1)) if cvxopt else np.asmatrix(b.reshape(-1, 1))
        sol = solver.apply(c_, g_, h_, a_, b_, parameters={"solver": "glpk"}, variant=variant)
        value = solver.get_prim_obj_from_sol(sol, variant=variant)
        x = solver.get_points_from_sol(sol, variant=variant)
        if value is None or x is None:
            return None, np.zeros(columns)
        return float(value), np.array(list(x), dtype=np.float64)

    return solve
