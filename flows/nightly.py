"""The `nightly` Prefect flow: extract every source in parallel (retried with backoff), load them one by one,
mine, record the KPIs, publish a snapshot, and leave the morning report as artifacts.

The steps are `flows.pipeline`'s; this module only orchestrates them. Policy for the
final state: a source that still fails after its retries is reported and the others go
on (loaded, mined, published); the run then ends Failed when `nightly.fail_on_source_error`
is true (the default, so the data team hears of it), else Completed. A failure in mining or
publishing ends the run Failed and leaves the last published snapshot. A second run while
one holds the warehouse ends Failed at once, naming the holder. A rerun of the same night
loads nothing twice, and replaces the night's KPIs and run record.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed
from prefect.tasks import exponential_backoff

from flows import pipeline
from flows.boundary import guard_logging, scrubbed
from warehouse.config import Config, load_config
from warehouse.pseudonym import redact


@task(name="extract", cache_policy=NO_CACHE)
@scrubbed
def extract_task(cfg: Config, root: Path, name: str, loaded: set[tuple[str, str]]) -> pipeline.Extracted:
    """One source's files: hashed, checked complete, the new ones picked out."""
    return pipeline.extract(cfg, root, name, loaded)


@task(name="load", cache_policy=NO_CACHE)
@scrubbed
def load_task(con, cfg: Config, root: Path, extracted: pipeline.Extracted, pseudo, progress) -> list:
    """One source's new files into the warehouse (one writer: sources load one after the other)."""
    return pipeline.load(con, cfg, root, extracted, pseudo, progress)


@task(name="mine", cache_policy=NO_CACHE)
@scrubbed
def mine_task(con, cfg: Config, root: Path, warnings: list[str]) -> dict[str, float]:
    return pipeline.mine(con, cfg, root, warnings)


@task(name="record", cache_policy=NO_CACHE)
@scrubbed
def record_task(con, night: dt.date):
    return pipeline.record(con, night)


@task(name="publish", cache_policy=NO_CACHE)
@scrubbed
def publish_task(con, published: Path) -> tuple[Path, dict[str, str]]:
    return pipeline.publish_snapshot(con, published)


def _cell(value):
    """A table artifact's cell: dates as ISO text, text redacted."""
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    return redact(value) if isinstance(value, str) else value


def _artifacts(result: pipeline.NightResult) -> None:
    """The morning report and its tables as Prefect artifacts, every text redacted (they are kept on the server)."""
    create_markdown_artifact(
        redact(result.summary_md) or "",
        key="vaerdistrom-night",
        description=f"vaerdistrom, night of {result.night.isoformat()}",
    )
    create_table_artifact(
        [
            {k: _cell(v) for k, v in {"source": s.source, **s.rows, "error": s.error or ""}.items()}
            for s in result.sources
        ],
        key="vaerdistrom-sources",
        description="rows per source tonight",
    )
    if result.kpis:
        create_table_artifact(
            [{k: _cell(v) for k, v in r.items()} for r in result.kpis],
            key="vaerdistrom-kpis",
            description="KPIs per process tonight",
        )


def failures(result: pipeline.NightResult) -> list[str]:
    """Each failure of the night in one line: every source that failed (named as `sources.NAME`), then the step
    that failed, if one did."""
    lines = [
        s.error if s.error.startswith(f"sources.{s.source}: ") else f"sources.{s.source}: {s.error}"
        for s in result.sources
        if s.error
    ]
    return [redact(line) or "" for line in lines + ([result.failure] if result.failure else [])]


def _night(cfg: Config, root: Path, result: pipeline.NightResult) -> None:
    """The night's steps as Prefect tasks, under the run lock, filling `result`."""
    log = get_run_logger()
    retries = cfg.nightly.retries
    extract = extract_task.with_options(
        retries=retries,
        retry_delay_seconds=exponential_backoff(cfg.nightly.retry_delay_seconds) if retries else 0,
        retry_jitter_factor=0.2 if retries else None,
    )

    def extract_all(loaded: dict[str, set]) -> dict:  # every source at once; each loads when its turn comes
        return {name: extract.submit(cfg, root, name, files).result for name, files in loaded.items()}

    pipeline.night(
        cfg, root, result, pipeline.Steps(extract_all, load_task, mine_task, record_task, publish_task, log.warning)
    )


CONFIG_ENV = "VAERDISTROM_RUN_CONFIG"  # `run`: the config's real path, kept from Prefect (see `real_config`)


def real_config(config: str) -> str:
    """The config the flow reads. `vaerdistrom run` hands Prefect the path with any CPR number redacted (Prefect
    keeps a flow's parameters in its database) and the real path in this process's environment."""
    import os

    given = os.environ.get(CONFIG_ENV)
    return given if given and redact(given) == config else config


@flow(name="vaerdistrom-nightly", log_prints=False)
@scrubbed
def nightly(config: str = "vaerdistrom.toml"):
    """Tonight's run for the municipality `config` describes; its final state follows the policy above. Its data:
    the night's figures, `failures` (one line each) and `report` (the morning report)."""
    from flows.lock import RunLocked, run_lock

    guard_logging()  # in whichever process runs the flow (a deployment's runs each have their own)
    cfg, root = load_config(real_config(config))
    result = pipeline.new_night(cfg)
    try:
        with run_lock(root / cfg.warehouse):
            _night(cfg, root, result)
    except RunLocked as e:
        return Failed(message=redact(str(e)))
    except Exception as e:  # noqa: BLE001 - mining or publishing failed: reported in one line, traceback logged
        get_run_logger().error(f"the run failed: {pipeline.describe(e)}", exc_info=True)
        if not result.failure:  # publishing says how it failed; a step before it does not
            result.status = "failed"
            result.message = result.failure = f"the run failed ({pipeline.describe(e)}): last night's snapshot stays"
            result.summary_md = pipeline.summary_markdown(result)
    _artifacts(result)
    if not result.failure:  # the report beside the snapshot it describes
        (root / cfg.nightly.published / "last_run.md").write_text(result.summary_md, encoding="utf-8")
    data = {
        "night": result.night.isoformat(),
        "status": result.status,
        "snapshot": str(result.snapshot),
        "failed_sources": result.failed_sources,
        "new_breaches": len(result.breaches),
        "rows_new": sum(s.rows["rows_new"] for s in result.sources),
        "failures": failures(result),
        "report": result.summary_md,
    }
    if result.status == "failed":
        return Failed(message=redact(result.message), data=data)
    return Completed(message=redact(f"night of {result.night.isoformat()} published to {result.snapshot}"), data=data)


def serve(config: Path, name: str = "nightly") -> None:
    """Register the nightly deployment with its cron schedule on the Prefect server and run it when due."""
    from prefect.schedules import Cron

    cfg, _ = load_config(config)
    nightly.serve(
        name=name,
        schedules=[Cron(cfg.nightly.cron, timezone=cfg.nightly.timezone)],
        parameters={"config": str(config.resolve())},
    )
