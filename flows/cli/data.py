"""Commands that bring data in and say what is there: simulate, init, load, import, status."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from flows.cli import output
from flows.cli.options import CONFIG, Config, parse_date, warehouse_of
from vaerdistrom.errors import UsageError

app = typer.Typer()


def simulate_and_summarise(spec) -> dict:
    """Run a simulation and print what it wrote; an unwritable folder is bad input."""
    from simulator.run import simulate as run_simulation

    began = time.perf_counter()
    try:
        truth = run_simulation(spec, progress=output.simulation_progress)
    except OSError as e:
        raise UsageError(f"cannot write to {spec.out}: {e.strerror or e}") from None
    output.simulation(truth, time.perf_counter() - began, spec.out)
    return truth


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the exports to (empty, or an earlier simulation).")],
    municipality: Annotated[str, typer.Option(help="Name of the simulated municipality.")] = "Eksempel Kommune",
    citizens: Annotated[int | None, typer.Option(help="Citizens with at least one case in the period.")] = None,
    events: Annotated[
        int | None,
        typer.Option(help="Instead of --citizens: about this many exported rows (case events plus contacts)."),
    ] = None,
    start: Annotated[str, typer.Option(help="First day of the period (YYYY-MM-DD).")] = "2025-01-01",
    months: Annotated[int, typer.Option(help="Length of the period in months; the export is taken at its end.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 1,
    scenario: Annotated[
        str,
        typer.Option(
            help="baseline, or improved: the after-picture (visitation queue removed, fewer status calls, ...)."
        ),
    ] = "baseline",
    processes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated processes (default all): visitation, pladsanvisning, sygedagpenge, byggesag, "
            "helhedsplan."
        ),
    ] = None,
    no_deviations: Annotated[
        bool,
        typer.Option("--no-deviations", help="Inject no deviations from the intended processes (for model checks)."),
    ] = False,
) -> None:
    """Simulate a municipality and write what its systems would export, with the ground truth.

    Writes a case-system CSV (cp1252, ';'), a care-system JSON-lines stream, a job-centre
    Parquet file, telephony, Digital Post/e-mail and front-desk logs, the intended
    process of each service as BPMN 2.0, a config snippet and the ground truth (JSON).
    """
    from simulator.run import TEMPLATES, SimulationSpec

    if citizens is None and events is None:
        citizens = 2_000
    chosen = tuple(TEMPLATES) if processes is None else tuple(p.strip() for p in processes.split(",") if p.strip())
    simulate_and_summarise(
        SimulationSpec(
            out=out,
            municipality=municipality,
            citizens=citizens,
            events=events,
            start=parse_date(start, "--start"),
            months=months,
            seed=seed,
            scenario=scenario,
            processes=chosen,
            deviations=not no_deviations,
        )
    )


@app.command()
def init(
    folder: Annotated[Path, typer.Option("--dir", help="Where to write vaerdistrom.toml and the key.")] = Path("."),
) -> None:
    """Write a commented example vaerdistrom.toml and create a pseudonymisation key beside it.

    The example shows one source of each kind (case-system CSV, care-system JSON lines, a
    telephony log, an XES archive) and two processes with their deadlines. An existing
    config or key is never overwritten.
    """
    from flows.importing import KEY_FILE, local_key, write_example
    from warehouse.pseudonym import KEY_ENV

    config = write_example(folder)
    output.say(f"Wrote {config}: edit the sources to point at your exports, then run `vaerdistrom load`.")
    key = folder / KEY_FILE
    said = {
        "environment": f"Using the key in {KEY_ENV}; no key file created.",
        "existing": f"Keeping the existing key {key}.",
        "created": f"Created the pseudonymisation key {key} (owner-only). Keep it safe and out of version "
        "control: the same key gives the same pseudonyms every night.",
    }
    output.say(said[local_key(folder)])


@app.command()
def load(
    config: Config = CONFIG,
    source: Annotated[list[str] | None, typer.Option(help="Load only this source (repeatable).")] = None,
) -> None:
    """Load the configured sources into the warehouse: new rows only, bad rows to quarantine, no CPR stored.

    Each file is one batch in one transaction; a file loaded before (same sha256) is skipped.
    A database or API source is one pull: the rows since its last pull's watermark.
    The pseudonymisation key comes from VAERDISTROM_PSEUDONYM_KEY or the config's key_file.
    """
    from warehouse.config import load_config
    from warehouse.load import load_all

    cfg, root = load_config(config)
    output.say(f"Loading into {root / cfg.warehouse}:")
    with output.Bars() as bars:
        load_all(cfg, root, source, progress=bars)


@app.command("import")
def import_files(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Event logs: XES (.xes, .xes.gz), OCEL (.jsonocel, .xmlocel, "
            ".sqlite, .json), CSV (.csv, .csv.gz), Parquet, Excel or JSON "
            "lines."
        ),
    ],
    process: Annotated[
        str | None, typer.Option(help="The process the events belong to (default: the file's name).")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", "--case-id", help="The case id column (guessed when left out).")
    ] = None,
    activity: Annotated[str | None, typer.Option(help="The activity column (guessed when left out).")] = None,
    timestamp: Annotated[
        str | None,
        typer.Option(help="The timestamp column (guessed when left out); with --start-timestamp, the completion."),
    ] = None,
    start_timestamp: Annotated[
        str | None,
        typer.Option(
            help="An interval export's start column (one row per "
            "activity instance, started and completed; "
            "guessed when left out)."
        ),
    ] = None,
    resource: Annotated[str | None, typer.Option(help="The resource (caseworker) column.")] = None,
    org_unit: Annotated[str | None, typer.Option(help="The org unit (department, team) column.")] = None,
    timestamp_format: Annotated[
        str | None, typer.Option(help="strftime codes of the timestamps (ISO 8601 is read without).")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="A text file's encoding (detected when left out).")] = None,
    object_type: Annotated[
        str | None,
        typer.Option(
            help="OCEL: the object type whose objects are the cases (default: the type with most event relations)."
        ),
    ] = None,
    config: Config = CONFIG,
    warehouse: Annotated[Path, typer.Option(help="The DuckDB warehouse of a new config (beside it).")] = Path(
        "vaerdistrom.duckdb"
    ),
) -> None:
    """From event logs to a dashboard in one command: infer each file's format and columns, write the config,
    load, mine, publish the snapshot, and print the summary.

    The config (`vaerdistrom.toml`, commented "inferred from FILE") is written in the folder,
    or the files are added as sources of the config already there; `status`, `mine`, `query`,
    `conformance`, `discover`, `run` and `dashboard` then work there with no flags. Loading
    follows the rules of `vaerdistrom load`: one batch per file, bad rows to quarantine, no CPR
    stored; importing a file again adds nothing. The key comes from VAERDISTROM_PSEUDONYM_KEY,
    else pseudonym.key beside the config (created when missing, and said).
    """
    from flows import importing
    from flows.pipeline import run_night
    from mining.summary import snapshot_summaries
    from warehouse.status import read as read_status

    planned = importing.plan(
        files,
        config,
        process=process,
        case_id=case,
        activity=activity,
        timestamp=timestamp,
        start_timestamp=start_timestamp,
        resource=resource,
        org_unit=org_unit,
        object_type=object_type,
        timestamp_format=timestamp_format,
        encoding=encoding,
    )
    if not config.exists() and importing.local_key(config.parent) == "created":
        output.local_key(config.parent / importing.KEY_FILE)
    cfg, root = importing.write(config, planned, warehouse=warehouse.as_posix())
    output.planned(planned, config)
    output.say(f"Loading, mining and publishing {root / cfg.warehouse}:")
    result = run_night(cfg, root)
    output.night_sources(result.sources)
    output.warehouse_status(read_status(root / cfg.warehouse), root / cfg.warehouse, as_json=False)
    output.mining_summary(snapshot_summaries(result.snapshot))
    flag = "" if config == CONFIG else f" --config {config}"
    output.say(
        f"Published {result.snapshot}. Next: `vaerdistrom dashboard{flag}` opens the dashboard; "
        f"`vaerdistrom query dfg{flag}` (or variants, valuestream, bottlenecks, rework, ...) asks the marts."
    )
    if any(s.error for s in result.sources):
        raise typer.Exit(code=1)


@app.command()
def status(
    config: Config = CONFIG,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """What the warehouse holds: per source its batches, rows and quarantine; per process cases, events, activities."""
    from warehouse.status import read as read_status

    _, _, path = warehouse_of(config)
    output.warehouse_status(read_status(path), path, json_output)
