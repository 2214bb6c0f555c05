"""Commands that mine the warehouse and ask the marts: mine, query, discover, conformance."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli import output, results
from flows.cli.options import CONFIG, Config, Format, FormatOption, Warehouse, mined_warehouse, parse_date, warehouse_of
from vaerdistrom.errors import UsageError

app = typer.Typer()

OLD_MARTS = "the marts were built by an older vaerdistrom: run `vaerdistrom mine` again"


@contextlib.contextmanager
def reading(warehouse: Path) -> Iterator[Any]:
    """The mined warehouse opened read-only for a question; marts not built yet, or built by an older vaerdistrom,
    and a question or level the marts do not know, are bad input."""
    import duckdb

    from mining.engine import MartsMissing
    from warehouse.session import read_only

    con = read_only(warehouse)
    try:
        yield con
    except KeyError as e:  # an unknown question, level or process, named in the message
        raise UsageError(str(e.args[0])) from None
    except MartsMissing as e:
        raise UsageError(str(e)) from None
    except duckdb.BinderException:
        raise UsageError(OLD_MARTS) from None
    finally:
        con.close()


@app.command()
def mine(
    config: Config = CONFIG,
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild every mart whole instead of updating the cases new batches touched.")
    ] = False,
) -> None:
    """Build every mart from the warehouse: DFG, variants, value stream, bottlenecks, rework, contacts, journeys,
    deadlines.

    The events are sorted once; on later runs only the cases that new batches touched are
    sorted again. Run it after `vaerdistrom load`.
    """
    from mining.build import build_all
    from mining.rules import unknown_rule_activities
    from mining.summary import build_modes, process_summaries
    from warehouse.migrations import connect

    cfg, root, path = warehouse_of(config)
    con = connect(path, cfg.memory_limit)
    try:
        start = time.perf_counter()
        warnings: list[str] = []
        seconds = build_all(con, cfg, root, incremental=not full, warnings=warnings)
        output.mined(*build_modes(con), seconds, time.perf_counter() - start)
        for warning in warnings:
            output.warn(warning)
        for process, rule, activity in unknown_rule_activities(con):
            output.warn(
                f"rule {rule!r} of process {process!r} names {activity!r}, which never occurs in its events: "
                "check the spelling in vaerdistrom.toml"
            )
        output.mining_summary(process_summaries(con))
    finally:
        con.close()


@app.command("query")
def query_command(
    question: Annotated[
        str,
        typer.Argument(
            help="dfg, variants, valuestream, bottlenecks, rework, contacts, journeys, deadlines, rules or conformance."
        ),
    ],
    level: Annotated[
        str | None,
        typer.Option(
            help="The level of the answer, e.g. bottlenecks: transition, "
            "activity, owner, month, case (default: the first)."
        ),
    ] = None,
    view: Annotated[
        str | None,
        typer.Option(
            help="How start and complete events (or interval rows with a "
            "start and a completion column) count, for dfg, variants and "
            "rework: 'events' (pm4py's view: every event by its activity "
            "name, so a started and completed activity is two events; the "
            "default of dfg and variants) or 'instances' (Disco's view: a "
            "start and its complete, or an interval row, is one activity "
            "instance, in the order instances started; the default of "
            "rework, and what valuestream always counts)."
        ),
    ] = None,
    process: Annotated[str | None, typer.Option(help="Only this process.")] = None,
    period_from: Annotated[
        str | None, typer.Option("--from", help="Cases open on or after this day (YYYY-MM-DD).")
    ] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="Cases open on or before this day.")] = None,
    org_unit: Annotated[str | None, typer.Option(help="Cases with a step in this org unit.")] = None,
    variant: Annotated[str | None, typer.Option(help="Cases of this variant (its id or first characters).")] = None,
    attribute: Annotated[
        list[str] | None, typer.Option(help="Cases with this attribute value, KEY=VALUE (repeatable).")
    ] = None,
    min_days: Annotated[float | None, typer.Option(help="Cases whose lead time is at least this many days.")] = None,
    max_days: Annotated[float | None, typer.Option(help="Cases whose lead time is at most this many days.")] = None,
    fmt: FormatOption = Format.table,
    limit: Annotated[int, typer.Option(help="Rows shown in a table (0: all).")] = 50,
    config: Config = CONFIG,
    warehouse: Warehouse = None,
) -> None:
    """Print a mined answer for scripts and people: `vaerdistrom query bottlenecks --process byggesag --format csv`.

    Every question takes the same filters; they keep or drop whole cases.
    """
    from mining.filters import DEFAULT_ZONE, Filters, parse_attribute
    from mining.questions import ask

    warehouse, cfg = mined_warehouse(config, warehouse)
    try:
        filters = Filters(
            process=process,
            period_from=parse_date(period_from, "--from") if period_from else None,
            period_to=parse_date(period_to, "--to") if period_to else None,
            org_unit=org_unit,
            variant=variant,
            attributes=tuple(parse_attribute(a) for a in attribute or []),
            min_days=min_days,
            max_days=max_days,
            timezone=cfg.municipality.timezone if cfg else DEFAULT_ZONE,
        )
    except ValueError as e:  # a period that ends before it starts, an attribute that is no KEY=VALUE
        raise UsageError(str(e)) from None
    with reading(warehouse) as con:
        table = ask(con, question, level, filters, view)
    results.emit(table, fmt.value, None if limit == 0 else limit)


@app.command()
def discover(
    out: Annotated[Path, typer.Option(help="Folder for the models: <process>.bpmn and <process>.pnml.")],
    process: Annotated[
        list[str] | None, typer.Option(help="Only this process (repeatable; default: every process).")
    ] = None,
    noise: Annotated[
        float | None,
        typer.Option(
            help="The inductive miner's noise threshold, 0 to 1 (default: the process's discovery_noise, else 0.2)."
        ),
    ] = None,
    config: Config = CONFIG,
    warehouse: Warehouse = None,
) -> None:
    """Discover how each process really runs (pm4py's inductive miner on its variants) and write BPMN and PNML.

    Needs `vaerdistrom mine` first. The BPMN has a layout, so modelers such as Camunda and bpmn.io draw it.
    """
    from mining.discovery import DEFAULT_NOISE, write
    from mining.discovery import discover as discover_model
    from mining.summary import mined_processes

    if noise is not None and not 0 <= noise <= 1:
        raise UsageError(f"--noise must be between 0 and 1, got {noise}")
    warehouse, cfg = mined_warehouse(config, warehouse)
    settings = {k: p.discovery_noise for k, p in cfg.processes.items()} if cfg else {}
    with reading(warehouse) as con:
        names = mined_processes(con)
        for name in process or names:
            threshold = noise if noise is not None else settings.get(name, DEFAULT_NOISE)
            model = discover_model(con, name, threshold)
            output.discovered(name, model, threshold, write(model, out))


@app.command()
def conformance(
    process: Annotated[str | None, typer.Option(help="Only this process.")] = None,
    fmt: FormatOption = Format.table,
    top: Annotated[int, typer.Option(help="Deviations shown per process in a table.")] = 5,
    config: Config = CONFIG,
    warehouse: Warehouse = None,
) -> None:
    """How each process's cases conform to its intended BPMN: fitness, the share of cases that fit, and the
    deviations ranked by the lead time they go with.

    Built by `vaerdistrom mine` for the processes whose config names a `bpmn`. A table shows
    fitness and the top deviations per process; CSV holds every deviation, and JSON fitness
    and precision per process and every deviation.
    """
    from mining.engine import query
    from mining.filters import Filters

    warehouse, _ = mined_warehouse(config, warehouse)
    with reading(warehouse) as con:
        deviations = query(con, "deviations", Filters(process=process))
        summary = query(con, "conformance_processes", Filters(process=process)).to_pylist()
    if fmt is Format.json:
        results.emit_json({"processes": summary, "deviations": deviations.to_pylist()})
    elif fmt is Format.csv:
        results.emit(deviations, fmt.value, None)
    elif not summary:
        raise UsageError(
            "no case was checked against an intended model: name a `bpmn` for the process in "
            "vaerdistrom.toml and run `vaerdistrom mine`"
        )
    else:
        output.conformance(summary, deviations.to_pylist(), top)
