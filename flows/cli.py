"""The `vaerdistrom` command line.

Commands stay thin: they parse arguments, call the package that does the work and
print a short summary. Bad arguments give one line on stderr and exit code 2.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

class _App(typer.Typer):
    """The command line: an error no command expected is one line (and exit code 1), with the traceback, CPR
    numbers redacted, kept in `vaerdistrom-error.log` in the current folder."""

    def __call__(self, *args, **kwargs):
        from warehouse.session import WarehouseBusy

        try:
            return super().__call__(*args, **kwargs)
        except WarehouseBusy as e:
            typer.echo(f"error: {e}", err=True)
            raise SystemExit(1) from None
        except BaseException as e:  # noqa: BLE001 - the last line of defence: one line, never a traceback
            if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            import traceback

            from warehouse.pseudonym import redact

            log = Path("vaerdistrom-error.log").resolve()
            try:
                with log.open("a", encoding="utf-8") as fh:
                    fh.write(redact("".join(traceback.format_exception(e))) or "")
                where = f" (the traceback is in {log})"
            except OSError:
                where = ""
            typer.echo(f"error: {type(e).__name__}: {redact(' '.join(str(e).split()))}{where}", err=True)
            raise SystemExit(1) from None


app = _App(
    name="vaerdistrom",
    help="Process mining for municipalities: value streams and citizen journeys from real case data.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Redacting:
    """A text stream that writes through to another with every CPR-shaped string replaced by a mark: whatever the
    program prints (its own lines, a library's log, a traceback) passes here, so no message carries a CPR number."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from warehouse.pseudonym import redact

        self._stream.write(redact(text) if text else text)
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def echo_data(text: str) -> None:
    """Mined data on stdout as it is, past `Redacting`: the warehouse holds no CPR number (it is scrubbed at ingest),
    and redacting would corrupt figures that look like one (3110400000 seconds of waiting reads as a date and four
    digits)."""
    out = sys.stdout._stream if isinstance(sys.stdout, Redacting) else sys.stdout
    out.write(text + "\n")
    out.flush()


@app.callback()
def guard_output() -> None:
    """Every command prints through `Redacting`."""
    if not isinstance(sys.stdout, Redacting):
        sys.stdout = Redacting(sys.stdout)
    if not isinstance(sys.stderr, Redacting):
        sys.stderr = Redacting(sys.stderr)


def fail(message: str) -> None:
    """Print one line to stderr and exit with code 2 (bad input)."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code=2)


def parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date as YYYY-MM-DD, got {value!r}")
        raise  # unreachable: fail() exits


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r  citizens simulated: {done:,} / {total:,}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def print_summary(truth: dict, seconds: float, out: Path) -> None:
    """What a simulation wrote, per file and per process."""
    g, totals = truth["generator"], truth["totals"]
    typer.echo(f"Simulated {g['municipality']} ({g['scenario']}), {g['start']} to {g['end']}, "
               f"{g['citizens']:,} citizens, seed {g['seed']}: "
               f"{totals['rows']:,} rows in {seconds:.1f} s ({totals['rows'] / max(seconds, 1e-9):,.0f} rows/s)")
    typer.echo(f"Written to {out}:")
    for f in truth["files"]:
        what = f"{f['cases']:,} cases, {f['events']:,} events" if f["events"] else f"{f['contacts']:,} contacts"
        typer.echo(f"  {f['path']:<32} {f['rows']:>10,} rows  ({what}; {f['format']}"
                   + (f", {f['encoding']}" if f["encoding"] else "") + ")")
    typer.echo("  bpmn/<process>.bpmn              intended processes (BPMN 2.0)")
    typer.echo("  vaerdistrom.toml                 source and deadline configuration")
    typer.echo("  ground_truth/                    what was injected (ground_truth.json, cases.jsonl, contacts.jsonl)")
    typer.echo("Processes:")
    for key, p in truth["processes"].items():
        d = p["deadline"]
        met = f"{d['share_met']:.0%}" if d["share_met"] is not None else "n/a"
        bn = p["bottleneck"]
        wait = f"{bn['mean_wait_days']:.1f}" if bn["mean_wait_days"] is not None else "n/a"
        typer.echo(f"  {p['code']} {key:<13} {p['cases']:>8,} cases  {p['events']:>10,} events  "
                   f"within deadline {met:>4}  bottleneck {bn['from']} -> {bn['to']} ({wait} days)")


def run_and_summarise(spec) -> dict:
    """Run a simulation; bad input or an unwritable folder ends in one line, success in a summary."""
    from simulator.run import simulate as run_simulation
    from simulator.spec import SimulationError

    began = time.perf_counter()
    try:
        truth = run_simulation(spec, progress=_progress)
    except SimulationError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write to {spec.out}: {e.strerror or e}")
    print_summary(truth, time.perf_counter() - began, spec.out)
    return truth


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the exports to (empty, or an earlier simulation).")],
    municipality: Annotated[str, typer.Option(help="Name of the simulated municipality.")] = "Eksempel Kommune",
    citizens: Annotated[Optional[int], typer.Option(help="Citizens with at least one case in the period.")] = None,
    events: Annotated[Optional[int], typer.Option(
        help="Instead of --citizens: about this many exported rows (case events plus contacts).")] = None,
    start: Annotated[str, typer.Option(help="First day of the period (YYYY-MM-DD).")] = "2025-01-01",
    months: Annotated[int, typer.Option(help="Length of the period in months; the export is taken at its end.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 1,
    scenario: Annotated[str, typer.Option(
        help="baseline, or improved: the after-picture (visitation queue removed, fewer status calls, ...).")
    ] = "baseline",
    processes: Annotated[Optional[str], typer.Option(
        help="Comma-separated processes (default all): visitation, pladsanvisning, sygedagpenge, byggesag, "
             "helhedsplan.")
    ] = None,
    no_deviations: Annotated[bool, typer.Option(
        "--no-deviations", help="Inject no deviations from the intended processes (for model checks).")] = False,
) -> None:
    """Simulate a municipality and write what its systems would export, with the ground truth.

    Writes a case-system CSV (cp1252, ';'), a care-system JSON-lines stream, a job-centre
    Parquet file, telephony, Digital Post/e-mail and front-desk logs, the intended
    process of each service as BPMN 2.0, a config snippet and the ground truth (JSON).
    """
    from simulator.spec import TEMPLATES, SimulationSpec

    if citizens is None and events is None:
        citizens = 2_000
    chosen = tuple(TEMPLATES) if processes is None else tuple(p.strip() for p in processes.split(",") if p.strip())
    spec = SimulationSpec(
        out=out, municipality=municipality, citizens=citizens, events=events,
        start=parse_date(start, "--start"), months=months, seed=seed, scenario=scenario,
        processes=chosen, deviations=not no_deviations,
    )
    run_and_summarise(spec)


@app.command()
def init(
    folder: Annotated[Path, typer.Option("--dir", help="Where to write vaerdistrom.toml and the key.")] = Path("."),
) -> None:
    """Write a commented example vaerdistrom.toml and create a pseudonymisation key beside it.

    The example shows one source of each kind (case-system CSV, care-system JSON lines, a
    telephony log, an XES archive) and two processes with their deadlines. An existing
    config or key is never overwritten.
    """
    import os
    from importlib.resources import files

    from warehouse.pseudonym import KEY_ENV, create_key_file

    config = folder / "vaerdistrom.toml"
    if config.exists():
        fail(f"{config} exists; not overwriting it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        config.write_text(files("warehouse").joinpath("example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as e:
        fail(f"cannot write {config}: {e.strerror or e}")
    typer.echo(f"Wrote {config}: edit the sources to point at your exports, then run `vaerdistrom load`.")
    key = folder / "pseudonym.key"
    if os.environ.get(KEY_ENV):
        typer.echo(f"Using the key in {KEY_ENV}; no key file created.")
    elif key.exists():
        typer.echo(f"Keeping the existing key {key}.")
    else:
        create_key_file(key)
        typer.echo(f"Created the pseudonymisation key {key} (owner-only). Keep it safe and out of version control: "
                   "the same key gives the same pseudonyms every night.")


def _report_line(r) -> None:
    # a pull is labelled `sources.NAME: <where it read from>`; a file by its name
    name = r.file.split(": ", 1)[1] if r.file.startswith(f"sources.{r.source}: ") else Path(r.file).name
    if r.skipped:
        typer.echo(f"  {r.source:<14} {name:<26} unchanged since batch {r.batch_id}: nothing to load")
    else:
        typer.echo(f"  {r.source:<14} {name:<26} read {r.rows_read:>9,}  loaded {r.rows_loaded:>9,} "
                   f"(new {r.rows_new:,})  quarantined {r.rows_quarantined:,}"
                   + (f" (and {r.records_quarantined:,} other OCEL records)" if r.records_quarantined else ""))
    if r.columns_pseudonymised:
        from flows.pipeline import pseudonymised_whole

        typer.echo(f"    {pseudonymised_whole(r.source, r)}")


class _Bars:
    """Progress bars on stderr while files load (only on a terminal), and a summary line per file."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn)

        console = Console(stderr=True)
        self.live = console.is_terminal
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("rows"), TimeElapsedColumn(), console=console, transient=True,
                             disable=not self.live)
        self.task = None

    def __enter__(self) -> "_Bars":
        self.bars.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bars.__exit__(*exc)

    def file_started(self, source: str, path: Path) -> None:
        self.task = self.bars.add_task(f"{source} {path.name}", total=None)

    def rows(self, n: int) -> None:
        if self.task is not None:
            self.bars.advance(self.task, n)

    def file_done(self, report) -> None:
        if self.task is not None:
            self.bars.remove_task(self.task)
            self.task = None
        _report_line(report)


def _load(config: Path, only: list[str] | None) -> None:
    from warehouse.config import ConfigError, load_config
    from warehouse.batch import LoadError
    from warehouse.load import load_all
    from warehouse.pseudonym import PseudonymKeyError

    try:
        cfg, root = load_config(config)
        typer.echo(f"Loading into {root / cfg.warehouse}:")
        with _Bars() as bars:
            load_all(cfg, root, only, progress=bars)
    except (ConfigError, PseudonymKeyError) as e:
        fail(str(e))
    except LoadError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
def load(
    config: Annotated[Path, typer.Option(help="The config file describing the sources.")] = Path("vaerdistrom.toml"),
    source: Annotated[Optional[list[str]], typer.Option(help="Load only this source (repeatable).")] = None,
) -> None:
    """Load the configured sources into the warehouse: new rows only, bad rows to quarantine, no CPR stored.

    Each file is one batch in one transaction; a file loaded before (same sha256) is skipped.
    A database or API source is one pull: the rows since its last pull's watermark.
    The pseudonymisation key comes from VAERDISTROM_PSEUDONYM_KEY or the config's key_file.
    """
    _load(config, source)


def _print_status(config: Path, as_json: bool) -> None:
    cfg, root = _open_config(config)
    path = root / cfg.warehouse
    if not path.exists():
        fail(f"no warehouse at {path} yet: run `vaerdistrom load --config {config}`")
    _print_warehouse_status(path, as_json)


def _print_warehouse_status(path: Path, as_json: bool) -> None:
    import json

    from warehouse.migrations import connect
    from warehouse.status import status as warehouse_status

    con = connect(path)
    try:
        st = warehouse_status(con)
    finally:
        con.close()
    if as_json:
        echo_data(json.dumps(st, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Warehouse {path}")
    typer.echo("Sources:")
    for r in st["sources"]:
        typer.echo(f"  {r['source']:<14} {r['n_batches']:>3} batches  {r['n_rows_loaded']:>10,} rows loaded  "
                   f"{r['n_rows_quarantined']:>7,} quarantined  last load {r['last_load_at'][:19]}"
                   + (f"  next pull from {r['watermark']}" if r.get("watermark") else ""))
    typer.echo("Processes:")
    for r in st["processes"]:
        typer.echo(f"  {r['process']:<14} {r['n_cases']:>8,} cases  {r['n_events']:>10,} events  "
                   f"{r['n_activities']:>3} activities  {r['first_event_at'][:10]} to {r['last_event_at'][:10]}")
    typer.echo("Contacts:")
    for r in st["contacts"]:
        typer.echo(f"  {r['source']:<14} {r['channel']:<13} {r['direction'] or '':<9} {r['n_contacts']:>8,}  "
                   f"identified {r['n_identified']:,}  with case number {r['n_with_case_ref']:,}")


@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Event logs: XES (.xes, .xes.gz), OCEL (.jsonocel, .xmlocel, "
                                                    ".sqlite, .json), CSV (.csv, .csv.gz), Parquet, Excel or JSON "
                                                    "lines.")],
    process: Annotated[Optional[str], typer.Option(help="The process the events belong to (default: the "
                                                        "file's name).")] = None,
    case: Annotated[Optional[str], typer.Option("--case", "--case-id", help="The case id column (guessed when "
                                                                            "left out).")] = None,
    activity: Annotated[Optional[str], typer.Option(help="The activity column (guessed when left out).")] = None,
    timestamp: Annotated[Optional[str], typer.Option(help="The timestamp column (guessed when left out); with "
                                                          "--start-timestamp, the completion.")] = None,
    start_timestamp: Annotated[Optional[str], typer.Option(help="An interval export's start column (one row per "
                                                                "activity instance, started and completed; "
                                                                "guessed when left out).")] = None,
    resource: Annotated[Optional[str], typer.Option(help="The resource (caseworker) column.")] = None,
    org_unit: Annotated[Optional[str], typer.Option(help="The org unit (department, team) column.")] = None,
    timestamp_format: Annotated[Optional[str], typer.Option(help="strftime codes of the timestamps (ISO 8601 "
                                                                 "is read without).")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="A text file's encoding (detected when left out).")] = None,
    object_type: Annotated[Optional[str], typer.Option(help="OCEL: the object type whose objects are the cases "
                                                            "(default: the type with most event relations).")] = None,
    config: Annotated[Path, typer.Option(help="The config to write, or to add the files to when it exists.")] =
        Path("vaerdistrom.toml"),
    warehouse: Annotated[Path, typer.Option(help="The DuckDB warehouse of a new config (beside it).")] =
        Path("vaerdistrom.duckdb"),
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
    import os

    from connectors.base import ReadError
    from flows import importing
    from flows.lock import RunLocked
    from flows.pipeline import run_night
    from warehouse.config import ConfigError, load_config
    from warehouse.detect import DetectError
    from warehouse.pseudonym import KEY_ENV, PseudonymKeyError, create_key_file

    missing = [f for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {missing[0]}")
    empty = [f for f in files if f.stat().st_size == 0]
    if empty:
        fail(f"{empty[0]}: the file is empty (0 bytes): nothing to import")
    try:
        planned = importing.plan(files, config, process=process, case_id=case, activity=activity,
                                 timestamp=timestamp, start_timestamp=start_timestamp, resource=resource,
                                 org_unit=org_unit, object_type=object_type)
    except (DetectError, ReadError, ConfigError, ValueError) as e:
        fail(str(e))
    extra = {k: v for k, v in (("timestamp_format", timestamp_format), ("encoding", encoding)) if v}
    for name, (src, notes) in planned.sources.items():
        if extra:
            planned.sources[name] = (src.model_copy(update=extra), notes)
    key = config.parent / "pseudonym.key"
    if not config.exists() and not os.environ.get(KEY_ENV) and not key.exists():
        create_key_file(key)
        typer.echo(f"Created a local pseudonymisation key at {key} (owner-only). Keep it: it makes the pseudonyms.")
    try:
        importing.write(config, planned, warehouse=warehouse.as_posix())
        cfg, root = load_config(config)
        from warehouse.load import resolve_key

        resolve_key(cfg, root)
    except (ConfigError, PseudonymKeyError) as e:
        fail(str(e))
    for f, name in planned.known:
        typer.echo(f"  {f.name}: already sources.{name} of {config}")
    for name, (src, notes) in planned.sources.items():
        typer.echo(f"  {Path(src.path).name}: {src.kind}, sources.{name}, process {src.process!r} (added to "
                   f"{config})")
        for note in notes:
            typer.echo(f"    {note}")
    typer.echo(f"Loading, mining and publishing {root / cfg.warehouse}:")
    try:
        result = run_night(cfg, root)
    except RunLocked as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001 - mining or publishing failed: one line, the snapshot stays
        typer.echo(f"error: {type(e).__name__}: {e}", err=True)
        raise typer.Exit(code=1) from None
    for source in result.sources:
        for report in source.reports:
            _report_line(report)
        if source.error:
            typer.echo(f"error: {source.error}", err=True)
    if all(r.skipped for s in result.sources for r in s.reports) and not any(s.error for s in result.sources):
        typer.echo("Nothing new: every file was imported before (same content).")
    _print_warehouse_status(root / cfg.warehouse, False)
    from warehouse.session import read_only

    con = read_only(result.snapshot)
    try:
        _print_mining_summary(con)
    finally:
        con.close()
    flag = "" if config == Path("vaerdistrom.toml") else f" --config {config}"
    typer.echo(f"Published {result.snapshot}. Next: `vaerdistrom dashboard{flag}` opens the dashboard; "
               f"`vaerdistrom query dfg{flag}` (or variants, valuestream, bottlenecks, rework, ...) asks the marts.")
    if any(s.error for s in result.sources):
        raise typer.Exit(code=1)


@app.command()
def status(
    config: Annotated[Path, typer.Option(help="The config file naming the warehouse.")] = Path("vaerdistrom.toml"),
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """What the warehouse holds: per source its batches, rows and quarantine; per process cases, events, activities."""
    _print_status(config, json_output)


def _open_config(config: Path):
    from warehouse.config import ConfigError, load_config

    try:
        return load_config(config)
    except ConfigError as e:
        fail(str(e))
        raise  # unreachable


OLD_MARTS = "the marts were built by an older vaerdistrom: run `vaerdistrom mine` again"


def _mined_warehouse(config: Path, warehouse: Path | None):
    """The warehouse a reading command opens (`--warehouse`, else the config's) and the config, if one was read."""
    cfg = None
    if warehouse is None:
        cfg, root = _open_config(config)
        warehouse = root / cfg.warehouse
    if not warehouse.exists():
        fail(f"no warehouse at {warehouse}: run `vaerdistrom load` and `vaerdistrom mine` first")
    return warehouse, cfg


def _mine(config: Path, full: bool = False) -> None:
    from mining.build import build_all
    from warehouse.migrations import connect

    cfg, root = _open_config(config)
    path = root / cfg.warehouse
    if not path.exists():
        fail(f"no warehouse at {path} yet: run `vaerdistrom load --config {config}`")
    con = connect(path, cfg.memory_limit)
    try:
        start = time.perf_counter()
        warnings: list[str] = []
        seconds = build_all(con, cfg, root, incremental=not full, warnings=warnings)
        n_events = con.execute("select count(*) from marts.event_sequence").fetchall()[0][0]
        modes = dict(con.execute("select mode, string_agg(mart, ', ' order by mart) from meta.mart_state "
                                 "group by mode").fetchall())
        how = (f"per-case marts updated only for cases that new batches touched: {modes['incremental']}"
               if "incremental" in modes else f"sorting the events once: {seconds['event_sequence']:.1f} s")
        if "changed" in modes:
            how += f"; only the changed rows written of: {modes['changed']}"
        typer.echo(f"Mined {n_events:,} events into {len(seconds) - 3} marts in {time.perf_counter() - start:.1f} s "
                   f"({how}).")
        from mining.rules import unknown_rule_activities

        for warning in warnings:
            typer.echo(f"warning: {warning}", err=True)
        for process, rule, activity in unknown_rule_activities(con):
            typer.echo(f"warning: rule {rule!r} of process {process!r} names {activity!r}, which never occurs in "
                       "its events: check the spelling in vaerdistrom.toml", err=True)
        _print_mining_summary(con)
    finally:
        con.close()


def _share(value: float | None) -> str:
    """A fitness or precision for people: three decimals, or n/a when it was not computed."""
    return "n/a" if value is None else f"{value:.3f}"


def _print_mining_summary(con) -> None:
    """One line per process: what an improvement team looks at first."""
    rows = con.execute(
        "select v.process, v.n_cases, v.median_lead_time_days, v.first_time_right, "
        "(select source_activity || ' -> ' || target_activity || ': ' "
        "|| format('{:,}', round(total_wait_days)::bigint) "
        " || ' waiting days in all, median ' || round(median_case_wait_days, 1) || ' days per case' "
        " from marts.bottlenecks as b where b.process = v.process and b.rank_by_total = 1 limit 1), "
        "c.contacts_per_case, c.share_failure_demand, "
        "(select sum(n_met) / nullif(sum(n_met + n_missed + n_overdue), 0) from marts.deadline_summary as d "
        " where d.process = v.process) "
        "from marts.value_stream_summary as v left join marts.contact_summary as c using (process) "
        "order by v.process").fetchall()
    for process, n_cases, lead, ftr, bottleneck, contacts, inbound, within in rows:
        deadline = f"{within:.0%} within deadline" if within is not None else "no deadline configured"
        typer.echo(f"  {process:<14} {n_cases:>7,} cases  median lead time {lead:6.1f} days  first-time-right "
                   f"{ftr:.0%}  {deadline}  contacts per case {contacts or 0:.2f} ({inbound or 0:.0%} inbound)")
        if bottleneck:
            typer.echo(f"  {'':<14} biggest wait: {bottleneck}")
        for fitness, method, fitting, precision in con.execute(
                "select fitness, fitness_method, share_fitting, precision from marts.conformance_processes "
                "where process = ?", [process]).fetchall():
            typer.echo(f"  {'':<14} intended model: fitness {fitness:.3f}"
                       + (" (token-based: not every variant aligned in time)" if method != "alignment" else "")
                       + f", precision {_share(precision)}, {fitting:.0%} of cases fit it "
                       "(`vaerdistrom conformance` for the deviations)")
        for rule, kept in con.execute("select rule, sum(n_kept) / nullif(sum(n_kept + n_violated), 0) "
                                      "from marts.rule_summary where process = ? group by rule order by rule",
                                      [process]).fetchall():
            typer.echo(f"  {'':<14} rule {rule!r}: " + (f"kept in {kept:.0%} of cases" if kept is not None
                                                         else "nothing to judge yet"))


@app.command()
def mine(
    config: Annotated[Path, typer.Option(help="The config file naming the warehouse and processes.")] =
        Path("vaerdistrom.toml"),
    full: Annotated[bool, typer.Option("--full", help="Rebuild every mart whole instead of updating the cases "
                                                      "new batches touched.")] = False,
) -> None:
    """Build every mart from the warehouse: DFG, variants, value stream, bottlenecks, rework, contacts, journeys,
    deadlines.

    The events are sorted once; on later runs only the cases that new batches touched are
    sorted again. Run it after `vaerdistrom load`.
    """
    _mine(config, full)


def _format_value(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, list):
        return " > ".join(map(str, v))
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    return str(v)


def _print_table(table, limit: int | None) -> None:
    rows = table.to_pylist()
    shown = rows if limit is None else rows[:limit]
    names = table.column_names
    cells = [[_format_value(r[n]) for n in names] for r in shown]
    widths = [min(40, max([len(n)] + [len(c[i]) for c in cells])) for i, n in enumerate(names)]

    def line(values: list[str]) -> str:
        return "  ".join((v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(values, widths)).rstrip()

    echo_data(line(names))
    echo_data(line(["-" * w for w in widths]))
    for c in cells:
        echo_data(line(c))
    if len(rows) > len(shown):
        typer.echo(f"({len(rows) - len(shown):,} more rows: --limit 0 shows all, --format csv or json for scripts)")


@app.command("query")
def query_command(
    question: Annotated[str, typer.Argument(help="dfg, variants, valuestream, bottlenecks, rework, contacts, "
                                                 "journeys, deadlines, rules or conformance.")],
    level: Annotated[Optional[str], typer.Option(help="The level of the answer, e.g. bottlenecks: transition, "
                                                     "activity, owner, month, case (default: the first).")] = None,
    view: Annotated[Optional[str], typer.Option(help="How start and complete events (or interval rows with a "
                                                    "start and a completion column) count, for dfg, variants and "
                                                    "rework: 'events' (pm4py's view: every event by its activity "
                                                    "name, so a started and completed activity is two events; the "
                                                    "default of dfg and variants) or 'instances' (Disco's view: a "
                                                    "start and its complete, or an interval row, is one activity "
                                                    "instance, in the order instances started; the default of "
                                                    "rework, and what valuestream always counts).")] = None,
    process: Annotated[Optional[str], typer.Option(help="Only this process.")] = None,
    period_from: Annotated[Optional[str], typer.Option("--from", help="Cases open on or after this day "
                                                                      "(YYYY-MM-DD).")] = None,
    period_to: Annotated[Optional[str], typer.Option("--to", help="Cases open on or before this day.")] = None,
    org_unit: Annotated[Optional[str], typer.Option(help="Cases with a step in this org unit.")] = None,
    variant: Annotated[Optional[str], typer.Option(help="Cases of this variant (its id or first "
                                                        "characters).")] = None,
    attribute: Annotated[Optional[list[str]], typer.Option(help="Cases with this attribute value, KEY=VALUE "
                                                                "(repeatable).")] = None,
    min_days: Annotated[Optional[float], typer.Option(help="Cases whose lead time is at least this many "
                                                           "days.")] = None,
    max_days: Annotated[Optional[float], typer.Option(help="Cases whose lead time is at most this many "
                                                           "days.")] = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows shown in a table (0: all).")] = 50,
    config: Annotated[Path, typer.Option(help="The config file naming the warehouse.")] = Path("vaerdistrom.toml"),
    warehouse: Annotated[Optional[Path], typer.Option(help="A warehouse file (instead of the config's).")] = None,
) -> None:
    """Print a mined answer for scripts and people: `vaerdistrom query bottlenecks --process byggesag --format csv`.

    Every question takes the same filters; they keep or drop whole cases.
    """
    import duckdb

    from mining.filters import DEFAULT_ZONE, Filters, parse_attribute
    from mining.marts import MartsMissing
    from mining.questions import ask
    from warehouse.session import read_only

    if output not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {output!r}")
    warehouse, cfg = _mined_warehouse(config, warehouse)
    zone = cfg.municipality.timezone if cfg else DEFAULT_ZONE
    try:
        filters = Filters(process=process,
                          period_from=parse_date(period_from, "--from") if period_from else None,
                          period_to=parse_date(period_to, "--to") if period_to else None,
                          org_unit=org_unit, variant=variant,
                          attributes=tuple(parse_attribute(a) for a in attribute or []),
                          min_days=min_days, max_days=max_days, timezone=zone)
    except ValueError as e:
        fail(str(e))
    con = read_only(warehouse)
    try:
        table = ask(con, question, level, filters, view)
    except KeyError as e:
        fail(str(e.args[0]))
    except MartsMissing as e:
        fail(str(e))
    except duckdb.BinderException:
        fail(OLD_MARTS)
    finally:
        con.close()
    _emit(table, output, None if limit == 0 else limit)


@app.command()
def discover(
    out: Annotated[Path, typer.Option(help="Folder for the models: <process>.bpmn and <process>.pnml.")],
    process: Annotated[Optional[list[str]], typer.Option(help="Only this process (repeatable; default: "
                                                              "every process).")] = None,
    noise: Annotated[Optional[float], typer.Option(help="The inductive miner's noise threshold, 0 to 1 (default: "
                                                        "the process's discovery_noise, else 0.2).")] = None,
    config: Annotated[Path, typer.Option(help="The config file naming the warehouse.")] = Path("vaerdistrom.toml"),
    warehouse: Annotated[Optional[Path], typer.Option(help="A warehouse file (instead of the config's).")] = None,
) -> None:
    """Discover how each process really runs (pm4py's inductive miner on its variants) and write BPMN and PNML.

    Needs `vaerdistrom mine` first. The BPMN has a layout, so modelers such as Camunda and bpmn.io draw it.
    """
    import duckdb

    from mining.discovery import DEFAULT_NOISE, discover as discover_model, write
    from mining.marts import MartsMissing
    from warehouse.session import read_only

    if noise is not None and not 0 <= noise <= 1:
        fail(f"--noise must be between 0 and 1, got {noise}")
    warehouse, cfg = _mined_warehouse(config, warehouse)
    settings = {k: p.discovery_noise for k, p in cfg.processes.items()} if cfg else {}
    con = read_only(warehouse)
    try:
        built = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts'").fetchall()}
        if "case_variants" not in built:
            raise MartsMissing("marts.case_variants is not built yet: run `vaerdistrom mine` after loading")
        names = process or [p for (p,) in con.execute("select distinct process from marts.case_variants "
                                                      "where process is not null order by 1").fetchall()]
        for name in names:
            threshold = noise if noise is not None else settings.get(name, DEFAULT_NOISE)
            model = discover_model(con, name, threshold)
            files = write(model, out)
            typer.echo(f"{name}: {model.n_cases:,} cases in {model.n_variants:,} variants, noise {threshold:g} -> "
                       f"{len([t for t in model.net.transitions if t.label])} activities, "
                       f"{len(model.net.places)} places; wrote {', '.join(str(f) for f in files)}")
    except (KeyError, MartsMissing) as e:
        fail(str(e.args[0]))
    except duckdb.BinderException:
        fail(OLD_MARTS)
    finally:
        con.close()


@app.command()
def conformance(
    process: Annotated[Optional[str], typer.Option(help="Only this process.")] = None,
    output: Annotated[str, typer.Option("--format", help="table (fitness and the top deviations per process), "
                                                         "csv or json (every deviation).")] = "table",
    top: Annotated[int, typer.Option(help="Deviations shown per process in a table.")] = 5,
    config: Annotated[Path, typer.Option(help="The config file naming the warehouse.")] = Path("vaerdistrom.toml"),
    warehouse: Annotated[Optional[Path], typer.Option(help="A warehouse file (instead of the config's).")] = None,
) -> None:
    """How each process's cases conform to its intended BPMN: fitness, the share of cases that fit, and the
    deviations ranked by the lead time they go with.

    Built by `vaerdistrom mine` for the processes whose config names a `bpmn`.
    """
    from mining.filters import Filters
    from mining.marts import MartsMissing, query
    from warehouse.session import read_only

    if output not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {output!r}")
    warehouse, _ = _mined_warehouse(config, warehouse)
    con = read_only(warehouse)
    try:
        deviations = query(con, "deviations", Filters(process=process))
        summary = query(con, "conformance_processes", Filters(process=process)).to_pylist()
    except MartsMissing as e:
        fail(str(e))
    finally:
        con.close()
    if output == "json":  # fitness and precision per process, and every deviation
        import json

        echo_data(json.dumps({"processes": summary, "deviations": deviations.to_pylist()}, ensure_ascii=False,
                              default=_json_default, indent=1))
        return
    if output != "table":
        _emit(deviations, output, None)
        return
    if not summary:
        fail("no case was checked against an intended model: name a `bpmn` for the process in vaerdistrom.toml "
             "and run `vaerdistrom mine`")
    rows = deviations.to_pylist()
    for p in summary:
        how = "" if p["fitness_method"] == "alignment" else (
            f" (token-based: {p['share_aligned']:.0%} of cases aligned within {p['budget_seconds']:g} s)")
        typer.echo(f"{p['process']}: {p['n_cases']:,} cases, fitness {p['fitness']:.3f}{how}, precision "
                   f"{_share(p['precision'])}, {p['share_fitting']:.0%} fit the intended model")
        for r in [r for r in rows if r["process"] == p["process"]][:top]:
            extra = r["extra_median_lead_time_days"]
            typer.echo(f"  {r['kind']:<11} {r['activity']:<45} {r['n_cases']:>7,} cases ({r['share_of_cases']:.0%})"
                       + (f"  median lead time {extra:+.1f} days" if extra is not None else ""))


def _emit(table, output: str, limit: int | None) -> None:
    """A result as CSV, JSON or a table, on stdout."""
    if output == "csv":
        import pyarrow.csv as pacsv

        sink = __import__("io").BytesIO()
        pacsv.write_csv(_csv_safe(table), sink)
        echo_data(sink.getvalue().decode("utf-8").rstrip("\n"))
    elif output == "json":
        import json

        echo_data(json.dumps(table.to_pylist(), ensure_ascii=False, default=_json_default, indent=1))
    else:
        _print_table(table, limit)


def _csv_safe(table):
    """Lists (a variant's activities) as text for CSV: the items joined by ' > '."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, f in enumerate(table.schema):
        if pa.types.is_list(f.type):
            table = table.set_column(i, f.name, pc.binary_join(table.column(i), " > "))
    return table


def _json_default(v):
    """Values JSON has no type for: dates as ISO text, durations as seconds, DuckDB's HUGEINT (a Decimal) as a
    number."""
    import decimal

    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    return str(v)


def _quiet_prefect() -> None:
    """Prefect without its outbound telemetry (nothing leaves the machine) and without the update check."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT", "false")


RUN_LOG = "vaerdistrom-run.log"  # beside the warehouse: what `run` logs (Prefect's lines, tracebacks), redacted


def _run_nightly(config: Path) -> None:
    """Run the nightly flow once: the morning report on stdout, one line per failure on stderr (exit 1 when the run
    failed), everything Prefect logs (tracebacks too) in `RUN_LOG` beside the warehouse."""
    import contextlib
    import os

    from warehouse.load import resolve_key
    from warehouse.pseudonym import PseudonymKeyError, redact

    cfg, root = _open_config(config)
    try:
        resolve_key(cfg, root)  # said in one line now, not after Prefect's server started
    except PseudonymKeyError as e:
        fail(str(e))
    _quiet_prefect()
    from flows.boundary import log_to_file
    from flows.prefect_server import start_server

    log = (root / cfg.warehouse).parent / RUN_LOG
    try:
        output = log_to_file(log)
    except OSError as e:
        fail(f"cannot write the run's log {log}: {e.strerror or e}")
    output.write(f"--- vaerdistrom run --config {redact(str(config))}, pid {os.getpid()}, "
                 f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n")
    with contextlib.redirect_stderr(Redacting(output)):  # a library that prints to stderr prints to the log
        start_server(output)  # tied to this process: it dies with it, or the next run reaps it
        from flows.nightly import CONFIG_ENV, nightly

        os.environ[CONFIG_ENV] = str(config)  # the real path; Prefect keeps only its redacted form
        state = nightly(redact(str(config)), return_state=True)
        data = state.result(raise_on_failure=False)
    if isinstance(data, dict) and data.get("report"):
        typer.echo(data["report"])
    failures = data.get("failures", []) if isinstance(data, dict) else []
    for line in failures:
        typer.echo(f"error: {line}", err=True)
    if not state.is_completed():
        if not failures:
            typer.echo(f"error: the run ended {state.type.value.lower()}: {redact(state.message or '')}", err=True)
        typer.echo(f"The run's log, with its tracebacks: {log}")
        raise typer.Exit(code=1)
    typer.echo(f"Published {data['snapshot']}: the read-only snapshot dashboards and reports read.")


@app.command()
def run(
    config: Annotated[Path, typer.Option(help="The config file describing the sources and processes.")] =
        Path("vaerdistrom.toml"),
) -> None:
    """Run the nightly flow once, now: load what is new, mine, record the KPIs, publish, report.

    Needs no Prefect server: Prefect starts a temporary one for the run (about 20 s), which
    dies with the run, however it ends (one left by a killed run is reaped by the next). The
    morning report is printed and kept in the published folder as last_run.md;
    each failure (a source, mining, publishing) is one line on stderr, and what Prefect logs,
    tracebacks included, is appended to vaerdistrom-run.log beside the warehouse. Exit code 1
    when the run failed (a source that failed, by default; see `[nightly]` in the config).
    """
    _run_nightly(config)


@app.command()
def serve(
    config: Annotated[Path, typer.Option(help="The config file describing the sources and processes.")] =
        Path("vaerdistrom.toml"),
    name: Annotated[str, typer.Option(help="The deployment's name on the Prefect server.")] = "nightly",
) -> None:
    """Register the nightly deployment with the config's schedule (`[nightly] cron`, default 02:00
    Europe/Copenhagen) on the Prefect server at PREFECT_API_URL, and run it whenever it is due.

    Start the server first (`prefect server start`); the README has systemd units for both.
    """
    cfg, _ = _open_config(config)
    _quiet_prefect()
    from flows.nightly import serve as serve_nightly

    typer.echo(f"Serving the nightly run of {config} at '{cfg.nightly.cron}' ({cfg.nightly.timezone}); Ctrl+C stops.")
    serve_nightly(config, name)


@app.command()
def national(
    configs: Annotated[list[Path], typer.Argument(help="One vaerdistrom.toml per municipality.", metavar="CONFIG")],
    out: Annotated[Path, typer.Option(help="Folder of the national Parquet dataset.")] = Path("national"),
    workers: Annotated[int, typer.Option(help="Worker processes of the local Dask cluster.")] = 2,
    address: Annotated[Optional[str], typer.Option(help="An existing Dask scheduler (tcp://host:8786) instead of "
                                                        "a local cluster.")] = None,
) -> None:
    """Every municipality's nightly run, fanned out over a Dask cluster, each adding its KPIs and key marts to a
    national Parquet dataset (OUT/<table>/municipality=<name>/part-0.parquet).
    """
    for config in configs:
        _open_config(config)
    _quiet_prefect()
    from flows.national import run_national

    state = run_national(configs, out, workers, address)
    results = state.result(raise_on_failure=False)
    if not state.is_completed() or not isinstance(results, list):
        fail(f"the national run ended {state.type.value.lower()}: {state.message}")
    for r in results:
        typer.echo(f"  {r['municipality']:<28} {r['status']:<10} new rows {r['rows_new']:>9,}"
                   + (f"  failed sources: {', '.join(r['failed_sources'])}" if r["failed_sources"] else ""))
    typer.echo(f"National dataset in {out}: read_parquet('{out}/kpi_history/*/*.parquet', hive_partitioning = true)")


@app.command()
def dashboard(
    config: Annotated[Path, typer.Option(help="The config file; the dashboard reads its published snapshot.")] =
        Path("vaerdistrom.toml"),
    port: Annotated[int, typer.Option(help="The port to serve the dashboard on.")] = 8501,
    address: Annotated[str, typer.Option(help="The address to listen on (0.0.0.0: every interface).")] =
        "127.0.0.1",
) -> None:
    """Serve the dashboard for improvement teams (Danish, or English by a switch) at http://ADDRESS:PORT.

    It reads the snapshot the last nightly run published (`[nightly] published`, read-only),
    never the warehouse, so it can stay up while the nightly run works; a new night's
    snapshot shows on the next page load. Ctrl+C stops it.
    """
    import os
    import sys

    from dashboards.data import PUBLISHED_ENV

    cfg, root = _open_config(config)
    published = (root / cfg.nightly.published).resolve()
    app_file = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    typer.echo(f"Dashboard of {published} at http://{address}:{port} (Ctrl+C stops it)")
    env = dict(os.environ, **{PUBLISHED_ENV: str(published)})
    command = [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.port", str(port),
               "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal"]
    sys.stdout.flush()
    os.execve(sys.executable, command, env)  # the server takes this process: a signal to it (Ctrl+C, TERM) stops it


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo municipality's exports and warehouse.")] = Path("demo"),
    events: Annotated[int, typer.Option(help="About this many rows to simulate.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """The main job, end to end, on a small simulated municipality (about 50,000 events).

    Simulates the municipality's exports, creates a local pseudonymisation key if there is
    none, and runs the nightly flow once on a fresh warehouse: loads every source, mines
    every mart, records the KPIs, publishes the snapshot dashboards read, and prints the
    morning report and what an improvement team looks at first, per process.
    """
    import os
    import shutil

    from simulator.spec import SimulationSpec
    from warehouse.session import read_only
    from warehouse.pseudonym import KEY_ENV, create_key_file

    spec = SimulationSpec(out=out, municipality="Demo Kommune", events=events, seed=seed)
    run_and_summarise(spec)
    key = out / "pseudonym.key"
    if not os.environ.get(KEY_ENV) and not key.exists():
        create_key_file(key)
        typer.echo(f"Created a local pseudonymisation key at {key} (owner-only). Keep it: it makes the pseudonyms.")
    (out / "vaerdistrom.duckdb").unlink(missing_ok=True)  # the demo rebuilds its warehouse every time
    shutil.rmtree(out / "published", ignore_errors=True)
    config = out / "vaerdistrom.toml"
    _run_nightly(config)
    con = read_only(out / "published" / "vaerdistrom.duckdb")
    try:
        _print_mining_summary(con)
    finally:
        con.close()
    typer.echo(f"Next: `vaerdistrom dashboard --config {config}` opens the dashboard on this snapshot "
               f"(http://127.0.0.1:8501); `vaerdistrom query bottlenecks --config {config}` (or dfg, variants, "
               f"valuestream, rework, contacts, journeys, deadlines, rules, conformance) asks the marts; "
               f"`vaerdistrom run --config {config}` runs the next night; the ground truth is in "
               f"{out / 'ground_truth'}.")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
