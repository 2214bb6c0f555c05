"""`vaerdistrom run` whose Prefect server is not tied to it (as on an OS without a death signal): the crash tests of
the server's reaper run this child, so the production code carries no switch for it."""

import sys

from flows import prefect_server

prefect_server.death_parent = lambda: 0  # the server outlives a killed run: an orphan, for the next run to reap

if __name__ == "__main__":
    from flows.cli import app

    sys.exit(app(sys.argv[1:]))
