"""The `vaerdistrom` command line: one app over the command groups, each a module of thin commands.

`data` (simulate, init, load, import, status), `mining` (mine, query, discover, conformance),
`running` (run, serve, national) and `showing` (dashboard, demo). Their shared options are in
`options`, everything they print goes through `output`, and `handler` turns an error into one
line and an exit code.
"""

from __future__ import annotations

import typer

from flows.cli import data, mining, output, running, showing
from flows.cli.handler import Handled

app = typer.Typer(
    name="vaerdistrom",
    cls=Handled,
    help="Process mining for municipalities: value streams and citizen journeys from real case data.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def guard_output() -> None:
    """Every command prints through `Redacting`."""
    output.redact_streams()


for group in (data.app, mining.app, running.app, showing.app):
    app.add_typer(group)
