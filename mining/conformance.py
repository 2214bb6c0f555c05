"""Conformance: each process's variants checked once against its intended BPMN, weighted by their cases.

pm4py checks every distinct trace once anyway; here the traces are the variants of
completed activities from `marts.case_variants`, so pm4py never sees the events. Two
checks, both pm4py's own:

- **Token replay** of every variant (always; pm4py's algorithm with each step computed once
  per marking, `mining.replay`): its token-based fitness, the tokens behind pm4py's log
  fitness (0.5 (1 - missing/consumed) + 0.5 (1 - remaining/produced)), and the activities
  that fired out of place.
- **Alignments** (pm4py's A*, standard costs, `mining.alignment`), most frequent variants
  first, one worker process per usable core (`mining.alignment_pool`), for as long as the
  process's time budget (`conformance_seconds`) lasts: the exact fitness (1 - cost / worst
  cost) and which activity was skipped, inserted or done out of order. Where several
  alignments cost the same, one stable rule picks one (an event the model has no room for
  yet is out of order where it happened; of skipped alternatives, the first by name), so the
  same data give byte-identical marts run after run.

A process whose variants were all aligned reports alignment fitness; one where the budget
ran out reports token-based fitness for all its cases (the two are not mixed in one
number) and says how many cases were aligned. Precision is pm4py's ETConformance (the same
replay of every prefix, weighted by how many cases share it). Results:
`marts.conformance_variants` and `marts.conformance_models`; SQL marts derive cases,
months and deviations. pm4py is called only through `mining.pm4py_adapter`. The checks of one process's
variants are `mining.conformance_checks`; this module reads the models and variants and writes the marts.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from mining.alignment import TIE_RULE
from mining.conformance_checks import align, alignment_log_fitness, precision, replay, token_log_fitness
from mining.discovery import variants
from mining.pm4py_adapter import read_bpmn_net
from mining.replay import Replayer
from vaerdistrom.errors import UsageError

DEVIATION = pa.struct([("kind", pa.string()), ("activity", pa.string())])
VARIANTS = pa.schema(
    [
        ("process", pa.string()),
        ("activities", pa.list_(pa.string())),
        ("n_cases", pa.int64()),
        ("method", pa.string()),  # how fitness and deviations were found: alignment or token_replay
        ("fitness", pa.float64()),
        ("is_fitting", pa.bool_()),
        ("cost", pa.float64()),
        ("worst_cost", pa.float64()),  # alignment: null when not aligned
        ("token_fitness", pa.float64()),
        ("token_fit", pa.bool_()),
        ("missing_tokens", pa.int64()),
        ("consumed_tokens", pa.int64()),
        ("remaining_tokens", pa.int64()),
        ("produced_tokens", pa.int64()),
        ("deviations", pa.list_(DEVIATION)),
        ("model_sha256", pa.string()),
        ("tie_rule", pa.string()),
    ]
)  # alignment: the rule that chose among equal-cost alignments (mining.alignment)
MODELS = pa.schema(
    [
        ("process", pa.string()),
        ("model", pa.string()),
        ("model_sha256", pa.string()),
        ("n_cases", pa.int64()),
        ("n_variants", pa.int64()),
        ("n_variants_aligned", pa.int64()),
        ("share_cases_aligned", pa.float64()),
        ("fitness_method", pa.string()),
        ("fitness", pa.float64()),
        ("alignment_fitness", pa.float64()),
        ("token_fitness", pa.float64()),
        ("precision", pa.float64()),
        ("budget_seconds", pa.float64()),
        ("alignment_seconds", pa.float64()),
        ("replay_seconds", pa.float64()),
        ("precision_seconds", pa.float64()),
    ]
)


class IntendedModelError(UsageError, ValueError):
    """An intended BPMN that cannot be used, said with the file's name."""


@dataclass(frozen=True)
class Intended:
    """A process's intended model: the BPMN file, how long its variants may take to align per run, and how long
    the replay of their prefixes for precision may take."""

    path: Path
    budget_seconds: float = 60.0
    precision_seconds: float = 60.0


def intended_net(path: Path):
    """The intended BPMN at `path` as a Petri net with its markings; a clear error when it cannot be read."""
    if not path.is_file():
        raise IntendedModelError(f"{path}: no such BPMN file")
    try:
        return read_bpmn_net(path)
    except Exception as e:  # pm4py raises whatever its XML parser or converter raises
        raise IntendedModelError(f"{path}: not a BPMN 2.0 model pm4py can read ({type(e).__name__}: {e})") from None


def activities_never_seen(net, counts: Counter) -> list[str]:
    """The model's activities that no case ever did (a misspelt name, or a step the system does not log)."""
    seen = {a for variant in counts for a in variant}
    return sorted({t.label for t in net.transitions if t.label} - seen)


TOKENS = ("token_fitness", "token_fit", "missing_tokens", "consumed_tokens", "remaining_tokens", "produced_tokens")


def _checked_before(con: duckdb.DuckDBPyConnection, process: str, model_sha256: str) -> dict[tuple, dict]:
    """The last run's variants of this process checked against the same model (same file content), aligned under
    today's tie rule (an alignment chosen otherwise is aligned again)."""
    have = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = "
            "'marts' and table_name = 'conformance_variants' order by ordinal_position"
        ).fetchall()
    ]
    if have != VARIANTS.names:  # none yet, or written by an older vaerdistrom
        return {}
    rows = (
        con.sql(
            "select * from marts.conformance_variants where process = $p and model_sha256 = $m and tie_rule = $r",
            params={"p": process, "m": model_sha256, "r": TIE_RULE},
        )
        .to_arrow_table()
        .to_pylist()
    )
    return {tuple(r["activities"]): r for r in rows}


def check_process(
    con: duckdb.DuckDBPyConnection,
    process: str,
    model: Intended,
    net,
    im,
    fm,
    digest: str,
    found: Counter,
    *,
    reuse: bool,
    workers: int | None = None,
) -> tuple[list[dict], dict]:
    """One process's variant rows and its model row (fitness, precision, how much was aligned).

    Every variant is token-replayed and every prefix walked (milliseconds, see `mining.replay`).
    With `reuse`, a variant aligned by an earlier run against the same model keeps its
    alignment; only the others are aligned, by `workers` processes (`mining.conformance_checks.align`).
    """
    counts = Counter({v: n for v, n in found.items() if v})  # a case with no completed step: none to check
    keys = sorted(counts, key=lambda v: (-counts[v], v))  # most frequent first: the budget goes furthest
    before = {k: r for k, r in _checked_before(con, process, digest).items() if k in counts} if reuse else {}
    start = time.perf_counter()
    replayer = Replayer(net, im, fm)
    replayed = dict(zip(keys, replay(keys, replayer), strict=True))
    replay_seconds = time.perf_counter() - start
    start = time.perf_counter()
    exact = precision(counts, replayer, model.precision_seconds)
    precision_seconds = time.perf_counter() - start
    start = time.perf_counter()
    aligned = {
        k: {
            "cost": r["cost"],
            "worst_cost": r["worst_cost"],
            "fitness": r["fitness"],
            "deviations": [(d["kind"], d["activity"]) for d in r["deviations"]],
        }
        for k, r in before.items()
        if r["method"] == "alignment"
    }
    aligned |= align([k for k in keys if k not in aligned], net, im, fm, model.budget_seconds, workers=workers)
    alignment_seconds = time.perf_counter() - start
    rows = []
    for k in keys:
        t, a = replayed[k], aligned.get(k)
        row = {
            "process": process,
            "activities": list(k),
            "n_cases": counts[k],
            "model_sha256": digest,
            **{f: t[f] for f in TOKENS},
        }
        if a is not None:
            row |= {
                "method": "alignment",
                "fitness": a["fitness"],
                "is_fitting": a["fitness"] == 1,
                "cost": a["cost"],
                "worst_cost": a["worst_cost"],
                "deviations": a["deviations"],
                "tie_rule": TIE_RULE,
            }
        else:
            row |= {
                "method": "token_replay",
                "fitness": t["token_fitness"],
                "is_fitting": t["token_fit"],
                "cost": None,
                "worst_cost": None,
                "deviations": t["replay_deviations"],
                "tie_rule": None,
            }
        row["deviations"] = [{"kind": kind, "activity": act} for kind, act in row["deviations"]]
        rows.append(row)
    n_cases = sum(counts.values())
    cases_aligned = sum(counts[k] for k in aligned if k in counts)
    by_alignment = alignment_log_fitness(rows)
    by_tokens = token_log_fitness(rows)
    every = cases_aligned == n_cases and n_cases > 0
    summary = {
        "process": process,
        "model": str(model.path),
        "model_sha256": digest,
        "n_cases": n_cases,
        "n_variants": len(keys),
        "n_variants_aligned": len(aligned),
        "share_cases_aligned": cases_aligned / n_cases if n_cases else None,
        "fitness_method": "alignment" if every else "token_replay",
        "fitness": by_alignment if every else by_tokens,
        "alignment_fitness": by_alignment,
        "token_fitness": by_tokens,
        "precision": exact,
        "budget_seconds": model.budget_seconds,
        "alignment_seconds": alignment_seconds,
        "replay_seconds": replay_seconds,
        "precision_seconds": precision_seconds,
    }
    return rows, summary


def _store(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict], schema: pa.Schema) -> None:
    con.register("_rows", pa.Table.from_pylist(rows, schema=schema))
    try:
        con.execute(f"create or replace table marts.{name} as select * from _rows").fetchall()
    finally:
        con.unregister("_rows")


def build_conformance(
    con: duckdb.DuckDBPyConnection, models: dict[str, Intended], *, reuse: bool = True, workers: int | None = None
) -> list[str]:
    """Check each process's variants against its intended model into marts.conformance_variants and
    marts.conformance_models.

    A variant aligned before against the same model (same file content) keeps its alignment,
    so a night aligns only variants it has not seen and explains each deviation the same way
    every night (`reuse=False` aligns all again, within the budget). The variants are aligned by
    `workers` processes (default: one per usable core; `mining.alignment_pool`). Returns
    warnings (an unreadable model, activities no case did, a budget that ran out); a process
    with an unreadable model is left out, the others go on.
    """
    warnings, rows, summaries = [], [], []
    for process, model in sorted(models.items()):
        try:
            net, im, fm = intended_net(model.path)
        except IntendedModelError as e:
            warnings.append(f"process {process!r}: {e}")
            continue
        found = variants(con, process)
        never = activities_never_seen(net, found)
        if never:
            warnings.append(
                f"process {process!r}: {model.path} names activities no case did (yet): {', '.join(map(repr, never))}"
            )
        digest = hashlib.sha256(model.path.read_bytes()).hexdigest()
        checked, summary = check_process(con, process, model, net, im, fm, digest, found, reuse=reuse, workers=workers)
        if summary["fitness_method"] != "alignment" and summary["n_cases"]:
            warnings.append(
                f"process {process!r}: {summary['n_variants_aligned']} of {summary['n_variants']} "
                f"variants ({summary['share_cases_aligned']:.1%} of cases) aligned within "
                f"{model.budget_seconds:g} s (conformance_seconds); fitness is token-based tonight"
            )
        if summary["precision"] is None and summary["n_cases"]:
            warnings.append(
                f"process {process!r}: precision left out: its variants' prefixes could not all be "
                f"replayed within {model.precision_seconds:g} s (precision_seconds)"
            )
        rows += checked
        summaries.append(summary)
    _store(con, "conformance_variants", rows, VARIANTS)
    _store(con, "conformance_models", summaries, MODELS)
    con.execute("drop table if exists marts.conformance_prefixes")  # kept by versions before mining.replay
    return warnings
