"""A real log from the shared data in a warehouse with its variants built, and an intended model pm4py discovered from
it: the input of the conformance tests that compare with pm4py on real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mining.conformance import intended_net
from mining.discovery import layout
from mining.engine import build

XES_MAPPING = {
    "ts": "time:timestamp",
    "activity": "concept:name",
    "case_id": "case:concept:name",
    "lifecycle": "lifecycle:transition",
    "resource": "org:resource",
}


def real_log_and_model(shared_data: Path, name: str, tmp_path: Path, model_log: Callable, noise: float):
    """The real log `name` in a warehouse with its variants built, pm4py's frame of it, and an intended BPMN
    discovered by pm4py (IMf at `noise`) from `model_log(frame)`, written as a file and read back as its net."""
    import pm4py

    from warehouse.config import Source
    from warehouse.load import load_file
    from warehouse.migrations import connect
    from warehouse.pseudonym import Pseudonymiser

    con = connect(":memory:")
    src = Source.model_validate({"kind": "xes", "path": name, "process": "p", "mapping": XES_MAPPING})
    load_file(con, src, "real", shared_data / name, Pseudonymiser(bytes(range(32))))
    build(con, ["case_variants", "value_stream_cases"])
    log = pm4py.read_xes(str(shared_data / name))
    path = tmp_path / f"model-{noise}.bpmn"
    bpmn = pm4py.discover_bpmn_inductive(model_log(log), noise_threshold=noise)
    layout(bpmn)  # pm4py's own layout needs the Graphviz program
    pm4py.write_bpmn(bpmn, str(path), auto_layout=False)
    return con, log, path, intended_net(path)
