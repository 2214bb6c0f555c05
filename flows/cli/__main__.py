"""`python -m flows.cli`: the command line, as the `vaerdistrom` script runs it."""

from flows.cli import app

app()
