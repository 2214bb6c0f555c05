"""What the machine offers the tests: the shared real logs beside the checkout, and a temporary Prefect server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data/real: skipped on a user's fresh clone, a failure under CI=true."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared real logs at {SHARED_DATA}")
        pytest.skip(f"the shared real logs are not beside this checkout ({SHARED_DATA})")
    return SHARED_DATA


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server (about 20 s to start) for every test of a session that runs a real flow."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
