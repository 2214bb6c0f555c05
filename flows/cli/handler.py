"""The one error handler of the command line.

A `VaerdistromError` is one line on stderr, `error: <message>`, and its exit code (2: bad input, 1: the data or
the warehouse was not as needed). Anything else is a bug: one line naming it, exit code 1, and its traceback
(CPR numbers redacted) kept in `vaerdistrom-error.log` in the current folder, never on the terminal.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

from flows.cli import output
from vaerdistrom.errors import VaerdistromError


class Handled(TyperGroup):
    """The command group whose every command, and the parsing of its arguments, runs under the handler."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except VaerdistromError as e:
            output.error(str(e))
            raise SystemExit(e.exit_code) from None
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as e:  # noqa: BLE001 - the last line of defence: one line, never a traceback
            output.bug(e)
            raise SystemExit(1) from None
