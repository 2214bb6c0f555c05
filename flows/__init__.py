"""Orchestration (Prefect flows) and the `vaerdistrom` command line."""
