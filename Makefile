# The project's tasks, one place for people and CI (.ci/run runs the README's test command, then `make lint types`).
#   make test     the tests (two workers: this project's machines have 2 cores)
#   make lint     ruff (lint and format), sqlfluff on the SQL, the layers' import contracts
#   make types    mypy on vaerdistrom/, connectors/, warehouse/ and mining/
#   make format   ruff format and the import order fixed in place
#   make docs     the generated docs (docs/mining.md, docs/simulator.md) written again
#   make bench    the benchmarks that finish in minutes (the rest: see docs/benchmarks.md)
# Run after `python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'`.

VENV ?= .venv
BIN := $(VENV)/bin
SQL := $(shell git ls-files '*.sql' 2>/dev/null)

.PHONY: test lint types format docs bench check

test:
	$(BIN)/python -m pytest -n 2

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 $(SQL)
	$(BIN)/lint-imports

types:
	$(BIN)/mypy

format:
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

docs:
	$(BIN)/python -m mining.docs
	$(BIN)/python -m simulator.docs

bench:
	$(BIN)/python bench/bench_nightly.py
	$(BIN)/python bench/bench_previous.py --previous HEAD~1

check: lint types test
