"""Everything the command line prints: one-line errors, summaries, progress bars, and the stream wrapper that keeps
CPR numbers out of every message (mined data as CSV, JSON or a table: `flows.cli.results`)."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

if TYPE_CHECKING:
    from prefect.states import State

    from flows.importing import Planned
    from flows.report import SourceResult
    from mining.discovery import Discovered
    from mining.summary import ProcessSummary
    from warehouse.load import BatchReport

ERROR_LOG = "vaerdistrom-error.log"  # in the current folder: the traceback of an error no command expected


class Redacting:
    """A text stream that writes through to another with every CPR-shaped string replaced by a mark: whatever the
    program prints (its own lines, a library's log, a traceback) passes here, so no message carries a CPR number."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from warehouse.pseudonym import redact

        self._stream.write(redact(text) if text else text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def redact_streams() -> None:
    """Every command prints through `Redacting`, on stdout and stderr alike."""
    if not isinstance(sys.stdout, Redacting):
        sys.stdout = Redacting(sys.stdout)
    if not isinstance(sys.stderr, Redacting):
        sys.stderr = Redacting(sys.stderr)


def say(line: str) -> None:
    """A line for people on stdout."""
    typer.echo(line)


def warn(line: str) -> None:
    """A warning, one line on stderr."""
    typer.echo(f"warning: {line}", err=True)


def error(message: str) -> None:
    """An error, one line on stderr: `error: <message>`, its white space (line breaks too) made single spaces."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)


def bug(e: BaseException) -> None:
    """An error no command expected: one line on stderr, its traceback (CPR numbers redacted) in `ERROR_LOG`."""
    from warehouse.pseudonym import redact

    log = Path(ERROR_LOG).resolve()
    try:
        with log.open("a", encoding="utf-8") as fh:
            fh.write(redact("".join(traceback.format_exception(e))) or "")
        where = f" (the traceback is in {log})"
    except OSError:
        where = ""
    typer.echo(f"error: {type(e).__name__}: {redact(' '.join(str(e).split()))}{where}", err=True)


def echo_data(text: str) -> None:
    """Mined data on stdout as it is, past `Redacting`: the warehouse holds no CPR number (it is scrubbed at ingest),
    and redacting would corrupt figures that look like one (3110400000 seconds of waiting reads as a date and four
    digits)."""
    out = sys.stdout._stream if isinstance(sys.stdout, Redacting) else sys.stdout
    out.write(text + "\n")
    out.flush()


def share(value: float | None) -> str:
    """A fitness or precision for people: three decimals, or n/a when it was not computed."""
    return "n/a" if value is None else f"{value:.3f}"


def simulation_progress(done: int, total: int) -> None:
    """Citizens simulated so far, on a terminal's stderr."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r  citizens simulated: {done:,} / {total:,}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def simulation(truth: dict, seconds: float, out: Path) -> None:
    """What a simulation wrote, per file and per process."""
    g, totals = truth["generator"], truth["totals"]
    say(
        f"Simulated {g['municipality']} ({g['scenario']}), {g['start']} to {g['end']}, "
        f"{g['citizens']:,} citizens, seed {g['seed']}: "
        f"{totals['rows']:,} rows in {seconds:.1f} s ({totals['rows'] / max(seconds, 1e-9):,.0f} rows/s)"
    )
    say(f"Written to {out}:")
    for f in truth["files"]:
        what = f"{f['cases']:,} cases, {f['events']:,} events" if f["events"] else f"{f['contacts']:,} contacts"
        say(
            f"  {f['path']:<32} {f['rows']:>10,} rows  ({what}; {f['format']}"
            + (f", {f['encoding']}" if f["encoding"] else "")
            + ")"
        )
    say("  bpmn/<process>.bpmn              intended processes (BPMN 2.0)")
    say("  vaerdistrom.toml                 source and deadline configuration")
    say("  ground_truth/                    what was injected (ground_truth.json, cases.jsonl, contacts.jsonl)")
    say("Processes:")
    for key, p in truth["processes"].items():
        d = p["deadline"]
        met = f"{d['share_met']:.0%}" if d["share_met"] is not None else "n/a"
        bn = p["bottleneck"]
        wait = f"{bn['mean_wait_days']:.1f}" if bn["mean_wait_days"] is not None else "n/a"
        say(
            f"  {p['code']} {key:<13} {p['cases']:>8,} cases  {p['events']:>10,} events  "
            f"within deadline {met:>4}  bottleneck {bn['from']} -> {bn['to']} ({wait} days)"
        )


def batch(r: BatchReport) -> None:
    """One loaded (or skipped) file or pull: rows read, loaded, new and quarantined."""
    # a pull is labelled `sources.NAME: <where it read from>`; a file by its name
    name = r.file.split(": ", 1)[1] if r.file.startswith(f"sources.{r.source}: ") else Path(r.file).name
    if r.skipped:
        say(f"  {r.source:<14} {name:<26} unchanged since batch {r.batch_id}: nothing to load")
    else:
        say(
            f"  {r.source:<14} {name:<26} read {r.rows_read:>9,}  loaded {r.rows_loaded:>9,} "
            f"(new {r.rows_new:,})  quarantined {r.rows_quarantined:,}"
            + (f" (and {r.records_quarantined:,} other OCEL records)" if r.records_quarantined else "")
        )
    if r.columns_pseudonymised:
        from flows.report import pseudonymised_whole

        say(f"    {pseudonymised_whole(r.source, r)}")


def local_key(path: Path) -> None:
    """The local pseudonymisation key `import` or `demo` created."""
    say(f"Created a local pseudonymisation key at {path} (owner-only). Keep it: it makes the pseudonyms.")


def planned(planned: Planned, config: Path) -> None:
    """What an import found: files a source already reads, and the sources it added with what it guessed."""
    for f, name in planned.known:
        say(f"  {f.name}: already sources.{name} of {config}")
    for name, (src, notes) in planned.sources.items():
        say(f"  {Path(src.path).name}: {src.kind}, sources.{name}, process {src.process!r} (added to {config})")
        for note in notes:
            say(f"    {note}")


def night_sources(sources: list[SourceResult]) -> None:
    """What a night loaded, per source and file; a source that failed is one error line."""
    for source in sources:
        for report in source.reports:
            batch(report)
        if source.error:
            error(source.error)
    if all(r.skipped for s in sources for r in s.reports) and not any(s.error for s in sources):
        say("Nothing new: every file was imported before (same content).")


class Bars:
    """Progress bars on stderr while files load (only on a terminal), and a summary line per file."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: Any = None

    def __enter__(self) -> Bars:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(*exc)

    def file_started(self, source: str, path: Path) -> None:
        self.task = self.bars.add_task(f"{source} {path.name}", total=None)

    def rows(self, n: int) -> None:
        if self.task is not None:
            self.bars.advance(self.task, n)

    def file_done(self, report: BatchReport) -> None:
        if self.task is not None:
            self.bars.remove_task(self.task)
            self.task = None
        batch(report)


def warehouse_status(st: dict[str, list[dict]], path: Path, as_json: bool) -> None:
    """What the warehouse holds, per source, process and contact channel: a table, or JSON for scripts."""
    if as_json:
        import json

        echo_data(json.dumps(st, ensure_ascii=False, indent=2))
        return
    say(f"Warehouse {path}")
    say("Sources:")
    for r in st["sources"]:
        say(
            f"  {r['source']:<14} {r['n_batches']:>3} batches  {r['n_rows_loaded']:>10,} rows loaded  "
            f"{r['n_rows_quarantined']:>7,} quarantined  last load {r['last_load_at'][:19]}"
            + (f"  next pull from {r['watermark']}" if r.get("watermark") else "")
        )
    say("Processes:")
    for r in st["processes"]:
        say(
            f"  {r['process']:<14} {r['n_cases']:>8,} cases  {r['n_events']:>10,} events  "
            f"{r['n_activities']:>3} activities  {r['first_event_at'][:10]} to {r['last_event_at'][:10]}"
        )
    say("Contacts:")
    for r in st["contacts"]:
        say(
            f"  {r['source']:<14} {r['channel']:<13} {r['direction'] or '':<9} {r['n_contacts']:>8,}  "
            f"identified {r['n_identified']:,}  with case number {r['n_with_case_ref']:,}"
        )


def mining_summary(processes: list[ProcessSummary]) -> None:
    """One line per process (what an improvement team looks at first), then its biggest wait, its fit to the
    intended model and its rules."""
    for p in processes:
        deadline = (
            f"{p.share_within_deadline:.0%} within deadline"
            if p.share_within_deadline is not None
            else "no deadline configured"
        )
        say(
            f"  {p.process:<14} {p.n_cases:>7,} cases  median lead time {p.median_lead_time_days:6.1f} days  "
            f"first-time-right {p.first_time_right:.0%}  {deadline}  contacts per case "
            f"{p.contacts_per_case or 0:.2f} ({p.share_failure_demand or 0:.0%} inbound)"
        )
        if p.biggest_wait:
            say(f"  {'':<14} biggest wait: {p.biggest_wait}")
        for c in p.conformance:
            say(
                f"  {'':<14} intended model: fitness {c.fitness:.3f}"
                + (" (token-based: not every variant aligned in time)" if c.method != "alignment" else "")
                + f", precision {share(c.precision)}, {c.share_fitting:.0%} of cases fit it "
                "(`vaerdistrom conformance` for the deviations)"
            )
        for rule, kept in p.rules:
            say(
                f"  {'':<14} rule {rule!r}: "
                + (f"kept in {kept:.0%} of cases" if kept is not None else "nothing to judge yet")
            )


def mined(n_events: int, modes: dict[str, str], seconds: dict[str, float], elapsed: float) -> None:
    """What a build did: the events mined, the marts built, and how (sorted once, or only the cases touched)."""
    how = (
        f"per-case marts updated only for cases that new batches touched: {modes['incremental']}"
        if "incremental" in modes
        else f"sorting the events once: {seconds['event_sequence']:.1f} s"
    )
    if "changed" in modes:
        how += f"; only the changed rows written of: {modes['changed']}"
    say(f"Mined {n_events:,} events into {len(seconds) - 3} marts in {elapsed:.1f} s ({how}).")


def discovered(process: str, model: Discovered, noise: float, files: list[Path]) -> None:
    """A discovered model: its cases and variants, its size, and the files written."""
    say(
        f"{process}: {model.n_cases:,} cases in {model.n_variants:,} variants, noise {noise:g} -> "
        f"{len([t for t in model.net.transitions if t.label])} activities, "
        f"{len(model.net.places)} places; wrote {', '.join(str(f) for f in files)}"
    )


def conformance(summary: list[dict], deviations: list[dict], top: int) -> None:
    """Per process its fitness, precision and share of fitting cases, then its `top` deviations."""
    for p in summary:
        how = (
            ""
            if p["fitness_method"] == "alignment"
            else (f" (token-based: {p['share_aligned']:.0%} of cases aligned within {p['budget_seconds']:g} s)")
        )
        say(
            f"{p['process']}: {p['n_cases']:,} cases, fitness {p['fitness']:.3f}{how}, precision "
            f"{share(p['precision'])}, {p['share_fitting']:.0%} fit the intended model"
        )
        for r in [r for r in deviations if r["process"] == p["process"]][:top]:
            extra = r["extra_median_lead_time_days"]
            say(
                f"  {r['kind']:<11} {r['activity']:<45} {r['n_cases']:>7,} cases ({r['share_of_cases']:.0%})"
                + (f"  median lead time {extra:+.1f} days" if extra is not None else "")
            )


def night(data: Any, state: State, log: Path) -> bool:
    """A nightly run's outcome: the morning report, one error line per failure, and where its log is when it failed;
    whether it completed."""
    from warehouse.pseudonym import redact

    if isinstance(data, dict) and data.get("report"):
        say(data["report"])
    failures = data.get("failures", []) if isinstance(data, dict) else []
    for line in failures:
        error(line)
    if not state.is_completed():
        if not failures:
            error(f"the run ended {state.type.value.lower()}: {redact(state.message or '')}")
        say(f"The run's log, with its tracebacks: {log}")
        return False
    say(f"Published {data['snapshot']}: the read-only snapshot dashboards and reports read.")
    return True


def national(results: list[dict], out: Path) -> None:
    """Each municipality's national run, and where the dataset is."""
    for r in results:
        say(
            f"  {r['municipality']:<28} {r['status']:<10} new rows {r['rows_new']:>9,}"
            + (f"  failed sources: {', '.join(r['failed_sources'])}" if r["failed_sources"] else "")
        )
    say(f"National dataset in {out}: read_parquet('{out}/kpi_history/*/*.parquet', hive_partitioning = true)")
