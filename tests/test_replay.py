"""mining.replay gives, variant by variant and prefix by prefix, what pm4py's own token replay gives for the same
net: every token count, fitness, the transitions that fired without their tokens, and the labels enabled after each
prefix. Nets from four miners (hidden transitions, loops, an unsound alpha net) and a hand-made net with duplicate
labels and a hidden loop."""

import random
from collections import Counter

import pytest

from mining.replay import Replayer

FITNESS = {"consider_remaining_in_fitness": True, "cleaning_token_flood": False, "show_progress_bar": False}
PREFIX = {
    "consider_remaining_in_fitness": False,
    "try_to_reach_final_marking_through_hidden": False,
    "stop_immediately_unfit": True,
    "walk_through_hidden_trans": True,
    "cleaning_token_flood": False,
    "show_progress_bar": False,
}  # as pm4py's ETConformance replays prefixes


def _log(traces):
    from pm4py.objects.log.obj import Event, EventLog, Trace

    return EventLog([Trace([Event({"concept:name": a}) for a in t]) for t in traces])


def _pm4py(traces, net, im, fm, parameters):
    from pm4py.algo.conformance.tokenreplay.variants import token_replay

    return token_replay.apply(_log(traces), net, im, fm, parameters=parameters)


def _same_as_pm4py(traces, net, im, fm, *, prefixes: bool = True) -> tuple[int, int]:
    """Assert every variant's and every prefix's replay equals pm4py's; returns how many of each were compared."""
    counts = Counter(traces)
    keys = sorted(counts, key=lambda v: (-counts[v], v))
    replayer = Replayer(net, im, fm)
    for key, theirs in zip(keys, _pm4py(keys, net, im, fm, FITNESS), strict=True):
        ours = replayer.fitness(key)
        assert (
            ours["token_fitness"],
            ours["token_fit"],
            ours["missing_tokens"],
            ours["consumed_tokens"],
            ours["remaining_tokens"],
            ours["produced_tokens"],
            sorted(ours["problems"]),
        ) == (
            theirs["trace_fitness"],
            theirs["trace_is_fit"],
            theirs["missing_tokens"],
            theirs["consumed_tokens"],
            theirs["remaining_tokens"],
            theirs["produced_tokens"],
            sorted(t.label for t in theirs["transitions_with_problems"]),
        ), key
    if not prefixes:
        return len(keys), 0
    starts = sorted({k[:i] for k in keys for i in range(1, len(k))})
    for prefix, theirs in zip(starts, _pm4py(starts, net, im, fm, PREFIX), strict=True):
        expected = tuple(sorted({t.label for t in theirs["enabled_transitions_in_marking"] if t.label is not None}))
        assert replayer.enabled(prefix) == (expected if theirs["trace_is_fit"] else None), prefix
    return len(keys), len(starts)


@pytest.fixture(scope="module")
def receipt(shared_data):
    import pm4py

    log = pm4py.read_xes(str(shared_data / "receipt_wabo.xes.gz"), return_legacy_log_object=True)
    return log, [tuple(e["concept:name"] for e in t) for t in log]


@pytest.mark.parametrize("miner", ["imf-0.0", "imf-0.2", "imf-0.5", "alpha", "heuristics"])
def test_receipt_log_replays_as_pm4pys(receipt, miner):
    import pm4py

    log, traces = receipt
    if miner.startswith("imf"):
        net, im, fm = pm4py.discover_petri_net_inductive(log, noise_threshold=float(miner[4:]))
    elif miner == "alpha":
        net, im, fm = pm4py.discover_petri_net_alpha(log)
    else:
        net, im, fm = pm4py.discover_petri_net_heuristics(log)
    assert _same_as_pm4py(traces, net, im, fm) == (116, 458)


def _duplicates():
    """A net where A is two transitions, a hidden transition skips B, another loops back from after C, D ends, and E
    takes the token after B and gives none back (the case's token is gone without reaching the end)."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet("duplicates")
    p = [PetriNet.Place(f"p{i}") for i in range(6)]
    net.places.update(p)
    t = {
        name: PetriNet.Transition(name, label)
        for name, label in [
            ("a1", "A"),
            ("b", "B"),
            ("a2", "A"),
            ("c", "C"),
            ("skip", None),
            ("back", None),
            ("d", "D"),
            ("e", "E"),
        ]
    }
    net.transitions.update(t.values())
    for source, target in [
        (p[0], t["a1"]),
        (t["a1"], p[1]),
        (p[1], t["b"]),
        (t["b"], p[2]),
        (p[2], t["a2"]),
        (t["a2"], p[3]),
        (p[1], t["skip"]),
        (t["skip"], p[2]),
        (p[3], t["c"]),
        (t["c"], p[4]),
        (p[4], t["back"]),
        (t["back"], p[1]),
        (p[4], t["d"]),
        (t["d"], p[5]),
        (p[0], t["back"]),
        (p[2], t["e"]),
    ]:
        add_arc_from_to(source, target, net)
    return net, Marking({p[0]: 1}), Marking({p[5]: 1})


def test_duplicate_labels_and_a_hidden_loop_replay_as_pm4pys():
    rng = random.Random(3)
    traces = [tuple(rng.choice("ABCDAXE") for _ in range(rng.randint(0, 9))) for _ in range(3000)]
    traces += [("A", "B", "A", "C", "D"), ("A", "A", "C", "D"), ("A", "B", "A", "C", "A", "C", "D"), ("A", "E")]
    net, im, fm = _duplicates()
    n_variants, n_prefixes = _same_as_pm4py(traces, net, im, fm)
    assert n_variants == len(set(traces)) and n_prefixes > 3000
    replayer = Replayer(net, im, fm)
    assert replayer.fitness(("A", "B", "A", "C", "D"))["token_fit"]
    assert replayer.fitness(("A", "A", "C", "D"))["token_fit"]  # B skipped by the hidden transition
    assert replayer.fitness(("A", "C", "D"))["problems"] == ["C"]
    # pm4py calls a trace fit when no token was missing before the end and none remains, even though the final
    # marking's token is then counted missing
    gone = replayer.fitness(("A", "E"))
    assert (gone["token_fit"], gone["missing_tokens"], gone["remaining_tokens"]) == (True, 1, 0)
    assert gone["token_fitness"] == pytest.approx(0.5 * (1 - 1 / gone["consumed_tokens"]) + 0.5)


@pytest.mark.slow
def test_bpic15_variants_replay_as_pm4pys(shared_data):
    """BPIC15_1's 1,170 variants against a model of its 20 most frequent activities (the others are not in the
    model); prefixes are left to the receipt tests (pm4py takes 90 s over BPIC15_1's 39,000)."""
    import pm4py

    log = pm4py.read_xes(str(shared_data / "BPIC15_1.xes.gz"), return_legacy_log_object=True)
    top = [a for a, _ in Counter(e["concept:name"] for t in log for e in t).most_common(20)]
    kept = pm4py.filter_event_attribute_values(log, "concept:name", top, level="event", retain=True)
    net, im, fm = pm4py.discover_petri_net_inductive(kept, noise_threshold=0.2)
    traces = [tuple(e["concept:name"] for e in t) for t in log]
    assert _same_as_pm4py(traces, net, im, fm, prefixes=False) == (1170, 0)
