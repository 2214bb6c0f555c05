"""The shared fixtures, registered from `tests/support/` (simulations made once per session, warehouses, the
machine's real logs and Prefect server)."""

pytest_plugins = ["support.environment", "support.simulations", "support.warehouses"]
