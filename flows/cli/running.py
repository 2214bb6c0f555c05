"""Commands that run the nightly flow: once now (run), on its schedule (serve), or for many municipalities
(national)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer

from flows.cli import output
from flows.cli.options import CONFIG, Config
from vaerdistrom.errors import UsageError

app = typer.Typer()

RUN_LOG = "vaerdistrom-run.log"  # beside the warehouse: what `run` logs (Prefect's lines, tracebacks), redacted


def quiet_prefect() -> None:
    """Prefect without its outbound telemetry (nothing leaves the machine) and without the update check."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT", "false")


def run_nightly(config: Path) -> None:
    """Run the nightly flow once: the morning report on stdout, one line per failure on stderr (exit 1 when the run
    failed), everything Prefect logs (tracebacks too) in `RUN_LOG` beside the warehouse."""
    from warehouse.config import load_config
    from warehouse.load import resolve_key
    from warehouse.pseudonym import redact

    cfg, root = load_config(config)
    resolve_key(cfg, root)  # said in one line now, not after Prefect's server started
    quiet_prefect()
    from flows.boundary import log_to_file
    from flows.prefect_server import start_server

    log = (root / cfg.warehouse).parent / RUN_LOG
    try:
        logged = log_to_file(log)
    except OSError as e:
        raise UsageError(f"cannot write the run's log {log}: {e.strerror or e}") from None
    logged.write(
        f"--- vaerdistrom run --config {redact(str(config))}, pid {os.getpid()}, "
        f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n"
    )
    with contextlib.redirect_stderr(output.Redacting(logged)):  # a library that prints to stderr prints to the log
        start_server(logged)  # tied to this process: it dies with it, or the next run reaps it
        from flows.nightly import CONFIG_ENV, nightly

        os.environ[CONFIG_ENV] = str(config)  # the real path; Prefect keeps only its redacted form
        state = nightly(redact(str(config)), return_state=True)
        data = state.result(raise_on_failure=False)
    if not output.night(data, state, log):
        raise typer.Exit(code=1)


@app.command()
def run(config: Config = CONFIG) -> None:
    """Run the nightly flow once, now: load what is new, mine, record the KPIs, publish, report.

    Needs no Prefect server: Prefect starts a temporary one for the run (about 20 s), which
    dies with the run, however it ends (one left by a killed run is reaped by the next). The
    morning report is printed and kept in the published folder as last_run.md;
    each failure (a source, mining, publishing) is one line on stderr, and what Prefect logs,
    tracebacks included, is appended to vaerdistrom-run.log beside the warehouse. Exit code 1
    when the run failed (a source that failed, by default; see `[nightly]` in the config).
    """
    run_nightly(config)


@app.command()
def serve(
    config: Config = CONFIG,
    name: Annotated[str, typer.Option(help="The deployment's name on the Prefect server.")] = "nightly",
) -> None:
    """Register the nightly deployment with the config's schedule (`[nightly] cron`, default 02:00
    Europe/Copenhagen) on the Prefect server at PREFECT_API_URL, and run it whenever it is due.

    Start the server first (`prefect server start`); the README has systemd units for both.
    """
    from warehouse.config import load_config

    cfg, _ = load_config(config)
    quiet_prefect()
    from flows.nightly import serve as serve_nightly

    output.say(f"Serving the nightly run of {config} at '{cfg.nightly.cron}' ({cfg.nightly.timezone}); Ctrl+C stops.")
    serve_nightly(config, name)


@app.command()
def national(
    configs: Annotated[list[Path], typer.Argument(help="One vaerdistrom.toml per municipality.", metavar="CONFIG")],
    out: Annotated[Path, typer.Option(help="Folder of the national Parquet dataset.")] = Path("national"),
    workers: Annotated[int, typer.Option(help="Worker processes of the local Dask cluster.")] = 2,
    address: Annotated[
        str | None, typer.Option(help="An existing Dask scheduler (tcp://host:8786) instead of a local cluster.")
    ] = None,
) -> None:
    """Every municipality's nightly run, fanned out over a Dask cluster, each adding its KPIs and key marts to a
    national Parquet dataset (OUT/<table>/municipality=<name>/part-0.parquet).
    """
    from warehouse.config import load_config

    for config in configs:
        load_config(config)
    quiet_prefect()
    from flows.national import run_national

    state = run_national(configs, out, workers, address)
    results = state.result(raise_on_failure=False)
    if not state.is_completed() or not isinstance(results, list):
        raise UsageError(f"the national run ended {state.type.value.lower()}: {state.message}")
    output.national(results, out)
