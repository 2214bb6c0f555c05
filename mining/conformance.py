"""Conformance: each process's variants aligned once against its intended BPMN, weighted by their cases.

pm4py aligns every distinct trace once anyway; here the traces are the variants of
completed activities from `marts.case_variants`, so pm4py never sees the events and the
log's fitness is the case-weighted sum of the variants' alignment costs (the same number
`pm4py.fitness_alignments` gives on the whole log: 1 - sum of costs / sum of worst costs).
Each alignment's moves become deviations: an activity the model does not have at all
(inserted), one the model needed that did not happen (skipped), and one the model has but
not where it happened (wrong order). The result is
`marts.conformance_variants`; SQL marts derive cases, months and deviations from it.
pm4py is called only from here and from `mining.discovery`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa

from mining.discovery import variants

DEVIATION = pa.struct([("kind", pa.string()), ("activity", pa.string())])
VARIANTS = pa.schema([("process", pa.string()), ("activities", pa.list_(pa.string())), ("n_cases", pa.int64()),
                      ("cost", pa.float64()), ("worst_cost", pa.float64()), ("fitness", pa.float64()),
                      ("deviations", pa.list_(DEVIATION)), ("model_sha256", pa.string())])


class IntendedModelError(ValueError):
    """An intended BPMN that cannot be used, said with the file's name."""


def intended_net(path: Path):
    """The intended BPMN at `path` as a Petri net with its markings; a clear error when it cannot be read."""
    import pm4py

    if not path.is_file():
        raise IntendedModelError(f"{path}: no such BPMN file")
    try:
        return pm4py.convert_to_petri_net(pm4py.read_bpmn(str(path)))
    except Exception as e:  # pm4py raises whatever its XML parser or converter raises
        raise IntendedModelError(f"{path}: not a BPMN 2.0 model pm4py can read ({type(e).__name__}: {e})") from None


def activities_never_seen(net, counts: Counter) -> list[str]:
    """The model's activities that no case ever did (a misspelt name, or a step the system does not log)."""
    seen = {a for variant in counts for a in variant}
    return sorted({t.label for t in net.transitions if t.label} - seen)


def deviations_of(alignment: list[tuple], modelled: set[str]) -> list[tuple[str, str]]:
    """(kind, activity) for each activity an alignment moved. inserted: done, and not in the model at all;
    wrong_order: done where the model has no room for it, though the model has it elsewhere; skipped: the
    model needed it and it was not done."""
    moved_in_log = {log for log, model in alignment if log != ">>" and model == ">>"}
    moved_in_model = {model for log, model in alignment if log == ">>" and model not in (None, ">>")}
    wrong = moved_in_log & (modelled | moved_in_model)
    return sorted([("wrong_order", a) for a in wrong] + [("inserted", a) for a in moved_in_log - wrong]
                  + [("skipped", a) for a in moved_in_model - wrong])


def align(counts: Counter, net, im, fm) -> list[dict]:
    """One alignment per variant (pm4py's A*, standard costs): its cost, worst cost, fitness and deviations."""
    import pandas as pd
    import pm4py
    from pm4py.util import constants as pm4py_constants

    pm4py_constants.SHOW_PROGRESS_BAR = False  # no progress bars in a nightly job's log
    modelled = {t.label for t in net.transitions if t.label}
    keys = list(counts)
    rows = [(f"v{i}", a, pd.Timestamp(0, unit="s", tz="UTC") + pd.Timedelta(seconds=j))
            for i, variant in enumerate(keys) for j, a in enumerate(variant)]
    log = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp"])
    results = pm4py.conformance_diagnostics_alignments(log, net, im, fm) if rows else []
    # each alignment back to its variant by what it says the log did (its log moves and synchronous moves)
    by_variant = {tuple(step[0] for step in r["alignment"] if step[0] != ">>"): r for r in results}
    out = []
    for variant in keys:
        r = by_variant.get(variant)
        if r is None:  # the empty variant: a case with no completed activity
            continue
        out.append({"activities": list(variant), "n_cases": counts[variant], "cost": float(r["cost"]),
                    "worst_cost": float(r["bwc"]), "fitness": float(r["fitness"]),
                    "deviations": [{"kind": k, "activity": a} for k, a in deviations_of(r["alignment"], modelled)]})
    return out


def log_fitness(aligned: list[dict]) -> float:
    """pm4py's alignment-based log fitness, each variant weighted by its cases."""
    worst = sum(a["n_cases"] * a["worst_cost"] for a in aligned)
    return 1.0 - sum(a["n_cases"] * a["cost"] for a in aligned) / worst if worst else 0.0


def _aligned_before(con: duckdb.DuckDBPyConnection, process: str, model_sha256: str) -> dict[tuple, dict]:
    """Last night's alignments of this process's variants against the same model (same file content)."""
    have = con.execute("select 1 from information_schema.columns where table_schema = 'marts' "
                       "and table_name = 'conformance_variants' and column_name = 'model_sha256'").fetchall()
    if not have:
        return {}
    rows = con.sql("select * from marts.conformance_variants where process = $p and model_sha256 = $m",
                   params={"p": process, "m": model_sha256}).to_arrow_table().to_pylist()
    return {tuple(r["activities"]): r for r in rows}


def build_conformance(con: duckdb.DuckDBPyConnection, models: dict[str, Path], *, reuse: bool = True) -> list[str]:
    """Align each process's variants against its intended model into marts.conformance_variants.

    `models` maps a process to its BPMN file. A variant aligned before against the same model
    (same file content) keeps its alignment, so a night aligns only the variants it has not
    seen and explains each deviation the same way every night (`reuse=False` aligns all
    again). Returns warnings (an
    unreadable model, activities no case did); a process with an unreadable model is left
    out, the others go on.
    """
    import hashlib

    warnings, rows = [], []
    for process, path in sorted(models.items()):
        try:
            net, im, fm = intended_net(path)
        except IntendedModelError as e:
            warnings.append(f"process {process!r}: {e}")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        counts = variants(con, process)
        never = activities_never_seen(net, counts)
        if never:
            warnings.append(f"process {process!r}: {path} names activities no case did (yet): {', '.join(map(repr, never))}")
        before = _aligned_before(con, process, digest) if reuse else {}
        new = Counter({v: n for v, n in counts.items() if v not in before})
        for v, n in counts.items():
            if v in before:
                rows.append(before[v] | {"n_cases": n})
        rows += [{"process": process, **a, "model_sha256": digest} for a in align(new, net, im, fm)]
    table = pa.Table.from_pylist(rows, schema=VARIANTS)
    con.register("_conformance", table)
    try:
        con.execute("create or replace table marts.conformance_variants as select * from _conformance").fetchall()
    finally:
        con.unregister("_conformance")
    return warnings
