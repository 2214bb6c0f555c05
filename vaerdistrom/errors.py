"""One base for every error a user can cause or meet, with the exit code the command line gives it.

The command line maps a `VaerdistromError` to one line on stderr and its `exit_code`; anything
else is a bug, reported as one line with exit code 1 and its traceback kept out of sight.
"""

from __future__ import annotations


class VaerdistromError(Exception):
    """An error with a message meant for the user: one line, no traceback.

    `exit_code` 1: the data or the warehouse was not as needed (a failed load, a busy warehouse);
    2: the user's input was wrong (an argument, a config file, a key).
    """

    exit_code = 1


class UsageError(VaerdistromError):
    """Bad input from the user: an argument, an option, a config file (exit code 2)."""

    exit_code = 2
