"""The same seed gives byte-identical files; another seed gives other data."""

import hashlib

from simulator.run import simulate
from simulator.spec import SimulationSpec


def digests(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = simulate(SimulationSpec(out=tmp_path / "a", citizens=400, seed=42))
    b = simulate(SimulationSpec(out=tmp_path / "b", citizens=400, seed=42))
    c = simulate(SimulationSpec(out=tmp_path / "c", citizens=400, seed=43))
    da, db, dc = digests(tmp_path / "a"), digests(tmp_path / "b"), digests(tmp_path / "c")
    assert set(da) == {  # seven exports, five BPMN files, the config and the ground truth; nothing left behind
        "sbsys/sagsaktiviteter.csv",
        "nexus/haendelser.jsonl",
        "momentum/sygedagpenge.parquet",
        "pladsanvisning/pladsanvisning.xlsx",
        "telefoni/opkald.csv",
        "digital_post/beskeder.jsonl",
        "borgerservice/koelog.csv",
        "bpmn/visitation.bpmn",
        "bpmn/sygedagpenge.bpmn",
        "bpmn/byggesag.bpmn",
        "bpmn/helhedsplan.bpmn",
        "bpmn/pladsanvisning.bpmn",
        "vaerdistrom.toml",
        "ground_truth/ground_truth.json",
        "ground_truth/cases.jsonl",
        "ground_truth/contacts.jsonl",
    }
    assert da == db
    assert a == b
    assert da["sbsys/sagsaktiviteter.csv"] != dc["sbsys/sagsaktiviteter.csv"]
    assert da["bpmn/visitation.bpmn"] == dc["bpmn/visitation.bpmn"]  # the intended process does not depend on the seed
    assert c["totals"]["rows"] != a["totals"]["rows"]


def test_rerun_into_the_same_folder_replaces_the_earlier_simulation(tmp_path):
    simulate(SimulationSpec(out=tmp_path / "x", citizens=300, seed=1))
    first = digests(tmp_path / "x")
    simulate(SimulationSpec(out=tmp_path / "x", citizens=300, seed=2, processes=("byggesag",)))
    second = digests(tmp_path / "x")
    assert "nexus/haendelser.jsonl" not in second and "bpmn/visitation.bpmn" not in second
    assert second["sbsys/sagsaktiviteter.csv"] != first["sbsys/sagsaktiviteter.csv"]
    assert not (tmp_path / "x" / ".spill").exists()
