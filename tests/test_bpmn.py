"""The intended processes: valid BPMN 2.0 that pm4py reads, and the simulator follows them.

Oracle: pm4py's own alignments. With no deviations injected every closed case fits its
intended BPMN exactly; with deviations, a closed case fits exactly when it had none.
"""

import xml.etree.ElementTree as ET

import polars as pl
import pytest
from support.exports import truth_cases
from support.logs import pm4py_log, process_frame

from simulator.model import activities
from simulator.spec import TEMPLATES

PROCESSES = list(TEMPLATES)
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.mark.parametrize("process", PROCESSES)
def test_bpmn_loads_in_pm4py_with_every_activity(baseline, process):
    import pm4py

    path = baseline / "bpmn" / f"{process}.bpmn"
    model = pm4py.read_bpmn(str(path))
    names = {n.get_name() for n in model.get_nodes() if type(n).__name__ == "Task"}
    assert names == set(activities(TEMPLATES[process].intended))
    # every flow node has a shape and every sequence flow an edge (it opens in a modeler)
    root = ET.parse(path).getroot()
    proc = root.find(f"{BPMN_NS}process")
    node_ids = {e.get("id") for e in proc if e.tag != f"{BPMN_NS}sequenceFlow"}
    flow_ids = {e.get("id") for e in proc if e.tag == f"{BPMN_NS}sequenceFlow"}
    di = {e.get("bpmnElement") for e in root.iter() if e.tag.endswith("BPMNShape") or e.tag.endswith("BPMNEdge")}
    assert node_ids | flow_ids <= di


def _fitness_per_case(out, process):
    import pm4py

    df = process_frame(out, process)
    closed = {c["case_id"] for c in truth_cases(out) if c["process"] == process and c["closed"]}
    df = df.filter(pl.col("case_id").is_in(sorted(closed)))
    log = pm4py_log(df)
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(out / "bpmn" / f"{process}.bpmn")))
    diagnostics = pm4py.conformance_diagnostics_alignments(log, net, im, fm, return_diagnostics_dataframe=True)
    return dict(zip(diagnostics["case_id"], diagnostics["fitness"], strict=True)), closed


@pytest.mark.slow
@pytest.mark.parametrize("process", PROCESSES)
def test_without_deviations_every_closed_case_fits(no_deviations, process):
    fitness, closed = _fitness_per_case(no_deviations, process)
    assert len(closed) >= 20
    assert set(fitness) == closed
    assert all(f == 1.0 for f in fitness.values())


@pytest.mark.slow
@pytest.mark.parametrize("process", PROCESSES)
def test_a_closed_case_fits_exactly_when_no_deviation_was_injected(long_run, process):
    fitness, closed = _fitness_per_case(long_run, process)
    injected = {c["case_id"] for c in truth_cases(long_run) if c["process"] == process and c["deviations"]}
    not_fitting = {case for case, f in fitness.items() if f < 1.0}
    assert not_fitting == injected & closed
    assert len(not_fitting) >= 5
