"""Discovery: a model of how a process really runs, from its variants with their frequencies, as BPMN and PNML.

pm4py's inductive miner (IMf, with a noise threshold) works on a log's variants and their
counts; it never needs the events themselves. So the variants come from the warehouse
(`marts.case_variants`, the activities each case completed, in order) and go to pm4py as
its own variant-count structure: the same model `pm4py.discover_process_tree_inductive`
finds on the whole log (a test checks that), at the cost of the variants, not the events.
pm4py is called through `mining.pm4py_adapter`.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mining import pm4py_adapter

DEFAULT_NOISE = 0.2  # IMf's threshold: behaviour rarer than this, relative to the rest, is left out


@dataclass
class Discovered:
    """A discovered model: pm4py's process tree, its Petri net with markings, and its BPMN."""

    process: str
    n_cases: int
    n_variants: int
    tree: object
    net: object
    initial_marking: object
    final_marking: object
    bpmn: object


def variants(con: duckdb.DuckDBPyConnection, process: str) -> Counter:
    """The process's variants of completed activities (a start/complete pair counts once) with their case counts."""
    rows = con.execute(
        "select instance_activities, count(*) from marts.case_variants where process = ? group by all", [process]
    ).fetchall()
    return Counter({tuple(activities): n for activities, n in rows})


def discover(con: duckdb.DuckDBPyConnection, process: str, noise_threshold: float = DEFAULT_NOISE) -> Discovered:
    """The model of one process; a clear error when the process has no cases."""
    counts = variants(con, process)
    if not counts:
        known = [p for (p,) in con.execute("select distinct process from marts.case_variants order by 1").fetchall()]
        raise KeyError(f"no cases of process {process!r} in the warehouse (it has: {', '.join(map(str, known))})")
    tree = pm4py_adapter.discover_tree(counts, noise_threshold)
    net, im, fm = pm4py_adapter.tree_to_net(tree)
    return Discovered(process, sum(counts.values()), len(counts), tree, net, im, fm, pm4py_adapter.tree_to_bpmn(tree))


def layout(bpmn) -> None:
    """Positions for every node and flow of a pm4py BPMN, so modelers can draw it (pm4py's own layout needs the
    Graphviz program, which a municipality's server may not have): left to right by the shortest path from the
    start, top to bottom in the order nodes are met."""
    nodes = list(bpmn.get_nodes())
    outgoing: dict = {n: [] for n in nodes}
    for flow in bpmn.get_flows():
        outgoing[flow.get_source()].append(flow.get_target())
    starts = [n for n in nodes if pm4py_adapter.is_bpmn_start_event(n)] or nodes[:1]
    layer = {n: 0 for n in starts}
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        for nxt in outgoing[node]:
            if nxt not in layer:
                layer[nxt] = layer[node] + 1
                queue.append(nxt)
    for n in nodes:  # unreachable nodes (none in a sound model) go last
        layer.setdefault(n, max(layer.values(), default=0) + 1)
    rows: dict[int, int] = {}
    for n in sorted(nodes, key=lambda n: layer[n]):
        width, height = (100, 60) if pm4py_adapter.is_bpmn_task(n) else (36, 36)
        row = rows.get(layer[n], 0)
        rows[layer[n]] = row + 1
        n.set_width(width)
        n.set_height(height)
        n.set_x(40 + 160 * layer[n] + (100 - width) // 2)
        n.set_y(40 + 110 * row + (60 - height) // 2)
    for flow in bpmn.get_flows():
        a, b = flow.get_source(), flow.get_target()
        flow.del_waypoints()
        flow.add_waypoint((a.get_x() + a.get_width(), a.get_y() + a.get_height() // 2))
        flow.add_waypoint((b.get_x(), b.get_y() + b.get_height() // 2))


def write(model: Discovered, out: Path) -> list[Path]:
    """`out/<process>.bpmn` (with a layout) and `out/<process>.pnml`; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    bpmn, pnml = out / f"{model.process}.bpmn", out / f"{model.process}.pnml"
    layout(model.bpmn)
    pm4py_adapter.write_bpmn(model.bpmn, bpmn)
    pm4py_adapter.write_pnml(model.net, model.initial_marking, model.final_marking, pnml)
    return [bpmn, pnml]
