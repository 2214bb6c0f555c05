"""Alignments: where several optimal alignments cost the same, one stable rule picks the same one in every process
(issue 20: two runs explained one byggesag case's deviation two ways), at pm4py's own cost."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from mining.alignment import TIE_RULE, Aligner
from mining.conformance import Intended, build_conformance, intended_net
from mining.conformance_checks import align, deviations_of
from simulator.model import to_bpmn
from simulator.spec import TEMPLATES

ROOT = Path(__file__).resolve().parents[1]

# a, then b or c, then d, then e
CHOICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="https://x">
  <bpmn:process id="p" isExecutable="false">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="ta" name="a"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:task>
    <bpmn:exclusiveGateway id="split"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:task id="tb" name="b"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:task>
    <bpmn:task id="tc" name="c"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:task>
    <bpmn:exclusiveGateway id="join"><bpmn:incoming>f5</bpmn:incoming><bpmn:incoming>f6</bpmn:incoming>
      <bpmn:outgoing>f7</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:task id="td" name="d"><bpmn:incoming>f7</bpmn:incoming><bpmn:outgoing>f8</bpmn:outgoing></bpmn:task>
    <bpmn:task id="te" name="e"><bpmn:incoming>f8</bpmn:incoming><bpmn:outgoing>f9</bpmn:outgoing></bpmn:task>
    <bpmn:endEvent id="end"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ta"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ta" targetRef="split"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="tb"/>
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="tc"/>
    <bpmn:sequenceFlow id="f5" sourceRef="tb" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="tc" targetRef="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="td"/>
    <bpmn:sequenceFlow id="f8" sourceRef="td" targetRef="te"/>
    <bpmn:sequenceFlow id="f9" sourceRef="te" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

S, FB, FO = "Screening og fordeling", "Faglig behandling", "Sag fuldt oplyst"
START = ("Ansøgning indsendt", "Kvittering sendt", S)
LETTER = ("Mangelbrev sendt", "Supplerende oplysninger modtaget")
# byggesag variants of the baseline that pm4py explained either way in different processes: "Faglig behandling"
# (review) done before "Sag fuldt oplyst" (case fully informed), as the simulator injects it
TIES = [
    START + (FB, FO),
    START + (FB, FO, "Sag henlagt"),
    START + LETTER + (FB, FO, "Sag henlagt"),
    START + (FB, FO, "Nabohøring sendt", "Nabohøring afsluttet", "Afgørelse meddelt"),
    START
    + LETTER
    + LETTER
    + (FB, FO, "Afgørelse meddelt", "Færdigmelding modtaget", "Ibrugtagningstilladelse meddelt"),
]

# each in its own process: other hash seeds, other memory addresses for pm4py's places and transitions
IN_A_PROCESS = """
import json, sys
junk = [object() for _ in range(int(sys.argv[1]))]
from pathlib import Path
from mining.conformance import intended_net
from mining.conformance_checks import align
for path, keys in json.loads(sys.argv[2]):
    keys = [tuple(k) for k in keys]
    print(json.dumps([[list(k), r] for k, r in align(keys, *intended_net(Path(path))).items()], ensure_ascii=False))
"""


def in_processes(script: str, *args: str) -> list[str]:
    """stdout of `script` run in four fresh Pythons, each with another hash seed and a heap grown by another amount
    before pm4py is imported (so its places and transitions get other addresses, and other id()-based hashes)."""
    out = []
    for seed, junk in enumerate((0, 1_001, 30_017, 77_777)):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(junk), *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        out.append(done.stdout)
    return out


@pytest.fixture
def choice(tmp_path) -> Path:
    path = tmp_path / "choice.bpmn"
    path.write_text(CHOICE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def byggesag(tmp_path_factory) -> Path:
    """The simulator's intended byggesag process, as the file it writes."""
    tpl = TEMPLATES["byggesag"]
    path = tmp_path_factory.mktemp("bpmn") / "byggesag.bpmn"
    path.write_text(to_bpmn("byggesag", tpl.name_da, tpl.intended), encoding="utf-8")
    return path


def pm4py_cost(trace: tuple, net, im, fm) -> int:
    from pm4py.algo.conformance.alignments.petri_net.variants import state_equation_a_star
    from pm4py.objects.log.obj import Event, Trace

    return state_equation_a_star.apply(Trace([Event({"concept:name": a}) for a in trace]), net, im, fm)["cost"]


@pytest.mark.parametrize(
    "trace, moves, deviations",
    [
        # fits
        (("a", "c", "d", "e"), [("a", "a"), ("c", "c"), ("d", "d"), ("e", "e")], []),
        # b or c skipped, at equal cost: the first by name
        (("a", "d", "e"), [("a", "a"), (">>", "b"), ("d", "d"), ("e", "e")], [("skipped", "b")]),
        # d and e swapped: e came before the model had room for it, so e is out of order (not d skipped and done late)
        (("a", "b", "e", "d"), [("a", "a"), ("b", "b"), ("e", ">>"), ("d", "d"), (">>", "e")], [("wrong_order", "e")]),
        # both: e set aside where it happened comes before skipping b (a move on log before a move on model)
        (
            ("a", "e", "d"),
            [("a", "a"), ("e", ">>"), (">>", "b"), ("d", "d"), (">>", "e")],
            [("skipped", "b"), ("wrong_order", "e")],
        ),
        # x is not in the model; b and c both done: the second one (c) does not fit, though the model has it
        (
            ("a", "x", "b", "c", "d", "e"),
            [("a", "a"), ("x", ">>"), ("b", "b"), ("c", ">>"), ("d", "d"), ("e", "e")],
            [("inserted", "x"), ("wrong_order", "c")],
        ),
    ],
)
def test_the_rule_picks_this_alignment_of_the_equal_cost_ones(choice, trace, moves, deviations):
    net, im, fm = intended_net(choice)
    found = Aligner(net, im, fm).align(trace)
    assert [m for m in found["alignment"] if m != (">>", None)] == moves
    assert deviations_of(found["alignment"], set("abcde")) == deviations
    assert found["cost"] == pm4py_cost(trace, net, im, fm) == 10000 * sum(m[0] != m[1] for m in moves)


def test_byggesag_review_before_the_case_is_fully_informed_is_the_review_out_of_order(byggesag):
    net, im, fm = intended_net(byggesag)
    found = align(TIES, net, im, fm)
    assert [found[k]["deviations"] for k in TIES] == [
        [("skipped", "Sag henlagt"), ("wrong_order", FB)],
        [("wrong_order", FB)],
        [("wrong_order", FB)],
        [("wrong_order", FB)],
        [("wrong_order", FB)],
    ]
    assert [found[k]["cost"] for k in TIES] == [pm4py_cost(k, net, im, fm) for k in TIES]


def test_every_process_gives_the_same_alignments(choice, byggesag):
    """The tied byggesag variants and the hand-made choices, aligned in four processes: the same bytes each time."""
    hand = [("a", "d", "e"), ("a", "b", "e", "d"), ("a", "e", "d"), ("a", "x", "b", "c", "d", "e")]
    runs = in_processes(IN_A_PROCESS, json.dumps([[str(byggesag), TIES], [str(choice), hand]]))
    assert runs[1:] == runs[:1] * 3
    assert [len(json.loads(line)) for line in runs[0].splitlines()] == [len(TIES), len(hand)]


def test_an_alignment_chosen_under_another_rule_is_aligned_again(choice):
    """A night keeps the alignments stored under today's tie rule and aligns again those chosen otherwise (by
    pm4py's search, before `tie_rule` existed)."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.case_variants as select 'p' as process, v as instance_activities from (values "
        "(['a', 'd', 'e']), (['a', 'd', 'e']), (['a', 'b', 'e', 'd']), (['a', 'c', 'd', 'e'])) as t(v)"
    )

    def checked() -> dict:
        return {
            tuple(a): ([(d["kind"], d["activity"]) for d in ds], rule)
            for a, ds, rule in con.execute(
                "select activities, deviations, tie_rule from marts.conformance_variants"
            ).fetchall()
        }

    assert build_conformance(con, {"p": Intended(choice)}) == []
    assert checked() == {
        ("a", "d", "e"): ([("skipped", "b")], TIE_RULE),
        ("a", "b", "e", "d"): ([("wrong_order", "e")], TIE_RULE),
        ("a", "c", "d", "e"): ([], TIE_RULE),
    }
    con.execute(
        "update marts.conformance_variants set deviations = [{'kind': 'skipped', 'activity': 'c'}], "
        "tie_rule = null where activities = ['a', 'd', 'e']"
    )
    con.execute(
        "update marts.conformance_variants set deviations = [{'kind': 'wrong_order', 'activity': 'd'}] "
        "where activities = ['a', 'b', 'e', 'd']"
    )
    build_conformance(con, {"p": Intended(choice)})
    assert checked() == {
        ("a", "d", "e"): ([("skipped", "b")], TIE_RULE),  # aligned again
        ("a", "b", "e", "d"): ([("wrong_order", "d")], TIE_RULE),  # kept as stored
        ("a", "c", "d", "e"): ([], TIE_RULE),
    }


@pytest.mark.parametrize("process", sorted(TEMPLATES))
def test_the_cost_is_pm4pys_and_the_alignment_explains_the_trace(process, tmp_path):
    """Random traces of each simulated process's activities (and one it does not have): the cost of the alignment
    found is pm4py's optimal cost, its moves on log are the trace, and its moves add up to its cost."""
    tpl = TEMPLATES[process]
    path = tmp_path / f"{process}.bpmn"
    path.write_text(to_bpmn(process, tpl.name_da, tpl.intended), encoding="utf-8")
    net, im, fm = intended_net(path)
    labels = sorted({t.label for t in net.transitions if t.label}) + ["Telefonopkald"]
    rng = random.Random(process)
    traces = [tuple(rng.choice(labels) for _ in range(rng.randrange(0, 7))) for _ in range(12)]
    aligner = Aligner(net, im, fm)
    for trace in traces:
        found = aligner.align(trace)
        assert found["cost"] == pm4py_cost(trace, net, im, fm), trace
        assert tuple(log for log, _ in found["alignment"] if log != ">>") == trace
        assert found["cost"] == sum(
            0 if log == model else 1 if model is None else 10000 for log, model in found["alignment"]
        )


@pytest.mark.slow
def test_the_conformance_marts_are_byte_identical_in_every_process(baseline_warehouse, baseline, tmp_path):
    """The baseline's five processes checked (all aligned again) in four processes: the same conformance_variants
    file, and the same conformance_models apart from its timings."""
    script = """
import shutil, sys
junk = [object() for _ in range(int(sys.argv[1]))]
from pathlib import Path
import duckdb
from mining.conformance import Intended, build_conformance
bpmn, db = Path(sys.argv[2]), Path(sys.argv[4]) / f"w{sys.argv[1]}.duckdb"
shutil.copy(sys.argv[3], db)
con = duckdb.connect(str(db))
build_conformance(con, {p.stem: Intended(p) for p in sorted(bpmn.glob("*.bpmn"))}, reuse=False)
out = Path(sys.argv[4]) / f"v{sys.argv[1]}.json"
con.execute(f"copy (select * from marts.conformance_variants) to '{out}' (format json)")
con.execute(f"copy (select * exclude (alignment_seconds, replay_seconds, precision_seconds) "
            f"from marts.conformance_models) to '{out}.models' (format json)")
print(out)
"""
    runs = in_processes(script, str(baseline / "bpmn"), str(baseline_warehouse), str(tmp_path))
    variants_ = [Path(r.strip()).read_bytes() for r in runs]
    models = [Path(r.strip() + ".models").read_bytes() for r in runs]
    assert variants_[1:] == variants_[:1] * 3 and models[1:] == models[:1] * 3
    rows = [json.loads(line) for line in variants_[0].decode().splitlines()]
    assert {r["process"] for r in rows} == set(TEMPLATES)
    byggesag = {tuple(r["activities"]): r for r in rows if r["process"] == "byggesag"}
    early = [k for k in byggesag if FB in k and FO in k and k.index(FB) < k.index(FO)]
    assert len(early) == 25  # variants where pm4py's explanation could depend on the process
    assert all({"kind": "wrong_order", "activity": FB} in byggesag[k]["deviations"] for k in early)
