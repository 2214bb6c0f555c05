"""Discovery: pm4py's own model from the variants, written as BPMN and PNML that pm4py reads back and that fit."""

import duckdb
import pytest

from mining.discovery import discover, variants, write
from mining.pm4py_adapter import discover_tree

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def completions(baseline_warehouse):
    """The simulated municipality's completed steps, as pm4py's frame (file order, UTC)."""
    import pm4py

    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    frame = (
        con.sql(
            "select process, case_id, activity, ts from staging.events where case_id is not null "
            "and lower(coalesce(lifecycle, 'complete')) != 'start' order by source, source_seq"
        )
        .to_arrow_table()
        .to_pandas()
    )
    return pm4py.format_dataframe(frame, case_id="case_id", activity_key="activity", timestamp_key="ts")


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_the_model_is_pm4pys_on_the_whole_log(baseline_warehouse, completions, noise):
    import pm4py

    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    for process in ("visitation", "byggesag", "helhedsplan"):
        log = completions[completions["process"] == process]
        counts = variants(con, process)
        assert sum(counts.values()) == log["case:concept:name"].nunique()
        assert str(discover_tree(counts, noise)) == str(
            pm4py.discover_process_tree_inductive(log, noise_threshold=noise, multi_processing=False)
        ), process


def test_files_load_in_pm4py_and_the_model_fits_its_log(baseline_warehouse, completions, tmp_path):
    import pm4py

    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    for process in sorted(completions["process"].unique()):
        model = discover(con, process)
        bpmn_path, pnml_path = write(model, tmp_path)
        bpmn = pm4py.read_bpmn(str(bpmn_path))
        assert {n.get_name() for n in bpmn.get_nodes() if n.get_name()} >= {
            t.label for t in model.net.transitions if t.label
        }
        text = bpmn_path.read_text(encoding="utf-8")
        assert text.count("<bpmndi:BPMNShape") == len(bpmn.get_nodes())  # every node has a place on the page
        net, im, fm = pm4py.read_pnml(str(pnml_path))
        log = completions[completions["process"] == process]
        fitness = pm4py.fitness_token_based_replay(log, net, im, fm)
        assert fitness["log_fitness"] >= 0.9, (process, fitness)


def test_an_unknown_process_is_named(baseline_warehouse):
    con = duckdb.connect(str(baseline_warehouse), read_only=True)
    with pytest.raises(KeyError, match="no cases of process 'parkering' in the warehouse \\(it has: byggesag"):
        discover(con, "parkering")
