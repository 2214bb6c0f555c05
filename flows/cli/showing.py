"""Commands that show the results: the dashboard, and the demo that runs the main job end to end."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.cli import output
from flows.cli.options import CONFIG, Config

app = typer.Typer()


@app.command()
def dashboard(
    config: Config = CONFIG,
    port: Annotated[int, typer.Option(help="The port to serve the dashboard on.")] = 8501,
    address: Annotated[str, typer.Option(help="The address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
) -> None:
    """Serve the dashboard for improvement teams (Danish, or English by a switch) at http://ADDRESS:PORT.

    It reads the snapshot the last nightly run published (`[nightly] published`, read-only),
    never the warehouse, so it can stay up while the nightly run works; a new night's
    snapshot shows on the next page load. Ctrl+C stops it.
    """
    import dashboards
    from dashboards.data import PUBLISHED_ENV
    from warehouse.config import load_config

    cfg, root = load_config(config)
    published = (root / cfg.nightly.published).resolve()
    app_file = Path(dashboards.__file__).resolve().with_name("app.py")
    output.say(f"Dashboard of {published} at http://{address}:{port} (Ctrl+C stops it)")
    env = dict(os.environ, **{PUBLISHED_ENV: str(published)})
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
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
    from flows.cli.data import simulate_and_summarise
    from flows.cli.running import run_nightly
    from flows.importing import KEY_FILE, local_key
    from mining.summary import snapshot_summaries
    from simulator.run import SimulationSpec

    simulate_and_summarise(SimulationSpec(out=out, municipality="Demo Kommune", events=events, seed=seed))
    if local_key(out) == "created":
        output.local_key(out / KEY_FILE)
    (out / "vaerdistrom.duckdb").unlink(missing_ok=True)  # the demo rebuilds its warehouse every time
    shutil.rmtree(out / "published", ignore_errors=True)
    config = out / "vaerdistrom.toml"
    run_nightly(config)
    output.mining_summary(snapshot_summaries(out / "published" / "vaerdistrom.duckdb"))
    output.say(
        f"Next: `vaerdistrom dashboard --config {config}` opens the dashboard on this snapshot "
        f"(http://127.0.0.1:8501); `vaerdistrom query bottlenecks --config {config}` (or dfg, variants, "
        f"valuestream, rework, contacts, journeys, deadlines, rules, conformance) asks the marts; "
        f"`vaerdistrom run --config {config}` runs the next night; the ground truth is in "
        f"{out / 'ground_truth'}."
    )
