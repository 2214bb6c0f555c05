"""What crosses into Prefect: log records and exceptions scrubbed of CPR numbers, and a run's logging kept in a file.

Prefect keeps what it is handed: log records (in its database and on the console), a
task's exception (its Failed state's message, and an event naming it), artifacts. The
warehouse is scrubbed at ingest, but a message can still name a file or a column after a
citizen, so `guard_logging` puts a filter on each of Prefect's logging handlers that redacts
each record (message, arguments, traceback), and `scrubbed` wraps a task so that the
exception it raises is redacted before Prefect sees it. `log_to_file` sends the console logging of a
run (Prefect's lines, tracebacks, warnings) to a file instead of stderr.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, ParamSpec, TypeVar

from warehouse.pseudonym import contains_cpr, redact

P = ParamSpec("P")
R = TypeVar("R")


class Redacted(RuntimeError):
    """An error whose text named a CPR number where it could not be redacted in place (not in its arguments),
    raised instead of it as its redacted text; its traceback, redacted, is kept as a note."""


class RedactCpr(logging.Filter):
    """Replaces every CPR-shaped string in a log record, its arguments and its traceback by `[CPR]`; the record is
    changed in place, so every handler after this one gets it scrubbed too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not fit its format: keep both, as text
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # handlers that draw the exception themselves draw the redacted text instead
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _loggers() -> list[logging.Logger]:
    """The root logger and every logger made so far."""
    return [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]


def _handlers() -> list[logging.Handler]:
    return list({id(h): h for lg in _loggers() for h in lg.handlers}.values())


def guard_logging() -> None:
    """A `RedactCpr` filter on each of Prefect's logging handlers (the one that sends records to its server, its
    console's); safe to call again (a handler gets one). Other handlers are left as they are (a test's log capture
    keeps its records whole)."""
    for handler in _handlers():
        if type(handler).__module__.startswith("prefect.") and not any(
            isinstance(f, RedactCpr) for f in handler.filters
        ):
            handler.addFilter(RedactCpr())


def log_to_file(path: Path) -> IO[str]:
    """From now on, this process's log records (Prefect's console lines and their tracebacks, warnings) go to
    `path` (appended, redacted) instead of stderr; returns the open file, for a child's output too. The
    handlers that wrote to a stream (stderr, stdout) write to the file instead."""
    import prefect.main  # noqa: F401 - Prefect sets its logging up once, when imported: before ours, not over it
    from prefect.logging.formatters import PrefectFormatter

    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a", encoding="utf-8", buffering=1)
    to_file = logging.StreamHandler(fh)

    to_file.setFormatter(
        PrefectFormatter(
            "%(asctime)s | %(levelname)-7s | %(name)s - %(message)s",
            flow_run_fmt="%(asctime)s | %(levelname)-7s | Flow run %(flow_run_name)r - %(message)s",
            task_run_fmt="%(asctime)s | %(levelname)-7s | Task run %(task_run_name)r - %(message)s",
        )
    )
    to_file.addFilter(RedactCpr())
    for lg in _loggers():
        consoles = [
            h
            for h in lg.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) and h is not to_file
        ]
        for h in consoles:
            lg.removeHandler(h)
        if consoles:
            lg.addHandler(to_file)
    if to_file not in logging.getLogger().handlers:
        logging.getLogger().addHandler(to_file)
    logging.captureWarnings(True)  # a library's warning goes to the log, not to stderr
    guard_logging()
    return fh


def scrub(e: BaseException) -> BaseException:
    """`e` with the CPR numbers in its text replaced, along its causes: in place where the text is its arguments
    (or an OSError's file names), else a `Redacted` error of its redacted text, raised instead of it."""
    seen: set[int] = set()
    x: BaseException | None = e
    while x is not None and id(x) not in seen:
        seen.add(id(x))
        x.args = tuple(redact(a) if isinstance(a, str) else a for a in x.args)
        if isinstance(x, OSError):
            for name in ("filename", "filename2", "strerror"):
                if isinstance(getattr(x, name), str):
                    setattr(x, name, redact(getattr(x, name)))
        if getattr(x, "__notes__", None):
            x.__notes__ = [redact(n) for n in x.__notes__]
        x = x.__cause__ or x.__context__
    text = f"{type(e).__name__}: {e}"
    if not contains_cpr(text):
        return e
    replaced = Redacted(redact(text))
    replaced.add_note(redact("".join(traceback.format_exception(e))) or "")
    return replaced


def scrubbed(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn`, raising its exceptions scrubbed (`scrub`): for a Prefect task or flow, whose exception becomes its
    state's message, an event and a log record on the Prefect server."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            clean = scrub(e)
            if clean is e:
                raise
            raise clean from None

    return wrapper
